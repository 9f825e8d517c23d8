export * from './linear.js';
export * from './conv.js';
export * from './pool.js';
export * from './norm.js';
export * from './activation.js';
export * from './dropout.js';
export * from './loss.js';
export * from './embedding.js';
