// Pooling against naive loops (padding, stride, dilation, ceil mode, count_include_pad)
// and gradients against finite differences.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, tensor, tidy } from '../index.js';
import { assertClose, gradcheck, randomArray, randomTensor } from '../testing.js';

type P = [number, number];

/** Output length as PyTorch's pooling_output_shape defines it (ceil mode must start inside the input or left padding). */
function outLen(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let o = Math.floor((ceil ? span + s - 1 : span) / s) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

function refMaxPool(x: number[], [n, c, h, w]: number[], k: P, s: P, p: P, d: P, ceil: boolean): { out: number[]; shape: number[] } {
  const oh = outLen(h, k[0], s[0], p[0], d[0], ceil);
  const ow = outLen(w, k[1], s[1], p[1], d[1], ceil);
  const out: number[] = [];
  for (let ni = 0; ni < n * c; ni++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
    let m = -Infinity;
    for (let ky = 0; ky < k[0]; ky++) for (let kx = 0; kx < k[1]; kx++) {
      const iy = y * s[0] - p[0] + ky * d[0];
      const ix = xx * s[1] - p[1] + kx * d[1];
      if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = Math.max(m, x[(ni * h + iy) * w + ix]);
    }
    out.push(m);
  }
  return { out, shape: [n, c, oh, ow] };
}

function refAvgPool(x: number[], [n, c, h, w]: number[], k: P, s: P, p: P, ceil: boolean, countIncludePad: boolean): { out: number[]; shape: number[] } {
  const oh = outLen(h, k[0], s[0], p[0], 1, ceil);
  const ow = outLen(w, k[1], s[1], p[1], 1, ceil);
  const out: number[] = [];
  for (let ni = 0; ni < n * c; ni++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
    // The window, clipped to the padded input (for the padded count) and to the input (for the sum).
    const y0 = y * s[0] - p[0];
    const x0 = xx * s[1] - p[1];
    const y1 = Math.min(y0 + k[0], h + p[0]);
    const x1 = Math.min(x0 + k[1], w + p[1]);
    const padCount = (y1 - y0) * (x1 - x0);
    let sum = 0;
    let count = 0;
    for (let iy = Math.max(y0, 0); iy < Math.min(y1, h); iy++) for (let ix = Math.max(x0, 0); ix < Math.min(x1, w); ix++) {
      sum += x[(ni * h + iy) * w + ix];
      count++;
    }
    out.push(sum / (countIncludePad ? padCount : count));
  }
  return { out, shape: [n, c, oh, ow] };
}

function refAdaptiveAvg(x: number[], [n, c, h, w]: number[], [oh, ow]: P): number[] {
  const out: number[] = [];
  for (let ni = 0; ni < n * c; ni++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
    const ys = Math.floor((y * h) / oh), ye = Math.ceil(((y + 1) * h) / oh);
    const xs = Math.floor((xx * w) / ow), xe = Math.ceil(((xx + 1) * w) / ow);
    let sum = 0;
    for (let iy = ys; iy < ye; iy++) for (let ix = xs; ix < xe; ix++) sum += x[(ni * h + iy) * w + ix];
    out.push(sum / ((ye - ys) * (xe - xs)));
  }
  return out;
}

const shape = [2, 3, 7, 6];
const data = randomArray(shape.reduce((a, b) => a * b), 31);

describe('maxPool2d', () => {
  const cases: [string, P, P, P, P, boolean][] = [
    ['2x2 stride 2', [2, 2], [2, 2], [0, 0], [1, 1], false],
    ['3x3 stride 2 padding 1', [3, 3], [2, 2], [1, 1], [1, 1], false],
    ['3x3 stride 1 padding 1 (same size)', [3, 3], [1, 1], [1, 1], [1, 1], false],
    ['2x3 stride (1,2) dilation 2', [2, 3], [1, 2], [0, 1], [2, 2], false],
    ['3x3 stride 2 ceil mode', [3, 3], [2, 2], [0, 0], [1, 1], true],
  ];
  for (const [name, k, s, p, d, ceil] of cases) {
    test(name, () => tidy(() => {
      const ref = refMaxPool(data, shape, k, s, p, d, ceil);
      const y = F.maxPool2d(tensor(data, { shape, dtype: 'float64' }), k, { stride: s, padding: p, dilation: d, ceilMode: ceil });
      assertClose(y, ref.out, { shape: ref.shape, atol: 0 });
    }));
  }
  test('stride defaults to the kernel size; hand example', () => tidy(() => {
    const x = tensor([[[[1, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 1], [9, 2, 3, 7]]]]);
    assertClose(F.maxPool2d(x, 2), [5, 8, 9, 7], { shape: [1, 1, 2, 2], atol: 0 });
  }));
  test('gradient flows to the arg-max only', () => tidy(() => {
    const x = tensor([[[[1, 5], [3, 4]]]], { requiresGrad: true });
    F.maxPool2d(x, 2).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [0, 1, 0, 0]);
  }));
  test('gradcheck (distinct values, no ties)', () => tidy(() => {
    gradcheck((x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), [randomTensor([1, 2, 5, 5], 32)]);
    gradcheck((x) => F.maxPool2d(x, 2, { stride: 1, dilation: 2 }), [randomTensor([1, 1, 5, 4], 33)]);
  }));
});

describe('avgPool2d', () => {
  const cases: [string, P, P, P, boolean, boolean][] = [
    ['2x2 stride 2', [2, 2], [2, 2], [0, 0], false, true],
    ['3x3 stride 1 padding 1, count_include_pad', [3, 3], [1, 1], [1, 1], false, true],
    ['3x3 stride 1 padding 1, exclude pad', [3, 3], [1, 1], [1, 1], false, false],
    ['3x2 stride 2 padding (1,0) ceil mode, count_include_pad', [3, 2], [2, 2], [1, 0], true, true],
    ['3x3 stride 2 padding 1 ceil mode, exclude pad', [3, 3], [2, 2], [1, 1], true, false],
  ];
  for (const [name, k, s, p, ceil, cip] of cases) {
    test(name, () => tidy(() => {
      const ref = refAvgPool(data, shape, k, s, p, ceil, cip);
      const y = F.avgPool2d(tensor(data, { shape, dtype: 'float64' }), k, { stride: s, padding: p, ceilMode: ceil, countIncludePad: cip });
      assertClose(y, ref.out, { shape: ref.shape, atol: 1e-12 });
    }));
  }
  test('hand example: zero padding counts in the divisor by default', () => tidy(() => {
    const x = tensor([[[[1, 2], [3, 4]]]]);
    assertClose(F.avgPool2d(x, 2), [2.5], { shape: [1, 1, 1, 1] });
    assertClose(F.avgPool2d(x, 2, { stride: 1, padding: 1 }), [1 / 4, 3 / 4, 2 / 4, 4 / 4, 10 / 4, 6 / 4, 3 / 4, 7 / 4, 4 / 4], { shape: [1, 1, 3, 3] });
    assertClose(F.avgPool2d(x, 2, { stride: 1, padding: 1, countIncludePad: false }), [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  }));
  test('gradcheck', () => tidy(() => {
    gradcheck((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [randomTensor([1, 2, 5, 5], 34)]);
    gradcheck((x) => F.avgPool2d(x, [2, 3], { stride: 1, ceilMode: true }), [randomTensor([1, 1, 4, 5], 35)]);
  }));
});

describe('adaptiveAvgPool2d', () => {
  for (const out of [[1, 1], [2, 2], [3, 4], [7, 6], [5, 4]] as P[]) {
    test(`7x6 -> ${out.join('x')}`, () => tidy(() => {
      const y = F.adaptiveAvgPool2d(tensor(data, { shape, dtype: 'float64' }), out);
      assertClose(y, refAdaptiveAvg(data, shape, out), { shape: [2, 3, ...out], atol: 1e-12 });
    }));
  }
  test('global average equals mean over H, W; gradcheck', () => tidy(() => {
    const x = randomTensor([2, 3, 4, 5], 36);
    assertClose(F.adaptiveAvgPool2d(x, 1).flatten(1), x.mean([2, 3]), { atol: 1e-12 });
    gradcheck((t) => F.adaptiveAvgPool2d(t, [2, 3]), [randomTensor([1, 2, 5, 4], 37)]);
  }));
});
