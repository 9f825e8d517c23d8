export * from './tensor.js';
export * from './scope.js';
export * from './autograd.js';
export * from './random.js';
export * from './runtime.js';
export * from './device.js';
export * from './precision.js';
export * as F from './ops/index.js';
