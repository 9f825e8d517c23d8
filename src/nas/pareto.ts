// A Pareto front of accuracy against cost from one single-stage search
// (issue 13). alpha is conditioned on a preference t >= 0:
//   alpha_c(t) = base_c - t * strength * direction_c
// where direction_c holds each option's extra cost over the choice's cheapest
// (measured on the largest architecture, over the cost span of the space), so
// alpha(t)'s argmax is the Lagrangian relaxation of "accuracy - lambda * cost"
// with lambda = t * strength. base is the one learned part: every arch step
// draws a t of a golden-ratio sequence, samples under alpha(t) and sends the
// accuracy loss's gradient to base. The cost never enters the loss, so base
// learns accuracy alone (an earlier form, two learned ends mixed by t with a
// cost term in the loss, let the cost gradient drown the accuracy one at every
// t and the whole front collapsed to the smallest architecture); the weight
// step trains under alpha(t) too, so the supernet's weights serve every
// preference. After the search, every lambda where some choice's argmax
// changes is known exactly (sweepPreferences); one t per interval gives the
// distinct architectures, and the non-dominated ones are the front.
// Also here: dominance, the front of a point set and the 2-D hypervolume with
// which fronts are compared.
import { architectureCostOf, extremeArchitecture, type ConstraintMetric } from './constraint.js';
import type { SearchSpace } from './space.js';

/** The t of arch step `step` (0, 1, 2, ...): frac((step + 1) / golden ratio), evenly spread over [0, 1). */
export function preferenceAt(step: number): number {
  const x = (step + 1) * 0.6180339887498949;
  return x - Math.floor(x);
}

/** A point to minimise `cost` and maximise `acc`. */
export interface FrontPoint {
  cost: number;
  acc: number;
}

/** a dominates b: no worse in both, better in one. */
export function dominates(a: FrontPoint, b: FrontPoint): boolean {
  return a.cost <= b.cost && a.acc >= b.acc && (a.cost < b.cost || a.acc > b.acc);
}

/** The non-dominated points, by increasing cost (equal points kept once). */
export function paretoFront<P extends FrontPoint>(points: readonly P[]): P[] {
  const sorted = [...points].sort((a, b) => a.cost - b.cost || b.acc - a.acc);
  const out: P[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && (last.acc >= p.acc)) continue; // dominated by (or equal to) a cheaper or equal-cost point
    out.push(p);
  }
  return out;
}

/**
 * The area dominated by the points and bounded by the reference point
 * (ref.cost: a cost no better than any point's; ref.acc: an accuracy no better
 * than any point's). Points outside the reference box add nothing.
 */
export function hypervolume(points: readonly FrontPoint[], ref: FrontPoint): number {
  const front = paretoFront(points.filter((p) => p.cost < ref.cost && p.acc > ref.acc));
  let area = 0;
  // By increasing cost the front's accuracy increases: each point owns the slab up to the next point's cost.
  for (let i = 0; i < front.length; i++) {
    const nextCost = i + 1 < front.length ? front[i + 1].cost : ref.cost;
    area += (nextCost - front[i].cost) * (front[i].acc - ref.acc);
  }
  return area;
}

/**
 * Per choice, per option: the option's extra cost over the choice's cheapest,
 * each measured by changing that one choice in the largest architecture (so a
 * layer a depth choice would drop still counts), divided by the span between
 * the smallest and the largest architecture's cost. Exact for costs that add
 * over choices (cells, convolutions); a first-order picture where choices
 * interact (width x heads), which the sweep's exact costs then correct.
 */
export function costDirection(space: SearchSpace, metric: ConstraintMetric): number[][] {
  const largest = extremeArchitecture(space, metric, 'max');
  const span = largest.cost[metric] - extremeArchitecture(space, metric, 'min').cost[metric];
  return space.choices.map((c) => {
    const costs = Array.from({ length: c.size }, (_, i) => architectureCostOf(space, { ...largest.arch, [c.name]: i })[metric]);
    const low = Math.min(...costs);
    return costs.map((x) => (span > 0 ? (x - low) / span : 0));
  });
}

/**
 * The preferences t of a sweep that between them give every distinct argmax
 * architecture of alpha(t) = base - t * strength * direction (per choice the
 * upper envelope of the lines base_i - lambda * direction_i): 0, one t inside
 * each interval between consecutive switch points, and one past the last
 * (where every choice sits at its cheapest option it can reach), ascending.
 */
export function sweepPreferences(base: readonly (readonly number[])[], direction: readonly (readonly number[])[], strength: number): number[] {
  const switches: number[] = [];
  base.forEach((a, c) => {
    const d = direction[c];
    // Start at the argmax of a (ties: the cheaper); walk the envelope towards cheaper options.
    let cur = 0;
    for (let i = 1; i < a.length; i++) if (a[i] > a[cur] || (a[i] === a[cur] && d[i] < d[cur])) cur = i;
    let lambda = 0;
    for (;;) {
      let next = -1;
      let at = Infinity;
      for (let i = 0; i < a.length; i++) {
        if (d[i] >= d[cur]) continue;
        const x = (a[cur] - a[i]) / (d[cur] - d[i]);
        if (x < at || (x === at && d[i] < d[next])) [next, at] = [i, x];
      }
      if (next < 0) break;
      lambda = Math.max(lambda, at);
      switches.push(lambda);
      cur = next;
    }
  });
  const s = [...new Set(switches)].sort((x, y) => x - y);
  const lambdas = [0];
  for (let i = 0; i < s.length; i++) lambdas.push(i + 1 < s.length ? (s[i] + s[i + 1]) / 2 : s[i] * 1.05 + 1e-6);
  return [...new Set(lambdas)].map((l) => l / strength);
}
