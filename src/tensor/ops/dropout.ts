import { native } from '../native.js';
import { Tensor } from '../tensor.js';

function check(p: number, what: string): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${what}: p=${p} must be in [0, 1]`);
}
/** Zeroes elements with probability p and scales the rest by 1/(1-p) when training. */
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  check(p, 'dropout');
  return new Tensor(native.dropout(x?.h, p, training));
}
/** Zeroes whole channels (dim 1) with probability p when training. */
export function dropout2d(x: Tensor, p: number, training: boolean): Tensor {
  check(p, 'dropout2d');
  return new Tensor(native.dropout2d(x?.h, p, training));
}
