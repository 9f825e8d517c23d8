// Cost constraints: the parser and its errors, the smallest architecture
// against brute force, feasibility errors, the repair, and the penalty
// (gradient direction, dual ascent, state). End-to-end constrained searches
// are in src/search/constraints.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { architectureCostOf, checkConstraints, checkFeasible, ConstraintPenalty, parseConstraint, repairArchitecture, smallestArchitecture } from './constraint.js';
import { createSpace } from '../spaces/index.js';
import type { Architecture } from './choice.js';
import { createSampler } from './samplers/index.js';
import { grad, manualSeed, noGrad, tidy } from '../tensor/index.js';

test('parseConstraint: metric, bound with k / M / G suffixes, the text kept; errors name the form and the metrics', () => {
  assert.deepEqual(parseConstraint('params <= 200k'), { metric: 'params', bound: 200_000, text: 'params <= 200k' });
  assert.deepEqual(parseConstraint('  flops<=5.5M '), { metric: 'flops', bound: 5_500_000, text: 'flops <= 5.5M' });
  assert.equal(parseConstraint('params <= 1e6').bound, 1e6);
  assert.equal(parseConstraint('flops <= 2G').bound, 2e9);
  assert.throws(() => parseConstraint('size <= 10'), /constraint 'size <= 10': unknown metric 'size'; the metrics are params, flops, latency_ms/);
  assert.throws(() => parseConstraint('params < = 10'), /constraint 'params < = 10' is malformed; write it as '<metric> <= <value>'/);
  assert.throws(() => parseConstraint('params <= lots'), /is malformed/);
  assert.throws(() => parseConstraint('params >= 10'), /only upper bounds \('<='\) are supported/);
  assert.deepEqual(parseConstraint('latency_ms <= 3.5'), { metric: 'latency_ms', bound: 3.5, text: 'latency_ms <= 3.5' });
  assert.throws(() => parseConstraint('params <= 0'), /the bound must be a positive number/);
});

/** Every architecture of a space, in index order. */
function allArchitectures(names: string[], sizes: number[]): Architecture[] {
  const out: Architecture[] = [];
  const total = sizes.reduce((a, b) => a * b, 1);
  for (let n = 0; n < total; n++) {
    let r = n;
    const a: Architecture = {};
    for (let i = names.length - 1; i >= 0; i--) {
      a[names[i]] = r % sizes[i];
      r = Math.floor(r / sizes[i]);
    }
    out.push(a);
  }
  return out;
}

test('smallestArchitecture: the brute-force minimum of params and of FLOPs on the toy cell; feasibility errors name it', () => {
  manualSeed(0);
  const space = createSpace('toy-cell');
  const all = allArchitectures(space.choices.map((c) => c.name), space.choices.map((c) => c.size));
  smallestArchitecture(space, 'params'); // primes the cost model
  const costs = all.map((a) => architectureCostOf(space, a));
  for (const metric of ['params', 'flops'] as const) {
    const min = Math.min(...costs.map((c) => c[metric]));
    assert.equal(smallestArchitecture(space, metric).cost[metric], min, metric);
  }
  const minParams = Math.min(...costs.map((c) => c.params));
  assert.throws(() => checkFeasible(space, [parseConstraint(`params <= ${minParams - 1}`)]), new RegExp(`constraint 'params <= ${minParams - 1}' cannot be met in space 'toy-cell': its smallest architecture has ${minParams.toLocaleString('en')} params; raise the bound`));
  checkFeasible(space, [parseConstraint(`params <= ${minParams}`)]);
  space.supernet.dispose();
});

/** toy-conv-macro with every choice at its last option ('big') and a params bound halfway between it and the smallest. */
function midwayBound() {
  manualSeed(0);
  const space = createSpace('toy-conv-macro');
  const big: Architecture = Object.fromEntries(space.choices.map((c) => [c.name, c.size - 1]));
  const small = smallestArchitecture(space, 'params');
  const bigCost = architectureCostOf(space, big);
  return { space, big, bigCost, small, bound: Math.round((bigCost.params + small.cost.params) / 2) };
}

test('repairArchitecture: unchanged within the bounds; else within them, keeping the choices alpha prefers where it can', () => {
  const { space, big, bigCost, small, bound } = midwayBound();
  const k = [parseConstraint(`params <= ${bound}`)];
  assert.equal(checkConstraints(bigCost, k)[0].met, false);
  assert.deepEqual(repairArchitecture(space, small.arch, k), small.arch, 'an architecture within the bound is kept');
  const fixed = repairArchitecture(space, big, k)!;
  const after = checkConstraints(architectureCostOf(space, fixed), k)[0];
  assert.ok(after.met && after.value <= bound, JSON.stringify(after));
  // A strong preference for the last choice's current value: the repair leaves it alone when other moves suffice.
  const keep = space.choices[space.choices.length - 1].name;
  const pinned = repairArchitecture(space, big, k, (name, i) => (name === keep ? (i === big[keep] ? 0 : -50) : 0))!;
  assert.equal(pinned[keep], big[keep]);
  assert.ok(checkConstraints(architectureCostOf(space, pinned), k)[0].met);
  // Two bounds nothing meets together cannot be repaired.
  const f = smallestArchitecture(space, 'flops');
  assert.equal(repairArchitecture(space, big, [parseConstraint(`params <= ${small.cost.params}`), parseConstraint(`flops <= ${f.cost.flops * 0.5}`)]), null);
  space.supernet.dispose();
});

test('ConstraintPenalty: no term at lambda 0; its gradient lowers the expected cost; dual ascent up while over, down to 0 while under; state round-trips', () => {
  const { space, big, bigCost, small, bound } = midwayBound();
  const bigParams = bigCost.params;
  const k = parseConstraint(`params <= ${bound}`);
  const pen = new ConstraintPenalty([k], 0.5);
  const sampler = createSampler('darts');
  tidy(() => assert.equal(pen.loss(space, sampler.sample(space.choices)), null));
  // Over the bound: the multiplier grows by lr x (cost / bound - 0.98).
  const c = pen.update(space, big);
  assert.equal(c.params, bigParams);
  assert.ok(Math.abs(pen.multipliers[0] - 0.5 * (bigParams / k.bound - 0.98)) < 1e-12);
  // The term's gradient: a small step against it lowers the expected params.
  tidy(() => {
    const alphas = space.alphas();
    const expected = () => space.expectedCost(sampler.sample(space.choices)).params.item();
    const before = expected();
    const g = grad(pen.loss(space, sampler.sample(space.choices))!, alphas).map((t) => t!);
    assert.ok(g.some((t) => t.abs().sum().item() > 0), 'the penalty reaches alpha');
    const scale = 10 / Math.max(...g.map((t) => t.abs().max().item()));
    noGrad(() => alphas.forEach((a, i) => a.add_(g[i], -scale)));
    assert.ok(expected() < before, `${expected()} < ${before}`);
  });
  // Under the bound: it shrinks, never below 0.
  for (let i = 0; i < 50; i++) pen.update(space, small.arch);
  assert.equal(pen.multipliers[0], 0);
  const other = new ConstraintPenalty([k], 0.5);
  pen.multipliers = [1.25];
  other.loadState(pen.state());
  assert.deepEqual(other.multipliers, [1.25]);
  assert.throws(() => new ConstraintPenalty([k, k], 0.5).loadState(pen.state()), /the checkpoint has 1 constraint multipliers, but the run has 2 constraints/);
  space.supernet.dispose();
});
