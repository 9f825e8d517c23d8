// Importing this module registers every built-in space.
export * from '../nas/space.js';
export * from '../nas/registry.js';
export { ToyCellSpace, TOY_CELL_PRIMITIVES } from './toy-cell.js';
export { ToyConvMacroSpace } from './toy-conv-macro.js';
export { GptSpace, GptSupernet, GptSubnet, GPT_PRESETS, createGptSpace, generate, type GptConfig, type GptArchConfig, type GptNetConfig, type GptPresetName, type GenerateOptions } from './gpt.js';
export { Nb201Space, NB201_OPS } from './nb201.js';
export { DartsSpace, DartsSupernet, DartsNetwork, DARTS_PRIMITIVES } from './darts.js';
export { ViTSpace, ViTSupernet, ViTSubnet, VIT_PRESETS, createViTSpace, HEAD_DIM, type ViTPresetName, type ViTArchConfig, type ViTOptions } from './autoformer.js';
export { Mbv3Space, Mbv3Supernet, Mbv3Subnet, makeDivisible, type Mbv3ArchConfig, type Mbv3Layout } from './mobilenetv3.js';
