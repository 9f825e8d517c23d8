// pareto.json, of a Pareto search or an NSGA-II black-box stage.
// The end of a Pareto search (pareto: true; nas/pareto.ts): sweep the
// preference t through every interval where alpha(t)'s argmax architecture
// changes, score the distinct architectures (at most pareto_points, evenly
// spread over the sweep; exact cost; accuracy with the supernet's weights on
// the validation images, as the search knows it; the benchmark where there is
// one), keep the non-dominated ones and write pareto.json. With a benchmark table, the table's true front and the
// hypervolume ratio (found front, scored by the table, over the true front;
// reference point: the table's largest cost and lowest accuracy) go in too.
import type { Architect } from '../nas/architect.js';
import { architectureCostOf } from '../nas/constraint.js';
import { hypervolume, paretoFront, sweepPreferences, type FrontPoint } from '../nas/pareto.js';
import type { Architecture } from '../nas/choice.js';
import { noGrad } from '../tensor/autograd.js';
import type { SearchSpace } from '../nas/space.js';
import type { Benchmark } from './benchmark.js';
import { archValues } from './common.js';
import type { RunLoaders } from './data.js';
import { evaluateArchitecture } from './evaluate.js';
import type { RunDir } from './rundir.js';
import { writeJsonAtomic } from './rundir.js';

export interface ParetoPoint {
  /** Pareto search: the swept preferences t that gave this architecture (NSGA-II: absent). */
  t?: number[];
  architecture: Record<string, string | number>;
  benchmark_key: string;
  params: number;
  flops: number;
  /** Accuracy with the supernet's weights on the validation images (what the front is chosen by). */
  valid_acc: number;
  benchmark_test_acc: number | null;
  /** On the front by (cost, valid_acc). */
  front: boolean;
}

export interface ParetoFile {
  format: 'tanglenas.pareto/1';
  space: string;
  metric: 'params' | 'flops';
  points: ParetoPoint[];
  /** With a benchmark: the table's own front and the hypervolume of the found front (scored by the table) relative to it. */
  true_front?: FrontPoint[];
  reference_point?: FrontPoint;
  hypervolume?: number;
  true_hypervolume?: number;
  hypervolume_ratio?: number;
}

function costOf(p: ParetoPoint, metric: 'params' | 'flops'): number {
  return metric === 'params' ? p.params : p.flops;
}

/** Sweeps t, scores the distinct architectures, marks the front; alpha is left at t = 0. */
export function paretoSweep(space: SearchSpace, architect: Architect, loaders: RunLoaders, o: { metric: 'params' | 'flops'; points: number; evalSamples: number; bench: Benchmark | null }): ParetoFile {
  const pref = architect.preference;
  if (!pref) throw new Error('paretoSweep: the architect has no preference (pareto: true)');
  const base = architect.base.map((b) => noGrad(() => b.toArray() as number[]));
  const seen = new Map<string, { arch: Architecture; t: number[] }>();
  // The switch points are exact where the architecture is each choice's argmax; a space with its own
  // derivation rule (DARTS's top-2 edges) can change between them, so an even grid of t joins them.
  const exact = sweepPreferences(base, pref.direction, pref.strength);
  const last = Math.max(...exact);
  const grid = Array.from({ length: o.points }, (_, i) => (last * i) / Math.max(1, o.points - 1));
  for (const t of [...new Set([...exact, ...grid])].sort((a, b) => a - b)) {
    architect.setPreference(t);
    const arch = space.discretize();
    const key = space.encode(arch);
    const s = seen.get(key);
    if (s) s.t.push(t);
    else seen.set(key, { arch, t: [t] });
  }
  architect.setPreference(0);
  const all = [...seen.values()];
  // Too many to score: an even spread over the sweep, both ends kept.
  const keep = all.length <= o.points ? all : Array.from({ length: o.points }, (_, i) => all[Math.round((i * (all.length - 1)) / (o.points - 1))]);
  const valid = loaders.validEval(o.evalSamples) ?? loaders.test;
  const points = keep.map(({ arch, t }): ParetoPoint => {
    const cost = architectureCostOf(space, arch);
    const bkey = space.benchmarkKey(arch);
    return {
      t,
      architecture: archValues(space, arch),
      benchmark_key: bkey,
      params: cost.params,
      flops: cost.flops,
      valid_acc: evaluateArchitecture(space, arch, valid, loaders.calibration()).acc,
      benchmark_test_acc: o.bench?.lookup(bkey)?.testAcc ?? null,
      front: false,
    };
  });
  return paretoFile(space, points, o.metric, o.bench);
}

/** NSGA-II's pareto.json: every candidate it scored (valid_acc = its fitness), the front marked. */
export function candidatesPareto(space: SearchSpace, candidates: readonly { key: string; fitness: number; benchmark: number | null }[], metric: 'params' | 'flops', bench: Benchmark | null): ParetoFile {
  const points = candidates.map((c): ParetoPoint => {
    const arch = space.decode(c.key);
    const cost = architectureCostOf(space, arch);
    return { architecture: archValues(space, arch), benchmark_key: space.benchmarkKey(arch), params: cost.params, flops: cost.flops, valid_acc: c.fitness, benchmark_test_acc: c.benchmark, front: false };
  });
  return paretoFile(space, points, metric, bench);
}

/** Marks the front by (cost, valid_acc) and adds the table's true front and hypervolumes where there is a table. */
function paretoFile(space: SearchSpace, points: ParetoPoint[], metric: 'params' | 'flops', bench: Benchmark | null): ParetoFile {
  const front = new Set(paretoFront(points.map((p) => ({ cost: costOf(p, metric), acc: p.valid_acc, p }))).map((x) => x.p));
  for (const p of points) p.front = front.has(p);
  const file: ParetoFile = { format: 'tanglenas.pareto/1', space: space.name, metric, points };
  if (bench) Object.assign(file, frontQuality(space, bench, metric, points.filter((p) => p.front)));
  return file;
}

/** The table's true front, the reference point and the hypervolumes (found front scored by the table). */
export function frontQuality(space: SearchSpace, bench: Benchmark, metric: 'params' | 'flops', found: ParetoPoint[]): Pick<ParetoFile, 'true_front' | 'reference_point' | 'hypervolume' | 'true_hypervolume' | 'hypervolume_ratio'> {
  const all: FrontPoint[] = bench.keys().map((k) => ({ cost: architectureCostOf(space, space.fromBenchmarkKey(k))[metric], acc: bench.lookup(k)!.testAcc }));
  const ref: FrontPoint = { cost: Math.max(...all.map((p) => p.cost)), acc: Math.min(...all.map((p) => p.acc)) };
  const trueFront = paretoFront(all);
  const scored = found.filter((p) => p.benchmark_test_acc !== null).map((p) => ({ cost: costOf(p, metric), acc: p.benchmark_test_acc! }));
  const hv = hypervolume(scored, ref);
  const trueHv = hypervolume(trueFront, ref);
  return { true_front: trueFront, reference_point: ref, hypervolume: hv, true_hypervolume: trueHv, hypervolume_ratio: trueHv > 0 ? hv / trueHv : 0 };
}

/** What architecture.json says about the front (pareto.json has the rest). */
export function paretoSummary(f: ParetoFile): { file: 'pareto.json'; architectures: number; front: number; hypervolume_ratio: number | null } {
  return { file: 'pareto.json', architectures: f.points.length, front: f.points.filter((p) => p.front).length, hypervolume_ratio: f.hypervolume_ratio ?? null };
}

export function writeParetoFile(run: RunDir, f: ParetoFile): void {
  writeJsonAtomic(run.file('pareto.json'), f);
}
