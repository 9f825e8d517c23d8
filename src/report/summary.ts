// One line per run and one per method (its seeds together): the accuracy of
// the architecture found, search time, peak memory, params and FLOPs, as
// mean ± sample std over the seeds that have a result. Only values the run
// directories record are used; what they do not record stays null ('—').
import { basename, dirname, resolve } from 'node:path';
import { describeMethod, compareMethods, methodLabels, type MethodInfo } from './methods.js';
import type { LoadedRun } from './runs.js';
import { anytimePoints } from './series.js';
import { maxOf, num, obj, spread, type Spread } from './stats.js';

/** Where an accuracy comes from, best first for a search. */
export type AccSource = 'benchmark' | 'retrained' | 'inherited' | 'validation';

export const ACC_SOURCE_TEXT: Record<AccSource, string> = {
  benchmark: "benchmark test accuracy of the architecture found (the space's benchmark table; nb201: CIFAR-10)",
  retrained: 'test accuracy of the architecture trained by this run (result.json)',
  inherited: "test accuracy with the supernet's weights, no retraining (architecture.json inherited_test_acc)",
  validation: "validation accuracy with the supernet's weights (the last any-time record)",
};

const SEARCH_PRIORITY: AccSource[] = ['benchmark', 'inherited', 'validation'];
const TRAIN_PRIORITY: AccSource[] = ['retrained', 'benchmark'];

export interface RunSummary {
  run: LoadedRun;
  method: MethodInfo;
  seed: number | null;
  /** done, stopped, failed, running, interrupted (says running, process gone) or unknown. */
  status: string;
  /** Finished or budget-stopped with an architecture: counts in the method's row. */
  hasResult: boolean;
  /** Accuracies in percent, by source. */
  accuracy: Partial<Record<AccSource, number>>;
  /** The latest any-time record (a running search's progress). */
  current: { value: number; source: 'benchmark' | 'validation' } | null;
  /** Test loss (language models): after training (result.json), else with the supernet's weights. */
  loss: number | null;
  timeS: number | null;
  /** Budget clock of time_s: wall or process CPU time. */
  clock: 'wall' | 'cpu';
  peakRssMb: number | null;
  params: number | null;
  flops: number | null;
  /** Constrained runs: whether every bound held, and whether the search's own architecture had to be repaired; null without constraints. */
  bounds: { met: boolean; repaired: boolean } | null;
  epochs: number | null;
  optimum: number | null;
  architecture: Record<string, unknown> | null;
  benchmarkKey: string | null;
  /**
   * The benchmark's other test accuracies of the architecture found (nb201:
   * CIFAR-100, ImageNet16-120), by column name; the primary column (accuracy.benchmark)
   * and the toy tables' train accuracy are left out.
   */
  benchmarkColumns: Record<string, number>;
}

export interface GroupSummary {
  method: MethodInfo;
  label: string;
  runs: RunSummary[];
  withResult: RunSummary[];
  source: AccSource | null;
  accuracy: Spread | null;
  /** Accuracy of each seed with a result, in seed order. */
  perSeed: { seed: number | null; value: number }[];
  loss: Spread | null;
  time: Spread | null;
  rss: Spread | null;
  params: Spread | null;
  flops: Spread | null;
  epochs: number[];
  /** The other benchmark columns over the seeds with a result, by column name. */
  benchmarkColumns: Record<string, Spread | null>;
}

export interface Summary {
  runs: RunSummary[];
  groups: GroupSummary[];
  spaces: string[];
  optimum: number | null;
  budgetMinutes: number[];
  notes: string[];
}


function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function statusOf(run: LoadedRun): string {
  const st = run.status;
  if (!st) return 'unknown';
  // A kill leaves status 'running' behind; its process says whether that is still true.
  if (st.status === 'running' && typeof st.pid === 'number' && !processAlive(st.pid)) return 'interrupted';
  return st.status;
}

/** The search run a train / finetune run took its architecture (or supernet) from, if it is among `runs`. */
function originOf(run: LoadedRun, byDir: Map<string, LoadedRun>): LoadedRun | null {
  const { arch, supernet } = run.config;
  if (typeof arch === 'string' && basename(arch) === 'architecture.json') return byDir.get(resolve(dirname(arch))) ?? null;
  if (typeof supernet === 'string') return byDir.get(resolve(supernet)) ?? null;
  // `train --from RUN` records the architecture itself; compare names its retraining <run>-retrain, beside <run>.
  const m = /^(.*)-retrain$/.exec(basename(run.dir));
  return m ? (byDir.get(resolve(dirname(run.dir), m[1])) ?? null) : null;
}

export function summarizeRun(run: LoadedRun, origin: LoadedRun | null = null): RunSummary {
  const method = describeMethod(run, origin);
  const a = run.architecture;
  const res = run.result;
  const final = a ?? res;
  const points = anytimePoints(run);
  const status = statusOf(run);
  const hasResult = Boolean((a && a.architecture) || res) && status !== 'running' && status !== 'failed';
  const accuracy: Partial<Record<AccSource, number>> = {};
  const bench = num(obj(final?.benchmark)?.testAcc);
  if (bench !== null) accuracy.benchmark = bench;
  if (num(res?.test_acc) !== null) accuracy.retrained = 100 * (res!.test_acc as number);
  if (num(a?.inherited_test_acc) !== null) accuracy.inherited = 100 * (a!.inherited_test_acc as number);
  const lastValid = [...points].reverse().find((p) => p.validation !== null)?.validation ?? null;
  const valid = num(a?.supernet_valid_acc) !== null ? 100 * (a!.supernet_valid_acc as number) : lastValid;
  if (valid !== null) accuracy.validation = valid;
  const lastBench = [...points].reverse().find((p) => p.benchmark !== null)?.benchmark ?? null;
  const current = lastBench !== null ? { value: lastBench, source: 'benchmark' as const } : lastValid !== null ? { value: lastValid, source: 'validation' as const } : null;
  const lastEpoch = [...points].reverse().find((p) => p.epoch !== null)?.epoch ?? null;
  return {
    run,
    method,
    seed: num(run.config.seed),
    status,
    hasResult,
    accuracy,
    current,
    loss: num(res?.test_loss) ?? num(a?.inherited_test_loss),
    timeS: num(final?.time_s) ?? maxOf(run.metrics.map((r) => r.time_s)),
    clock: run.config.budget_clock === 'cpu' ? 'cpu' : 'wall',
    peakRssMb: maxOf(run.metrics.map((r) => r.rss_mb)),
    params: num(final?.params),
    flops: num(final?.flops),
    bounds: Array.isArray(final?.constraints) && final.constraints.length ? { met: (final.constraints as Record<string, unknown>[]).every((k) => k.met === true), repaired: final.constraint_repaired === true } : null,
    epochs: num(final?.epochs) ?? lastEpoch,
    optimum: num(obj(final?.benchmark)?.optimum),
    architecture: obj(final?.architecture),
    benchmarkKey: typeof final?.benchmark_key === 'string' ? final.benchmark_key : null,
    benchmarkColumns: otherColumns(obj(obj(final?.benchmark)?.columns)),
  };
}

/** A lookup's columns after the primary one (the first), without the toy tables' train_acc (the paper's tables show test accuracies). */
function otherColumns(cols: Record<string, unknown> | null): Record<string, number> {
  const out: Record<string, number> = {};
  Object.entries(cols ?? {}).slice(1).forEach(([k, v]) => {
    if (k !== 'train_acc' && num(v) !== null) out[k] = v as number;
  });
  return out;
}

/**
 * The seeds of one method together. `summarize` groups runs by what their
 * configs say they are; compare groups them by its grid's folder names.
 */
export function summarizeGroup(method: MethodInfo, label: string, runs: RunSummary[]): GroupSummary {
  const withResult = runs.filter((r) => r.hasResult).sort((x, y) => (x.seed ?? 0) - (y.seed ?? 0));
  const priority = method.searchType === 'Retrain' || method.searchType === 'Fine-tune' ? TRAIN_PRIORITY : SEARCH_PRIORITY;
  const source = priority.find((s) => withResult.some((r) => r.accuracy[s] !== undefined)) ?? null;
  const perSeed = source ? withResult.filter((r) => r.accuracy[source] !== undefined).map((r) => ({ seed: r.seed, value: r.accuracy[source]! })) : [];
  return {
    method,
    label,
    runs,
    withResult,
    source,
    accuracy: spread(perSeed.map((p) => p.value)),
    perSeed,
    loss: spread(withResult.map((r) => r.loss)),
    time: spread(withResult.map((r) => r.timeS)),
    rss: spread(withResult.map((r) => r.peakRssMb)),
    params: spread(withResult.map((r) => r.params)),
    flops: spread(withResult.map((r) => r.flops)),
    epochs: withResult.map((r) => r.epochs).filter((e): e is number => e !== null),
    benchmarkColumns: Object.fromEntries([...new Set(withResult.flatMap((r) => Object.keys(r.benchmarkColumns)))].map((k) => [k, spread(withResult.map((r) => r.benchmarkColumns[k] ?? null))])),
  };
}

export function summarize(runs: LoadedRun[]): Summary {
  const byDir = new Map(runs.map((r) => [r.dir, r]));
  const rs = runs.map((r) => summarizeRun(r, originOf(r, byDir)));
  const methods = new Map<string, MethodInfo>();
  for (const r of rs) if (!methods.has(r.method.key)) methods.set(r.method.key, r.method);
  const ordered = [...methods.values()].sort(compareMethods);
  const labels = methodLabels(ordered);
  const groups = ordered.map((m) => summarizeGroup(m, labels.get(m.key)!, rs.filter((r) => r.method.key === m.key)));
  const notes: string[] = [];
  const done = rs.filter((r) => r.hasResult);
  if (done.length > 0 && done.every((r) => r.params === null && r.flops === null)) {
    notes.push("Params and FLOPs: the run directories do not record them (architecture.json has no 'params' or 'flops'), so they are shown as —.");
  }
  const clocks = new Set(rs.map((r) => r.clock));
  if (clocks.has('cpu')) notes.push(clocks.size === 1 ? 'Search time is process CPU time (budget_clock=cpu), not wall time.' : 'Some runs measure time in process CPU time (budget_clock=cpu), others in wall time; their times are not comparable.');
  const optima = [...new Set(rs.map((r) => r.optimum).filter((o): o is number => o !== null))];
  const spaces = [...new Set(rs.map((r) => r.method.space))];
  if (spaces.length > 1) notes.push(`The runs are on ${spaces.length} different spaces (${spaces.join(', ')}); their accuracies are not comparable.`);
  const budgets = [...new Set(rs.map((r) => r.method.budgetMinutes).filter((b): b is number => b !== null))].sort((a, b) => a - b);
  if (budgets.length > 1) notes.push(`The runs have different budgets (${budgets.join(', ')} min).`);
  return { runs: rs, groups, spaces, optimum: optima.length === 1 ? optima[0] : null, budgetMinutes: budgets, notes };
}
