import { native } from '../native.js';
import { bernoulli } from '../random.js';
import { tidy } from '../scope.js';
import { full, Tensor } from '../tensor.js';

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

/**
 * Drop-path (stochastic depth; DARTS's drop_path, timm's DropPath): per sample,
 * the whole tensor is zeroed with probability p, else scaled by 1/(1-p);
 * identity when not training or p = 0.
 */
export function dropPath(x: Tensor, p: number, training = true): Tensor {
  check(p, 'dropPath');
  if (!training || p === 0) return x;
  return tidy(() => {
    const keep = 1 - p;
    const shape = [x.size(0), ...x.shape.slice(1).map(() => 1)];
    return x.div(keep).mul(bernoulli(full(shape, keep, { dtype: x.dtype, device: x.device })));
  });
}
