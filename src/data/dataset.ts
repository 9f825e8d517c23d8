// Image dataset types and the per-dataset constants (shape, classes,
// normalisation and augmentation as in the TangleNAS reference).
import { DataError } from './errors.js';

export type ImageDatasetName = 'cifar10' | 'fashion-mnist';

/** One split: n images stored planar (C, H, W) uint8, and n labels. */
export interface ImageSplit {
  images: Uint8Array;
  /** Uint16Array where a dataset has more than 256 classes (an image folder such as ImageNet's 1000). */
  labels: Uint8Array | Uint16Array;
  size: number;
}

/** RandomCrop(size, padding = cropPadding) when cropPadding > 0, then RandomHorizontalFlip when hflip. */
export interface AugmentSpec {
  cropPadding: number;
  hflip: boolean;
}

export interface ImageDatasetInfo {
  /** The registered name (the built-in ones: ImageDatasetName, 'cifar100'). */
  name: string;
  channels: number;
  height: number;
  width: number;
  numClasses: number;
  classNames: readonly string[];
  /** Per-channel normalisation applied after scaling to [0, 1]: (x/255 - mean) / std. */
  mean: readonly number[];
  std: readonly number[];
  /** The reference's training augmentation (used on both the weight and the architecture split). */
  augment: AugmentSpec;
}

export type DatasetSource = 'user' | 'debian' | 'cache' | 'official' | 'npm-mirror' | 'memory';

export interface ImageDataset extends ImageDatasetInfo {
  train: ImageSplit;
  test: ImageSplit;
  /** Where the files came from. */
  source: DatasetSource;
  /** The verified files, train then test. */
  files: { train: string[]; test: string[] };
}

export const DATASET_INFO: Readonly<Record<ImageDatasetName, ImageDatasetInfo>> = Object.freeze({
  // reference-facts 6.2: RandomCrop(32, padding 4) + horizontal flip;
  // mean (125.3, 123.0, 113.9)/255, std (63.0, 62.1, 66.7)/255.
  cifar10: {
    name: 'cifar10',
    channels: 3,
    height: 32,
    width: 32,
    numClasses: 10,
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    mean: [125.3 / 255, 123.0 / 255, 113.9 / 255],
    std: [63.0 / 255, 62.1 / 255, 66.7 / 255],
    augment: { cropPadding: 4, hflip: true },
  },
  // reference-facts 6.1: mean 0.2859, std 0.3530; no augmentation.
  'fashion-mnist': {
    name: 'fashion-mnist',
    channels: 1,
    height: 28,
    width: 28,
    numClasses: 10,
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    mean: [0.2859],
    std: [0.353],
    augment: { cropPadding: 0, hflip: false },
  },
});

const ALIASES: Record<string, ImageDatasetName> = {
  cifar10: 'cifar10',
  fashionmnist: 'fashion-mnist',
  fmnist: 'fashion-mnist',
};

/** 'CIFAR-10', 'cifar10', 'Fashion-MNIST', 'fashion_mnist', ... -> the canonical name. */
export function canonicalDatasetName(name: string): ImageDatasetName {
  const key = String(name).toLowerCase().replace(/[-_ ]/g, '');
  const found = ALIASES[key];
  if (found === undefined) {
    throw new DataError('', `unknown dataset '${name}'`, `use one of: ${Object.keys(DATASET_INFO).join(', ')} (CIFAR-100 and ImageNet16-120 are not supported yet)`);
  }
  return found;
}

/** A zeroed Uint8Array on a SharedArrayBuffer (so loader threads can read it without a copy). */
export function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(n));
}

/** Checks that every label is below numClasses; `file` names the source in the error. */
export function checkLabels(labels: Uint8Array | Uint16Array, numClasses: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new DataError(file, `label ${labels[i]} at sample ${i} is outside 0..${numClasses - 1}; the file is corrupt`, 'delete the file and fetch it again (see docs/data.md)');
    }
  }
}
