import { native } from '../native.js';
import { Tensor } from '../tensor.js';

/** y = x W^T + b, with W of shape [out, in] (PyTorch layout). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(native.linear(x?.h, weight?.h, bias?.h ?? null));
}
