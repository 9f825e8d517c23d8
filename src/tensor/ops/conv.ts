import { native } from '../native.js';
import { Tensor } from '../tensor.js';

export type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** 2-D convolution, NCHW input, weight [out, in/groups, kh, kw]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  return new Tensor(native.conv2d(x?.h, weight?.h, bias?.h ?? null, pair(opts.stride ?? 1), pair(opts.padding ?? 0), pair(opts.dilation ?? 1), opts.groups ?? 1));
}
