// conv2d against a naive loop over every output element, and its gradients
// against finite differences.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, tensor, tidy, zeros } from '../index.js';
import { assertClose, gradcheck, randomArray, randomTensor } from '../testing.js';

interface ConvCase {
  n: number; c: number; h: number; w: number; o: number; k: [number, number];
  stride: [number, number]; padding: [number, number]; dilation: [number, number]; groups: number; bias: boolean;
}

/** Direct definition: out[n][o][y][x] = b[o] + sum over the group's input channels and kernel taps. */
function refConv2d(x: number[], wt: number[], b: number[] | null, cs: ConvCase): { out: number[]; shape: number[] } {
  const { n, c, h, w, o, k, stride, padding, dilation, groups } = cs;
  const cg = c / groups;
  const og = o / groups;
  const oh = Math.floor((h + 2 * padding[0] - dilation[0] * (k[0] - 1) - 1) / stride[0]) + 1;
  const ow = Math.floor((w + 2 * padding[1] - dilation[1] * (k[1] - 1) - 1) / stride[1]) + 1;
  const out: number[] = [];
  for (let ni = 0; ni < n; ni++) for (let oi = 0; oi < o; oi++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
    const g = Math.floor(oi / og);
    let s = b ? b[oi] : 0;
    for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < k[0]; ky++) for (let kx = 0; kx < k[1]; kx++) {
      const iy = y * stride[0] - padding[0] + ky * dilation[0];
      const ix = xx * stride[1] - padding[1] + kx * dilation[1];
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      const cin = g * cg + ci;
      s += x[((ni * c + cin) * h + iy) * w + ix] * wt[((oi * cg + ci) * k[0] + ky) * k[1] + kx];
    }
    out.push(s);
  }
  return { out, shape: [n, o, oh, ow] };
}

const cases: [string, ConvCase][] = [
  ['plain 3x3', { n: 2, c: 3, h: 5, w: 6, o: 4, k: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, bias: true }],
  ['stride 2, padding 1', { n: 1, c: 2, h: 7, w: 6, o: 3, k: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1, bias: true }],
  ['asymmetric stride/padding, 2x3 kernel, no bias', { n: 2, c: 2, h: 6, w: 7, o: 2, k: [2, 3], stride: [1, 2], padding: [2, 0], dilation: [1, 1], groups: 1, bias: false }],
  ['dilation 2', { n: 1, c: 2, h: 8, w: 8, o: 2, k: [3, 3], stride: [1, 1], padding: [2, 2], dilation: [2, 2], groups: 1, bias: true }],
  ['groups 2', { n: 2, c: 4, h: 5, w: 5, o: 6, k: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 2, bias: true }],
  ['depthwise (groups = channels), stride 2, dilation 2', { n: 1, c: 3, h: 9, w: 9, o: 3, k: [3, 3], stride: [2, 2], padding: [2, 2], dilation: [2, 2], groups: 3, bias: false }],
  ['1x1', { n: 3, c: 4, h: 2, w: 3, o: 5, k: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, bias: true }],
];

describe('conv2d forward', () => {
  for (const [name, cs] of cases) {
    for (const dtype of ['float64', 'float32'] as const) {
      test(`${name} (${dtype})`, () => tidy(() => {
        const xs = randomArray(cs.n * cs.c * cs.h * cs.w, 11);
        const ws = randomArray(cs.o * (cs.c / cs.groups) * cs.k[0] * cs.k[1], 12);
        const bs = cs.bias ? randomArray(cs.o, 13) : null;
        const ref = refConv2d(xs, ws, bs, cs);
        const x = tensor(xs, { shape: [cs.n, cs.c, cs.h, cs.w], dtype });
        const wt = tensor(ws, { shape: [cs.o, cs.c / cs.groups, cs.k[0], cs.k[1]], dtype });
        const b = bs ? tensor(bs, { dtype }) : null;
        const y = F.conv2d(x, wt, b, { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups });
        assert.equal(y.dtype, dtype);
        assertClose(y, ref.out, { shape: ref.shape, atol: dtype === 'float64' ? 1e-12 : 1e-5 });
      }));
    }
  }

  test('a hand-computed 3x3 example: averaging kernel with zero padding', () => tidy(() => {
    const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    const w = zeros([1, 1, 3, 3]).add(1 / 9);
    const y = F.conv2d(x, w, null, { padding: 1 });
    // corner: (1+2+4+5)/9, edge: (1+2+3+4+5+6)/9, centre: 45/9
    assertClose(y, [12 / 9, 21 / 9, 16 / 9, 27 / 9, 45 / 9, 33 / 9, 24 / 9, 39 / 9, 28 / 9], { shape: [1, 1, 3, 3] });
    const s = F.conv2d(x, w, tensor([1]), { stride: 2, padding: 1 });
    assertClose(s, [12 / 9 + 1, 16 / 9 + 1, 24 / 9 + 1, 28 / 9 + 1], { shape: [1, 1, 2, 2] });
  }));
});

describe('conv2d gradients (float64 finite differences)', () => {
  const gcases: [string, ConvCase][] = [
    // Small shapes: every input element costs two forward passes.
    ['stride 2, padding 1, bias', { n: 2, c: 2, h: 4, w: 4, o: 2, k: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1, bias: true }],
    ['groups 2, dilation 2', { n: 1, c: 4, h: 5, w: 5, o: 2, k: [2, 2], stride: [1, 1], padding: [1, 1], dilation: [2, 2], groups: 2, bias: true }],
    ['depthwise', { n: 1, c: 3, h: 4, w: 5, o: 3, k: [3, 2], stride: [1, 1], padding: [1, 0], dilation: [1, 1], groups: 3, bias: false }],
  ];
  for (const [name, cs] of gcases) {
    test(name, () => tidy(() => {
      const x = randomTensor([cs.n, cs.c, cs.h, cs.w], 21);
      const w = randomTensor([cs.o, cs.c / cs.groups, cs.k[0], cs.k[1]], 22);
      const inputs = cs.bias ? [x, w, randomTensor([cs.o], 23)] : [x, w];
      gradcheck((xi, wi, bi) => F.conv2d(xi, wi, bi ?? null, { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups }), inputs);
    }));
  }
});
