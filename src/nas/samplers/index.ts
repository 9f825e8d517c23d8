// Importing this module registers every built-in sampler.
export * from './sampler.js';
export { darts } from './darts.js';
export { drnas, concentration, klToUniformDirichlet } from './drnas.js';
export { gdas, hardGumbelSoftmax } from './gdas.js';
export { spos, uniformArchitecture } from './spos.js';
export { sparsemax } from './sparsemax.js';
