// cross_entropy (label smoothing, reductions, ignore_index, probability
// targets) and mse against JS references; gradients against finite differences.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, tensor, tidy } from '../index.js';
import { assertClose, gradcheck, randomArray, randomTensor } from '../testing.js';

const N = 4, C = 5;
const logits = randomArray(N * C, 71, -3, 3);
const targets = [2, 0, 4, 2];

function logSoftmaxRow(r: number[]): number[] {
  const m = Math.max(...r);
  const lse = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
  return r.map((v) => v - lse);
}

/** PyTorch's definition: (1-eps) * NLL of the target + eps * mean over classes of -log p. */
function refCE(lg: number[], tg: number[], eps: number, ignore = -100): { perSample: number[]; kept: number } {
  const perSample: number[] = [];
  let kept = 0;
  for (let i = 0; i < tg.length; i++) {
    if (tg[i] === ignore) {
      perSample.push(0);
      continue;
    }
    kept++;
    const lp = logSoftmaxRow(lg.slice(i * C, (i + 1) * C));
    const nll = -lp[tg[i]];
    const smooth = -lp.reduce((s, v) => s + v, 0) / C;
    perSample.push((1 - eps) * nll + eps * smooth);
  }
  return { perSample, kept };
}

const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);

describe('crossEntropy', () => {
  const x = () => tensor(logits, { shape: [N, C], dtype: 'float64' });
  const t = () => tensor(targets, { dtype: 'int64' });

  for (const eps of [0, 0.1, 0.3]) {
    test(`label smoothing ${eps}: mean, sum, none`, () => tidy(() => {
      const ref = refCE(logits, targets, eps);
      assertClose(F.crossEntropy(x(), t(), { labelSmoothing: eps }), sum(ref.perSample) / N, { shape: [], atol: 1e-12 });
      assertClose(F.crossEntropy(x(), t(), { labelSmoothing: eps, reduction: 'sum' }), sum(ref.perSample), { atol: 1e-12 });
      assertClose(F.crossEntropy(x(), t(), { labelSmoothing: eps, reduction: 'none' }), ref.perSample, { shape: [N], atol: 1e-12 });
    }));
  }

  test('hand example: uniform logits give log(C) whatever the smoothing', () => tidy(() => {
    const u = tensor([[0, 0, 0, 0]]);
    const y = tensor([1], { dtype: 'int64' });
    assertClose(F.crossEntropy(u, y), Math.log(4), { atol: 1e-6 });
    assertClose(F.crossEntropy(u, y, { labelSmoothing: 0.5 }), Math.log(4), { atol: 1e-6 });
  }));

  test('ignoreIndex drops samples from the mean (with smoothing too)', () => tidy(() => {
    const tg = [2, -100, 4, 1];
    const ref = refCE(logits, tg, 0.2);
    assertClose(F.crossEntropy(x(), tensor(tg, { dtype: 'int64' }), { labelSmoothing: 0.2 }), sum(ref.perSample) / ref.kept, { atol: 1e-12 });
    const tg2 = [3, 3, 0, 3];
    const ref2 = refCE(logits, tg2, 0, 3);
    assertClose(F.crossEntropy(x(), tensor(tg2, { dtype: 'int64' }), { ignoreIndex: 3 }), sum(ref2.perSample) / ref2.kept, { atol: 1e-12 });
  }));

  test('[N, C, L] logits with [N, L] targets (class dim is 1)', () => tidy(() => {
    // Reorder [N, C] logits as [1, C, N]: same per-sample losses.
    const x3 = x().T.unsqueeze(0);
    const ref = refCE(logits, targets, 0.1);
    assertClose(F.crossEntropy(x3, t().unsqueeze(0), { labelSmoothing: 0.1, reduction: 'none' }), ref.perSample, { shape: [1, N], atol: 1e-12 });
  }));

  test('probability targets: -sum(q * log p)', () => tidy(() => {
    const q = randomArray(N * C, 72, 0, 1);
    const qn = q.map((v, i) => v / sum(q.slice(Math.floor(i / C) * C, Math.floor(i / C) * C + C)));
    const exp = sum(Array.from({ length: N }, (_, i) => {
      const lp = logSoftmaxRow(logits.slice(i * C, (i + 1) * C));
      return -sum(lp.map((v, c) => v * qn[i * C + c]));
    })) / N;
    assertClose(F.crossEntropy(x(), tensor(qn, { shape: [N, C], dtype: 'float64' })), exp, { atol: 1e-12 });
  }));

  test('out-of-range labelSmoothing is rejected', () => {
    assert.throws(() => tidy(() => F.crossEntropy(x(), t(), { labelSmoothing: 1.5 })), RangeError);
  });

  test('gradcheck with label smoothing (logits and probability targets)', () => tidy(() => {
    const tg = t();
    gradcheck((l) => F.crossEntropy(l, tg, { labelSmoothing: 0.15 }), [randomTensor([N, C], 73, -2, 2)]);
    gradcheck((l) => F.crossEntropy(l, tensor([1, -100, 3, 0], { dtype: 'int64' }), { labelSmoothing: 0.1, reduction: 'sum' }), [randomTensor([N, C], 74)]);
    gradcheck((l, q) => F.crossEntropy(l, q), [randomTensor([2, 3], 75), randomTensor([2, 3], 76, 0, 1)]);
  }));
});

describe('mseLoss', () => {
  test('mean, sum, none', () => tidy(() => {
    const a = tensor([1, 2, 3, 4], { dtype: 'float64' });
    const b = tensor([0, 2, 5, 1], { dtype: 'float64' });
    assertClose(F.mseLoss(a, b), (1 + 0 + 4 + 9) / 4, { atol: 0 });
    assertClose(F.mseLoss(a, b, 'sum'), 14, { atol: 0 });
    assertClose(F.mseLoss(a, b, 'none'), [1, 0, 4, 9], { atol: 0 });
    gradcheck((x) => F.mseLoss(x, b), [randomTensor([4], 77)]);
  }));
});
