// Crop offsets and flips against a per-pixel definition of torchvision's
// RandomCrop(size, padding) followed by RandomHorizontalFlip; cutout against
// DARTS's Cutout, alone and in the loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleBatch, cutoutBox, cutoutMask, type BatchPlan } from './augment.js';
import { ImageLoader, type ImageInfo, type ImageLoaderOptions } from './loader.js';
import { createSearchLoaders } from './prepare.js';
import type { ImageDataset } from './dataset.js';

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

// ---------------------------------------------------------------- cutout

/** DARTS's Cutout, per pixel: y1 = clip(y - L // 2, 0, h), y2 = clip(y + L // 2, 0, h), likewise x; mask[y1:y2, x1:x2] = 0. */
function dartsCutout(H: number, W: number, cy: number, cx: number, L: number): number[] {
  const clip = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  const [y1, y2, x1, x2] = [clip(cy - Math.floor(L / 2), H), clip(cy + Math.floor(L / 2), H), clip(cx - Math.floor(L / 2), W), clip(cx + Math.floor(L / 2), W)];
  const out: number[] = [];
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) out.push(r >= y1 && r < y2 && c >= x1 && c < x2 ? 0 : 1);
  return out;
}

test('cutout: a 16 x 16 square around the centre, clipped at the borders; odd lengths as DARTS (L - 1)', () => {
  assert.deepEqual(cutoutBox(20, 20, 16, 32, 32), { y0: 12, y1: 28, x0: 12, x1: 28 });
  assert.deepEqual(cutoutBox(3, 30, 16, 32, 32), { y0: 0, y1: 11, x0: 22, x1: 32 });
  assert.deepEqual(cutoutBox(0, 0, 16, 32, 32), { y0: 0, y1: 8, x0: 0, x1: 8 });
  assert.deepEqual(cutoutBox(31, 8, 16, 32, 32), { y0: 23, y1: 32, x0: 0, x1: 16 });
  assert.deepEqual(cutoutBox(5, 5, 5, 32, 32), { y0: 3, y1: 7, x0: 3, x1: 7 });
  // Every centre of a 32 x 32 image (and a non-square one) against the per-pixel definition.
  for (const [H, W, L] of [[32, 32, 16], [7, 5, 4], [6, 9, 3]]) {
    const cy: number[] = [], cx: number[] = [];
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) [cy[cy.length], cx[cx.length]] = [y, x];
    const n = cy.length;
    const m = cutoutMask(n, H, W, cy, cx, L, new Float32Array(n * H * W).fill(7));
    for (let b = 0; b < n; b++) assert.deepEqual(Array.from(m.subarray(b * H * W, (b + 1) * H * W)), dartsCutout(H, W, cy[b], cx[b], L), `${H}x${W} L ${L} centre (${cy[b]}, ${cx[b]})`);
    const zeros = Array.from(m.subarray(0, H * W)).filter((v) => v === 0).length;
    assert.equal(zeros, Math.min(H, Math.floor(L / 2)) * Math.min(W, Math.floor(L / 2)), 'the corner centre keeps a quarter');
  }
  assert.throws(() => cutoutMask(1, 4, 4, [4], [0], 2, new Uint8Array(16)), /centre \(4, 0\) outside the 4x4 image/);
  assert.throws(() => cutoutMask(2, 4, 4, [0, 0], [0, 0], 2, new Uint8Array(16)), /needs 2 x 4 x 4/);
});

const info: ImageInfo = { channels: 3, height: 32, width: 32, mean: [0.5, 0.25, 0.75], std: [0.5, 0.2, 0.1] };

function dataset(n: number): ImageDataset {
  const per = 3 * 32 * 32;
  const images = Uint8Array.from({ length: n * per }, (_, i) => 1 + ((i * 7) % 250));
  const split = { images, labels: Uint8Array.from({ length: n }, (_, i) => i % 10), size: n };
  return { ...info, name: 'cifar10', numClasses: 10, classes: [], augment: { cropPadding: 4, hflip: true }, train: split, test: split, source: 'memory', files: { train: [], test: [] } } as unknown as ImageDataset;
}

function batches(o: Partial<ImageLoaderOptions>, count: number): number[][] {
  const l = new ImageLoader(dataset(12).train, info, { batchSize: 4, seed: 3, workers: 0, ...o });
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    const b = l.next();
    out.push(b.x.toArray());
    b.x.dispose();
    b.y.dispose();
  }
  l.close();
  return out;
}

test('cutout in the loader: after normalisation the square is 0 in every channel, the rest is the batch without cutout', () => {
  // Without crop and flip, the only per-sample draws are the cutout centres: same images, same order.
  const plain = batches({ shuffle: true }, 3);
  const cut = batches({ shuffle: true, cutout: 16 }, 3);
  const hw = 32 * 32;
  for (let b = 0; b < 3; b++) {
    for (let s = 0; s < 4; s++) {
      const zeroed = new Set<number>();
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < hw; p++) {
          const i = (s * 3 + c) * hw + p;
          if (cut[b][i] === 0 && plain[b][i] !== 0) zeroed.add(p);
          else assert.equal(cut[b][i], plain[b][i]);
        }
      }
      const rows = new Set([...zeroed].map((p) => Math.floor(p / 32)));
      const cols = new Set([...zeroed].map((p) => p % 32));
      assert.equal(zeroed.size, rows.size * cols.size, 'a rectangle');
      assert.ok(rows.size >= 8 && rows.size <= 16 && cols.size >= 8 && cols.size <= 16, `${rows.size} x ${cols.size}`);
    }
  }
  // With the dataset's crop and flip, the worker thread gives the same batches; a restored state continues exactly.
  const a = batches({ augment: { cropPadding: 4, hflip: true }, cutout: 16 }, 3);
  assert.deepEqual(batches({ augment: { cropPadding: 4, hflip: true }, cutout: 16, workers: 1 }, 3), a);
  const l = new ImageLoader(dataset(10).train, info, { batchSize: 4, seed: 3, workers: 0, augment: { cropPadding: 4, hflip: true }, cutout: 16 });
  l.next().x.dispose();
  const st = l.state();
  const next = l.next().x.toArray();
  l.restore(st);
  assert.deepEqual(l.next().x.toArray(), next);
  l.close();
  assert.throws(() => new ImageLoader(dataset(2).train, info, { batchSize: 1, cutout: -1 }), /cutout=-1 must be an integer >= 0/);
});

test('cutout in the search loaders: the weight batches only', () => {
  const ds = dataset(16);
  const l = createSearchLoaders(ds, { batchSize: 8, trainPortion: 0.5, cutout: 16, augment: false, workers: 0 });
  const zeros = (x: number[]) => x.filter((v) => v === 0).length;
  const t = l.train.next(), v = l.valid!.next(), e = l.test.next();
  assert.ok(zeros(t.x.toArray()) >= 8 * 3 * 64, 'the weight batch has its squares');
  assert.equal(zeros(v.x.toArray()), 0);
  assert.equal(zeros(e.x.toArray()), 0);
  for (const b of [t, v, e]) { b.x.dispose(); b.y.dispose(); }
  l.close();
});
