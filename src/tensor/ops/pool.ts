import { native } from '../native.js';
import { Tensor } from '../tensor.js';
import type { Pair } from './conv.js';

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export interface PoolOptions {
  /** Defaults to the kernel size. */
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}

export function maxPool2d(x: Tensor, kernel: Pair, opts: PoolOptions & { dilation?: Pair } = {}): Tensor {
  return new Tensor(native.maxPool2d(x?.h, pair(kernel), pair(opts.stride ?? kernel), pair(opts.padding ?? 0), pair(opts.dilation ?? 1), opts.ceilMode ?? false));
}

export function avgPool2d(x: Tensor, kernel: Pair, opts: PoolOptions & { countIncludePad?: boolean } = {}): Tensor {
  return new Tensor(native.avgPool2d(x?.h, pair(kernel), pair(opts.stride ?? kernel), pair(opts.padding ?? 0), opts.ceilMode ?? false, opts.countIncludePad ?? true));
}

export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  return new Tensor(native.adaptiveAvgPool2d(x?.h, pair(outputSize)));
}
