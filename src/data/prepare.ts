// Entry points for the CLI and the search: prepare (locate, fetch, verify) a
// dataset's files, load it, and build the weight / architecture / test loaders.
import { loadCifar10, resolveCifar10, CIFAR10_TEST_FILES, CIFAR10_TRAIN_FILES, type Cifar10Options } from './cifar10.js';
import { canonicalDatasetName, type DatasetSource, type ImageDataset, type ImageDatasetName } from './dataset.js';
import { FASHION_MNIST_FILES, loadFashionMnist, resolveFashionMnist, type FashionMnistOptions } from './fashion-mnist.js';
import { ImageLoader, type ImageLoaderOptions } from './loader.js';
import { splitTrainIndices, type TrainSplit } from './split.js';

export type DatasetOptions = Cifar10Options & FashionMnistOptions;

export interface PreparedDataset {
  name: ImageDatasetName;
  source: DatasetSource;
  /** The directory holding the verified files. */
  dir: string;
  /** Verified file paths: train files then test files, in dataset order. */
  files: { train: string[]; test: string[] };
}

/**
 * Makes sure the dataset's official files are present and verified (fetching
 * them if needed) and returns their paths. `name`: 'cifar10' | 'fashion-mnist'
 * (aliases like 'CIFAR-10' accepted).
 */
export async function prepareDataset(name: string, opts: DatasetOptions = {}): Promise<PreparedDataset> {
  const canonical = canonicalDatasetName(name);
  if (canonical === 'cifar10') {
    const r = await resolveCifar10(opts);
    return { name: canonical, source: r.source, dir: r.dir, files: { train: CIFAR10_TRAIN_FILES.map((f) => r.paths[f]), test: CIFAR10_TEST_FILES.map((f) => r.paths[f]) } };
  }
  const r = await resolveFashionMnist(opts);
  return { name: canonical, source: r.source, dir: r.dir, files: { train: FASHION_MNIST_FILES.train.map((f) => r.paths[f]), test: FASHION_MNIST_FILES.test.map((f) => r.paths[f]) } };
}

/** Loads a verified image dataset into memory (uint8, shared with loader threads). */
export async function loadImageDataset(name: string, opts: DatasetOptions = {}): Promise<ImageDataset> {
  const canonical = canonicalDatasetName(name);
  return canonical === 'cifar10' ? loadCifar10(opts) : loadFashionMnist(opts);
}

export interface SearchLoaderOptions {
  batchSize: number;
  /** Share of the training set for the weights, (0, 1]; the rest drives the architecture. */
  trainPortion: number;
  seed?: number;
  /** How the training set is split (default 'index', as the reference). */
  splitOrder?: 'index' | 'shuffled';
  /** Use the dataset's training augmentation on the weight and architecture splits (default true). */
  augment?: boolean;
  /** Cutout length on the weight loader's batches (0 = off, the default). */
  cutout?: number;
  testBatchSize?: number;
  workers?: 0 | 1;
  device?: string;
  /** Hold the splits on the device and assemble batches there (ImageLoaderOptions.resident). */
  resident?: boolean;
}

export interface SearchLoaders {
  split: TrainSplit;
  /** Weight updates: shuffled, augmented (and cutout, when asked). */
  train: ImageLoader;
  /** Architecture updates: shuffled, augmented; null when trainPortion is 1. */
  valid: ImageLoader | null;
  /** Final evaluation only: index order, no augmentation. Never used by the search itself. */
  test: ImageLoader;
  close(): void;
}

/** The three loaders of a search as in the reference (section 5, step 6). */
export function createSearchLoaders(ds: ImageDataset, opts: SearchLoaderOptions): SearchLoaders {
  const seed = opts.seed ?? 0;
  const split = splitTrainIndices(ds.train.size, { trainPortion: opts.trainPortion, order: opts.splitOrder, seed });
  const augment = opts.augment === false ? false : ds.augment;
  const common: Partial<ImageLoaderOptions> = { workers: opts.workers, device: opts.device, resident: opts.resident };
  const train = new ImageLoader(ds.train, ds, { ...common, batchSize: opts.batchSize, seed, stream: 0, indices: split.weights, augment, cutout: opts.cutout ?? 0, shuffle: true });
  const valid = split.arch.length === 0 ? null : new ImageLoader(ds.train, ds, { ...common, batchSize: opts.batchSize, seed, stream: 1, indices: split.arch, augment, shuffle: true });
  const test = new ImageLoader(ds.test, ds, { ...common, batchSize: opts.testBatchSize ?? opts.batchSize, seed, stream: 2, shuffle: false, augment: false });
  return {
    split,
    train,
    valid,
    test,
    close() {
      train.close();
      valid?.close();
      test.close();
    },
  };
}
