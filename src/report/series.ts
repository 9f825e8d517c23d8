// Curves from metric records: the any-time accuracy of a run (the epoch
// records of a single-stage search or of SPOS training, the generation records
// of a black-box stage), the architecture weights per epoch, and both summed
// over the seeds of a method as a mean line with a min/max band.
import '../spaces/index.js'; // the built-in spaces' facts (metric)
import { metricOf } from '../nas/registry.js';
import type { LoadedRun, MetricRecord } from './runs.js';
import { num, spread } from './stats.js';

export type CurveMetric = 'benchmark' | 'validation';
export type CurveAxis = 'time' | 'epoch';

export interface AnytimePoint {
  time: number;
  /** 1-based epoch; null for a generation of the black-box stage. */
  epoch: number | null;
  /** Benchmark test accuracy (%) of the current architecture or incumbent. */
  benchmark: number | null;
  /** Validation accuracy (%) with the supernet's weights (a generation's best fitness). */
  validation: number | null;
}


/** The any-time records of a search run, in file order. Retraining records are not searches: none. */
export function anytimePoints(run: LoadedRun): AnytimePoint[] {
  const out: AnytimePoint[] = [];
  // A language model's black-box fitness is minus the validation loss, not an accuracy.
  const fitnessIsAcc = metricOf(run.config.space) !== 'loss';
  for (const r of run.metrics) {
    const time = num(r.time_s);
    if (time === null || r.phase === 'train') continue;
    const pct = (v: unknown) => (num(v) === null ? null : 100 * (v as number));
    if (r.kind === 'epoch' && num(r.epoch) !== null) {
      out.push({ time, epoch: (r.epoch as number) + 1, benchmark: num(r.benchmark_test_acc), validation: pct(r.valid_acc) });
    } else if (r.kind === 'generation') {
      out.push({ time, epoch: null, benchmark: num(r.best_benchmark_test_acc), validation: fitnessIsAcc ? pct(r.best_fitness) : null });
    }
  }
  return out;
}

export interface BandPoint {
  group: string;
  x: number;
  mean: number;
  min: number;
  max: number;
  /** Seeds that contribute to this point. */
  n: number;
}

/**
 * Mean and min/max over seeds of one method. On the epoch axis seeds are
 * aligned by epoch. On the time axis each seed is a step function (its last
 * record so far, the incumbent), sampled at every time any seed recorded; a seed
 * counts from its first record on.
 */
export function band(group: string, perSeed: { x: number; y: number }[][], axis: CurveAxis): BandPoint[] {
  const seeds = perSeed.map((s) => [...s].sort((a, b) => a.x - b.x)).filter((s) => s.length > 0);
  const xs = [...new Set(seeds.flatMap((s) => s.map((p) => p.x)))].sort((a, b) => a - b);
  const out: BandPoint[] = [];
  for (const x of xs) {
    const ys: number[] = [];
    for (const s of seeds) {
      if (axis === 'epoch') {
        const p = s.find((q) => q.x === x);
        if (p) ys.push(p.y);
      } else {
        let last: number | null = null;
        for (const p of s) {
          if (p.x > x) break;
          last = p.y;
        }
        if (last !== null) ys.push(last);
      }
    }
    const st = spread(ys);
    if (st) out.push({ group, x, mean: st.mean, min: st.min, max: st.max, n: st.n });
  }
  return out;
}

/** Any-time band of one method's runs; empty when none has the metric. */
export function anytimeBand(group: string, runs: LoadedRun[], metric: CurveMetric, axis: CurveAxis): BandPoint[] {
  const perSeed = runs.map((r) =>
    anytimePoints(r)
      .filter((p) => p[metric] !== null && (axis === 'time' || p.epoch !== null))
      .map((p) => ({ x: axis === 'time' ? p.time : p.epoch!, y: p[metric]! })),
  );
  return band(group, perSeed, axis);
}

export interface AlphaPoint {
  choice: string;
  option: string;
  epoch: number;
  mean: number;
  min: number;
  max: number;
}

function epochRecordsWithAlpha(run: LoadedRun): MetricRecord[] {
  return run.metrics.filter((r) => r.kind === 'epoch' && num(r.epoch) !== null && r.alpha !== null && typeof r.alpha === 'object');
}

/**
 * Names of a choice's options: from space.json where a run wrote one; else
 * records hold alpha as arrays and the genotype (the argmax) by value, and
 * wherever the argmax is unique that pairs an index with its value. Indexes
 * never chosen stay '#i'.
 */
export function optionNames(runs: LoadedRun[]): Map<string, string[]> {
  const names = new Map<string, string[]>();
  // Runs that wrote space.json name every option.
  for (const run of runs) {
    for (const [choice, values] of Object.entries(run.space?.choices ?? {})) if (Array.isArray(values) && !names.has(choice)) names.set(choice, values.map(String));
  }
  for (const run of runs) {
    for (const r of epochRecordsWithAlpha(run)) {
      const geno = (r.genotype ?? {}) as Record<string, unknown>;
      for (const [choice, probs] of Object.entries(r.alpha as Record<string, unknown>)) {
        if (!Array.isArray(probs)) continue;
        const list = names.get(choice) ?? probs.map((_, i) => `#${i}`);
        names.set(choice, list);
        const best = Math.max(...(probs as number[]));
        const at = (probs as number[]).flatMap((p, i) => (p === best ? [i] : []));
        if (at.length === 1 && choice in geno && list[at[0]].startsWith('#')) list[at[0]] = String(geno[choice]);
      }
    }
  }
  return names;
}

/** The softmax of alpha per choice and option per epoch, mean and min/max over the runs. */
export function alphaTrajectories(runs: LoadedRun[], names = optionNames(runs)): AlphaPoint[] {
  // choice -> option index -> epoch -> values over runs
  const acc = new Map<string, Map<number, Map<number, number[]>>>();
  for (const run of runs) {
    for (const r of epochRecordsWithAlpha(run)) {
      const epoch = (r.epoch as number) + 1;
      for (const [choice, probs] of Object.entries(r.alpha as Record<string, unknown>)) {
        if (!Array.isArray(probs)) continue;
        const byOpt = acc.get(choice) ?? new Map<number, Map<number, number[]>>();
        acc.set(choice, byOpt);
        probs.forEach((p, i) => {
          if (num(p) === null) return;
          const byEpoch = byOpt.get(i) ?? new Map<number, number[]>();
          byOpt.set(i, byEpoch);
          byEpoch.set(epoch, [...(byEpoch.get(epoch) ?? []), p as number]);
        });
      }
    }
  }
  const out: AlphaPoint[] = [];
  for (const [choice, byOpt] of acc) {
    for (const [i, byEpoch] of byOpt) {
      for (const [epoch, v] of [...byEpoch].sort((a, b) => a[0] - b[0])) {
        const st = spread(v)!;
        out.push({ choice, option: names.get(choice)?.[i] ?? `#${i}`, epoch, mean: st.mean, min: st.min, max: st.max });
      }
    }
  }
  return out;
}
