// Progressive pruning: the rule, the restricted draws (exact for DARTS' softmax,
// mean of the live Dirichlet for DrNAS), the argmax over live options, the
// checkpoint record, and the skipped weight-sharing candidates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../tensor/autograd.js';
import { softmax } from '../tensor/ops/activation.js';
import { tidy } from '../tensor/scope.js';
import { manualSeed } from '../tensor/random.js';
import { randn, tensor } from '../tensor/tensor.js';
import { ArchSample } from './arch.js';
import { choice, type Choice } from './choice.js';
import { liveSoftmax, loadPrunedState, pruneChoices, prunedState, restrictToLive, withPruning } from './prune.js';
import { createSampler } from './samplers/index.js';
import { createSpace } from '../spaces/index.js';
import { CellEdge, type CellPrimitive } from '../spaces/cell-ops.js';

const setAlpha = (c: Choice, v: number[]) => noGrad(() => c.alpha.copy_(tensor(v)));
const close = (a: number[], b: number[], tol = 1e-6) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < tol, `${a} vs ${b}`));

test('pruneChoices: prunes options under below/(live options) of softmax(alpha) over the live ones, never the argmax, never the last', () => {
  const c = choice('c', [1, 2, 3, 4]);
  setAlpha(c, [Math.log(0.7), Math.log(0.2), Math.log(0.08), Math.log(0.02)]);
  const gone = pruneChoices([c], 0.5); // threshold 0.125
  assert.deepEqual(gone.map((x) => x.value), [3, 4]);
  assert.deepEqual(c.pruned(), [2, 3]);
  close(liveSoftmax(c), [0.7 / 0.9, 0.2 / 0.9, 0, 0]);
  assert.deepEqual(pruneChoices([c], 0.4), [], '0.222 is above 0.4 / 2');
  assert.deepEqual(pruneChoices([c], 0.9).map((x) => x.value), [2]); // 0.222 < 0.45
  assert.equal(c.liveCount, 1);
  assert.deepEqual(pruneChoices([c], 0.99), [], 'one live option stays');
  assert.throws(() => c.prune(0), /cannot prune its last live option \(1\)/);
  assert.throws(() => pruneChoices([c], 0), /prune_below must be in \(0, 1\)/);
  // A uniform choice loses nothing at any below < 1.
  const u = choice('u', ['a', 'b', 'c']);
  setAlpha(u, [0, 0, 0]);
  assert.deepEqual(pruneChoices([u], 0.99), []);
});

test('argmax is over the live options; the checkpoint record restores them and rejects a foreign one', () => {
  const a = choice('a', [1, 2, 3]);
  const b = choice('b', [1, 2]);
  setAlpha(a, [3, 1, 0]);
  a.prune(0); // as if restored: alpha's best option is gone
  assert.equal(a.argmax(), 1);
  const rec = prunedState([a, b]);
  assert.deepEqual(rec, { a: [0] });
  const a2 = choice('a', [1, 2, 3]);
  const b2 = choice('b', [1, 2]);
  b2.prune(1);
  loadPrunedState([a2, b2], JSON.parse(JSON.stringify(rec)));
  assert.deepEqual([a2.pruned(), b2.pruned()], [[0], []]);
  loadPrunedState([a2, b2], undefined); // an older checkpoint: every option live
  assert.deepEqual([a2.liveCount, b2.liveCount], [3, 2]);
  assert.throws(() => loadPrunedState([a2], { z: [0] }), /pruned options of unknown choice 'z'/);
  assert.throws(() => loadPrunedState([a2], { a: [0, 1, 2] }), /cannot prune its last live option/);
});

test('restricted DARTS draw = softmax over the live options; DrNAS draw: zeros at pruned options, sums to 1, mean = the live Dirichlet mean', () => {
  manualSeed(3);
  const c = choice('c', [1, 2, 3, 4]);
  setAlpha(c, [0.5, -0.3, 1.2, 0.1]);
  c.prune(1);
  const darts = withPruning(createSampler('darts', { preprocess: 'softmax' }));
  const w = darts.sample([c]).weights(c).toArray();
  const want = softmax(tensor([0.5, 1.2, 0.1]), -1).toArray();
  close(w, [want[0], 0, want[1], want[2]]);
  const drnas = withPruning(createSampler('drnas'));
  const n = 4000;
  const mean = [0, 0, 0, 0];
  for (let k = 0; k < n; k++) {
    const v = tidy(() => drnas.sample([c]).weights(c).toArray());
    assert.equal(v[1], 0);
    assert.ok(Math.abs(v.reduce((x, y) => x + y) - 1) < 1e-5);
    v.forEach((x, i) => (mean[i] += x / n));
  }
  // Dirichlet(elu(alpha) + 1) over options 0, 2, 3: mean = concentration / sum.
  const conc = [1.5, 2.2, 1.1];
  const s = conc.reduce((x, y) => x + y);
  close(mean, [conc[0] / s, 0, conc[1] / s, conc[2] / s], 0.015);
  assert.throws(() => restrictToLive(ArchSample.fixed([c], { c: 0 })), /restricts superposition samples; got a discrete one/);
});

test('weight-sharing mixtures skip pruned options: toy-cell WS output equals the run of every option at weight 0, and the pruned op never runs', () => {
  manualSeed(0);
  const space = createSpace('toy-cell', { form: 'ws' });
  space.supernet.train(false);
  const x = randn([2, 1, 28, 28]);
  const c0 = space.choices[0]; // normal_0: cell1.edge0
  assert.equal(c0.name, 'normal_0');
  setAlpha(c0, [2, 1, 0, -1]);
  const draw = () => new ArchSample('superposition', new Map(space.choices.map((c) => [c, softmax(c.alpha.detach(), -1)])));
  // Every option live, dil_conv_5x5 (option 3) at weight 0 by hand: all run.
  const manual = draw();
  const weights = new Map(space.choices.map((c) => [c, manual.weights(c)]));
  const w0 = weights.get(c0)!.mul(tensor([1, 1, 1, 0]));
  weights.set(c0, w0.div(w0.sum()));
  const full = noGrad(() => space.supernet.forward(x, new ArchSample('superposition', weights)).toArray());
  c0.prune(3);
  // If the pruned op ran, its NaN weights would reach the output (0 x NaN = NaN).
  const own = space.supernet.namedParameters().filter(([n]) => n.startsWith('cell1.edge0.dil_conv_5x5.'));
  assert.ok(own.length >= 2);
  noGrad(() => own.forEach(([, t]) => t.fill_(NaN)));
  const pruned = noGrad(() => space.supernet.forward(x, restrictToLive(draw())).toArray());
  assert.ok(pruned.every(Number.isFinite));
  assert.deepEqual(pruned, full);
});

test("a weight-sharing cell edge whose live options are all 'none' adds nothing (null), instead of failing", () => {
  const ch = choice('e', ['none', 'max_pool_3x3', 'sep_conv_3x3'] as const);
  const edge = new CellEdge(ch as Choice<CellPrimitive>, 4, 1, false);
  const x = randn([1, 4, 8, 8]);
  const draw = () => restrictToLive(new ArchSample('superposition', new Map([[ch as Choice, softmax(ch.alpha.detach(), -1)]])));
  ch.setPruned([1, 2]);
  assert.equal(noGrad(() => edge.forward(x, draw())), null);
  ch.setPruned([0]);
  assert.deepEqual(noGrad(() => edge.forward(x, draw()))?.shape, [1, 4, 8, 8]);
});
