import { native } from '../native.js';
import { Tensor } from '../tensor.js';

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Updated in place in training mode when given. */
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training: boolean;
  momentum?: number;
  eps?: number;
}

/** Batch norm over dim 1 (N, C, ...). Eval mode needs running statistics. */
export function batchNorm(x: Tensor, o: BatchNormOptions): Tensor {
  if (!o.training && (!o.runningMean || !o.runningVar)) {
    throw new TypeError('batchNorm: eval mode (training=false) needs runningMean and runningVar');
  }
  // As torch.nn.functional.batch_norm: one value per channel normalises to all zeros, silently.
  if (o.training && x instanceof Tensor && !x.isDisposed && x.ndim >= 2 && x.numel / x.size(1) === 1) {
    throw new Error(`batchNorm: expected more than 1 value per channel when training (inputs: [${x.shape.join(',')}] ${x.dtype})`);
  }
  return new Tensor(native.batchNorm(x?.h, o.weight?.h ?? null, o.bias?.h ?? null, o.runningMean?.h ?? null, o.runningVar?.h ?? null, o.training, o.momentum ?? 0.1, o.eps ?? 1e-5));
}

/** Layer norm over the trailing `normalizedShape` dims. */
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(native.layerNorm(x?.h, normalizedShape, weight?.h ?? null, bias?.h ?? null, eps));
}
