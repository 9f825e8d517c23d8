// The commands as library calls: start a run (search, two-stage, black-box,
// train, finetune), resume one, evaluate one. Each run lives in its own
// directory (see rundir.ts) and ends with a short report.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadFile, saveFile } from '../nn/safetensors.js';
import type { Architecture } from '../nas/choice.js';
import { createSpace, type SearchSpace } from '../spaces/index.js';
import '../nas/samplers/index.js';
import { getSpace, metricOf, taskOf } from '../nas/registry.js';
import { manualSeed } from '../tensor/random.js';
import { getNumThreads, setNumThreads } from '../tensor/runtime.js';
import { dispose, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Layer } from '../nn/layer.js';
import { noGrad } from '../tensor/autograd.js';
import { benchmarkFor, type Lookup, type ToyBenchmark } from './benchmark.js';
import { BlackBoxSearch } from './blackbox.js';
import { loadCheckpoint, type LoadedCheckpoint } from './checkpoint.js';
import { archValues, architectureCost, Clock, parseArchitecture, supernetFile, type RunContext } from './common.js';
import { checkFullConfig, checkMethodFor, checkResumeOverrides, type Config, type PartialConfig } from './config.js';
import { createRunLoaders, loadRunDataset, spaceOptionsFor, type RunDataset, type RunLoaders } from './data.js';
import { alphaSoftmax, alphaValues, evaluateArchitecture, evaluateNetwork, inferenceMsPer } from './evaluate.js';
import { Progress } from './progress.js';
import { readJson, RunDir, writeJsonAtomic } from './rundir.js';
import { SupernetTrainer } from './supernet.js';
import { NetworkTrainer } from './train.js';

export type Command = 'search' | 'two-stage' | 'black-box' | 'train' | 'finetune';
export const COMMANDS: readonly Command[] = ['search', 'two-stage', 'black-box', 'train', 'finetune'];

export interface RunInfo {
  format: 'tanglenas.run/1';
  command: Command;
  preset: string;
  created: string;
}

export interface RunOptions {
  progress?: Progress;
  /** Use this dataset instead of loading config.dataset (library use, tests). */
  dataset?: RunDataset;
}

export interface RunOutcome {
  dir: string;
  status: 'done' | 'stopped';
  /** architecture.json (searches) or result.json (train, finetune). */
  result: Record<string, unknown>;
}

function defaultRunDir(command: Command, preset: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
  return join('runs', `${command}-${preset.replace(/\//g, '-')}-${stamp}`);
}

/** Starts a new run with a resolved config. */
export async function startRun(command: Command, config: Config, preset: string, o: RunOptions = {}): Promise<RunOutcome> {
  checkMethodFor(command, config);
  const dir = config.run_dir ?? defaultRunDir(command, preset);
  const run = new RunDir(dir);
  run.create();
  const resolved = { ...config, run_dir: run.dir };
  writeJsonAtomic(run.configPath, resolved);
  const info: RunInfo = { format: 'tanglenas.run/1', command, preset, created: new Date().toISOString() };
  writeJsonAtomic(run.file('run.json'), info);
  return execute({ command, config: resolved, run, progress: o.progress ?? new Progress(), dataset: o.dataset, resume: false }, info);
}

/** Reads a run directory's config and kind. */
export function readRun(dir: string): { run: RunDir; config: Config; info: RunInfo } {
  const run = new RunDir(dir);
  run.open();
  const info = readJson<RunInfo>(run.file('run.json'), 'run file');
  if (!COMMANDS.includes(info?.command)) throw new Error(`'${run.file('run.json')}' names no known command (${JSON.stringify(info?.command)}); the run directory is damaged`);
  const config = checkFullConfig(readJson(run.configPath, 'run config'), `in '${run.configPath}'`);
  return { run, config, info };
}

/** Continues a run after a kill or a budget stop; only run-control keys may change. */
export async function resumeRun(dir: string, overrides: PartialConfig = {}, o: RunOptions = {}): Promise<RunOutcome> {
  checkResumeOverrides(overrides);
  const { run, config, info } = readRun(dir);
  const st = run.status();
  if (st?.status === 'done') throw new Error(`run '${run.dir}' has finished (status done); nothing to resume. Evaluate it with 'tanglenas evaluate ${run.dir}'`);
  const merged = { ...config, ...overrides } as Config;
  writeJsonAtomic(run.configPath, merged);
  return execute({ command: info.command, config: merged, run, progress: o.progress ?? new Progress(), dataset: o.dataset, resume: true }, info);
}

function budgetMs(minutes: number): number {
  return minutes > 0 ? minutes * 60_000 : Infinity;
}

async function execute(ctx: RunContext, info: RunInfo): Promise<RunOutcome> {
  const { config: c, run, progress: p } = ctx;
  if (c.threads > 0 && getNumThreads() !== c.threads) setNumThreads(c.threads);
  const clock = new Clock(0, c.budget_clock);
  run.setStatus({ command: ctx.command, status: 'running', phase: 'setup' });
  let loaders: RunLoaders | null = null;
  let space: SearchSpace | null = null;
  try {
    const bench = benchmarkFor(c.space, c.benchmark_dir);
    p.log(`tanglenas ${ctx.command}${ctx.resume ? ' (resumed)' : ''}: ${describeRun(ctx.command as Command, c, info.preset)}; ${getNumThreads()} threads, seed ${c.seed}`);
    p.log(`  run directory ${run.dir}`);
    const ds = ctx.dataset ?? (await loadRunDataset(c, (m) => p.log(`  data: ${m}`)));
    // The space after the data: a language model's vocabulary comes from the corpus.
    manualSeed(c.seed);
    space = createSpace(c.space, spaceOptionsFor(c, ds));
    loaders = createRunLoaders(ds, c, space.inputShape[0]);
    // The option values of every choice, for readers of the metrics' alpha arrays (reports).
    writeJsonAtomic(run.file('space.json'), { space: space.name, form: space.form, choices: Object.fromEntries(space.choices.map((ch) => [ch.name, ch.values])) });
    p.log(`  data: ${loaders.describe}`);
    if (!bench && getSpace(c.space).benchmark) p.log('  benchmark table not found (set --benchmark-dir or TANGLENAS_BENCH_DIR): no benchmark accuracies');
    const ck = ctx.resume ? loadCheckpoint(run.checkpointDir) : null;
    if (ck) {
      for (const s of ck.skipped) p.log(`  warning: skipped an unreadable checkpoint: ${s}`);
      p.log(`  resuming from ${ck.file}`);
    } else if (ctx.resume && ctx.command !== 'black-box') {
      // (A black-box run keeps its state in checkpoints/black-box.json.)
      run.truncateMetrics(0);
      p.log('  no checkpoint yet: starting over with the same config');
    }
    let outcome: RunOutcome | undefined;
    try {
      switch (ctx.command) {
        case 'search':
        case 'two-stage':
          outcome = runSearchKind(ctx, space, loaders, bench, clock, ck);
          break;
        case 'black-box':
          outcome = runBlackBoxOnly(ctx, space, loaders, bench, clock);
          break;
        case 'train':
        case 'finetune':
          outcome = runTraining(ctx, space, loaders, bench, clock, ck);
          break;
      }
    } finally {
      ck?.dispose();
    }
    if (!outcome) throw new Error(`unknown command '${ctx.command}'`);
    run.setStatus({ command: ctx.command, status: outcome.status, phase: 'end' });
    p.done();
    return outcome;
  } catch (e) {
    p.done();
    run.setStatus({ command: ctx.command, status: 'failed', phase: 'error', message: (e as Error).message });
    throw e;
  } finally {
    loaders?.close();
    space?.supernet.dispose();
  }
}

export function describeRun(command: Command, c: Config, preset: string): string {
  const what = c.method === 'spos' ? `SPOS supernet + ${c.black_box === 'es' ? 'evolutionary' : 'random'} search` : c.method === 'drnas' && c.form === 'we' ? 'TangleNAS (DrNAS, weight superposition)' : `${c.method.toUpperCase()}${c.method === 'darts' ? ` (order ${c.darts_order})` : ''}, ${c.form === 'we' ? 'weight superposition' : 'weight sharing'}`;
  if (command === 'train') return `train from scratch on ${c.space} (preset ${preset})`;
  if (command === 'finetune') return `fine-tune from the supernet on ${c.space} (preset ${preset})`;
  if (command === 'black-box') return `${c.black_box === 'es' ? 'evolutionary' : 'random'} search on a trained ${c.space} supernet`;
  return `${what} on ${c.space} (preset ${preset})${c.budget_minutes > 0 ? `, budget ${c.budget_minutes} min` : ''}`;
}

function saveSupernet(file: string, space: SearchSpace, c: Config): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of space.supernet.stateDict()) tensors.set(`supernet.${k}`, t);
  for (const ch of space.choices) tensors.set(`alpha.${ch.name}`, ch.alpha);
  saveFile(file, tensors, { format: 'tanglenas.supernet/1', space: c.space, form: c.form, method: c.method });
}

/** A safetensors file's tensors and metadata, or an error naming what the file was meant to be. */
function readWeights(file: string, what: string): ReturnType<typeof loadFile> {
  try {
    return loadFile(file);
  } catch (e) {
    throw new Error(`${what} '${file}' cannot be read: ${(e as Error).message}`);
  }
}

/** The tensors under `prefix.`, with the prefix removed (a module's state dict). */
function underPrefix(tensors: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  const sub = new Map<string, Tensor>();
  for (const [k, t] of tensors) if (k.startsWith(`${prefix}.`)) sub.set(k.slice(prefix.length + 1), t);
  return sub;
}

/** Loads supernet.safetensors (weights and alpha) into the space. */
export function loadSupernet(spec: string, space: SearchSpace): void {
  const file = supernetFile(spec);
  tidy(() => {
    const loaded = readWeights(file, 'supernet');
    const m = loaded.metadata;
    if (m.format !== 'tanglenas.supernet/1') throw new Error(`'${file}' is not a tanglenas supernet (metadata format '${m.format}')`);
    if (m.space !== space.name || m.form !== space.form) throw new Error(`supernet '${file}' is a ${m.space} (${m.form}) supernet; this run is ${space.name} (${space.form}); set space and form to match`);
    space.supernet.loadStateDict(underPrefix(loaded.tensors, 'supernet'));
    noGrad(() => {
      for (const ch of space.choices) {
        const a = loaded.tensors.get(`alpha.${ch.name}`);
        if (a) ch.alpha.copy_(a);
      }
    });
  });
}

function benchInfo(bench: ToyBenchmark | null, space: SearchSpace, arch: Architecture): Lookup | null {
  return bench?.lookup(space.benchmarkKey(arch)) ?? null;
}

function runSearchKind(ctx: RunContext, space: SearchSpace, loaders: RunLoaders, bench: ToyBenchmark | null, clock: Clock, ck: LoadedCheckpoint | null): RunOutcome {
  const c = ctx.config;
  const { run, progress: p } = ctx;
  const twoStage = ctx.command === 'two-stage';
  const total = budgetMs(c.budget_minutes);
  const trainer = new SupernetTrainer(ctx, space, loaders, bench, clock, twoStage ? total * (1 - c.black_box_budget_share) : total);
  if (ck) {
    if (ck.state.phase !== 'supernet') throw new Error(`checkpoint '${ck.file}' is a '${String(ck.state.phase)}' checkpoint, not a supernet one; the run directory is inconsistent`);
    trainer.restore(ck);
  }
  p.log(`  supernet ${space.supernet.numParameters().toLocaleString('en')} weights, ${space.size()} architectures; ${trainer.stepsPerEpoch} steps per epoch, ${trainer.state.plannedEpochs} epochs${c.budget_fit && c.budget_minutes > 0 ? ' at most (fitted to the budget after the first)' : ''}`);
  run.setStatus({ command: ctx.command, status: 'running', phase: trainer.phase });
  const r = trainer.run();
  const base = { command: ctx.command, space: c.space, form: c.form, method: c.method, epochs: r.state.epoch, steps: r.state.globalStep };
  if (!twoStage) {
    const arch = space.genotype();
    saveSupernet(run.file('supernet.safetensors'), space, c);
    const test = evaluateArchitecture(space, arch, loaders.test, loaders.calibration());
    const hit = benchInfo(bench, space, arch);
    const result = {
      ...base,
      stopped: r.status === 'stopped',
      architecture: archValues(space, arch),
      benchmark_key: space.benchmarkKey(arch),
      benchmark: hit,
      ...architectureCost(space, arch),
      inherited_test_acc: test.acc,
      inherited_test_loss: test.loss,
      alpha_softmax: alphaSoftmax(space, 6),
      alpha: alphaValues(space),
      time_s: clock.seconds(),
    };
    writeJsonAtomic(run.file('architecture.json'), result);
    report(p, result, run.dir);
    return { dir: run.dir, status: r.status, result };
  }
  saveSupernet(run.file('supernet.safetensors'), space, c);
  if (r.status === 'stopped') {
    // The supernet phase used its share of the budget before its planned
    // epochs (budget_fit's estimate from the first epoch can be short): the
    // black-box stage still gets the rest, so a budgeted run always ends with
    // an architecture. Only a spent total budget stops the run here.
    if (clock.ms() < total) {
      p.log(`the supernet phase used its share of the budget after ${r.state.epoch} of ${r.state.plannedEpochs} epochs; the black-box stage gets the rest`);
      return blackBoxStage(ctx, space, loaders, bench, clock, total, { ...base, supernet_stopped_by_budget: true });
    }
    const result = { ...base, stopped: true, phase: 'supernet', time_s: clock.seconds() };
    writeJsonAtomic(run.file('architecture.json'), result);
    p.log(`the budget ran out in the supernet phase; resume with a larger --budget-minutes to continue`);
    return { dir: run.dir, status: 'stopped', result };
  }
  return blackBoxStage(ctx, space, loaders, bench, clock, total, base);
}

function runBlackBoxOnly(ctx: RunContext, space: SearchSpace, loaders: RunLoaders, bench: ToyBenchmark | null, clock: Clock): RunOutcome {
  const c = ctx.config;
  loadSupernet(c.supernet!, space);
  ctx.progress.log(`  supernet loaded from ${supernetFile(c.supernet!)}`);
  return blackBoxStage(ctx, space, loaders, bench, clock, budgetMs(c.budget_minutes), { command: ctx.command, space: c.space, form: c.form, method: c.method, supernet: supernetFile(c.supernet!) });
}

function blackBoxStage(ctx: RunContext, space: SearchSpace, loaders: RunLoaders, bench: ToyBenchmark | null, clock: Clock, deadline: number, base: Record<string, unknown>): RunOutcome {
  const c = ctx.config;
  const { run, progress: p } = ctx;
  const fitness = loaders.validEval(c.fitness_samples);
  if (!fitness) throw new Error('the black-box search scores architectures on the validation split, but train_portion is 1; set train_portion below 1 (0.8 or 0.5)');
  const bb = new BlackBoxSearch(ctx, space, fitness, loaders.calibration(), bench, clock, deadline);
  if (bb.tryRestore()) p.log(`  black-box search resumed at generation ${bb.state.generation + 1} (${Object.keys(bb.state.visited).length} evaluated)`);
  p.log(`  ${c.black_box === 'es' ? `evolutionary search: population ${c.population}, top-${c.select}, ${c.mutation} mutants (p ${c.m_prob}), ${c.crossover} crossovers, ${c.generations} generations` : `random search: ${c.rs_iters} draws, ${c.population} per generation`}; fitness on ${fitness.samples} validation ${taskOf(c.space) === 'language-model' ? 'token windows' : 'images'}`);
  run.setStatus({ command: ctx.command, status: 'running', phase: 'black-box' });
  const r = bb.run();
  const test = evaluateArchitecture(space, r.arch, loaders.test, loaders.calibration());
  const hit = benchInfo(bench, space, r.arch);
  const top = bb.state.topk.map((k) => bb.state.visited[k]).map((x) => ({ architecture: JSON.parse(x.key), fitness: x.fitness, benchmark_test_acc: x.benchmark }));
  const result = {
    ...base,
    black_box: c.black_box,
    stopped: r.status === 'stopped',
    generations: r.state.generation,
    evaluated: Object.keys(r.state.visited).length,
    architecture: archValues(space, r.arch),
    benchmark_key: space.benchmarkKey(r.arch),
    benchmark: hit,
    ...architectureCost(space, r.arch),
    ...(metricOf(c.space) === 'loss' ? { supernet_valid_loss: -r.best.fitness } : { supernet_valid_acc: r.best.fitness }),
    inherited_test_acc: test.acc,
    inherited_test_loss: test.loss,
    top,
    time_s: clock.seconds(),
  };
  writeJsonAtomic(run.file('architecture.json'), result);
  report(p, result, run.dir);
  return { dir: run.dir, status: r.status, result };
}

function runTraining(ctx: RunContext, space: SearchSpace, loaders: RunLoaders, bench: ToyBenchmark | null, clock: Clock, ck: LoadedCheckpoint | null): RunOutcome {
  const c = ctx.config;
  const { run, progress: p } = ctx;
  const arch = parseArchitecture(space, c.arch!);
  const inherit = ctx.command === 'finetune';
  if (inherit && !ck) loadSupernet(c.supernet!, space);
  const net = space.subnet(arch, { inherit });
  try {
    const trainer = new NetworkTrainer(ctx, space, arch, net, loaders, bench, clock, budgetMs(c.budget_minutes));
    if (ck) {
      if (ck.state.phase !== 'train') throw new Error(`checkpoint '${ck.file}' is a '${String(ck.state.phase)}' checkpoint, not a training one`);
      trainer.restore(ck);
    }
    const hit = benchInfo(bench, space, arch);
    p.log(`  ${inherit ? 'fine-tuning' : 'training'} ${space.benchmarkKey(arch)} (${net.numParameters().toLocaleString('en')} weights), ${trainer.stepsPerEpoch} steps per epoch, ${trainer.state.plannedEpochs} epochs`);
    run.setStatus({ command: ctx.command, status: 'running', phase: 'train' });
    const status = trainer.run();
    const tensors = new Map<string, Tensor>();
    for (const [k, t] of net.stateDict()) tensors.set(`model.${k}`, t);
    saveFile(run.file('model.safetensors'), tensors, { format: 'tanglenas.model/1', space: c.space, arch: space.encode(arch) });
    const test = trainer.state.lastTest ?? evaluateNetwork(space, net, loaders.test);
    const result = {
      command: ctx.command,
      space: c.space,
      stopped: status === 'stopped',
      architecture: archValues(space, arch),
      benchmark_key: space.benchmarkKey(arch),
      benchmark: hit,
      epochs: trainer.state.epoch,
      test_acc: test.acc,
      test_loss: test.loss,
      ...architectureCost(space, arch),
      ...(taskOf(c.space) === 'language-model' ? { inference_ms_per_token: inferenceMsPer(net, loaders.test) } : {}),
      time_s: clock.seconds(),
    };
    writeJsonAtomic(run.file('result.json'), result);
    p.done();
    p.log(`\n${inherit ? 'fine-tuned' : 'trained'} ${space.benchmarkKey(arch)} for ${trainer.state.epoch} epoch${trainer.state.epoch === 1 ? '' : 's'}${status === 'stopped' ? ' (stopped by the budget)' : ''}: ${metricOf(c.space) === 'loss' ? `test loss ${test.loss.toFixed(4)} (perplexity ${Math.exp(test.loss).toFixed(2)}), token accuracy` : 'test accuracy'} ${(100 * test.acc).toFixed(2)}%${hit ? ` (benchmark, 100-200 epochs: ${hit.testAcc}%)` : ''}`);
    p.log(`files: ${run.dir} (config.json, metrics.jsonl, result.json, model.safetensors, checkpoints/)`);
    return { dir: run.dir, status, result };
  } finally {
    net.dispose();
  }
}

function report(p: Progress, r: Record<string, unknown>, dir: string): void {
  p.done();
  const hit = r.benchmark as Lookup | null;
  const lines = [''];
  lines.push(`found architecture (${r.space}, ${r.command === 'search' ? `${r.method}/${r.form}` : `${r.black_box} on a supernet`}${r.stopped ? ', stopped by the budget' : ''}, ${Number(r.time_s).toFixed(0)} s):`);
  lines.push(`  ${JSON.stringify(r.architecture)}`);
  lines.push(`  benchmark key: ${r.benchmark_key}`);
  if (metricOf(r.space) === 'loss') {
    if (typeof r.supernet_valid_loss === 'number') lines.push(`  supernet validation loss: ${r.supernet_valid_loss.toFixed(4)}`);
    const loss = Number(r.inherited_test_loss);
    lines.push(`  test loss with the supernet's weights (no retraining): ${loss.toFixed(4)} (perplexity ${Math.exp(loss).toFixed(2)}); retrain: tanglenas train --preset ${r.space}/retrain --from ${dir}`);
  } else if (hit) lines.push(`  benchmark test accuracy: ${hit.testAcc}% (rank ${hit.rank} of ${hit.size}, better than ${hit.percentile.toFixed(1)}%; optimum ${hit.optimum}%)`);
  else lines.push(`  benchmark test accuracy: table not available (--benchmark-dir or TANGLENAS_BENCH_DIR)`);
  if (metricOf(r.space) !== 'loss') {
    if (typeof r.supernet_valid_acc === 'number') lines.push(`  supernet validation accuracy: ${(100 * r.supernet_valid_acc).toFixed(2)}%`);
    lines.push(`  test accuracy with the supernet's weights (no retraining): ${(100 * Number(r.inherited_test_acc)).toFixed(2)}%`);
  }
  const files = ['config.json', 'metrics.jsonl', 'architecture.json', 'supernet.safetensors', 'checkpoints/'].filter((f) => existsSync(join(dir, f)));
  lines.push(`files: ${dir} (${files.join(', ')})`);
  for (const l of lines) p.log(l);
}

/** Loads a train or finetune run's model.safetensors into a freshly built sub-network. */
export function loadModel(file: string, net: Layer): void {
  tidy(() => {
    const l = readWeights(file, 'model');
    net.loadStateDict(underPrefix(l.tensors, 'model'));
    dispose(l.tensors);
  });
}

/**
 * What a finished run stands for: a train / finetune run's network (its
 * model.safetensors in a fresh sub-network; the caller disposes it), or a
 * search's architecture (`archSpec`, else architecture.json, else the argmax of
 * alpha) with the supernet's weights loaded into `space` (model null).
 */
export function openRunResult(run: RunDir, info: RunInfo, c: Config, space: SearchSpace, archSpec?: string): { arch: Architecture; model: Layer | null } {
  if (info.command === 'train' || info.command === 'finetune') {
    const file = run.file('model.safetensors');
    if (!existsSync(file)) throw new Error(`run '${run.dir}' has no model.safetensors yet; resume it to the end first`);
    if (archSpec) throw new Error(`--arch applies to search runs; run '${run.dir}' trained one fixed architecture`);
    const arch = parseArchitecture(space, c.arch!);
    const model = space.subnet(arch, { inherit: false });
    try {
      loadModel(file, model);
    } catch (e) {
      model.dispose();
      throw e;
    }
    return { arch, model };
  }
  // A black-box run searched someone else's supernet.
  loadSupernet(info.command === 'black-box' && c.supernet ? c.supernet : run.dir, space);
  const spec = archSpec ?? (existsSync(run.file('architecture.json')) ? run.file('architecture.json') : null);
  return { arch: spec ? parseArchitecture(space, spec) : space.genotype(), model: null };
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
  const split = o.split ?? 'test';
  if (c.threads > 0 && getNumThreads() !== c.threads) setNumThreads(c.threads);
  const ds = o.dataset ?? (await loadRunDataset(c));
  manualSeed(c.seed);
  const space = createSpace(c.space, spaceOptionsFor(c, ds));
  const loaders = createRunLoaders(ds, c, space.inputShape[0]);
  try {
    const loader = split === 'test' ? loaders.test : loaders.validEval(0);
    if (!loader) throw new Error(`run '${run.dir}' has no validation split (train_portion 1); evaluate on --split test`);
    const bench = benchmarkFor(c.space, c.benchmark_dir);
    const opened = openRunResult(run, info, c, space, o.arch);
    const { arch } = opened;
    let r;
    try {
      r = opened.model ? evaluateNetwork(space, opened.model, loader) : evaluateArchitecture(space, arch, loader, loaders.calibration());
    } finally {
      opened.model?.dispose();
    }
    const isModel = opened.model !== null;
    return { dir: run.dir, space: c.space, kind: isModel ? 'model' : 'supernet', architecture: archValues(space, arch), benchmark_key: space.benchmarkKey(arch), benchmark: benchInfo(bench, space, arch), split, ...r };
  } finally {
    loaders.close();
    space.supernet.dispose();
  }
}
