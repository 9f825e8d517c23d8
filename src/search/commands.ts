// What each command does once its run directory, data and space are set up
// (lifecycle.ts): run its phases (supernet.ts, blackbox.ts, train.ts), write
// its artefacts (weights.ts; the typed result record, results.ts) and log the
// summary (summary.ts).
import { metricOf, taskOf } from '../nas/registry.js';
import type { SearchSpace } from '../nas/space.js';
import type { ToyBenchmark } from './benchmark.js';
import { BlackBoxSearch } from './blackbox.js';
import type { LoadedCheckpoint } from './checkpoint.js';
import { candidatesPareto, paretoSummary, paretoSweep, writeParetoFile, type ParetoFile } from './pareto.js';
import { checkRunConstraints, constrainedResult, constraintsOf } from './constraints.js';
import { applyWeightInit, networkCost, parseArchitecture, supernetFile, type Clock, type RunContext } from './common.js';
import type { RunLoaders } from './data.js';
import { evaluateArchitecture, evaluateNetwork, inferenceMsPer, latencyMs } from './evaluate.js';
import type { PhaseEnv } from './loop.js';
import type { Progress } from './progress.js';
import { blackBoxRunResult, searchHeader, searchResult, supernetStoppedResult, trainResult, writeArchitectureFile, writeTrainResult, type BlackBoxHeader, type RunOutcome, type TrainCommand } from './results.js';
import { blackBoxPlan, searchSummary, supernetPlan, trainingPlan, trainSummary } from './summary.js';
import { SupernetTrainer } from './supernet.js';
import { NetworkTrainer } from './train.js';
import { loadSupernet, saveModel, saveSupernet } from './weights.js';

/** What every command works with (lifecycle.ts sets it up). */
export interface RunParts {
  ctx: RunContext;
  space: SearchSpace;
  loaders: RunLoaders;
  bench: ToyBenchmark | null;
  clock: Clock;
  /** The newest checkpoint, when resuming from one. */
  ck: LoadedCheckpoint | null;
}

/** A budget in minutes on the run clock, in ms (0 = none = Infinity). */
function budgetMs(minutes: number): number {
  return minutes > 0 ? minutes * 60_000 : Infinity;
}

function phaseEnv(parts: RunParts, budget: number): PhaseEnv {
  return { ctx: parts.ctx, space: parts.space, bench: parts.bench, clock: parts.clock, budgetMs: budget };
}

function logSummary(p: Progress, lines: string[]): void {
  p.done();
  for (const l of lines) p.log(l);
}

/** search (single-stage) and two-stage: the supernet phase, then the result, or the black-box stage. */
export function runSearch(parts: RunParts, command: 'search' | 'two-stage'): RunOutcome {
  const { ctx, space, loaders, bench, clock, ck } = parts;
  const c = ctx.config;
  const { run, progress: p } = ctx;
  const total = budgetMs(c.budget_minutes);
  const constraints = constraintsOf(c);
  checkRunConstraints(space, constraints, (l) => p.log(l)); // before any training: a bound nothing meets is refused
  const trainer = new SupernetTrainer(phaseEnv(parts, command === 'two-stage' ? total * (1 - c.black_box_budget_share) : total), loaders);
  if (ck) trainer.restore(ck);
  p.log(supernetPlan(c, { weights: space.supernet.numParameters(), architectures: space.size(), stepsPerEpoch: trainer.stepsPerEpoch, epochs: trainer.state.plannedEpochs }));
  run.setStatus({ command, status: 'running', phase: trainer.phase });
  const status = trainer.run();
  const done = { epochs: trainer.state.epoch, steps: trainer.state.globalStep };
  if (command === 'search') {
    let pareto: ParetoFile | null = null;
    if (c.pareto) {
      pareto = paretoSweep(space, trainer.architect, loaders, { metric: c.pareto_metric, points: c.pareto_points, evalSamples: c.eval_samples, bench });
      writeParetoFile(run, pareto);
    }
    const { arch, record } = constrainedResult(space, space.discretize(), constraints, { useAlpha: true });
    saveSupernet(run.file('supernet.safetensors'), space, c);
    const test = evaluateArchitecture(space, arch, loaders.test, loaders.calibration());
    const result = { ...searchResult({ ...searchHeader('search', c), ...done }, space, arch, bench, { status, test, clock }), ...record, ...(pareto ? { pareto: paretoSummary(pareto) } : {}) };
    writeArchitectureFile(run, result);
    logSummary(p, searchSummary(result, run.dir));
    return { dir: run.dir, status, result };
  }
  saveSupernet(run.file('supernet.safetensors'), space, c);
  const head = { ...searchHeader('two-stage', c), ...done };
  if (status === 'stopped') {
    // The supernet phase used its share of the budget before its planned
    // epochs (budget_fit's estimate from the first epoch can be short): the
    // black-box stage still gets the rest, so a budgeted run always ends with
    // an architecture. Only a spent total budget stops the run here.
    if (clock.ms() < total) {
      p.log(`the supernet phase used its share of the budget after ${trainer.state.epoch} of ${trainer.state.plannedEpochs} epochs; the black-box stage gets the rest`);
      return blackBoxStage(parts, total, { ...head, supernet_stopped_by_budget: true });
    }
    const result = supernetStoppedResult(head, clock);
    writeArchitectureFile(run, result);
    p.log(`the budget ran out in the supernet phase; resume with a larger --budget-minutes to continue`);
    return { dir: run.dir, status: 'stopped', result };
  }
  return blackBoxStage(parts, total, head);
}

/** black-box: the black-box stage on another run's supernet. */
export function runBlackBox(parts: RunParts): RunOutcome {
  const c = parts.ctx.config;
  loadSupernet(c.supernet!, parts.space);
  checkRunConstraints(parts.space, constraintsOf(c), (l) => parts.ctx.progress.log(l));
  parts.ctx.progress.log(`  supernet loaded from ${supernetFile(c.supernet!)}`);
  return blackBoxStage(parts, budgetMs(c.budget_minutes), { ...searchHeader('black-box', c), supernet: supernetFile(c.supernet!) });
}

function blackBoxStage(parts: RunParts, deadline: number, head: BlackBoxHeader & { command: 'two-stage' | 'black-box' }): RunOutcome {
  const { ctx, space, loaders, bench, clock } = parts;
  const c = ctx.config;
  const { run, progress: p } = ctx;
  const fitness = loaders.validEval(c.fitness_samples);
  if (!fitness) throw new Error('the black-box search scores architectures on the validation split, but train_portion is 1; set train_portion below 1 (0.8 or 0.5)');
  const bb = new BlackBoxSearch(phaseEnv(parts, deadline), fitness, loaders.calibration());
  if (bb.tryRestore()) p.log(`  black-box search resumed at generation ${bb.state.generation + 1} (${Object.keys(bb.state.visited).length} evaluated)`);
  p.log(blackBoxPlan(c, fitness.samples));
  run.setStatus({ command: head.command, status: 'running', phase: 'black-box' });
  const r = bb.run();
  const test = evaluateArchitecture(space, r.arch, loaders.test, loaders.calibration());
  const { record } = constrainedResult(space, r.arch, constraintsOf(c), { useAlpha: false });
  let pareto: ParetoFile | null = null;
  if (c.black_box === 'nsga2') {
    pareto = candidatesPareto(space, Object.values(r.state.visited), c.pareto_metric, bench);
    writeParetoFile(run, pareto);
  }
  const result = { ...blackBoxRunResult(head, space, bench, r, { test, lossMetric: metricOf(c.space) === 'loss', clock }), ...record, ...(pareto ? { pareto: paretoSummary(pareto) } : {}) };
  writeArchitectureFile(run, result);
  logSummary(p, searchSummary(result, run.dir));
  return { dir: run.dir, status: r.status, result };
}

/** train (from scratch) and finetune (from the supernet's weights): one network, then its test result. */
export function runTraining(parts: RunParts, command: TrainCommand): RunOutcome {
  const { ctx, space, loaders, bench, clock, ck } = parts;
  const c = ctx.config;
  const { run, progress: p } = ctx;
  const arch = parseArchitecture(space, c.arch!);
  const inherit = command === 'finetune';
  if (inherit && !ck) loadSupernet(c.supernet!, space);
  const net = inherit ? space.subnet(arch, { inherit }) : space.evaluationNetwork(arch);
  if (!inherit) applyWeightInit(c, net);
  try {
    const trainer = new NetworkTrainer(phaseEnv(parts, budgetMs(c.budget_minutes)), arch, net, loaders);
    if (ck) trainer.restore(ck);
    p.log(trainingPlan({ inherit, benchmarkKey: space.benchmarkKey(arch), weights: net.numParameters(), stepsPerEpoch: trainer.stepsPerEpoch, epochs: trainer.state.plannedEpochs }));
    run.setStatus({ command, status: 'running', phase: 'train' });
    const status = trainer.run();
    saveModel(run.file('model.safetensors'), net, space, arch, c);
    const test = trainer.state.lastTest ?? evaluateNetwork(space, net, loaders.test);
    const lm = taskOf(c.space) === 'language-model';
    const speed = lm ? { inferenceMsPer: () => inferenceMsPer(net, loaders.test) } : { latencyMs: () => latencyMs(net, loaders.test) };
    const result = trainResult({ command, space: c.space }, space, arch, bench, { status, epochs: trainer.state.epoch, test, cost: networkCost(space, net), ...speed, clock });
    writeTrainResult(run, result);
    logSummary(p, trainSummary(result, run.dir));
    return { dir: run.dir, status, result };
  } finally {
    net.dispose();
  }
}
