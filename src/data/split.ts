// Splitting the training set into a weight-training part and an
// architecture-validation part (`train_portion`). The test set never enters.
import { Rng } from './rng.js';

export interface TrainSplitOptions {
  /** Fraction of the training set used for the weights, in (0, 1]. */
  trainPortion: number;
  /**
   * 'index' (default, as the reference): weights get samples [0, split), the
   * architecture gets [split, n). 'shuffled': the same sizes, from a permutation
   * drawn with `seed`.
   */
  order?: 'index' | 'shuffled';
  seed?: number;
}

export interface TrainSplit {
  /** Dataset indices for the weight updates. */
  weights: Uint32Array;
  /** Dataset indices for the architecture updates (empty when trainPortion is 1). */
  arch: Uint32Array;
}

export function checkTrainPortion(p: number): void {
  if (typeof p !== 'number' || !(p > 0 && p <= 1)) {
    throw new RangeError(`trainPortion=${p} must be a number in (0, 1] (the reference's train_portion; 0.5 for the toy spaces)`);
  }
}

/** Number of weight samples: floor(trainPortion * n), as in the reference. */
export function splitPoint(n: number, trainPortion: number): number {
  checkTrainPortion(trainPortion);
  // Guard against 0.29 * 100 = 28.999999999999996 style rounding.
  return Math.min(n, Math.floor(trainPortion * n + 1e-9));
}

/** Splits indices 0..n-1 into disjoint weight and architecture parts. Deterministic given the seed. */
export function splitTrainIndices(n: number, opts: TrainSplitOptions): TrainSplit {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`splitTrainIndices: n=${n} must be a positive integer`);
  const split = splitPoint(n, opts.trainPortion);
  if (split === 0) throw new RangeError(`trainPortion=${opts.trainPortion} of ${n} samples leaves no sample for the weights`);
  const order = opts.order ?? 'index';
  let all: Uint32Array;
  if (order === 'index') {
    all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
  } else if (order === 'shuffled') {
    all = new Rng(opts.seed ?? 0, 0x7f4a7c15).permutation(n);
  } else {
    throw new TypeError(`splitTrainIndices: order '${String(order)}' must be 'index' or 'shuffled'`);
  }
  return { weights: all.slice(0, split), arch: all.slice(split) };
}

/** Contiguous split of a token stream (the nanoGPT reference): [0, split) and [split, n). */
export function splitContiguous<T extends { length: number; subarray(a: number, b?: number): T }>(data: T, trainPortion: number): { weights: T; arch: T } {
  const split = splitPoint(data.length, trainPortion);
  return { weights: data.subarray(0, split), arch: data.subarray(split) };
}
