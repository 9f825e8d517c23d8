// The life of a run directory (rundir.ts): start a run with a resolved config,
// resume one after a kill or a budget stop, and in between keep status.json
// true (running, then done, stopped or failed with the message). Both hold
// the run's lock from before their first write to the end (a second writer is
// refused), set up the same way (threads, data, space, loaders, the newest
// good checkpoint) and hand over to the command (commands.ts). Also: reading
// a run back, and evaluating its result.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getDataset } from '../data/registry.js';
import { createSpace, type SearchSpace } from '../spaces/index.js';
import '../nas/samplers/index.js';
import { getSpace } from '../nas/registry.js';
import { manualSeed } from '../tensor/random.js';
import { getNumThreads } from '../tensor/runtime.js';
import { isCuda, resolveDevice } from '../tensor/device.js';
import { setPrecision } from '../tensor/precision.js';
import { setDefaultDevice, type Device } from '../tensor/tensor.js';
import { benchmarkFor, type Lookup } from './benchmark.js';
import { loadCheckpoint } from './checkpoint.js';
import { runBlackBox, runSearch, runTraining, type RunParts } from './commands.js';
import { applyThreads, applyWeightInit, archValues, Clock, resetGpuMemPeak, type RunContext } from './common.js';
import { checkFullConfig, checkMethodFor, checkResumeOverrides, ConfigError, type Config, type PartialConfig } from './config.js';
import { createRunLoaders, loadRunDataset, spaceOptionsFor, type RunDataset, type RunLoaders } from './data.js';
import { evaluateArchitecture, evaluateNetwork } from './evaluate.js';
import { distFromEnv, joinGroup, leaveGroup, onePerMachineFirst, shardLoaders } from './distributed.js';
import { allReduceSumDiff } from '../dist/process-group.js';
import { setBatchNormSync } from '../tensor/ops/norm.js';
import { Progress } from './progress.js';
import { benchmarkEntry, type RunOutcome } from './results.js';
import { COMMANDS, readJson, RunDir, RunDirError, writeJsonAtomic, type Command, type RunInfo } from './rundir.js';
import { describeRun } from './summary.js';
import { openRunResult } from './weights.js';

export interface RunOptions {
  progress?: Progress;
  /** Use this dataset instead of loading config.dataset (library use, tests). */
  dataset?: RunDataset;
  /** resumeRun: the command the caller means to continue; a run of another kind is refused. */
  command?: Command;
}

function defaultRunDir(command: Command, preset: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
  return join('runs', `${command}-${preset.replace(/\//g, '-')}-${stamp}`);
}

/**
 * A data_dir is used or refused, never ignored: it must exist, and a dataset
 * generated in memory has no use for one.
 */
function checkDataDir(c: Config, datasetGiven: boolean): void {
  if (c.data_dir === null || datasetGiven) return;
  if (getDataset(c.dataset).kind === 'synthetic') throw new ConfigError(`data_dir '${c.data_dir}' has no use: dataset 'synthetic' is generated in memory; drop --data-dir, or name the dataset it holds with --dataset`);
  if (!existsSync(c.data_dir)) throw new ConfigError(`data_dir '${c.data_dir}' does not exist; check the path given to --data-dir (--data)`);
}

/** Starts a new run with a resolved config. */
export async function startRun(command: Command, config: Config, preset: string, o: RunOptions = {}): Promise<RunOutcome> {
  checkMethodFor(command, config);
  checkDataDir(config, o.dataset !== undefined);
  const dir = config.run_dir ?? defaultRunDir(command, preset);
  const run = new RunDir(dir);
  const note = run.create(command);
  try {
    const resolved = { ...config, run_dir: run.dir };
    writeJsonAtomic(run.configPath, resolved);
    const info: RunInfo = { format: 'tanglenas.run/1', command, preset, created: new Date().toISOString() };
    writeJsonAtomic(run.file('run.json'), info);
    return await execute({ command, config: resolved, run, progress: o.progress ?? new Progress(), dataset: o.dataset, resume: false }, info, note);
  } finally {
    run.unlock();
  }
}

/** Reads a run directory's config and kind (reading only: no lock, no writes). */
export function readRun(dir: string): { run: RunDir; config: Config; info: RunInfo } {
  const run = new RunDir(dir);
  run.open();
  return { run, ...readRunFiles(run) };
}

function readRunFiles(run: RunDir): { config: Config; info: RunInfo } {
  const info = readJson<RunInfo>(run.file('run.json'), 'run file');
  if (!COMMANDS.includes(info?.command)) throw new Error(`'${run.file('run.json')}' names no known command (${JSON.stringify(info?.command)}); the run directory is damaged`);
  const config = checkFullConfig(readJson(run.configPath, 'run config'), `in '${run.configPath}'`);
  return { config, info };
}

/** Continues a run after a kill or a budget stop; only run-control keys may change. */
export async function resumeRun(dir: string, overrides: PartialConfig = {}, o: RunOptions = {}): Promise<RunOutcome> {
  checkResumeOverrides(overrides);
  const run = new RunDir(dir);
  run.open();
  // The run's files are read under the lock: nobody else writes them meanwhile.
  const note = run.lock(o.command ?? 'resume');
  try {
    const { config, info } = readRunFiles(run);
    if (o.command !== undefined && o.command !== info.command) {
      throw new RunDirError(`run '${run.dir}' is a '${info.command}' run, not a '${o.command}' one; continue it with 'tanglenas ${info.command} --resume ${run.dir}'`);
    }
    const st = run.status();
    if (st?.status === 'done') throw new RunDirError(`run '${run.dir}' has finished (status done); nothing to resume. Evaluate it with 'tanglenas evaluate ${run.dir}'`);
    const merged = { ...config, ...overrides } as Config;
    checkDataDir(merged, o.dataset !== undefined);
    run.prepare();
    writeJsonAtomic(run.configPath, merged);
    return await execute({ command: info.command, config: merged, run, progress: o.progress ?? new Progress(), dataset: o.dataset, resume: true }, info, note);
  } finally {
    run.unlock();
  }
}

/**
 * The space and loaders of a run. The space is built after the data (a
 * language model's vocabulary comes from the corpus), right after seeding, so
 * the same seed gives the same initial weights; it is built on the CPU and
 * then moved to the run's device (the same initial values on every device),
 * which becomes the default device until the run ends (endRunDevice).
 */
export function buildSpace(c: Config, ds: RunDataset): { space: SearchSpace; loaders: RunLoaders; device: Device } {
  const { space, device } = spaceOnDevice(c, ds);
  try {
    return { space, loaders: createRunLoaders(ds, c, space.inputShape[0], device), device };
  } catch (e) {
    endRunDevice();
    space.supernet.dispose();
    throw e;
  }
}

/** The run's space, seeded, built on the CPU, moved to c.device, which becomes the default device. */
export function spaceOnDevice(c: Config, ds: RunDataset): { space: SearchSpace; device: Device } {
  let device = resolveDevice(c.device);
  // A data-parallel rank that did not name a GPU index gets the GPU of its local rank.
  const local = process.env.LOCAL_RANK;
  if (local !== undefined && isCuda(device) && !c.device.includes(':') && distFromEnv()) device = resolveDevice(`cuda:${local}`);
  manualSeed(c.seed);
  setDefaultDevice('cpu');
  const space = createSpace(c.space, spaceOptionsFor(c, ds));
  applyWeightInit(c, space.supernet);
  try {
    space.to(device);
  } catch (e) {
    space.supernet.dispose();
    throw e;
  }
  setDefaultDevice(device);
  setPrecision(c.precision, device);
  resetGpuMemPeak();
  return { space, device };
}

/** Back to the CPU as the default device (a run or an evaluation ended). */
export function endRunDevice(): void {
  setDefaultDevice('cpu');
  setPrecision('fp32');
}

/** A failure's message, with what to do when the disk is full (the last checkpoint is intact). */
function failure(e: unknown, run: RunDir): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return e;
  return Object.assign(new Error(`${(e as Error).message}; the run keeps its last checkpoint: free some space, then continue with --resume ${run.dir}`, { cause: e }), { code });
}

async function execute(ctx: RunContext, info: RunInfo, lockNote: string | null): Promise<RunOutcome> {
  const { config: c, run, progress: p } = ctx;
  applyThreads(c);
  // Data-parallel (RANK/WORLD_SIZE in the environment): wait here for every rank.
  const dist = distFromEnv();
  const clock = new Clock(0, c.budget_clock);
  run.setStatus({ command: ctx.command, status: 'running', phase: 'setup' });
  let loaders: RunLoaders | null = null;
  let space: SearchSpace | null = null;
  try {
    const bench = benchmarkFor(c.space, c.benchmark_dir, c.dataset);
    p.log(`tanglenas ${ctx.command}${ctx.resume ? ' (resumed)' : ''}: ${describeRun(ctx.command, c, info.preset)}; ${getNumThreads()} threads, seed ${c.seed}`);
    p.log(`  run directory ${run.dir}`);
    if (lockNote) p.log(`  note: ${lockNote}`);
    if (dist) {
      if (c.darts_order === 2) throw new ConfigError('second-order DARTS (darts_order 2) does not run data-parallel yet (its virtual step would be per rank); use darts_order 1, or one process');
      p.log(`  data-parallel: rank ${dist.rank} of ${dist.world}, rendezvous at ${dist.addr}:${dist.port} (Gloo)`);
      joinGroup(dist);
      // SyncBatchNorm: every BatchNorm in training mode normalises by the global batch's statistics.
      if (c.sync_bn) setBatchNormSync(allReduceSumDiff);
    }
    const ds = ctx.dataset ?? (await onePerMachineFirst(dist, () => loadRunDataset(c, (m) => p.log(`  data: ${m}`))));
    let device: Device;
    ({ space, loaders, device } = buildSpace(c, ds));
    loaders = shardLoaders(loaders);
    p.log(`  device ${device}${c.precision === 'fp32' ? '' : `, precision ${c.precision}`}`);
    // The option values of every choice, for readers of the metrics' alpha arrays (reports).
    writeJsonAtomic(run.file('space.json'), { space: space.name, form: space.form, choices: Object.fromEntries(space.choices.map((ch) => [ch.name, ch.values])) });
    p.log(`  data: ${loaders.describe}`);
    if (!bench && getSpace(c.space).benchmark) p.log('  benchmark table not found (set --benchmark-dir or TANGLENAS_BENCH_DIR): no benchmark accuracies');
    const ck = ctx.resume ? loadCheckpoint(run.checkpointDir) : null;
    if (ck) {
      for (const s of ck.skipped) p.warn(`skipped a damaged checkpoint: ${s}`);
      p.log(`  resuming from ${ck.file}${ck.verified ? '' : ' (written before checkpoints carried a checksum: not verified)'}`);
    } else if (ctx.resume && ctx.command !== 'black-box') {
      // (A black-box run keeps its state in checkpoints/black-box.json.)
      run.truncateMetrics(0);
      p.log('  no checkpoint yet: starting over with the same config');
    }
    let outcome: RunOutcome;
    try {
      outcome = dispatch({ ctx, space, loaders, bench, clock, ck });
    } finally {
      ck?.dispose();
    }
    run.setStatus({ command: ctx.command, status: outcome.status, phase: 'end' });
    p.done();
    return outcome;
  } catch (e) {
    p.done();
    const err = failure(e, run);
    try {
      run.setStatus({ command: ctx.command, status: 'failed', phase: 'error', message: (err as Error).message });
    } catch {
      // (a full disk): the status stays 'running', which a reader tells from a live run by the lock
    }
    throw err;
  } finally {
    loaders?.close();
    space?.supernet.dispose();
    endRunDevice();
    setBatchNormSync(null);
    leaveGroup();
  }
}

function dispatch(parts: RunParts): RunOutcome {
  const command = parts.ctx.command;
  switch (command) {
    case 'search':
    case 'two-stage':
      return runSearch(parts, command);
    case 'black-box':
      return runBlackBox(parts);
    case 'train':
    case 'finetune':
      return runTraining(parts, command);
  }
}

export interface Evaluation {
  dir: string;
  space: string;
  kind: 'model' | 'supernet';
  architecture: Record<string, string | number>;
  benchmark_key: string;
  benchmark: Lookup | null;
  split: 'test' | 'valid';
  acc: number;
  loss: number;
  n: number;
}

/** Accuracy of a finished (or stopped) run's result on the test or validation split. */
export async function evaluateRun(dir: string, o: { split?: 'test' | 'valid'; arch?: string; overrides?: PartialConfig; progress?: Progress; dataset?: RunDataset } = {}): Promise<Evaluation> {
  checkResumeOverrides(o.overrides ?? {});
  const { run, config, info } = readRun(dir);
  const c = { ...config, ...(o.overrides ?? {}) } as Config;
  checkDataDir(c, o.dataset !== undefined);
  const split = o.split ?? 'test';
  applyThreads(c);
  const ds = o.dataset ?? (await loadRunDataset(c));
  const { space, loaders } = buildSpace(c, ds);
  try {
    const loader = split === 'test' ? loaders.test : loaders.validEval(0);
    if (!loader) throw new Error(`run '${run.dir}' has no validation split (train_portion 1); evaluate on --split test`);
    const bench = benchmarkFor(c.space, c.benchmark_dir, c.dataset);
    const opened = openRunResult(run, info, c, space, o.arch);
    const { arch } = opened;
    let r;
    try {
      r = opened.model ? evaluateNetwork(space, opened.model, loader) : evaluateArchitecture(space, arch, loader, loaders.calibration());
    } finally {
      opened.model?.dispose();
    }
    const isModel = opened.model !== null;
    return { dir: run.dir, space: c.space, kind: isModel ? 'model' : 'supernet', architecture: archValues(space, arch), benchmark_key: space.benchmarkKey(arch), benchmark: benchmarkEntry(bench, space, arch), split, ...r };
  } finally {
    loaders.close();
    space.supernet.dispose();
    endRunDevice();
  }
}
