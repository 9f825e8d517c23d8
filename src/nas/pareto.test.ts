// Pareto utilities: the preference sequence, dominance, the front and the 2-D
// hypervolume against hand-computed values; the preference-conditioned
// architect (alpha = base + t slope, gradients t-scaled for the slope, the
// cost term pushes the high-t end to cheaper architectures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dominates, hypervolume, paretoFront, preferenceAt } from './pareto.js';
import { Architect } from './architect.js';
import { architectureCostOf, extremeArchitecture } from './constraint.js';
import { createSampler } from './samplers/index.js';
import { createSpace } from '../spaces/index.js';
import { manualSeed, noGrad, randint, randn, tidy, type Tensor } from '../tensor/index.js';

test('preferenceAt: in [0, 1), evenly spread (every tenth of [0, 1) gets 9-11 of the first 100)', () => {
  const ts = Array.from({ length: 100 }, (_, i) => preferenceAt(i));
  assert.ok(ts.every((t) => t >= 0 && t < 1));
  for (let b = 0; b < 10; b++) {
    const n = ts.filter((t) => t >= b / 10 && t < (b + 1) / 10).length;
    assert.ok(n >= 9 && n <= 11, `bin ${b}: ${n}`);
  }
  assert.equal(preferenceAt(3), preferenceAt(3), 'a function of the step alone (resume needs no state)');
});

test('dominance, the front (sorted by cost, dominated and duplicate points left out) and the hypervolume by hand', () => {
  assert.ok(dominates({ cost: 1, acc: 2 }, { cost: 2, acc: 2 }));
  assert.ok(!dominates({ cost: 1, acc: 2 }, { cost: 1, acc: 2 }));
  assert.ok(!dominates({ cost: 1, acc: 1 }, { cost: 2, acc: 2 }));
  const pts = [
    { cost: 3, acc: 5 },
    { cost: 1, acc: 2 },
    { cost: 2, acc: 1 }, // dominated by (1, 2)
    { cost: 2, acc: 4 },
    { cost: 3, acc: 5 }, // duplicate
    { cost: 4, acc: 4.5 }, // dominated by (3, 5)
  ];
  assert.deepEqual(paretoFront(pts), [
    { cost: 1, acc: 2 },
    { cost: 2, acc: 4 },
    { cost: 3, acc: 5 },
  ]);
  // Reference (5, 0): slabs [1, 2) x 2 + [2, 3) x 4 + [3, 5) x 5 = 2 + 4 + 10.
  assert.equal(hypervolume(pts, { cost: 5, acc: 0 }), 16);
  // Points outside the reference box add nothing; an empty front has no volume.
  assert.equal(hypervolume([{ cost: 6, acc: 9 }], { cost: 5, acc: 0 }), 0);
  assert.equal(hypervolume([], { cost: 5, acc: 0 }), 0);
  // A superset front never has less volume.
  assert.ok(hypervolume([...pts, { cost: 0.5, acc: 1 }], { cost: 5, acc: 0 }) > 16);
});

test('preference architect: alpha = (1 - t) atZero + t atOne; at t = 0 only the t = 0 end moves; the cost term makes alpha(1) cheaper than alpha(0)', () => {
  manualSeed(0);
  const space = createSpace('toy-conv-macro');
  const reference = extremeArchitecture(space, 'params', 'max').cost.params;
  // No weight decay: Adam would move an end with a zero gradient by its decay term alone.
  const architect = new Architect(space, createSampler('darts'), { lr: 0.05, weightDecay: 0, preference: { metric: 'params', strength: 20, reference } });
  assert.ok(architect.preference && architect.optimizer);
  const x = randn([4, ...space.inputShape]);
  const y = randint(0, space.numClasses, [4]);
  const snapshot = (ts: Tensor[]) => noGrad(() => ts.map((t) => t.toArray() as number[]));
  // t = 0: the t = 1 end's share of the gradient is 0, so only the t = 0 end moves.
  const [z0, o0] = [snapshot(architect.atZero), snapshot(architect.atOne)];
  architect.setPreference(0);
  architect.step({ x, y });
  assert.deepEqual(snapshot(architect.atOne), o0);
  assert.notDeepEqual(snapshot(architect.atZero), z0);
  architect.setPreference(0.25);
  tidy(() => space.alphas().forEach((a, i) => assert.ok(a.sub(architect.atZero[i].mul(0.75).add(architect.atOne[i].mul(0.25))).abs().max().item() < 1e-7)));
  // t = 1 with a strong cost term: the expected params under alpha(1) fall below alpha(0)'s.
  const sampler = createSampler('darts');
  const expected = (t: number) => {
    architect.setPreference(t);
    return tidy(() => space.expectedCost(sampler.sample(space.choices)).params.item());
  };
  const before = expected(1);
  for (let s = 0; s < 20; s++) {
    architect.setPreference(1);
    architect.step({ x, y });
  }
  assert.ok(expected(1) < before, `expected params at t = 1: ${expected(1)} < ${before}`);
  assert.ok(expected(1) < expected(0), `alpha(1) ${expected(1)} cheaper than alpha(0) ${expected(0)}`);
  space.supernet.dispose();
});
