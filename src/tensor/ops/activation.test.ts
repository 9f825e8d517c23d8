// Activations and softmax against their textbook formulas evaluated in JS, and
// gradients against finite differences.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Tensor, tensor, tidy } from '../index.js';
import { assertClose, gradcheck, randomArray, randomTensor } from '../testing.js';

/** erf via its everywhere-convergent series with positive terms (no cancellation). */
function erf(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x, sum = x;
  for (let n = 1; n < 300 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

const sig = (v: number): number => 1 / (1 + Math.exp(-v));
const relu6 = (v: number): number => Math.min(Math.max(v, 0), 6);

const refs: Record<string, (v: number) => number> = {
  relu: (v) => Math.max(v, 0),
  sigmoid: sig,
  tanh: Math.tanh,
  silu: (v) => v * sig(v),
  hardswish: (v) => (v * relu6(v + 3)) / 6,
  hardsigmoid: (v) => relu6(v + 3) / 6,
  geluExact: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
  geluTanh: (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  elu: (v) => (v > 0 ? v : Math.expm1(v)),
  elu05: (v) => (v > 0 ? v : 0.5 * Math.expm1(v)),
  softplus: (v) => (v > 20 ? v : Math.log1p(Math.exp(v))),
  softplusBeta2: (v) => (2 * v > 5 ? v : Math.log1p(Math.exp(2 * v)) / 2),
  leakyRelu: (v) => (v > 0 ? v : 0.1 * v),
};

const ops: Record<string, (x: Tensor) => Tensor> = {
  relu: F.relu,
  sigmoid: F.sigmoid,
  tanh: F.tanh,
  silu: F.silu,
  hardswish: F.hardswish,
  hardsigmoid: F.hardsigmoid,
  geluExact: (x) => F.gelu(x),
  geluTanh: (x) => F.gelu(x, 'tanh'),
  elu: (x) => F.elu(x),
  elu05: (x) => F.elu(x, 0.5),
  softplus: (x) => F.softplus(x),
  softplusBeta2: (x) => F.softplus(x, 2, 5),
  leakyRelu: (x) => F.leakyRelu(x, 0.1),
};

// Points around every kink and threshold (hardswish at +-3, softplus thresholds) plus random ones.
const points = [-30, -6, -3.5, -3, -2.9, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 2.4, 2.6, 2.9, 3, 3.5, 6, 19, 21, 30, ...randomArray(30, 61, -5, 5)];

describe('elementwise activations', () => {
  for (const name of Object.keys(refs)) {
    test(`${name} matches its formula (float64 and float32)`, () => tidy(() => {
      const exp = points.map(refs[name]);
      assertClose(ops[name](tensor(points, { dtype: 'float64' })), exp, { atol: 1e-12, rtol: 1e-10, msg: name });
      const y32 = ops[name](tensor(points));
      assert.equal(y32.dtype, 'float32');
      assertClose(y32, exp, { atol: 1e-6, rtol: 1e-5, msg: `${name} f32` });
    }));
  }

  test('known values: gelu(1), gelu_tanh(1), softplus(0), hardswish(1), silu(1)', () => tidy(() => {
    assertClose(F.gelu(tensor([1, -1], { dtype: 'float64' })), [0.8413447460685429, -0.15865525393145707], { atol: 1e-14 });
    assertClose(F.gelu(tensor([1], { dtype: 'float64' }), 'tanh'), [0.8411919906082768], { atol: 1e-14 });
    assertClose(F.softplus(tensor([0], { dtype: 'float64' })), [Math.LN2], { atol: 1e-15 });
    assertClose(F.hardswish(tensor([1, -4, 4])), [2 / 3, 0, 4]);
    assertClose(F.hardsigmoid(tensor([0, -4, 4])), [0.5, 0, 1]);
    assertClose(F.silu(tensor([1], { dtype: 'float64' })), [0.7310585786300049], { atol: 1e-15 });
  }));

  test('gradients match finite differences (points away from kinks)', () => tidy(() => {
    // Shift random points away from 0 and +-3 where relu/hardswish are not differentiable.
    const x = tensor(randomArray(12, 62, -4, 4).map((v) => (Math.abs(v) < 0.05 || Math.abs(Math.abs(v) - 3) < 0.05 ? v + 0.2 : v)), { dtype: 'float64' });
    for (const name of Object.keys(ops)) gradcheck(ops[name], [x]);
  }));
});

describe('softmax and logSoftmax', () => {
  const shape = [2, 3, 4];
  const data = randomArray(24, 63, -3, 3);
  function refSoftmax(d: number[], sh: number[], dim: number, log: boolean): number[] {
    const out = new Array<number>(d.length);
    const stride = sh.slice(dim + 1).reduce((a, b) => a * b, 1);
    const len = sh[dim];
    for (let base = 0; base < d.length; base++) {
      if (Math.floor(base / stride) % len !== 0) continue; // first element of each slice along dim
      const idx = Array.from({ length: len }, (_, k) => base + k * stride);
      const m = Math.max(...idx.map((i) => d[i]));
      const z = idx.reduce((s, i) => s + Math.exp(d[i] - m), 0);
      for (const i of idx) out[i] = log ? d[i] - m - Math.log(z) : Math.exp(d[i] - m) / z;
    }
    return out;
  }

  for (const dim of [0, 1, 2]) {
    test(`dim ${dim}`, () => tidy(() => {
      const x = tensor(data, { shape, dtype: 'float64' });
      assertClose(F.softmax(x, dim), refSoftmax(data, shape, dim, false), { shape, atol: 1e-14 });
      assertClose(F.logSoftmax(x, dim), refSoftmax(data, shape, dim, true), { shape, atol: 1e-13 });
    }));
  }

  test('default dim is -1; rows sum to 1; stable for huge logits', () => tidy(() => {
    const x = tensor(data, { shape, dtype: 'float64' });
    assertClose(F.softmax(x), refSoftmax(data, shape, 2, false), { atol: 1e-14 });
    assertClose(F.softmax(x).sum(-1), new Array(6).fill(1), { atol: 1e-14 });
    const big = tensor([[1000, 1001, 1002], [-1000, -1000, -1000]]);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const z = e[0] + e[1] + e[2];
    assertClose(F.softmax(big), [e[0] / z, e[1] / z, 1 / z, 1 / 3, 1 / 3, 1 / 3], { atol: 1e-6 });
    assertClose(F.logSoftmax(big), [-2 - Math.log(z), -1 - Math.log(z), -Math.log(z), -Math.log(3), -Math.log(3), -Math.log(3)], { atol: 1e-5 });
    // -inf entries (masked attention) get probability 0.
    assertClose(F.softmax(tensor([0, -Infinity, 0])), [0.5, 0, 0.5], { atol: 0 });
  }));

  test('gradcheck (weighted sum, since a plain sum of softmax is constant)', () => tidy(() => {
    gradcheck((x) => F.softmax(x, 1), [randomTensor([2, 4, 2], 64, -2, 2)]);
    gradcheck((x) => F.logSoftmax(x, -1), [randomTensor([3, 5], 65, -2, 2)]);
  }));
});
