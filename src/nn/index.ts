// Layers, initialisers, optimizers and checkpoint I/O on top of the tensor engine.
export * from './module.js';
export * from './layer.js';
export * from './linear.js';
export * from './conv.js';
export * from './norm.js';
export * from './embedding.js';
export * from './dropout.js';
export * from './activation.js';
export * from './sequential.js';
export * as init from './init.js';
export * as optim from './optim/index.js';
export * as safetensors from './safetensors.js';
export { toOnnx, OnnxExportError } from './onnx.js';
