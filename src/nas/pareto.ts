// A Pareto front of accuracy against cost from one single-stage search
// (issue 13). alpha is conditioned on a preference t in [0, 1]:
//   alpha_c(t) = (1 - t) * atZero_c + t * atOne_c
// (a linear hypernetwork: two logit vectors per choice, the ends of the
// preference range; each end gets its (1 - t) or t share of every gradient,
// so the t = 0 end learns from accuracy alone), and every arch step
// draws the next t of a golden-ratio sequence (even coverage, no state to
// checkpoint) and adds t * strength * E[cost] / reference to the arch loss. The
// weight step trains under alpha(t) too, so the supernet's weights serve every
// preference. After the search, a sweep of t gives one architecture each; the
// non-dominated ones (lower cost, higher accuracy) are the front.
// Also here: dominance, the front of a point set and the 2-D hypervolume with
// which fronts are compared.

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
