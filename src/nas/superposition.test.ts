import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choice } from './choice.js';
import { ArchSample, combiSuperposition } from './arch.js';
import { explicitSuperposition, prefixRule, centredRule, Superposition } from './superposition.js';
import { dirichlet, manualSeed, ones, randn, tensor, tidy, type Tensor } from '../tensor/index.js';

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return tidy(() => a.sub(b).abs().max().item());
}

test('combiSuperposition: flattened outer product, first factor outermost', () => {
  const a = tensor([1, 2]);
  const b = tensor([10, 20, 30]);
  const c = tensor([1, -1]);
  assert.deepEqual(combiSuperposition([a, b]).toArray(), [10, 20, 30, 20, 40, 60]);
  const w = combiSuperposition([a, b, c]).toArray();
  // index i*|b|*|c| + j*|c| + k
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 2; k++) {
    assert.equal(w[i * 6 + j * 2 + k], [1, 2][i] * [10, 20, 30][j] * [1, -1][k]);
  }
});

test('superposition mask equals the explicit sum of padded slices (factorised conv, Dirichlet weights)', () => {
  manualSeed(1);
  const cin = choice('cin', [2, 4, 6]);
  const cout = choice('cout', [3, 5, 8]);
  const k = choice('k', [3, 5, 7]);
  const sp = new Superposition([8, 6, 7, 7], [cin, cout, k], [
    prefixRule(0, [1], (v) => Number(v[1])),
    prefixRule(1, [0], (v) => Number(v[0])),
    centredRule(2, [2], 7, (v) => Number(v[2])),
    centredRule(3, [2], 7, (v) => Number(v[2])),
  ]);
  assert.equal(sp.factorised, true);
  assert.equal(sp.candidates.length, 27);
  const W = randn([8, 6, 7, 7]);
  const ws = [cin, cout, k].map((c) => dirichlet(ones([c.size])));
  const d = maxAbsDiff(sp.mix(W, ws), explicitSuperposition(sp, W, ws));
  assert.ok(d < 1e-5, `max diff ${d}`);
  // Weights that do not sum to one stay exact too (no normalisation assumed).
  const raw = [cin, cout, k].map((c) => randn([c.size]));
  assert.ok(maxAbsDiff(sp.mix(W, raw), explicitSuperposition(sp, W, raw)) < 1e-4);
});

test('superposition mask equals the explicit definition when a dim depends on two factors (embed x ratio)', () => {
  manualSeed(2);
  const e = choice('embed', [4, 6, 8]);
  const r = choice('ratio', [2, 3, 4]);
  // fc1: out = e*r (dim 0), in = e (dim 1)
  const sp = new Superposition([32, 8], [e, r], [
    prefixRule(0, [0, 1], (v) => Number(v[0]) * Number(v[1])),
    prefixRule(1, [0], (v) => Number(v[0])),
  ]);
  assert.equal(sp.factorised, false);
  const W = randn([32, 8]);
  const ws = [e, r].map((c) => dirichlet(ones([c.size])));
  assert.ok(maxAbsDiff(sp.mix(W, ws), explicitSuperposition(sp, W, ws)) < 1e-5);
  // the per-dim mask (bias) equals sum_n w_n * [o < e_n r_n]
  const m = sp.dimMask(ws, 0).toArray();
  const w = combiSuperposition(ws).toArray();
  for (let o = 0; o < 32; o++) {
    let expect = 0;
    sp.candidates.forEach((t, n) => { if (o < e.values[t[0]] * r.values[t[1]]) expect += w[n]; });
    assert.ok(Math.abs(m[o] - expect) < 1e-6);
  }
});

test('one-hot superposition equals the zero-padded slice of the chosen candidate', () => {
  const cin = choice('cin', [2, 4]);
  const k = choice('k', [1, 3]);
  const sp = new Superposition([5, 4, 3, 3], [cin, k], [prefixRule(1, [0], (v) => Number(v[0])), centredRule(2, [1], 3, (v) => Number(v[1])), centredRule(3, [1], 3, (v) => Number(v[1]))]);
  const W = randn([5, 4, 3, 3]);
  const arch = ArchSample.fixed([cin, k], { cin: 0, k: 0 }, 'superposition');
  const mixed = sp.mix(W, [arch.weights(cin), arch.weights(k)]);
  const vals = mixed.toArray();
  const orig = W.toArray();
  for (let o = 0; o < 5; o++) for (let c = 0; c < 4; c++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) {
    const i = ((o * 4 + c) * 3 + y) * 3 + x;
    const inside = c < 2 && y === 1 && x === 1;
    assert.ok(vals[i] === (inside ? orig[i] : 0), `element ${i}`); // -0 === 0
  }
  assert.deepEqual(sp.slice(W, [0, 0]).shape, [5, 2, 1, 1]);
});

test('superposition rejects ranges outside the weight and mismatched weight vectors', () => {
  const c = choice('c', [2, 9]);
  assert.throws(() => new Superposition([8], [c], [prefixRule(0, [0], (v) => Number(v[0]))]), /outside dim 0/);
  const ok = new Superposition([9], [c], [prefixRule(0, [0], (v) => Number(v[0]))]);
  assert.throws(() => ok.mask([tensor([1, 0, 0])]), /expected \[2\]/);
  assert.throws(() => ok.mask([]), /0 weight vectors for 1 factors/);
});
