// Pareto utilities: the preference sequence, dominance, the front and the 2-D
// hypervolume against hand-computed values; the cost direction, the exact
// sweep of switch points and the preference-conditioned architect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costDirection, dominates, hypervolume, paretoFront, preferenceAt, sweepPreferences } from './pareto.js';
import { Architect } from './architect.js';
import { architectureCostOf, extremeArchitecture } from './constraint.js';
import { createSampler } from './samplers/index.js';
import { createSpace } from '../spaces/index.js';
import { manualSeed, noGrad, randint, randn, type Tensor } from '../tensor/index.js';

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

test('costDirection: each choice\'s cheapest option at 0, extra costs as measured, summing to 1 over the choices where params add up (toy cell)', () => {
  const space = createSpace('toy-cell');
  const dir = costDirection(space, 'params');
  const largest = extremeArchitecture(space, 'params', 'max');
  const span = largest.cost.params - extremeArchitecture(space, 'params', 'min').cost.params;
  space.choices.forEach((c, i) => {
    assert.equal(dir[i].length, c.size);
    assert.equal(Math.min(...dir[i]), 0);
    const costs = dir[i].map((_, o) => architectureCostOf(space, { ...largest.arch, [c.name]: o }).params);
    dir[i].forEach((d, o) => assert.ok(Math.abs(d - (costs[o] - Math.min(...costs)) / span) < 1e-12));
  });
  const total = dir.reduce((s, d) => s + Math.max(...d), 0);
  assert.ok(Math.abs(total - 1) < 1e-9, `sum of the largest extra costs ${total}`);
  space.supernet.dispose();
});

test('sweepPreferences: the switch points by hand; every argmax architecture of a dense lambda grid is among the sweep\'s', () => {
  // base (0, 1, 0.5), extra cost (0, 1, 0.4): option 1 until lambda 5/6, option 2 until 1.25, then option 0.
  const ts = sweepPreferences([[0, 1, 0.5]], [[0, 1, 0.4]], 2);
  const expected = [0, (5 / 6 + 1.25) / 2, 1.25 * 1.05 + 1e-6].map((l) => l / 2);
  assert.equal(ts.length, 3);
  ts.forEach((t, i) => assert.ok(Math.abs(t - expected[i]) < 1e-12, `${t} vs ${expected[i]}`));
  // Random bases and costs: the sweep's architectures == a fine grid's.
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const base = Array.from({ length: 5 }, () => Array.from({ length: 4 }, () => rand() * 2 - 1));
  const direction = base.map((b) => b.map(() => rand()));
  direction.forEach((d) => (d[0] = 0));
  const archAt = (lambda: number) => base.map((b, c) => b.map((x, o) => x - lambda * direction[c][o]).reduce((bi, x, o, arr) => (x > arr[bi] ? o : bi), 0).toString()).join(',');
  const fromSweep = new Set(sweepPreferences(base, direction, 1).map(archAt));
  const last = Math.max(...sweepPreferences(base, direction, 1));
  const fromGrid = new Set(Array.from({ length: 20001 }, (_, i) => archAt((i / 20000) * last * 2)));
  for (const a of fromGrid) assert.ok(fromSweep.has(a), `grid architecture ${a} missing from the sweep`);
  assert.ok(fromSweep.size >= 2 && fromSweep.size <= 1 + 5 * 3);
  // Past the last switch every choice sits at its cheapest option.
  assert.equal(archAt(last), base.map(() => '0').join(','));
});

test('preference architect: alpha(t) = base - t strength direction; base learns from the plain loss (no cost term); t = 1 with a strong preference is the smallest architecture', () => {
  manualSeed(0);
  const space = createSpace('toy-conv-macro');
  const direction = costDirection(space, 'params');
  // No weight decay: the same update as a plain architect is then exact.
  const architect = new Architect(space, createSampler('darts'), { lr: 0.05, weightDecay: 0, preference: { metric: 'params', strength: 2, direction } });
  assert.ok(architect.preference && architect.optimizer);
  assert.throws(() => new Architect(space, createSampler('darts'), { preference: { metric: 'params', strength: 1, direction: [[0]] } }), /one entry per option/);
  const x = randn([4, ...space.inputShape]);
  const y = randint(0, space.numClasses, [4]);
  const snapshot = (ts: Tensor[]) => noGrad(() => ts.map((t) => t.toArray() as number[]));
  // One step at t = 0.3: base moves, and the loss is the plain architect's at the same alpha (no cost term in it).
  architect.setPreference(0.3);
  const plain = new Architect(space, createSampler('darts'), { lr: 0.05, weightDecay: 0 });
  const plainLoss = plain.step({ x, y });
  const base0 = snapshot(architect.base);
  architect.setPreference(0.3);
  const loss = architect.step({ x, y });
  assert.ok(Math.abs(loss - plainLoss) < 1e-3, `loss ${loss} vs plain ${plainLoss}`);
  assert.notDeepEqual(snapshot(architect.base), base0);
  // alpha(t) follows base exactly.
  architect.setPreference(0.25);
  const b = snapshot(architect.base);
  snapshot(space.alphas()).forEach((a, i) => a.forEach((v, j) => assert.ok(Math.abs(v - (b[i][j] - 0.25 * 2 * direction[i][j])) < 1e-4)));
  // t = 0 is base itself; a strong t = 1 is the smallest architecture.
  architect.setPreference(0);
  assert.deepEqual(snapshot(space.alphas()), b);
  const strong = new Architect(space, createSampler('darts'), { preference: { metric: 'params', strength: 1000, direction } });
  strong.setPreference(1);
  assert.equal(architectureCostOf(space, space.discretize()).params, extremeArchitecture(space, 'params', 'min').cost.params);
  space.supernet.dispose();
});
