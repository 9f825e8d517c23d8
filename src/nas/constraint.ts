// Cost constraints on the architecture a search returns ("params <= 200k",
// "flops <= 5M"), for every sampler and space:
// - parseConstraint: the one accepted form, with errors that name the fix;
// - smallestArchitecture / checkFeasible: before a search, the cheapest
//   architecture per metric (coordinate descent on the exact cost), so a bound
//   nothing can meet is refused with the smallest achievable cost;
// - ConstraintPenalty: the architecture loss gains sum_i lambda_i E[cost_i] / bound_i
//   (E under the sampler's mixing weights, differentiable w.r.t. alpha), and each
//   multiplier follows dual ascent on the discretised architecture's exact cost:
//   lambda_i <- max(0, lambda_i + lr (cost_i / bound_i - (1 - margin))). While the
//   architecture the search would return is over its bound, the pressure grows;
//   once under, it relaxes, so the search settles at the bound, not far below;
// - repairArchitecture: if the final architecture is still over a bound (a short
//   budget), the smallest change that meets it, preferring the options alpha
//   ranks highest. Results say whether that happened.
// Costs are the exact ones of the standalone sub-network (params; FLOPs =
// multiply-accumulates per sample, per token for language models): the
// expected cost at one-hot weights, which the shared invariant tests check
// against the measured sub-network for every space.
import { noGrad } from '../tensor/autograd.js';
import { keepingRngState } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { full, type Tensor } from '../tensor/tensor.js';
import { ArchSample } from './arch.js';
import { expectedLatency, latencyTableOf, predictLatency } from './latency.js';
import type { Architecture } from './choice.js';
import type { SearchSpace } from './space.js';

export const CONSTRAINT_METRICS = ['params', 'flops', 'latency_ms'] as const;
export type ConstraintMetric = (typeof CONSTRAINT_METRICS)[number];

export interface Constraint {
  metric: ConstraintMetric;
  bound: number;
  /** As the user wrote it (results and logs quote it). */
  text: string;
}

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 };
const FORM = "'<metric> <= <value>', e.g. 'params <= 200k', 'flops <= 5.5M' or 'latency_ms <= 4' (metrics: params, flops, latency_ms; suffixes k, M, G)";

/** "<metric> <= <value>" with an optional k / M / G suffix. */
export function parseConstraint(text: string): Constraint {
  const s = String(text).trim();
  const m = /^([A-Za-z_]+)\s*(<=|<|>=|>|==|=)\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kKmMgG]?)$/.exec(s);
  if (!m) throw new Error(`constraint '${s}' is malformed; write it as ${FORM}`);
  const [, metric, op, value, suffix] = m;
  if (!(CONSTRAINT_METRICS as readonly string[]).includes(metric)) throw new Error(`constraint '${s}': unknown metric '${metric}'; the metrics are ${CONSTRAINT_METRICS.join(', ')}`);
  if (op !== '<=') throw new Error(`constraint '${s}': only upper bounds ('<=') are supported; write it as ${FORM}`);
  const bound = Number(value) * SUFFIX[suffix];
  if (!Number.isFinite(bound) || bound <= 0) throw new Error(`constraint '${s}': the bound must be a positive number`);
  return { metric: metric as ConstraintMetric, bound, text: `${metric} <= ${value}${suffix}` };
}

export type ArchCost = Record<ConstraintMetric, number>;

/**
 * Runs one small forward so the ops know their input sizes (expectedCost needs
 * it), in eval mode and with the random state put back: a run's BatchNorm
 * statistics and random stream are the same with or without constraints.
 */
function primeCosts(space: SearchSpace): void {
  const training = space.supernet.training;
  space.supernet.eval();
  try {
    // Uniform weights: every candidate runs (a weight of exactly 0 is skipped).
    keepingRngState(() =>
      noGrad(() =>
        tidy(() => {
          const uniform = new ArchSample('superposition', new Map(space.choices.map((c) => [c, full([c.size], 1 / c.size)] as const)));
          space.supernet.forward(space.exampleBatch(1).x, uniform);
        }),
      ),
    );
  } finally {
    space.supernet.train(training);
  }
}

/**
 * Exact params and FLOPs of an architecture's sub-network (the expected cost at
 * one-hot weights); latency_ms from the space's latency table (NaN without one).
 */
export function architectureCostOf(space: SearchSpace, arch: Architecture): ArchCost {
  const table = latencyTableOf(space);
  // Searches ask for the same architectures again and again (every arch step, every sweep): cached per space.
  let cache = costCache.get(space);
  if (!cache) costCache.set(space, (cache = new Map()));
  const key = space.encode(arch);
  let c = cache.get(key);
  if (!c) {
    c = tidy(() =>
      noGrad(() => {
        const e = space.expectedCost(space.fixed(arch, 'superposition'));
        return { params: e.params.item(), flops: e.flops.item() };
      }),
    );
    cache.set(key, c);
  }
  return { ...c, latency_ms: table ? predictLatency(table, arch) : Number.NaN };
}

/** Exact params and FLOPs per encoded architecture; fixed once the ops know their input sizes. */
const costCache = new WeakMap<SearchSpace, Map<string, { params: number; flops: number }>>();

/** The expected cost of one metric under a sample's mixing weights (differentiable). */
function expectedMetric(space: SearchSpace, sample: ArchSample, metric: ConstraintMetric): Tensor {
  if (metric !== 'latency_ms') return space.expectedCost(sample)[metric];
  const table = latencyTableOf(space);
  if (!table) throw new Error(`a latency_ms constraint needs the latency table of space '${space.name}' (attachLatencyTable)`);
  return expectedLatency(table, space, sample);
}

/** Coordinate descent on one metric's exact cost (3 sweeps): the smallest architecture and its cost. */
export function smallestArchitecture(space: SearchSpace, metric: ConstraintMetric): { arch: Architecture; cost: ArchCost } {
  return extremeArchitecture(space, metric, 'min');
}

/** Coordinate descent (min) or ascent (max) on one metric's exact cost, 3 sweeps at most. */
export function extremeArchitecture(space: SearchSpace, metric: ConstraintMetric, goal: 'min' | 'max'): { arch: Architecture; cost: ArchCost } {
  const better = (a: number, b: number) => (goal === 'min' ? a < b : a > b);
  const arch: Architecture = Object.fromEntries(space.choices.map((c) => [c.name, 0]));
  primeCosts(space);
  let cost = architectureCostOf(space, arch);
  for (let sweep = 0; sweep < 3; sweep++) {
    let changed = false;
    for (const c of space.choices) {
      for (let i = 0; i < c.size; i++) {
        if (i === arch[c.name]) continue;
        const trial = { ...arch, [c.name]: i };
        const t = architectureCostOf(space, trial);
        if (better(t[metric], cost[metric])) {
          arch[c.name] = i;
          cost = t;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  return { arch, cost };
}

const fmt = (v: number) => (v < 1000 ? v.toPrecision(3) : Math.round(v).toLocaleString('en'));

/** Throws, before a search, when a bound is below the smallest architecture's cost (naming that cost). */
export function checkFeasible(space: SearchSpace, constraints: readonly Constraint[]): void {
  for (const k of constraints) {
    if (k.metric === 'latency_ms' && !latencyTableOf(space)) throw new Error(`constraint '${k.text}' needs the latency table of space '${space.name}' (attachLatencyTable)`);
    const { cost } = smallestArchitecture(space, k.metric);
    if (cost[k.metric] > k.bound) {
      throw new Error(`constraint '${k.text}' cannot be met in space '${space.name}': its smallest architecture has ${fmt(cost[k.metric])} ${k.metric}; raise the bound to at least that`);
    }
  }
}

export interface ConstraintCheck {
  constraint: string;
  metric: ConstraintMetric;
  bound: number;
  value: number;
  met: boolean;
}

export function checkConstraints(cost: ArchCost, constraints: readonly Constraint[]): ConstraintCheck[] {
  return constraints.map((k) => ({ constraint: k.text, metric: k.metric, bound: k.bound, value: cost[k.metric], met: cost[k.metric] <= k.bound }));
}

/** Total relative excess over the bounds (0 when every bound holds). */
function excess(cost: ArchCost, constraints: readonly Constraint[]): number {
  return constraints.reduce((a, k) => a + Math.max(0, cost[k.metric] / k.bound - 1), 0);
}

/**
 * The architecture itself when it meets every bound; else greedy single-choice
 * moves, each the one that removes the most relative excess per unit of
 * log-preference lost (`logPref(choice, i)`: alpha's log-probability; uniform
 * when absent), until every bound holds. Null when no move helps any more.
 */
export function repairArchitecture(space: SearchSpace, arch: Architecture, constraints: readonly Constraint[], logPref?: (choice: string, i: number) => number): Architecture | null {
  const pref = logPref ?? (() => 0);
  const a = { ...arch };
  primeCosts(space);
  let cost = architectureCostOf(space, a);
  for (let guard = 0; excess(cost, constraints) > 0; guard++) {
    if (guard > 10 * space.choices.length) return null;
    const e0 = excess(cost, constraints);
    let best: { name: string; i: number; cost: ArchCost; score: number } | null = null;
    for (const c of space.choices) {
      for (let i = 0; i < c.size; i++) {
        if (i === a[c.name]) continue;
        const t = architectureCostOf(space, { ...a, [c.name]: i });
        const gain = e0 - excess(t, constraints);
        if (gain <= 0) continue;
        const loss = Math.max(0, pref(c.name, a[c.name]) - pref(c.name, i));
        const score = gain / (loss + 1e-3);
        if (!best || score > best.score) best = { name: c.name, i, cost: t, score };
      }
    }
    if (!best) return null;
    a[best.name] = best.i;
    cost = best.cost;
  }
  return a;
}

export interface PenaltyState {
  multipliers: number[];
}

/** The constraint term of the architecture loss and its dual-ascent multipliers. */
export class ConstraintPenalty {
  multipliers: number[];

  constructor(
    readonly constraints: readonly Constraint[],
    readonly lr: number,
    readonly margin = 0.02,
  ) {
    this.multipliers = constraints.map(() => 0);
  }

  /** sum_i lambda_i E[cost_i] / bound_i under the sample's weights; null while every multiplier is 0. */
  loss(space: SearchSpace, sample: ArchSample): Tensor | null {
    if (this.multipliers.every((m) => m === 0)) return null;
    let out: Tensor | null = null;
    this.constraints.forEach((k, i) => {
      if (this.multipliers[i] === 0) return;
      const term = expectedMetric(space, sample, k.metric).mul(this.multipliers[i] / k.bound);
      out = out === null ? term : out.add(term);
    });
    return out;
  }

  /** One dual-ascent step on the discretised architecture's exact cost; returns that cost. */
  update(space: SearchSpace, arch: Architecture): ArchCost {
    const cost = architectureCostOf(space, arch);
    this.constraints.forEach((k, i) => {
      this.multipliers[i] = Math.max(0, this.multipliers[i] + this.lr * (cost[k.metric] / k.bound - (1 - this.margin)));
    });
    return cost;
  }

  state(): PenaltyState {
    return { multipliers: [...this.multipliers] };
  }

  loadState(s: Partial<PenaltyState> | undefined): void {
    if (!s?.multipliers) return;
    if (s.multipliers.length !== this.constraints.length) throw new Error(`the checkpoint has ${s.multipliers.length} constraint multipliers, but the run has ${this.constraints.length} constraints`);
    this.multipliers = [...s.multipliers];
  }
}
