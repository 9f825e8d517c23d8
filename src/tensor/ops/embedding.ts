import { native } from '../native.js';
import { Tensor } from '../tensor.js';

/** Rows of `weight` [num, dim] picked by int64 `indices` of any shape. */
export function embedding(weight: Tensor, indices: Tensor): Tensor {
  return new Tensor(native.embedding(weight?.h, indices?.h));
}
