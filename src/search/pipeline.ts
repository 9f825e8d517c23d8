// The commands as library calls: start a run (search, two-stage, black-box,
// train, finetune), resume one, evaluate one. This module only gathers them;
// the work is split by job:
// - lifecycle.ts: start, resume, read and evaluate a run directory; status;
// - commands.ts: what each command does (its phases, artefacts, summary);
// - results.ts: the typed result records (architecture.json, result.json);
// - weights.ts: the weight files (supernet.safetensors, model.safetensors);
// - summary.ts: the console text (description, plans, final summaries).
export { evaluateRun, readRun, resumeRun, startRun, type Evaluation, type RunOptions } from './lifecycle.js';
export { COMMANDS, type Command, type RunInfo } from './rundir.js';
export { describeRun } from './summary.js';
export { loadModel, loadSupernet, openRunResult } from './weights.js';
export type { ArchitectureFile, BlackBoxRunResult, RunOutcome, RunResult, SearchResult, SupernetStoppedResult, TopCandidate, TrainResult } from './results.js';
