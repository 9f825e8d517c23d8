// Data for a run: the real dataset of the space (Fashion-MNIST for the toy
// cell, CIFAR-10 for the conv-macro space) or a small synthetic one generated
// in memory (tests and smoke runs), optionally cut to its first N images, and
// the loaders a run needs: weights, alpha, and evaluation passes in index
// order without augmentation.
import { DATASET_INFO, sharedBytes, type ImageDataset, type ImageDatasetName, type ImageSplit } from '../data/dataset.js';
import { ImageLoader } from '../data/loader.js';
import { createSearchLoaders, loadImageDataset, type SearchLoaders } from '../data/prepare.js';
import { Rng } from '../data/rng.js';
import type { Config } from './config.js';
import type { Calibration } from './evaluate.js';

export function datasetOfSpace(space: string): ImageDatasetName {
  return space === 'toy-cell' ? 'fashion-mnist' : 'cifar10';
}

/**
 * A learnable stand-in dataset with the real one's shape: each class has its
 * own mean image (a few bright blocks) and every sample adds noise. Fully
 * determined by the seed.
 */
export function syntheticDataset(name: ImageDatasetName, trainSize: number, testSize: number, seed = 0): ImageDataset {
  const info = DATASET_INFO[name];
  const { channels: C, height: H, width: W, numClasses: K } = info;
  const n = C * H * W;
  const rng = new Rng(seed, 0x51);
  const means: Uint8Array[] = [];
  for (let k = 0; k < K; k++) {
    const m = new Uint8Array(n).fill(40);
    for (let b = 0; b < 3; b++) {
      const y0 = rng.int(H - 6), x0 = rng.int(W - 6), c = rng.int(C);
      for (let y = y0; y < y0 + 6; y++) for (let x = x0; x < x0 + 6; x++) m[c * H * W + y * W + x] = 200;
    }
    means.push(m);
  }
  const make = (size: number): ImageSplit => {
    const images = sharedBytes(size * n);
    const labels = sharedBytes(size);
    for (let i = 0; i < size; i++) {
      const k = i % K;
      labels[i] = k;
      for (let j = 0; j < n; j++) images[i * n + j] = Math.max(0, Math.min(255, means[k][j] + rng.int(81) - 40));
    }
    return { images, labels, size };
  };
  return { ...info, train: make(trainSize), test: make(testSize), source: 'memory', files: { train: [], test: [] } };
}

function firstN(s: ImageSplit, n: number, bytesPerSample: number): ImageSplit {
  if (n === 0 || n >= s.size) return s;
  return { images: s.images.subarray(0, n * bytesPerSample), labels: s.labels.subarray(0, n), size: n };
}

export async function loadRunDataset(c: Config, log?: (m: string) => void): Promise<ImageDataset> {
  const name = datasetOfSpace(c.space);
  let ds: ImageDataset;
  if (c.dataset === 'synthetic') ds = syntheticDataset(name, c.synthetic_train, c.synthetic_test, c.seed);
  else ds = await loadImageDataset(name, { dir: c.data_dir ?? undefined, log });
  const per = ds.channels * ds.height * ds.width;
  return { ...ds, train: firstN(ds.train, c.train_subset, per), test: firstN(ds.test, c.test_subset, per) };
}

export interface RunLoaders extends SearchLoaders {
  /** A loader over the first `limit` images of the alpha split, index order, no augmentation (evaluation). */
  validEval(limit: number): ImageLoader | null;
  /** BatchNorm calibration for sub-networks from the weight split (null when bn_calibration_samples is 0). */
  calibration(): Calibration | null;
}

export function createRunLoaders(ds: ImageDataset, c: Config): RunLoaders {
  const base = createSearchLoaders(ds, { batchSize: c.batch_size, trainPortion: c.train_portion, seed: c.seed, augment: c.augment, testBatchSize: c.eval_batch_size, workers: c.loader_workers });
  const evals: ImageLoader[] = [];
  let cal: Calibration | null = null;
  return {
    ...base,
    validEval(limit: number) {
      const arch = base.split.arch;
      if (arch.length === 0) return null;
      const indices = limit > 0 && limit < arch.length ? arch.subarray(0, limit) : arch;
      const l = new ImageLoader(ds.train, ds, { batchSize: c.eval_batch_size, indices, shuffle: false, augment: false, workers: 0, seed: c.seed, stream: 3 });
      evals.push(l);
      return l;
    },
    calibration() {
      if (c.bn_calibration_samples === 0) return null;
      if (!cal) {
        const l = new ImageLoader(ds.train, ds, { batchSize: c.eval_batch_size, indices: base.split.weights, shuffle: false, augment: false, workers: 0, seed: c.seed, stream: 4 });
        evals.push(l);
        cal = { loader: l, start: l.state(), batches: Math.ceil(c.bn_calibration_samples / c.eval_batch_size) };
      }
      return cal;
    },
    close() {
      base.close();
      for (const l of evals) l.close();
    },
  };
}
