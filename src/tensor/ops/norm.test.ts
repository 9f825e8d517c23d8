// batch_norm (train/eval, running statistics, affine or not) and layer_norm
// against JS references; gradients against finite differences.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, ones, tensor, tidy, zeros } from '../index.js';
import { assertClose, gradcheck, randomArray, randomTensor } from '../testing.js';

const [N, C, H, W] = [3, 2, 2, 3];
const xs = randomArray(N * C * H * W, 41, -2, 3);
const gamma = [1.5, -0.5];
const beta = [0.25, 2];

/** Per-channel mean and biased/unbiased variance over N, H, W. */
function channelStats(x: number[]): { mean: number[]; varB: number[]; varU: number[] } {
  const m = H * W;
  const mean: number[] = [], varB: number[] = [], varU: number[] = [];
  for (let c = 0; c < C; c++) {
    const v: number[] = [];
    for (let n = 0; n < N; n++) for (let i = 0; i < m; i++) v.push(x[(n * C + c) * m + i]);
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    const ss = v.reduce((a, b) => a + (b - mu) ** 2, 0);
    mean.push(mu);
    varB.push(ss / v.length);
    varU.push(ss / (v.length - 1));
  }
  return { mean, varB, varU };
}

function normalise(x: number[], mean: number[], variance: number[], eps: number, g: number[] | null, b: number[] | null): number[] {
  return x.map((v, idx) => {
    const c = Math.floor(idx / (H * W)) % C;
    const y = (v - mean[c]) / Math.sqrt(variance[c] + eps);
    return g && b ? y * g[c] + b[c] : y;
  });
}

describe('batchNorm', () => {
  const st = channelStats(xs);

  test('training, affine: batch statistics with biased variance', () => tidy(() => {
    const x = tensor(xs, { shape: [N, C, H, W], dtype: 'float64' });
    const y = F.batchNorm(x, { training: true, weight: tensor(gamma, { dtype: 'float64' }), bias: tensor(beta, { dtype: 'float64' }) });
    assertClose(y, normalise(xs, st.mean, st.varB, 1e-5, gamma, beta), { shape: [N, C, H, W], atol: 1e-10 });
  }));

  test('training, no affine, custom eps: per-channel mean 0 and biased variance ~1', () => tidy(() => {
    const x = tensor(xs, { shape: [N, C, H, W], dtype: 'float64' });
    const y = F.batchNorm(x, { training: true, eps: 0.1 });
    assertClose(y, normalise(xs, st.mean, st.varB, 0.1, null, null), { atol: 1e-10 });
    const y2 = F.batchNorm(x, { training: true, eps: 0 });
    assertClose(y2.mean([0, 2, 3]), [0, 0], { atol: 1e-12 });
    assertClose(y2.var([0, 2, 3], { unbiased: false }), [1, 1], { atol: 1e-10 });
  }));

  test('training updates running stats in place: (1-m)*old + m*batch (unbiased variance)', () => tidy(() => {
    const x = tensor(xs, { shape: [N, C, H, W], dtype: 'float64' });
    const rm = tensor([0.5, -1], { dtype: 'float64' });
    const rv = tensor([2, 0.5], { dtype: 'float64' });
    const m = 0.3;
    F.batchNorm(x, { training: true, runningMean: rm, runningVar: rv, momentum: m });
    assertClose(rm, [0, 1].map((c) => (1 - m) * [0.5, -1][c] + m * st.mean[c]), { atol: 1e-12 });
    assertClose(rv, [0, 1].map((c) => (1 - m) * [2, 0.5][c] + m * st.varU[c]), { atol: 1e-12 });
    // A second step compounds.
    F.batchNorm(x, { training: true, runningMean: rm, runningVar: rv, momentum: m });
    assertClose(rm, [0, 1].map((c) => (1 - m) * ((1 - m) * [0.5, -1][c] + m * st.mean[c]) + m * st.mean[c]), { atol: 1e-12 });
  }));

  test('eval uses running stats and leaves them unchanged', () => tidy(() => {
    const x = tensor(xs, { shape: [N, C, H, W], dtype: 'float64' });
    const rmv = [0.3, -0.2], rvv = [1.7, 0.4];
    const rm = tensor(rmv, { dtype: 'float64' });
    const rv = tensor(rvv, { dtype: 'float64' });
    const y = F.batchNorm(x, { training: false, runningMean: rm, runningVar: rv, weight: tensor(gamma, { dtype: 'float64' }), bias: tensor(beta, { dtype: 'float64' }) });
    assertClose(y, normalise(xs, rmv, rvv, 1e-5, gamma, beta), { atol: 1e-10 });
    assert.deepEqual(rm.toArray(), rmv);
    assert.deepEqual(rv.toArray(), rvv);
    assert.throws(() => F.batchNorm(x, { training: false }), /running/);
  }));

  test('2-D input [N, C] (BatchNorm1d use) and float32', () => tidy(() => {
    const x = tensor([[1, 10], [3, 20], [5, 60]]);
    const y = F.batchNorm(x, { training: true, eps: 0 });
    const s = Math.sqrt(8 / 3);
    const s2 = Math.sqrt(((10 - 30) ** 2 + (20 - 30) ** 2 + (60 - 30) ** 2) / 3);
    assertClose(y, [-2 / s, -20 / s2, 0, -10 / s2, 2 / s, 30 / s2], { atol: 1e-5 });
  }));

  test('gradcheck in training mode (batch statistics are differentiated too)', () => tidy(() => {
    const x = randomTensor([3, 2, 2, 2], 42);
    gradcheck((xi, g, b) => F.batchNorm(xi, { training: true, weight: g, bias: b }), [x, randomTensor([2], 43, 0.5, 1.5), randomTensor([2], 44)]);
    gradcheck((xi) => F.batchNorm(xi, { training: true }), [randomTensor([4, 3], 45)]);
  }));

  test('gradcheck in eval mode', () => tidy(() => {
    const rm = tensor([0.1, -0.3], { dtype: 'float64' });
    const rv = tensor([0.9, 1.6], { dtype: 'float64' });
    gradcheck((xi, g) => F.batchNorm(xi, { training: false, runningMean: rm, runningVar: rv, weight: g }), [randomTensor([2, 2, 2, 1], 46), randomTensor([2], 47)]);
  }));
});

describe('layerNorm', () => {
  function refLayerNorm(x: number[], groupSize: number, eps: number, g: number[] | null, b: number[] | null): number[] {
    const out: number[] = [];
    for (let s = 0; s < x.length; s += groupSize) {
      const v = x.slice(s, s + groupSize);
      const mu = v.reduce((a, c) => a + c, 0) / groupSize;
      const varB = v.reduce((a, c) => a + (c - mu) ** 2, 0) / groupSize;
      v.forEach((val, i) => out.push(((val - mu) / Math.sqrt(varB + eps)) * (g ? g[i] : 1) + (b ? b[i] : 0)));
    }
    return out;
  }

  test('over the last dim, with and without affine', () => tidy(() => {
    const d = randomArray(2 * 3 * 4, 48, -3, 3);
    const x = tensor(d, { shape: [2, 3, 4], dtype: 'float64' });
    const g = [0.5, 1, 1.5, 2], b = [0, 0.1, 0.2, -0.3];
    assertClose(F.layerNorm(x, [4]), refLayerNorm(d, 4, 1e-5, null, null), { shape: [2, 3, 4], atol: 1e-10 });
    assertClose(F.layerNorm(x, [4], tensor(g, { dtype: 'float64' }), tensor(b, { dtype: 'float64' }), 1e-3), refLayerNorm(d, 4, 1e-3, g, b), { atol: 1e-10 });
  }));

  test('over the last two dims', () => tidy(() => {
    const d = randomArray(2 * 3 * 4, 49);
    const g = randomArray(12, 50);
    const x = tensor(d, { shape: [2, 3, 4], dtype: 'float64' });
    assertClose(F.layerNorm(x, [3, 4], tensor(g, { shape: [3, 4], dtype: 'float64' })), refLayerNorm(d, 12, 1e-5, g, null), { atol: 1e-10 });
  }));

  test('hand example', () => tidy(() => {
    // [1, 2, 3]: mean 2, biased variance 2/3
    const s = Math.sqrt(2 / 3);
    assertClose(F.layerNorm(tensor([[1, 2, 3]]), [3], null, null, 0), [-1 / s, 0, 1 / s], { atol: 1e-6 });
    assertClose(F.layerNorm(tensor([[1, 2, 3]]), [3], ones([3]).mul(2), zeros([3]).add(1), 0), [1 - 2 / s, 1, 1 + 2 / s], { atol: 1e-6 });
  }));

  test('gradcheck', () => tidy(() => {
    gradcheck((x, g, b) => F.layerNorm(x, [4], g, b), [randomTensor([3, 4], 51), randomTensor([4], 52), randomTensor([4], 53)]);
    gradcheck((x) => F.layerNorm(x, [2, 3]), [randomTensor([2, 2, 3], 54)]);
  }));
});

test('synced batch norm (sync_bn) with a one-rank sum == native batch norm: output, input/gamma/beta gradients, running statistics', async () => {
  const { setBatchNormSync } = await import('./norm.js');
  const { grad } = await import('../autograd.js');
  const run = (sync: boolean) =>
    tidy(() => {
      const x = tensor(xs, { requiresGrad: true }).reshape(N, C, H, W);
      const g = tensor(gamma, { requiresGrad: true });
      const b = tensor(beta, { requiresGrad: true });
      const rm = tensor([0.5, -1]);
      const rv = tensor([2, 0.5]);
      setBatchNormSync(sync ? (t) => t.mul(1) : null);
      try {
        const y = F.batchNorm(x, { weight: g, bias: b, runningMean: rm, runningVar: rv, training: true, momentum: 0.2 });
        const loss = y.mul(y.detach().add(0.3)).sum();
        const grads = grad(loss, [x, g, b]).map((t) => t!.toArray());
        return { y: y.toArray(), grads, rm: rm.toArray(), rv: rv.toArray() };
      } finally {
        setBatchNormSync(null);
      }
    });
  const a = run(false);
  const s = run(true);
  assertClose(s.y, a.y, { atol: 1e-5 });
  s.grads.forEach((g, i) => assertClose(g, a.grads[i], { atol: 1e-4 }));
  assertClose(s.rm, a.rm, { atol: 1e-6 });
  assertClose(s.rv, a.rv, { atol: 1e-5 });
});
