// Data for a run: the real dataset of the space (Fashion-MNIST for the toy
// cell, CIFAR-10 for the conv-macro space, a text corpus for the language
// models) or a small synthetic one generated in memory (tests and smoke runs),
// optionally cut to its first N images (tokens), and the loaders a run needs:
// weights, alpha, and evaluation passes in a fixed order without augmentation.
import { sharedBytes, type ImageDataset, type ImageSplit } from '../data/dataset.js';
import { getDataset, loadTextCorpus, type ImageDatasetEntry } from '../data/registry.js';
import { ImageLoader, mappedLoader, type Batch, type BatchLoader } from '../data/loader.js';
import { mixupCutmix, randAugment, randomErasing } from '../data/batch-augment.js';
import { tidy } from '../tensor/scope.js';
import { tensor } from '../tensor/tensor.js';
import { TextLoader } from '../data/text-loader.js';
import { CharTokenizer, Gpt2Tokenizer, splitTokens, type Tokenizer } from '../data/text.js';
import type { SpaceOptions } from '../nas/space.js';
import { createSearchLoaders } from '../data/prepare.js';
import { getSpace, spaceOptionsFrom } from '../nas/registry.js';
import { Rng } from '../data/rng.js';
import type { Config } from './config.js';
import type { Device } from '../tensor/tensor.js';
import type { Calibration } from './evaluate.js';

/** The image dataset a run of an image space reads: config.dataset, or for 'synthetic' the space's default one. */
function imageDatasetOf(c: Config): ImageDatasetEntry {
  const name = c.dataset === 'synthetic' ? getSpace(c.space).datasets[0] : c.dataset;
  const entry = getDataset(name);
  if (entry.kind !== 'image') throw new Error(`space '${c.space}' takes images, but dataset '${name}' is ${entry.kind === 'text' ? 'a text corpus' : 'synthetic'}; set dataset to ${getSpace(c.space).datasets[0]}`);
  return entry;
}

/**
 * A learnable stand-in dataset with the real one's shape: each class has its
 * own mean image (a few bright blocks) and every sample adds noise. Fully
 * determined by the seed.
 */
export function syntheticDataset(name: string, trainSize: number, testSize: number, seed = 0): ImageDataset {
  const entry = getDataset(name);
  if (entry.kind !== 'image') throw new Error(`syntheticDataset: '${name}' is not an image dataset`);
  const info = entry.info;
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

/** A tokenised corpus, split contiguously into [train | test]. */
export interface TextRunDataset {
  kind: 'text';
  name: string;
  /** The corpus file ('memory' for synthetic text). */
  path: string;
  tokenizer: Tokenizer;
  train: Int32Array;
  test: Int32Array;
}

export type RunDataset = ImageDataset | TextRunDataset;

export function isTextDataset(ds: RunDataset): ds is TextRunDataset {
  return (ds as TextRunDataset).kind === 'text';
}

/** Deterministic stand-in text (tests): words from a small list, in sentences. */
export function syntheticText(chars: number, seed = 0): string {
  const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'to', 'see', 'king', 'of', 'rome', 'said'];
  const rng = new Rng(seed, 0x7e);
  let out = '';
  while (out.length < chars) {
    const n = 3 + rng.int(6);
    const w: string[] = [];
    for (let i = 0; i < n; i++) w.push(words[rng.int(words.length)]);
    out += w.join(' ') + '.\n';
  }
  return out.slice(0, chars);
}

function loadTextRunDataset(c: Config, log?: (m: string) => void): TextRunDataset {
  const entry = getDataset(c.dataset);
  if (entry.kind === 'image') throw new Error(`space '${c.space}' is a language model, but dataset '${c.dataset}' holds images; set dataset to ${getSpace(c.space).datasets[0]}`);
  const { path, text } = entry.kind === 'synthetic' ? { path: 'memory', text: syntheticText(c.synthetic_train + c.synthetic_test, c.seed) } : loadTextCorpus(entry, c.data_dir);
  const kind = c.tokenizer === 'auto' ? (getSpace(c.space).tokenizer ?? 'char') : c.tokenizer;
  const tokenizer: Tokenizer = kind === 'gpt2' ? new Gpt2Tokenizer() : CharTokenizer.fromText(text);
  const tokens = tokenizer.encode(text);
  const testFraction = c.dataset === 'synthetic' ? c.synthetic_test / (c.synthetic_train + c.synthetic_test) : c.test_fraction;
  const { train, test } = splitTokens(tokens, { valFraction: 0, testFraction });
  const cut = (a: Int32Array, n: number) => (n > 0 && n < a.length ? a.subarray(0, n) : a);
  log?.(`${c.dataset === 'synthetic' ? 'synthetic text' : path}: ${tokens.length.toLocaleString('en')} tokens (${tokenizer.kind === 'char' ? `${tokenizer.vocabSize} characters` : 'GPT-2 BPE'})`);
  return { kind: 'text', name: c.dataset, path, tokenizer, train: cut(train, c.train_subset), test: cut(test, c.test_subset) };
}

/**
 * The options a run builds its space with: the form, what depends on the data
 * (a language model's vocabulary and context, the classes of an image dataset)
 * and the space's own config keys (its entry's `options`).
 */
export function spaceOptionsFor(c: Config, ds: RunDataset): SpaceOptions {
  const own = spaceOptionsFrom(c.space, c as unknown as Record<string, unknown>);
  if (!isTextDataset(ds)) return { form: c.form, numClasses: ds.numClasses, ...own };
  return { form: c.form, vocabSize: ds.tokenizer.vocabSize, ...(c.block_size > 0 ? { blockSize: c.block_size } : {}), ...own };
}

export async function loadRunDataset(c: Config, log?: (m: string) => void): Promise<RunDataset> {
  if (getSpace(c.space).task === 'language-model') return loadTextRunDataset(c, log);
  const entry = imageDatasetOf(c);
  let ds: ImageDataset;
  if (c.dataset === 'synthetic') ds = syntheticDataset(entry.name, c.synthetic_train, c.synthetic_test, c.seed);
  else ds = await entry.load({ dir: c.data_dir ?? undefined, log });
  const per = ds.channels * ds.height * ds.width;
  return { ...ds, train: firstN(ds.train, c.train_subset, per), test: firstN(ds.test, c.test_subset, per) };
}

export interface RunLoaders {
  /** Weight updates: shuffled (augmented images; random token windows). */
  train: BatchLoader;
  /** Architecture updates; null when train_portion is 1. */
  valid: BatchLoader | null;
  /** Final evaluation only, fixed order. Never used by the search itself. */
  test: BatchLoader;
  /** What the splits hold, for the log. */
  describe: string;
  close(): void;
  /** A loader over the first `limit` samples of the alpha split, fixed order, no augmentation (evaluation). */
  validEval(limit: number): BatchLoader | null;
  /** BatchNorm calibration for sub-networks from the weight split (null when bn_calibration_samples is 0). */
  calibration(): Calibration | null;
}

/** The loaders of a text run: contiguous [weights | alpha] split of the training tokens. */
function createTextLoaders(ds: TextRunDataset, c: Config, blockSize: number, device: Device): RunLoaders {
  const cut = Math.floor(c.train_portion * ds.train.length + 1e-9);
  const w = ds.train.subarray(0, cut);
  const a = ds.train.subarray(cut);
  const name = (part: string) => `${part} of ${ds.path === 'memory' ? 'the synthetic text' : ds.path}`;
  const train = new TextLoader(w, { blockSize, batchSize: c.batch_size, mode: 'random', seed: c.seed, stream: 0, name: name('the weight split (train_portion)'), device });
  const valid = a.length > blockSize ? new TextLoader(a, { blockSize, batchSize: c.batch_size, mode: 'random', seed: c.seed, stream: 1, name: name('the validation split'), device }) : null;
  const test = new TextLoader(ds.test, { blockSize, batchSize: c.eval_batch_size, mode: 'sequential', name: name('the test split (test_fraction)'), device });
  const k = (n: number) => n.toLocaleString('en');
  return {
    train,
    valid,
    test,
    describe: `${ds.name}, ${k(w.length)} weight / ${k(a.length)} validation / ${k(ds.test.length)} test tokens, context ${blockSize}`,
    validEval(limit: number) {
      if (!valid) return null;
      return new TextLoader(a, { blockSize, batchSize: c.eval_batch_size, mode: 'sequential', limit, name: name('the validation split'), device });
    },
    calibration: () => null,
    close() {},
  };
}

/** Whether any batch augmentation of the weight-training batches is on. */
export function batchAugmented(c: Config): boolean {
  return c.randaugment > 0 || c.random_erase > 0 || c.mixup > 0 || c.cutmix > 0 || c.label_smoothing > 0;
}

/**
 * The weight-training loader with the batch augmentations of the config (timm's
 * order: RandAugment on the [0, 1] images, then, normalised, random erasing;
 * then mixup / cutmix with label smoothing, which make the labels class
 * probabilities [B, classes]). Every draw comes from libtorch's generator in
 * step order, so a resume replays them. Before any data-parallel sharding, so
 * every rank mixes the whole batch as one process would.
 */
function augmentedLoader(train: BatchLoader, c: Config, ds: ImageDataset): BatchLoader {
  if (!batchAugmented(c)) return train;
  const C = ds.channels;
  return mappedLoader(train, (next) => {
    const b = next();
    const out = tidy((): Pick<Batch, 'x' | 'y'> => {
      let x = b.x;
      if (c.randaugment > 0) {
        const mean = tensor([...ds.mean], { shape: [1, C, 1, 1], device: x.device });
        const std = tensor([...ds.std], { shape: [1, C, 1, 1], device: x.device });
        x = randAugment(x.mul(std).add(mean), { ops: c.randaugment, magnitude: c.randaugment_magnitude, magnitudeStd: c.randaugment_mstd }).sub(mean).div(std);
      }
      if (c.random_erase > 0) x = randomErasing(x, { prob: c.random_erase });
      if (c.mixup === 0 && c.cutmix === 0 && c.label_smoothing === 0) return { x, y: b.y };
      const mixed = mixupCutmix(x, b.y, { numClasses: ds.numClasses, mixup: c.mixup, cutmix: c.cutmix, labelSmoothing: c.label_smoothing });
      return { x: mixed.x, y: mixed.y };
    });
    if (out.x !== b.x) b.x.dispose();
    if (out.y !== b.y) b.y.dispose();
    return { ...b, ...out };
  });
}

/** The run's loaders; their batches are made on `device` (the run's, resolved). */
export function createRunLoaders(ds: RunDataset, c: Config, blockSize = 0, device: Device = 'cpu'): RunLoaders {
  if (isTextDataset(ds)) return createTextLoaders(ds, c, blockSize, device);
  const base = createSearchLoaders(ds, { batchSize: c.batch_size, trainPortion: c.train_portion, seed: c.seed, augment: c.augment, cutout: c.cutout_length, testBatchSize: c.eval_batch_size, workers: c.loader_workers, device, resident: c.data_on_device });
  const evals: ImageLoader[] = [];
  let cal: Calibration | null = null;
  return {
    ...base,
    train: augmentedLoader(base.train, c, ds),
    describe: `${ds.name}${ds.source === 'memory' ? ' (in memory)' : ''}, ${base.split.weights.length} weight / ${base.split.arch.length} validation / ${ds.test.size} test images`,
    validEval(limit: number) {
      const arch = base.split.arch;
      if (arch.length === 0) return null;
      const indices = limit > 0 && limit < arch.length ? arch.subarray(0, limit) : arch;
      const l = new ImageLoader(ds.train, ds, { batchSize: c.eval_batch_size, indices, shuffle: false, augment: false, workers: 0, seed: c.seed, stream: 3, device, resident: c.data_on_device });
      evals.push(l);
      return l;
    },
    calibration() {
      if (c.bn_calibration_samples === 0) return null;
      if (!cal) {
        const l = new ImageLoader(ds.train, ds, { batchSize: c.eval_batch_size, indices: base.split.weights, shuffle: false, augment: false, workers: 0, seed: c.seed, stream: 4, device, resident: c.data_on_device });
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
