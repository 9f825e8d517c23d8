// The NAS building blocks: choices, mixing weights, superposition, the entangled
// ops, the space contract and registry, samplers, the architect, cost
// constraints, latency tables and Pareto utilities.
export * from './choice.js';
export * from './arch.js';
export * from './superposition.js';
export * from './ws.js';
export * from './cost.js';
export * from './options.js';
export * from './space.js';
export * from './registry.js';
export * from './architect.js';
export * from './bilevel.js';
export * from './constraint.js';
export * from './latency.js';
export * from './pareto.js';
export * from './samplers/index.js';
export * from './entangled/common.js';
export { EntangledConv2d, type EntangledConv2dOptions } from './entangled/conv2d.js';
export { EntangledLinear, type EntangledLinearOptions } from './entangled/linear.js';
export { EntangledBatchNorm2d, type EntangledBatchNorm2dOptions } from './entangled/batchnorm.js';
export { EntangledLayerNorm } from './entangled/layernorm.js';
export { EntangledEmbedding } from './entangled/embedding.js';
export { EntangledAttention, type EntangledAttentionOptions } from './entangled/attention.js';
export { depthMixture, depthToCompute } from './entangled/depth.js';
