// The image loader: shapes, normalisation, epoch coverage, determinism, the
// worker thread giving the same batches as inline assembly, and exact resume.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { liveTensorCount, tidy } from '../tensor/index.js';
import { assembleBatch } from './augment.js';
import type { ImageSplit } from './dataset.js';
import { ImageLoader, type ImageInfo, type ImageLoaderOptions } from './loader.js';
import { createSearchLoaders } from './prepare.js';
import { bytes } from './test-util.js';

const info: ImageInfo = { channels: 3, height: 8, width: 6, mean: [0.5, 0.25, 0.75], std: [0.5, 0.2, 0.1] };
const SAMPLE = 3 * 8 * 6;

function split(n: number): ImageSplit {
  return { images: bytes(n * SAMPLE, 3), labels: Uint8Array.from({ length: n }, (_, i) => i % 10), size: n };
}

function collect(l: ImageLoader, count: number): { x: number[]; y: number[]; epoch: number; index: number; size: number; last: boolean }[] {
  const out = [];
  for (let i = 0; i < count; i++) {
    const b = l.next();
    out.push({ x: b.x.toArray(), y: b.y.toArray(), epoch: b.epoch, index: b.index, size: b.size, last: b.last });
    b.x.dispose();
    b.y.dispose();
  }
  return out;
}

const aug = { cropPadding: 2, hflip: true };

describe('ImageLoader', () => {
  test('normalised float32 NCHW batches and int64 labels; values exact', () => {
    const s = split(5);
    const l = new ImageLoader(s, info, { batchSize: 4, shuffle: false, workers: 0 });
    const b = l.next();
    assert.deepEqual(b.x.shape, [4, 3, 8, 6]);
    assert.equal(b.x.dtype, 'float32');
    assert.deepEqual(b.y.shape, [4]);
    assert.equal(b.y.dtype, 'int64');
    assert.deepEqual(b.y.toArray(), [0, 1, 2, 3]);
    const x = b.x.toArray();
    for (const i of [0, 47, 48, 100, 143, 144, 575]) {
      const c = Math.floor(i / 48) % 3;
      const expected = Math.fround(Math.fround(Math.fround(s.images[i] / 255) - Math.fround(info.mean[c])) / Math.fround(info.std[c]));
      assert.ok(Math.abs(x[i] - expected) < 1e-6, `element ${i}: ${x[i]} vs ${expected}`);
    }
    b.x.dispose();
    b.y.dispose();
    const last = l.next(); // the incomplete last batch
    assert.equal(last.size, 1);
    assert.ok(last.last);
    assert.deepEqual(last.x.shape, [1, 3, 8, 6]);
    l.close();
  });

  test('each epoch visits every sample of the subset exactly once, reshuffled per epoch', () => {
    const s = split(50);
    const indices = Uint32Array.from({ length: 23 }, (_, i) => 2 * i + 1);
    const l = new ImageLoader(s, info, { batchSize: 5, indices, seed: 4, workers: 0, output: 'uint8' });
    assert.equal(l.batchesPerEpoch, 5);
    const orders: number[][] = [];
    for (let e = 0; e < 2; e++) {
      const seen: number[] = [];
      for (const b of l.epochBatches()) {
        // Identify each sample by its bytes.
        const x = b.x.dataSync() as Uint8Array;
        for (let i = 0; i < b.size; i++) {
          const img = x.subarray(i * SAMPLE, (i + 1) * SAMPLE);
          const k = indices.findIndex((j) => s.images.subarray(j * SAMPLE, (j + 1) * SAMPLE).every((v, q) => v === img[q]));
          seen.push(indices[k]);
          assert.equal(Number(b.y.toArray()[i]), indices[k] % 10, 'label follows its image');
        }
        assert.equal(b.epoch, e);
        b.x.dispose();
        b.y.dispose();
      }
      assert.deepEqual([...seen].sort((a, b) => a - b), Array.from(indices));
      orders.push(seen);
    }
    assert.notDeepEqual(orders[0], orders[1]);
    assert.equal(l.epoch, 2);
    l.close();
  });

  test('dropLast, bad options', () => {
    const s = split(10);
    const l = new ImageLoader(s, info, { batchSize: 4, dropLast: true, workers: 0 });
    assert.equal(l.batchesPerEpoch, 2);
    const got = collect(l, 3);
    assert.deepEqual(got.map((b) => [b.epoch, b.index, b.size, b.last]), [[0, 0, 4, false], [0, 1, 4, true], [1, 0, 4, false]]);
    assert.throws(() => new ImageLoader(s, info, { batchSize: 11, dropLast: true }), /no batch/);
    assert.throws(() => new ImageLoader(s, info, { batchSize: 0 }), /batchSize/);
    assert.throws(() => new ImageLoader(s, info, { batchSize: 2, indices: Uint32Array.of(10) }), /outside the split/);
    assert.throws(() => new ImageLoader({ ...s, size: 11 }, info, { batchSize: 2 }), /expected 11/);
  });

  test('augmented batches equal assembleBatch of the drawn plan (crops and flips really vary)', () => {
    const s = split(12);
    const l = new ImageLoader(s, info, { batchSize: 12, shuffle: false, augment: aug, workers: 0, output: 'uint8', seed: 9 });
    const b = l.next();
    const x = b.x.dataSync() as Uint8Array;
    // Recover each sample's (dy, dx, flip) by trying all 50 combinations.
    const kinds = new Set<string>();
    for (let i = 0; i < 12; i++) {
      let match: string | null = null;
      for (let dy = 0; dy <= 4 && match === null; dy++) for (let dx = 0; dx <= 4 && match === null; dx++) for (const f of [0, 1]) {
        const out = new Uint8Array(SAMPLE);
        assembleBatch(s.images, info, { count: 1, indices: [i], dy: [dy], dx: [dx], flip: [f], crop: true, pad: 2 }, out);
        if (out.every((v, q) => v === x[i * SAMPLE + q])) {
          match = `${dy},${dx},${f}`;
          break;
        }
      }
      assert.ok(match !== null, `sample ${i} is not a crop/flip of image ${i}`);
      kinds.add(match);
    }
    assert.ok(kinds.size > 3, `only ${kinds.size} distinct augmentations in 12 samples`);
    b.x.dispose();
    b.y.dispose();
  });

  test('same seed, same batches; other seed, other batches; worker == inline', () => {
    const s = split(37);
    const opts: ImageLoaderOptions = { batchSize: 8, seed: 5, augment: aug, output: 'uint8' };
    const inline = new ImageLoader(s, info, { ...opts, workers: 0 });
    const worker = new ImageLoader(s, info, { ...opts, workers: 1, prefetch: 3 });
    const other = new ImageLoader(s, info, { ...opts, workers: 0, seed: 6 });
    const a = collect(inline, 12); // crosses two epoch boundaries (5 batches per epoch)
    const b = collect(worker, 12);
    assert.deepEqual(b, a);
    assert.notDeepEqual(collect(other, 12), a);
    assert.deepEqual(a.map((q) => `${q.epoch}:${q.index}`), ['0:0', '0:1', '0:2', '0:3', '0:4', '1:0', '1:1', '1:2', '1:3', '1:4', '2:0', '2:1']);
    inline.close();
    worker.close();
    other.close();
  });

  test('resident (the split held on the device, batches gathered there) == assembled bytes: crop, flip, cutout, normalised and raw, a subset, across epochs; resume', () => {
    const s = split(37);
    const indices = Uint32Array.from({ length: 30 }, (_, i) => (i * 7) % 37);
    for (const output of ['uint8', 'normalized'] as const) {
      for (const o of [{ augment: aug, cutout: 3 }, { augment: false as const, cutout: 0 }, { augment: { cropPadding: 0, hflip: true }, cutout: 2 }]) {
        const opts: ImageLoaderOptions = { batchSize: 8, seed: 5, output, indices, ...o };
        const plain = new ImageLoader(s, info, { ...opts, workers: 0 });
        const held = new ImageLoader(s, info, { ...opts, resident: true });
        assert.deepEqual(collect(held, 9), collect(plain, 9), `${output} ${JSON.stringify(o)}`);
        const st = held.state();
        const again = new ImageLoader(s, info, { ...opts, resident: true });
        again.restore(JSON.parse(JSON.stringify(st)));
        assert.deepEqual(collect(again, 3), collect(held, 3));
        for (const l of [plain, held, again]) l.close();
      }
    }
  });

  test('resident loaders over one split share its device copy, freed when the last one closes', () => {
    const s = split(21);
    const start = liveTensorCount();
    const a = new ImageLoader(s, info, { batchSize: 4, augment: aug, resident: true });
    collect(a, 1);
    const oneCopy = liveTensorCount();
    const b = new ImageLoader(s, info, { batchSize: 4, augment: aug, resident: true, shuffle: false });
    collect(b, 1);
    // The second loader adds only its normalisation constants (mean, std), not the split's images and labels.
    assert.equal(liveTensorCount(), oneCopy + 2, 'the second loader holds no copy of its own');
    a.close();
    assert.equal(liveTensorCount(), oneCopy, 'the copy stays while the other loader uses it');
    b.close();
    assert.equal(liveTensorCount(), start, 'freed with the last loader');
  });

  for (const workers of [0, 1] as const) {
    test(`state() mid-epoch restores the exact continuation (workers ${workers}), via JSON, in a new loader`, () => {
      const s = split(29);
      const opts: ImageLoaderOptions = { batchSize: 4, seed: 11, augment: aug, workers, stream: 1 };
      const l1 = new ImageLoader(s, info, opts);
      collect(l1, 10); // epoch 1, batch 2 of 8
      const saved = JSON.parse(JSON.stringify(l1.state()));
      assert.deepEqual([saved.epoch, saved.index], [1, 2]);
      const rest = collect(l1, 9);
      const l2 = new ImageLoader(s, info, { ...opts, workers: workers === 0 ? 1 : 0 });
      collect(l2, 3); // wherever it was: restore overrides
      l2.restore(saved);
      assert.deepEqual(collect(l2, 9), rest);
      // Restoring the same loader backwards works too, even with batches in flight.
      l1.restore(saved);
      assert.deepEqual(collect(l1, 9), rest);
      assert.throws(() => new ImageLoader(s, info, { ...opts, seed: 12 }).restore(saved), /different loader \(seed 11 vs 12\)/);
      assert.throws(() => l1.restore({ ...saved, index: 99 }), /invalid/);
      l1.close();
      l2.close();
    });
  }

  test('tensors belong to the caller: tidy frees them, the loader keeps working; closed loader throws', () => {
    const s = split(9);
    const l = new ImageLoader(s, info, { batchSize: 3 });
    let kept: { x: unknown } | null = null;
    tidy(() => {
      const b = l.next();
      kept = { x: b.x };
    });
    assert.ok((kept as unknown as { x: { isDisposed: boolean } }).x.isDisposed);
    const b = l.next();
    assert.equal(b.x.isDisposed, false);
    l.close();
    assert.deepEqual(b.x.shape, [3, 3, 8, 6], 'batches outlive close()');
    b.x.dispose();
    b.y.dispose();
    assert.throws(() => l.next(), /closed/);
  });
});

describe('createSearchLoaders', () => {
  const ds = {
    name: 'cifar10' as const, channels: 3, height: 8, width: 6, numClasses: 10, classNames: [], mean: info.mean, std: info.std,
    augment: aug, train: split(40), test: split(7), source: 'memory' as const, files: { train: [], test: [] },
  };
  test('weights and architecture loaders draw from disjoint parts; the test set is separate and plain', () => {
    const L = createSearchLoaders(ds, { batchSize: 8, trainPortion: 0.5, seed: 1, workers: 0 });
    assert.equal(L.split.weights.length, 20);
    assert.equal(L.split.arch.length, 20);
    assert.equal(L.train.samples, 20);
    assert.equal(L.valid!.samples, 20);
    assert.equal(L.test.samples, 7);
    const t = L.test.next();
    assert.deepEqual(t.y.toArray(), [0, 1, 2, 3, 4, 5, 6]);
    t.x.dispose();
    t.y.dispose();
    L.close();
    const full = createSearchLoaders(ds, { batchSize: 8, trainPortion: 1, workers: 0 });
    assert.equal(full.valid, null);
    full.close();
  });
});
