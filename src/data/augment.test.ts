// Crop offsets and flips against a per-pixel definition of torchvision's
// RandomCrop(size, padding) followed by RandomHorizontalFlip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleBatch, type BatchPlan } from './augment.js';

/** out(c, r, x) = padded(c, r + dy, x' + dx) with x' = flip ? W-1-x : x; padded is 0 outside the image. */
function reference(src: Uint8Array, C: number, H: number, W: number, idx: number, dy: number, dx: number, pad: number, flip: boolean): number[] {
  const out: number[] = [];
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < H; r++) {
      for (let x = 0; x < W; x++) {
        const xx = flip ? W - 1 - x : x;
        const sr = r + dy - pad;
        const sc = xx + dx - pad;
        out.push(sr < 0 || sr >= H || sc < 0 || sc >= W ? 0 : src[idx * C * H * W + c * H * W + sr * W + sc]);
      }
    }
  }
  return out;
}

function image(C: number, H: number, W: number, n: number): Uint8Array {
  // Distinct non-zero values so that every misplaced pixel shows.
  return Uint8Array.from({ length: n * C * H * W }, (_, i) => 1 + (i % 251));
}

test('a hand-checked 1x3x3 example: crop offset and flip', () => {
  const src = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const g = { channels: 1, height: 3, width: 3 };
  const out = new Uint8Array(9);
  const plan = (dy: number, dx: number, flip: number): BatchPlan => ({ count: 1, indices: [0], dy: [dy], dx: [dx], flip: [flip], crop: true, pad: 1 });
  assembleBatch(src, g, plan(1, 1, 0), out); // centre crop = identity
  assert.deepEqual(Array.from(out), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assembleBatch(src, g, plan(0, 0, 0), out); // shift down-right, zeros enter top-left
  assert.deepEqual(Array.from(out), [0, 0, 0, 0, 1, 2, 0, 4, 5]);
  assembleBatch(src, g, plan(2, 2, 0), out); // shift up-left
  assert.deepEqual(Array.from(out), [5, 6, 0, 8, 9, 0, 0, 0, 0]);
  assembleBatch(src, g, plan(1, 1, 1), out); // flip only
  assert.deepEqual(Array.from(out), [3, 2, 1, 6, 5, 4, 9, 8, 7]);
  assembleBatch(src, g, plan(0, 2, 1), out); // crop then flip
  assert.deepEqual(Array.from(out), [0, 0, 0, 0, 3, 2, 0, 6, 5]);
});

test('every crop offset and both flips match the per-pixel definition (3x32x32, pad 4)', () => {
  const C = 3, H = 32, W = 32, pad = 4, n = 5;
  const src = image(C, H, W, n);
  const g = { channels: C, height: H, width: W };
  const count = (2 * pad + 1) ** 2 * 2;
  const plan = { count, indices: new Int32Array(count), dy: new Uint8Array(count), dx: new Uint8Array(count), flip: new Uint8Array(count), crop: true, pad };
  let k = 0;
  for (let dy = 0; dy <= 2 * pad; dy++) for (let dx = 0; dx <= 2 * pad; dx++) for (const f of [0, 1]) {
    plan.indices[k] = k % n;
    plan.dy[k] = dy;
    plan.dx[k] = dx;
    plan.flip[k] = f;
    k++;
  }
  const out = new Uint8Array(count * C * H * W).fill(77); // garbage must be overwritten
  assembleBatch(src, g, plan, out);
  for (let b = 0; b < count; b++) {
    const got = Array.from(out.subarray(b * C * H * W, (b + 1) * C * H * W));
    assert.deepEqual(got, reference(src, C, H, W, plan.indices[b], plan.dy[b], plan.dx[b], pad, plan.flip[b] === 1), `dy ${plan.dy[b]} dx ${plan.dx[b]} flip ${plan.flip[b]}`);
  }
});

test('without crop: plain copy, and flip alone; odd widths; padding larger than the image', () => {
  const C = 2, H = 5, W = 7, n = 3;
  const src = image(C, H, W, n);
  const g = { channels: C, height: H, width: W };
  const out = new Uint8Array(2 * C * H * W);
  assembleBatch(src, g, { count: 2, indices: [2, 1], dy: [0, 0], dx: [0, 0], flip: [0, 1], crop: false, pad: 0 }, out);
  assert.deepEqual(Array.from(out.subarray(0, C * H * W)), reference(src, C, H, W, 2, 0, 0, 0, false));
  assert.deepEqual(Array.from(out.subarray(C * H * W)), reference(src, C, H, W, 1, 0, 0, 0, true));
  const big = 9; // offsets past the whole image give all zeros
  for (const [dy, dx] of [[0, 0], [18, 18], [9, 0], [2, 17]]) {
    assembleBatch(src, g, { count: 1, indices: [1], dy: [dy], dx: [dx], flip: [1], crop: true, pad: big }, out);
    assert.deepEqual(Array.from(out.subarray(0, C * H * W)), reference(src, C, H, W, 1, dy, dx, big, true), `dy ${dy} dx ${dx}`);
  }
});

test('bad plans are rejected', () => {
  const src = new Uint8Array(2 * 4);
  const g = { channels: 1, height: 2, width: 2 };
  const out = new Uint8Array(4);
  assert.throws(() => assembleBatch(src, g, { count: 1, indices: [2], dy: [0], dx: [0], flip: [0], crop: false, pad: 0 }, out), /outside the dataset/);
  assert.throws(() => assembleBatch(src, g, { count: 1, indices: [0], dy: [3], dx: [0], flip: [0], crop: true, pad: 1 }, out), /crop offset/);
});
