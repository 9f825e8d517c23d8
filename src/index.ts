// The public API of tanglenas (docs/api.md). Importing it registers the
// built-in spaces, samplers and datasets; libtorch loads on the first tensor op.
export * from './tensor/index.js';
export * from './nn/index.js';
export * from './nas/index.js';
export { registerDataset, getDataset, listDatasets, datasetNames, type DatasetEntry, type ImageDatasetEntry, type TextDatasetEntry } from './data/registry.js';
export { DataError } from './data/errors.js';
export type { ImageDataset, ImageDatasetInfo } from './data/dataset.js';
export { ToyCellSpace, ToyConvMacroSpace, GptSpace, createGptSpace, generate } from './spaces/index.js';
export { configKeys, checkConsistency, ConfigError, type Config, type PartialConfig } from './search/config.js';
export { getPreset, listPresets, resolveConfig, type Preset } from './search/presets.js';
export { startRun, resumeRun, evaluateRun, readRun, type RunOutcome, type RunOptions, type Evaluation, type Command } from './search/pipeline.js';
export { Progress } from './search/progress.js';
export { loadPlugins, PluginError } from './search/plugins.js';
export { benchmarkFor, findBenchmark, loadBenchmark, type Lookup } from './search/benchmark.js';
export { writeReport } from './report/report.js';
export { initProcessGroup, destroyProcessGroup, processGroup, allReduce, broadcast, barrier, shardOf, distAvailable, type ProcessGroupOptions } from './dist/process-group.js';
