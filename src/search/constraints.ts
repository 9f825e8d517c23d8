// Cost constraints in a run (the `constraints` key; the mechanics are in
// nas/constraint.ts): parsed from the config, checked for feasibility before
// any training, and applied to the architecture a run returns, which the
// result records with each bound's value and whether it holds.
import { checkConstraints, checkFeasible, parseConstraint, repairArchitecture, architectureCostOf, type Constraint, type ConstraintCheck } from '../nas/constraint.js';
import type { Architecture } from '../nas/choice.js';
import { attachLatencyTable, latencyCacheFile, latencyTableFor, latencyTableOf } from '../nas/latency.js';
import type { SearchSpace } from '../nas/space.js';
import { softmax } from '../tensor/ops/activation.js';
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/scope.js';
import type { Config } from './config.js';

export function constraintsOf(c: Pick<Config, 'constraints'>): Constraint[] {
  return c.constraints.map(parseConstraint);
}

/**
 * Before a run trains anything: a latency bound gets this machine's latency
 * table (cached, else measured now); a bound below the space's smallest
 * architecture is refused.
 */
export function checkRunConstraints(space: SearchSpace, constraints: readonly Constraint[], log?: (line: string) => void): void {
  if (constraints.some((k) => k.metric === 'latency_ms') && !latencyTableOf(space)) {
    const t = latencyTableFor(space, { log });
    attachLatencyTable(space, t);
    log?.(`  latency table: base ${t.base.toFixed(2)} ms; on ${t.check.subnets} other sub-networks rank correlation ${t.check.spearman.toFixed(3)}, mean error ${t.check.meanAbsErrorMs.toFixed(2)} ms (${(100 * t.check.meanRelError).toFixed(1)}%)`);
    if (t.check.spearman < 0.5) log?.(`  warning: the latency table predicts poorly on this machine (rank correlation ${t.check.spearman.toFixed(2)}); timings were probably disturbed by other processes: delete ${latencyCacheFile(space, t.batch)} and run again on a quieter machine`);
  }
  if (constraints.length) checkFeasible(space, constraints);
}

export interface ConstraintRecord {
  constraints: ConstraintCheck[];
  /** The search's own architecture was over a bound and was repaired (the smallest change, alpha-preferred). */
  constraint_repaired: boolean;
}

/** alpha's log-softmax per choice, the preference a repair keeps as much of as it can. */
function alphaPreference(space: SearchSpace): (choice: string, i: number) => number {
  const logp = new Map(space.choices.map((c) => [c.name, tidy(() => noGrad(() => softmax(c.alpha, 0).log().toArray()))] as const));
  return (name, i) => logp.get(name)![i];
}

/**
 * The architecture a constrained run returns: its own when every bound holds,
 * else the repaired one (single-stage runs prefer what alpha ranks highest).
 * No constraints: the architecture and no record.
 */
export function constrainedResult(space: SearchSpace, arch: Architecture, constraints: readonly Constraint[], o: { useAlpha: boolean }): { arch: Architecture; record: ConstraintRecord | null } {
  if (!constraints.length) return { arch, record: null };
  const own = checkConstraints(architectureCostOf(space, arch), constraints);
  if (own.every((k) => k.met)) return { arch, record: { constraints: own, constraint_repaired: false } };
  const fixed = repairArchitecture(space, arch, constraints, o.useAlpha ? alphaPreference(space) : undefined) ?? arch;
  return { arch: fixed, record: { constraints: checkConstraints(architectureCostOf(space, fixed), constraints), constraint_repaired: fixed !== arch } };
}
