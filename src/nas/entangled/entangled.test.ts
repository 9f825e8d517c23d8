// Every entangled op: one-hot superposition == discrete == the standalone op on
// the chosen slice; superposition == the explicit definition; WS == WE where the
// op is linear in its weights; gradients reach alpha and W; cost at one-hot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choice, type Choice } from '../choice.js';
import { ArchSample, combiSuperposition } from '../arch.js';
import { explicitSuperposition } from '../superposition.js';
import { EntangledConv2d } from './conv2d.js';
import { EntangledLinear } from './linear.js';
import { EntangledBatchNorm2d } from './batchnorm.js';
import { EntangledLayerNorm } from './layernorm.js';
import { EntangledEmbedding } from './embedding.js';
import { depthMixture } from './depth.js';
import { EntangledAttention } from './attention.js';
import { derived } from './common.js';
import { createSampler } from '../samplers/index.js';
import { cat, dirichlet, F, grad, manualSeed, noGrad, ones, randint, randn, tensor, tidy, zeros, type Tensor } from '../../tensor/index.js';
import { gradcheck, randomTensor } from '../../tensor/testing.js';

function maxDiff(a: Tensor, b: Tensor): number {
  return tidy(() => a.sub(b).abs().max().item());
}
function allArchs(choices: readonly Choice[]): Record<string, number>[] {
  let out: Record<string, number>[] = [{}];
  for (const c of choices) out = out.flatMap((a) => c.values.map((_, i) => ({ ...a, [c.name]: i })));
  return out;
}
function dirichletSample(choices: readonly Choice[]): ArchSample {
  return new ArchSample('superposition', new Map(choices.map((c) => [c, dirichlet(ones([c.size]))])));
}

test('EntangledConv2d: for every (in, out, kernel) one-hot superposition == discrete == conv on the slice', () => {
  manualSeed(0);
  const cin = choice('cin', [2, 3, 4]);
  const cout = choice('cout', [2, 5]);
  const k = choice('k', [1, 3, 5]);
  const op = new EntangledConv2d({ inChannels: cin, outChannels: cout, kernel: k, bias: 'weighted' });
  const x = randn([2, 4, 9, 9]);
  for (const arch of allArchs([cin, cout, k])) {
    tidy(() => {
      const [ci, co, kk] = [cin.values[arch.cin], cout.values[arch.cout], k.values[arch.k]];
      const sup = op.forward(x, ArchSample.fixed([cin, cout, k], arch, 'superposition'));
      const xs = x.narrow(1, 0, ci);
      const disc = op.forward(xs, ArchSample.fixed([cin, cout, k], arch, 'discrete'));
      const s = (5 - kk) / 2;
      const ref = F.conv2d(xs, op.weight.narrow(0, 0, co).narrow(1, 0, ci).narrow(2, s, kk).narrow(3, s, kk), op.bias!.narrow(0, 0, co), { padding: (kk - 1) / 2 });
      assert.deepEqual(disc.shape, [2, co, 9, 9]);
      assert.ok(maxDiff(sup.narrow(1, 0, co), disc) < 1e-5);
      assert.ok(maxDiff(disc, ref) < 1e-5);
      if (co < 5) assert.equal(sup.narrow(1, co, 5 - co).abs().max().item(), 0, 'channels beyond cout are exactly zero');
    });
  }
});

test('EntangledConv2d: superposition == conv with the explicit sum of padded slices (Dirichlet weights)', () => {
  manualSeed(1);
  const cin = choice('cin', [2, 4]);
  const cout = choice('cout', [3, 6]);
  const k = choice('k', [3, 5]);
  for (const dilation of [1, 2]) {
    const op = new EntangledConv2d({ inChannels: cin, outChannels: cout, kernel: k, dilation, stride: 2 });
    tidy(() => {
      const x = randn([2, 4, 11, 11]);
      const arch = dirichletSample([cin, cout, k]);
      const ws = [cin, cout, k].map((c) => arch.weights(c));
      const W = explicitSuperposition(op.sp, op.weight, ws);
      const b = op.bias!.mul(op.sp.dimMask(ws, 0));
      const ref = F.conv2d(x, W, b, { padding: 2 * dilation, dilation, stride: 2 });
      assert.ok(maxDiff(op.forward(x, arch), ref) < 1e-5);
      // the per-channel bias mask is sum over candidates of w * [o < cout]
      const w = combiSuperposition(ws).toArray();
      const m = op.sp.dimMask(ws, 0).toArray();
      op.sp.candidates.forEach(() => {});
      let expect3 = 0;
      op.sp.candidates.forEach((t, n) => { if (3 < cout.values[t[1]]) expect3 += w[n]; });
      assert.ok(Math.abs(m[3] - expect3) < 1e-6);
    });
  }
});

test('EntangledConv2d: WS output mixture == WE superposition with shared weights; gradients reach alpha and W', () => {
  manualSeed(2);
  const cin = choice('cin', [2, 4]);
  const cout = choice('cout', [3, 6]);
  const k = choice('k', [3, 5, 7]);
  const we = new EntangledConv2d({ inChannels: cin, outChannels: cout, kernel: k });
  const ws = new EntangledConv2d({ inChannels: cin, outChannels: cout, kernel: k, mix: 'outputs' });
  ws.loadStateDict(we.stateDict());
  tidy(() => {
    const x = randn([2, 4, 8, 8]);
    const arch = dirichletSample([cin, cout, k]);
    assert.ok(maxDiff(we.forward(x, arch), ws.forward(x, arch)) < 1e-5);
  });
  tidy(() => {
    const x = randn([2, 4, 8, 8]);
    const arch = createSampler('drnas').sample([cin, cout, k]);
    const [ga, gw] = grad(we.forward(x, arch).square().sum(), [k.alpha, we.weight]);
    assert.ok(ga!.abs().sum().item() > 0 && gw!.abs().sum().item() > 0);
  });
});

test('EntangledConv2d: depthwise kernel choice and bad inputs', () => {
  const k = choice('k', [3, 5]);
  const op = new EntangledConv2d({ inChannels: 4, outChannels: 4, kernel: k, groups: 4, bias: 'none' });
  tidy(() => {
    const x = randn([1, 4, 7, 7]);
    const sup = op.forward(x, ArchSample.fixed([k], { k: 0 }, 'superposition'));
    const ref = F.conv2d(x, op.weight.narrow(2, 1, 3).narrow(3, 1, 3), null, { padding: 1, groups: 4 });
    assert.ok(maxDiff(sup, ref) < 1e-5);
    assert.throws(() => op.forward(randn([1, 3, 7, 7]), ArchSample.fixed([k], { k: 0 }, 'superposition')), /expected input \[N, 4, H, W\], got \[1, 3, 7, 7\]/);
  });
  assert.throws(() => new EntangledConv2d({ inChannels: choice('c', [2, 4]), outChannels: 4, kernel: 3, groups: 2 }), /channel choices need groups = 1/);
  assert.throws(() => new EntangledConv2d({ inChannels: 2, outChannels: 4, kernel: k, padding: 1 }), /kernel choice needs padding 'same'/);
});

test('EntangledLinear: combi over (embed, ratio) with hidden = embed x ratio: one-hot exact, explicit definition, WS == WE', () => {
  manualSeed(3);
  const e = choice('embed', [4, 8]);
  const r = choice('ratio', [2, 3]);
  const fc1 = new EntangledLinear({ inFeatures: e, outFeatures: derived([e, r], (a, b) => a * b) });
  const fc2 = new EntangledLinear({ inFeatures: derived([e, r], (a, b) => a * b), outFeatures: e });
  assert.deepEqual(fc1.weight.shape, [24, 8]);
  assert.deepEqual(fc2.weight.shape, [8, 24]);
  for (const arch of allArchs([e, r])) {
    tidy(() => {
      const [ev, rv] = [e.values[arch.embed], r.values[arch.ratio]];
      const x = randn([3, 8]).mul(ones([8]).narrow(0, 0, 8));
      const xs = x.narrow(1, 0, ev);
      const sup = fc2.forward(F.relu(fc1.forward(x.mul(maskTo(ev, 8)), ArchSample.fixed([e, r], arch, 'superposition'))), ArchSample.fixed([e, r], arch, 'superposition'));
      const disc = fc2.forward(F.relu(fc1.forward(xs, ArchSample.fixed([e, r], arch))), ArchSample.fixed([e, r], arch));
      const ref = F.linear(F.relu(F.linear(xs, fc1.weight.narrow(0, 0, ev * rv).narrow(1, 0, ev), fc1.bias!.narrow(0, 0, ev * rv))), fc2.weight.narrow(0, 0, ev).narrow(1, 0, ev * rv), fc2.bias!.narrow(0, 0, ev));
      assert.ok(maxDiff(sup.narrow(1, 0, ev), disc) < 1e-5);
      assert.ok(maxDiff(disc, ref) < 1e-5);
      assert.equal(fc1.sp.factorised, false);
    });
  }
  tidy(() => {
    const arch = dirichletSample([e, r]);
    const ws = [e, r].map((c) => arch.weights(c));
    const x = randn([3, 8]);
    const ref = F.linear(x, explicitSuperposition(fc1.sp, fc1.weight, ws), fc1.bias!.mul(fc1.sp.dimMask(ws, 0)));
    assert.ok(maxDiff(fc1.forward(x, arch), ref) < 1e-5);
  });
});

function maskTo(n: number, max: number): Tensor {
  return ones([max]).mul(ones([max]).cumsum(0).le(n).float());
}

test('EntangledBatchNorm2d: one-hot superposition == discrete == BN on the first c channels (train and eval)', () => {
  manualSeed(4);
  const c = choice('c', [2, 4, 6]);
  const bn = new EntangledBatchNorm2d({ channels: c });
  noGrad(() => { bn.weight!.normal_(1, 0.2); bn.bias!.normal_(0, 0.2); });
  for (const training of [true, false]) {
    bn.train(training);
    for (let i = 0; i < 3; i++) {
      tidy(() => {
        const ch = c.values[i];
        const x = randn([4, 6, 3, 3]).mul(maskTo(ch, 6).reshape(1, 6, 1, 1));
        const sup = noGrad(() => bn.forward(x, ArchSample.fixed([c], { c: i }, 'superposition')));
        const disc = noGrad(() => bn.forward(x.narrow(1, 0, ch), ArchSample.fixed([c], { c: i })));
        assert.ok(maxDiff(sup.narrow(1, 0, ch), disc) < 1e-5);
        if (ch < 6) assert.equal(sup.narrow(1, ch, 6 - ch).abs().max().item(), 0);
      });
    }
  }
});

test('EntangledLayerNorm: one-hot superposition == discrete == LayerNorm over the first e features (unlike the reference)', () => {
  manualSeed(5);
  const e = choice('e', [4, 6, 8]);
  const ln = new EntangledLayerNorm(e);
  noGrad(() => { ln.weight!.normal_(1, 0.2); ln.bias!.normal_(0, 0.2); });
  for (let i = 0; i < 3; i++) {
    tidy(() => {
      const ev = e.values[i];
      const x = randn([2, 5, 8]).mul(maskTo(ev, 8));
      const sup = ln.forward(x, ArchSample.fixed([e], { e: i }, 'superposition'));
      const disc = ln.forward(x.narrow(-1, 0, ev), ArchSample.fixed([e], { e: i }));
      const ref = F.layerNorm(x.narrow(-1, 0, ev), [ev], ln.weight!.narrow(0, 0, ev), ln.bias!.narrow(0, 0, ev));
      assert.ok(maxDiff(sup.narrow(-1, 0, ev), disc) < 1e-5);
      assert.ok(maxDiff(disc, ref) < 1e-5);
      // The reference's mixture (LN over all 8 features with masked gamma/beta) differs for e < 8.
      if (ev < 8) {
        const refQuirk = F.layerNorm(x, [8], ln.weight!.mul(maskTo(ev, 8)), ln.bias!.mul(maskTo(ev, 8)));
        assert.ok(maxDiff(refQuirk.narrow(-1, 0, ev), disc) > 1e-2);
      }
    });
  }
});

test('EntangledLayerNorm: the one-pass superposition == sum_e w_e pad(LN_e(x[..., :e])) under Dirichlet weights; gradients (float64 gradcheck)', () => {
  manualSeed(10);
  const e = choice('e', [6, 2, 4]); // unsorted on purpose: bands follow the sorted widths
  const ln = new EntangledLayerNorm(e);
  noGrad(() => { ln.weight!.normal_(1, 0.2); ln.bias!.normal_(0, 0.2); });
  const explicit = (x: Tensor, w: Tensor, g: Tensor, b: Tensor) => e.values
    .map((ev, i) => F.layerNorm(x.narrow(-1, 0, ev), [ev], g.narrow(0, 0, ev), b.narrow(0, 0, ev)).pad([0, 6 - ev]).mul(w.narrow(0, i, 1)))
    .reduce((p, q) => p.add(q));
  tidy(() => {
    // A mean 5x the spread: x a - b rounds relative to |x| (float32: about 1e-7 |mean| / std).
    const x = randn([3, 4, 6]).add(5);
    assert.throws(() => F.layerNormMix(x, [2, 4], tensor([1, 1]), null, null), /largest width/);
    const arch = dirichletSample([e]);
    assert.ok(maxDiff(ln.forward(x, arch), explicit(x, arch.weights(e), ln.weight!, ln.bias!)) < 1e-5);
    // Weights that do not sum to 1 (the definition is linear in w).
    const w = tensor([0.5, 0.7, 0.1]);
    assert.ok(maxDiff(F.layerNormMix(x, e.values, w, ln.weight, ln.bias), explicit(x, w, ln.weight!, ln.bias!)) < 1e-5);
    assert.ok(maxDiff(F.layerNormMix(x, e.values, w, null, null), explicit(x, w, ones([6]), zeros([6]))) < 1e-5);
  });
  const x = randomTensor([2, 3, 6], 1, -2, 2);
  const w = randomTensor([3], 2, 0.1, 1);
  const g = randomTensor([6], 3, 0.5, 1.5);
  const b = randomTensor([6], 4);
  gradcheck((x, w, g, b) => F.layerNormMix(x, e.values, w, g, b), [x, w, g, b]);
  // Same gradients as the output mixture of n LayerNorms.
  tidy(() => {
    const leaves = [x, w, g, b].map((t) => t.detach().requiresGrad_(true));
    const r = randomTensor([2, 3, 6], 5);
    const fast = grad(F.layerNormMix(leaves[0], e.values, leaves[1], leaves[2], leaves[3]).mul(r).sum(), leaves);
    const slow = grad(explicit(leaves[0], leaves[1], leaves[2], leaves[3]).mul(r).sum(), leaves);
    fast.forEach((f, i) => assert.ok(maxDiff(f!, slow[i]!) < 1e-10, `input ${i}`));
  });
});

test('EntangledEmbedding and depthMixture: one-hot exact, gradients reach alpha', () => {
  manualSeed(6);
  const e = choice('e', [3, 5]);
  const emb = new EntangledEmbedding(10, e);
  tidy(() => {
    const idx = randint(0, 10, [2, 4]);
    const sup = emb.forward(idx, ArchSample.fixed([e], { e: 0 }, 'superposition'));
    const disc = emb.forward(idx, ArchSample.fixed([e], { e: 0 }));
    assert.ok(maxDiff(sup.narrow(-1, 0, 3), disc) < 1e-6);
    assert.equal(sup.narrow(-1, 3, 2).abs().max().item(), 0);
    const [g] = grad(emb.forward(idx, createSampler('drnas').sample([e])).sum(), [e.alpha]);
    assert.ok(g!.abs().sum().item() > 0);
  });
  const d = choice('depth', [1, 2, 3]);
  tidy(() => {
    const outs = [randn([2]), randn([2]), randn([2])];
    for (let i = 0; i < 3; i++) {
      assert.ok(maxDiff(depthMixture(outs, ArchSample.fixed([d], { depth: i }, 'superposition'), d), outs[i]) < 1e-7);
      assert.ok(maxDiff(depthMixture(outs, ArchSample.fixed([d], { depth: i }), d), outs[i]) < 1e-7);
    }
    const arch = dirichletSample([d]);
    const w = arch.weights(d).toArray();
    const expect = outs.map((o, i) => o.mul(w[i])).reduce((a, b) => a.add(b));
    assert.ok(maxDiff(depthMixture(outs, arch, d), expect) < 1e-6);
  });
});

test('expected cost of an op: one-hot gives the candidate exactly; soft weights give the weighted mean', () => {
  const cin = choice('cin', [2, 4]);
  const k = choice('k', [3, 5]);
  const op = new EntangledConv2d({ inChannels: cin, outChannels: 8, kernel: k, stride: 2 });
  tidy(() => op.forward(randn([1, 4, 10, 10]), ArchSample.fixed([cin, k], { cin: 0, k: 0 }, 'superposition')));
  for (const arch of allArchs([cin, k])) {
    const c = op.expectedCost(ArchSample.fixed([cin, k], arch, 'superposition'));
    const [ci, kk] = [cin.values[arch.cin], k.values[arch.k]];
    assert.equal(c.params.item(), 8 * ci * kk * kk + 8);
    assert.equal(c.flops.item(), 8 * ci * kk * kk * 5 * 5);
  }
});

/**
 * Plain causal multi-head attention written head by head: head i reads the listed features
 * `idx(i)` of q, k and v, and writes its outputs back to them. Scale 1/sqrt(e/h) unless given.
 */
function headByHead(q: Tensor, k: Tensor, v: Tensor, h: number, idx: (i: number) => number[], scale?: Tensor, causal = true): Tensor {
  return tidy(() => {
    const [, T, e] = q.shape;
    const mask = ones([T, T], { dtype: q.dtype }).triu(causal ? 1 : T).gt(0);
    const order = Array.from({ length: h }, (_, i) => idx(i)).flat();
    const outs = Array.from({ length: h }, (_, i) => {
      const f = tensor(idx(i), { dtype: 'int64' });
      const [qi, ki, vi] = [q, k, v].map((z) => z.indexSelect(-1, f));
      const s = qi.matmul(ki.transpose(-2, -1)).mul(scale ?? 1 / Math.sqrt(e / h));
      return F.softmax(s.maskedFill(mask, -1e9), -1).matmul(vi);
    });
    // Output feature order[j] is column j of the concatenation.
    const inverse = order.map((_, j) => order.indexOf(j));
    return cat(outs, -1).indexSelect(-1, tensor(inverse, { dtype: 'int64' }));
  });
}
const strided = (e: number, h: number) => (i: number) => Array.from({ length: e / h }, (_, j) => i + j * h);
const contiguous = (e: number, h: number) => (i: number) => Array.from({ length: e / h }, (_, j) => i * (e / h) + j);

test('attentionMix: head i sees features i, i+h, i+2h, ... (a fixed feature permutation of standard contiguous heads)', () => {
  manualSeed(8);
  const [B, T, e, h] = [2, 5, 12, 3];
  const [q, k, v] = [0, 1, 2].map(() => randn([B, T, e]));
  const got = F.attentionMix(q, k, v, [h], [1 / Math.sqrt(e / h)], null, true);
  assert.ok(maxDiff(got, headByHead(q, k, v, h, strided(e, h))) < 1e-6);
  // By hand: with q, k, v nonzero only in feature 4, only head 4 mod 3 = 1 attends to it; head 1
  // (features 1, 4, 7, 10) sees scores q4 k4 / 2 (scale 0.5), its other features are zero.
  const one = (z: Tensor) => z.mul(tensor(Array.from({ length: e }, (_, j) => (j === 4 ? 1 : 0))));
  const [q1, k1, v1] = [q, k, v].map(one);
  const y1 = F.attentionMix(q1, k1, v1, [h], [0.5], null, true);
  assert.equal(y1.narrow(-1, 5, 7).abs().max().item() + y1.narrow(-1, 0, 4).abs().max().item(), 0);
  const y = y1.narrow(0, 0, 1).narrow(-1, 4, 1).reshape(T).toArray();
  const [qa, ka, va] = [q1, k1, v1].map((z) => z.narrow(0, 0, 1).narrow(-1, 4, 1).reshape(T).toArray());
  for (let t = 0; t < T; t++) {
    const s = Array.from({ length: t + 1 }, (_, u) => Math.exp((qa[t] * ka[u]) / 2));
    const want = s.reduce((acc, si, u) => acc + si * va[u], 0) / s.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(y[t] - want) < 1e-5, `position ${t}: ${y[t]} vs ${want}`);
  }
  // The same function as contiguous heads on permuted features: P orders the features head by head.
  const perm = tensor(Array.from({ length: h }, (_, i) => strided(e, h)(i)).flat(), { dtype: 'int64' });
  const permuted = headByHead(...([q, k, v].map((z) => z.indexSelect(-1, perm)) as [Tensor, Tensor, Tensor]), h, contiguous(e, h));
  assert.ok(maxDiff(got.indexSelect(-1, perm), permuted) < 1e-6);
  // ... and not the same function as contiguous heads on the same features.
  assert.ok(maxDiff(got, headByHead(q, k, v, h, contiguous(e, h))) > 1e-2);
  // Without the causal mask every position sees every other.
  assert.ok(maxDiff(F.attentionMix(q, k, v, [h], [0.5], null, false), headByHead(q, k, v, h, strided(e, h), tensor(0.5), false)) < 1e-6);
});

test('attentionMix: a mixture over head counts equals the weighted sum of single attentions; gradients of q, k, v, scales and weights (float64 gradcheck)', () => {
  manualSeed(11);
  const [q, k, v] = [0, 1, 2].map(() => randn([2, 4, 6]));
  const scales = tensor([0.7, 0.3, 0.45]), weights = tensor([0.2, -0.5, 1.1]);
  const heads = [1, 2, 3];
  const want = heads.map((h, i) => headByHead(q, k, v, h, strided(6, h), scales.narrow(0, i, 1)).mul(weights.narrow(0, i, 1))).reduce((a, b) => a.add(b));
  assert.ok(maxDiff(F.attentionMix(q, k, v, heads, scales, weights, true), want) < 1e-6);
  const x = [0, 1, 2].map((i) => randomTensor([2, 4, 6], 20 + i));
  for (const causal of [true, false]) {
    gradcheck((q, k, v, s, w) => F.attentionMix(q, k, v, heads, s, w, causal), [...x, randomTensor([3], 30, 0.2, 1), randomTensor([3], 31)]);
  }
  // The op keeps q, k, v only: backward through it cannot be differentiated again.
  tidy(() => {
    const [a, b2, c] = x.map((t) => t.detach().requiresGrad_(true));
    const [g] = grad(F.attentionMix(a, b2, c, [2], [0.5], null, true).square().sum(), [a]);
    assert.deepEqual(g!.shape, [2, 4, 6]);
    assert.throws(() => grad(F.attentionMix(a, b2, c, [2], [0.5], null, true).square().sum(), [a], { createGraph: true }), /double backward/);
  });
  assert.throws(() => F.attentionMix(q, k, v, [4], [1], null, true), /not divisible by 4 heads/);
});

/** The attention the two EntangledAttention tests check: embed {4, 8, 12} x heads {1, 2, 4}, with biases. */
function attentionUnderTest(): { e: Choice<number>; h: Choice<number>; att: EntangledAttention; E: number } {
  const e = choice('embed', [4, 8, 12]);
  const h = choice('heads', [1, 2, 4]);
  return { e, h, att: new EntangledAttention({ embed: e, heads: h, causal: true }), E: 12 };
}

test('EntangledAttention (heads x embed): one-hot superposition == discrete == plain causal MHA on the slices (strided heads)', () => {
  manualSeed(7);
  const { e, h, att, E } = attentionUnderTest();
  const plain = (x: Tensor, ev: number, hv: number): Tensor => tidy(() => {
    const [q, k, v] = [0, 1, 2].map((i) => F.linear(x, att.qkv.narrow(0, i * E, ev).narrow(1, 0, ev), att.qkvBias!.narrow(0, i * E, ev)));
    return F.linear(headByHead(q, k, v, hv, strided(ev, hv)), att.proj.narrow(0, 0, ev).narrow(1, 0, ev), att.projBias!.narrow(0, 0, ev));
  });
  for (const arch of allArchs([h, e])) {
    tidy(() => {
      const ev = e.values[arch.embed], hv = h.values[arch.heads];
      const x = randn([2, 5, E]).mul(maskTo(ev, E));
      const sup = att.forward(x, ArchSample.fixed([h, e], arch, 'superposition'));
      const disc = att.forward(x.narrow(-1, 0, ev), ArchSample.fixed([h, e], arch));
      const ref = plain(x.narrow(-1, 0, ev), ev, hv);
      assert.ok(maxDiff(sup.narrow(-1, 0, ev), disc) < 1e-5, `sup vs disc at e=${ev} h=${hv}`);
      assert.ok(maxDiff(disc, ref) < 1e-5, `disc vs plain at e=${ev} h=${hv}`);
      if (ev < E) assert.equal(sup.narrow(-1, ev, E - ev).abs().max().item(), 0);
    });
  }
  tidy(() => {
    const [ga, gb, gw] = grad(att.forward(randn([2, 5, E]), createSampler('drnas').sample([h, e])).square().sum(), [h.alpha, e.alpha, att.qkv]);
    assert.ok(ga!.abs().sum().item() > 0 && gb!.abs().sum().item() > 0 && gw!.abs().sum().item() > 0);
  });
});

test('EntangledAttention: superposition == its definition under Dirichlet weights (embed superposed in q, k, v, out and the scale; heads output-mixed)', () => {
  manualSeed(9);
  const { e, h, att, E } = attentionUnderTest();
  tidy(() => {
    const x = randn([2, 5, E]);
    const arch = dirichletSample([h, e]);
    const [we, wh] = [arch.weights(e), arch.weights(h)];
    // Literal sums of zero-padded slices.
    const padded = (wt: Tensor) => e.values.map((ev, i) => wt.narrow(0, 0, ev).narrow(1, 0, ev).pad([0, E - ev, 0, E - ev]).mul(we.narrow(0, i, 1))).reduce((a, b) => a.add(b));
    const paddedBias = (bt: Tensor) => e.values.map((ev, i) => bt.narrow(0, 0, ev).pad([0, E - ev]).mul(we.narrow(0, i, 1))).reduce((a, b) => a.add(b));
    const [q, k, v] = [0, 1, 2].map((i) => F.linear(x, padded(att.qkv.narrow(0, i * E, E)), paddedBias(att.qkvBias!.narrow(0, i * E, E))));
    const core = h.values.map((hv, i) => {
      const scale = e.values.map((ev, j) => we.narrow(0, j, 1).div(Math.sqrt(ev / hv))).reduce((a, b) => a.add(b));
      return headByHead(q, k, v, hv, strided(E, hv), scale).mul(wh.narrow(0, i, 1));
    }).reduce((a, b) => a.add(b));
    const want = F.linear(core, padded(att.proj), paddedBias(att.projBias!));
    assert.ok(maxDiff(att.forward(x, arch), want) < 1e-5);
  });
});
