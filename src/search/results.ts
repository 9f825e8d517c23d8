// The result records a run writes, typed: architecture.json of the searches
// (single-stage, two-stage, black-box) and result.json of train / finetune.
// Field names are those of the files (snake_case) and never change, so older
// run directories and the report (src/report/) read them as they are. The
// builders fill a record from a finished phase, in the files' key order.
import type { Architecture } from '../nas/choice.js';
import type { ExactCost } from '../nas/cost.js';
import type { ConstraintRecord } from './constraints.js';
import type { SearchSpace } from '../nas/space.js';
import type { Lookup, ToyBenchmark } from './benchmark.js';
import type { BlackBoxResult } from './blackbox.js';
import { archValues, architectureCost, type Clock } from './common.js';
import type { Config } from './config.js';
import { alphaSoftmax, alphaValues, type EvalResult } from './evaluate.js';
import { writeJsonAtomic, type EndStatus, type RunDir } from './rundir.js';

/** An architecture as {choice: value} (JSON of SearchSpace.encode). */
export type ArchValues = Record<string, string | number>;

export type SearchCommand = 'search' | 'two-stage' | 'black-box';
export type TrainCommand = 'train' | 'finetune';

/** Which run a search result comes from. */
export interface SearchHeader {
  command: SearchCommand;
  space: string;
  form: Config['form'];
  method: string;
}

/** How far the supernet phase got. */
export interface SupernetProgress {
  /** Epochs done. */
  epochs: number;
  /** Steps done (all epochs). */
  steps: number;
}

/** An architecture, its benchmark entry and its exact cost (params, FLOPs per sample or token). */
export interface ArchitectureFacts extends ExactCost, Partial<ConstraintRecord> {
  architecture: ArchValues;
  benchmark_key: string;
  /** The toy benchmark's entry; null without the table. */
  benchmark: Lookup | null;
}

/** What an architecture scores with the supernet's weights (no retraining), in eval mode. */
export interface Inherited {
  inherited_test_acc: number;
  inherited_test_loss: number;
}

/** architecture.json of a single-stage search: the argmax of alpha. */
export interface SearchResult extends SearchHeader, SupernetProgress, ArchitectureFacts, Inherited {
  command: 'search';
  stopped: boolean;
  /** softmax(alpha) per choice, rounded to 6 digits. */
  alpha_softmax: Record<string, number[]>;
  /** Raw alpha per choice (exact float32 values). */
  alpha: Record<string, number[]>;
  time_s: number;
}

/** architecture.json of a two-stage run whose whole budget ran out in the supernet phase: no architecture yet. */
export interface SupernetStoppedResult extends SearchHeader, SupernetProgress {
  command: 'two-stage';
  stopped: true;
  phase: 'supernet';
  time_s: number;
}

/** One of the black-box stage's top-k. */
export interface TopCandidate {
  architecture: ArchValues;
  fitness: number;
  benchmark_test_acc: number | null;
}

/** What comes before the black-box stage's own fields: the run, and the supernet it searched. */
export interface BlackBoxHeader extends SearchHeader, Partial<SupernetProgress> {
  /** Two-stage: the supernet phase used up its share of the budget before its planned epochs. */
  supernet_stopped_by_budget?: true;
  /** Black-box runs: the supernet file searched. */
  supernet?: string;
}

/** architecture.json of the black-box stage (two-stage and black-box runs): the fittest architecture found. */
export interface BlackBoxRunResult extends BlackBoxHeader, ArchitectureFacts, Inherited {
  command: 'two-stage' | 'black-box';
  black_box: Config['black_box'];
  stopped: boolean;
  generations: number;
  /** Architectures scored. */
  evaluated: number;
  /** The result's fitness: validation accuracy (images) ... */
  supernet_valid_acc?: number;
  /** ... or validation loss (language models). */
  supernet_valid_loss?: number;
  top: TopCandidate[];
  time_s: number;
}

/** What architecture.json holds. */
export type ArchitectureFile = SearchResult | SupernetStoppedResult | BlackBoxRunResult;

/** result.json of train / finetune. */
export interface TrainResult extends ArchitectureFacts {
  command: TrainCommand;
  space: string;
  stopped: boolean;
  epochs: number;
  test_acc: number;
  test_loss: number;
  /** Language models: median eval-mode forward time per token. */
  inference_ms_per_token?: number;
  /** Image networks: median eval-mode forward time of one image (batch 1), ms, on the run's device and threads. */
  latency_ms?: number;
  time_s: number;
}

export type RunResult = ArchitectureFile | TrainResult;

export interface RunOutcome {
  dir: string;
  status: EndStatus;
  /** architecture.json (searches) or result.json (train, finetune). */
  result: RunResult;
}

export function searchHeader<C extends SearchCommand>(command: C, c: Config): SearchHeader & { command: C } {
  return { command, space: c.space, form: c.form, method: c.method };
}

export function benchmarkEntry(bench: ToyBenchmark | null, space: SearchSpace, arch: Architecture): Lookup | null {
  return bench?.lookup(space.benchmarkKey(arch)) ?? null;
}

/** The architecture, its benchmark key and entry. */
function architectureNames(space: SearchSpace, arch: Architecture, bench: ToyBenchmark | null): Omit<ArchitectureFacts, keyof ExactCost> {
  return { architecture: archValues(space, arch), benchmark_key: space.benchmarkKey(arch), benchmark: benchmarkEntry(bench, space, arch) };
}

/** The names plus the exact cost of the architecture's standalone sub-network. */
export function architectureFacts(space: SearchSpace, arch: Architecture, bench: ToyBenchmark | null): ArchitectureFacts {
  return { ...architectureNames(space, arch, bench), ...architectureCost(space, arch) };
}

function inherited(test: EvalResult): Inherited {
  return { inherited_test_acc: test.acc, inherited_test_loss: test.loss };
}

/** A single-stage search's result: the space's current argmax architecture and alpha. */
export function searchResult(head: SearchHeader & SupernetProgress & { command: 'search' }, space: SearchSpace, arch: Architecture, bench: ToyBenchmark | null, o: { status: EndStatus; test: EvalResult; clock: Clock }): SearchResult {
  return {
    ...head,
    stopped: o.status === 'stopped',
    ...architectureFacts(space, arch, bench),
    ...inherited(o.test),
    alpha_softmax: alphaSoftmax(space, 6),
    alpha: alphaValues(space),
    time_s: o.clock.seconds(),
  };
}

export function supernetStoppedResult(head: SearchHeader & SupernetProgress & { command: 'two-stage' }, clock: Clock): SupernetStoppedResult {
  return { ...head, stopped: true, phase: 'supernet', time_s: clock.seconds() };
}

/** The black-box stage's result; `lossMetric`: fitness is minus the validation loss. */
export function blackBoxRunResult(head: BlackBoxHeader & { command: 'two-stage' | 'black-box' }, space: SearchSpace, bench: ToyBenchmark | null, r: BlackBoxResult, o: { test: EvalResult; lossMetric: boolean; clock: Clock }): BlackBoxRunResult {
  const s = r.state;
  const top = s.topk.map((k) => s.visited[k]).map((x) => ({ architecture: JSON.parse(x.key) as ArchValues, fitness: x.fitness, benchmark_test_acc: x.benchmark }));
  return {
    ...head,
    black_box: s.method,
    stopped: r.status === 'stopped',
    generations: s.generation,
    evaluated: Object.keys(s.visited).length,
    ...architectureFacts(space, r.arch, bench),
    ...(o.lossMetric ? { supernet_valid_loss: -r.best.fitness } : { supernet_valid_acc: r.best.fitness }),
    ...inherited(o.test),
    top,
    time_s: o.clock.seconds(),
  };
}

/**
 * `cost`: the trained network's own params and FLOPs (DARTS trains a 20-cell
 * evaluation network, not the 8-cell searched one); `inferenceMsPer`: measures
 * its speed (language models), `latencyMs` one image's (image networks), after the cost.
 */
export function trainResult(head: { command: TrainCommand; space: string }, space: SearchSpace, arch: Architecture, bench: ToyBenchmark | null, o: { status: EndStatus; epochs: number; test: EvalResult; cost: ExactCost; inferenceMsPer?: () => number; latencyMs?: () => number; clock: Clock }): TrainResult {
  const { params, flops } = o.cost;
  const named = architectureNames(space, arch, bench);
  return {
    command: head.command,
    space: head.space,
    stopped: o.status === 'stopped',
    ...named,
    epochs: o.epochs,
    test_acc: o.test.acc,
    test_loss: o.test.loss,
    params,
    flops,
    ...(o.inferenceMsPer ? { inference_ms_per_token: o.inferenceMsPer() } : {}),
    ...(o.latencyMs ? { latency_ms: o.latencyMs() } : {}),
    time_s: o.clock.seconds(),
  };
}

export function writeArchitectureFile(run: RunDir, r: ArchitectureFile): void {
  writeJsonAtomic(run.file('architecture.json'), r);
}

export function writeTrainResult(run: RunDir, r: TrainResult): void {
  writeJsonAtomic(run.file('result.json'), r);
}
