import { native } from '../native.js';
import { Tensor } from '../tensor.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyOptions {
  labelSmoothing?: number;
  reduction?: Reduction;
  ignoreIndex?: number;
}

/** Cross-entropy of logits [N, C, ...] against int64 class indices [N, ...] or class probabilities. */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  const ls = o.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1)) throw new RangeError(`crossEntropy: labelSmoothing=${ls} must be in [0, 1]`);
  return new Tensor(native.crossEntropy(logits?.h, target?.h, ls, o.reduction ?? 'mean', o.ignoreIndex ?? -100));
}

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(native.mseLoss(input?.h, target?.h, reduction));
}
