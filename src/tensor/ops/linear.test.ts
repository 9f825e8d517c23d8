// linear and embedding against JS loops; gradients against finite differences.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, grad, tensor, tidy } from '../index.js';
import { assertClose, gradcheck, randomArray, randomTensor } from '../testing.js';

describe('linear', () => {
  test('y = x W^T + b for 2-D and 3-D inputs', () => tidy(() => {
    const [B, T, I, O] = [2, 3, 4, 5];
    const xs = randomArray(B * T * I, 81);
    const ws = randomArray(O * I, 82);
    const bs = randomArray(O, 83);
    const exp: number[] = [];
    const expNoBias: number[] = [];
    for (let r = 0; r < B * T; r++) for (let o = 0; o < O; o++) {
      let s = 0;
      for (let i = 0; i < I; i++) s += xs[r * I + i] * ws[o * I + i];
      exp.push(s + bs[o]);
      expNoBias.push(s);
    }
    const w = tensor(ws, { shape: [O, I], dtype: 'float64' });
    const b = tensor(bs, { dtype: 'float64' });
    assertClose(F.linear(tensor(xs, { shape: [B * T, I], dtype: 'float64' }), w, b), exp, { shape: [B * T, O], atol: 1e-12 });
    assertClose(F.linear(tensor(xs, { shape: [B, T, I], dtype: 'float64' }), w, b), exp, { shape: [B, T, O], atol: 1e-12 });
    assertClose(F.linear(tensor(xs, { shape: [B, T, I], dtype: 'float64' }), w), expNoBias, { atol: 1e-12 });
    assertClose(F.linear(tensor(xs, { shape: [B * T, I] }), w.float(), b.float()), exp, { atol: 1e-5 });
  }));

  test('gradcheck: linear and matmul', () => tidy(() => {
    gradcheck((x, w, b) => F.linear(x, w, b), [randomTensor([2, 3, 4], 84), randomTensor([2, 4], 85), randomTensor([2], 86)]);
    gradcheck((a, b) => a.matmul(b), [randomTensor([2, 3, 4], 87), randomTensor([4, 2], 88)]);
    gradcheck((a, b) => a.bmm(b), [randomTensor([2, 2, 3], 89), randomTensor([2, 3, 2], 90)]);
  }));
});

describe('embedding', () => {
  const ws = randomArray(6 * 3, 91);
  const rowOf = (i: number): number[] => ws.slice(i * 3, i * 3 + 3);

  test('picks rows for indices of any shape (int64 and int32)', () => tidy(() => {
    const w = tensor(ws, { shape: [6, 3], dtype: 'float64' });
    const idx = [[5, 0, 2], [2, 2, 1]];
    const y = F.embedding(w, tensor(idx, { dtype: 'int64' }));
    assertClose(y, idx.flat().flatMap(rowOf), { shape: [2, 3, 3], atol: 0 });
    assertClose(F.embedding(w, tensor([4], { dtype: 'int32' })), rowOf(4), { shape: [1, 3], atol: 0 });
  }));

  test('gradient accumulates over repeated indices', () => tidy(() => {
    const w = tensor(ws, { shape: [6, 3], dtype: 'float64', requiresGrad: true });
    const [g] = grad(F.embedding(w, tensor([1, 4, 1, 1], { dtype: 'int64' })).sum(), [w]);
    assert.deepEqual(g!.toArray(), [0, 0, 0, 3, 3, 3, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
    const idx = tensor([[0, 3], [3, 5]], { dtype: 'int64' });
    gradcheck((wt) => F.embedding(wt, idx), [randomTensor([6, 2], 92)]);
  }));
});
