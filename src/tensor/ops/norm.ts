import { native } from '../native.js';
import { cat, full, Tensor } from '../tensor.js';
import { tidy } from '../scope.js';
import { noGrad } from '../autograd.js';

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

/**
 * SyncBatchNorm: a differentiable sum over the data-parallel ranks, set while a
 * run has sync_bn on (null: every rank normalises by its own share of the batch).
 */
let statsSum: ((t: Tensor) => Tensor) | null = null;
export function setBatchNormSync(sum: ((t: Tensor) => Tensor) | null): void {
  statsSum = sum;
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
  if (o.training && statsSum) return syncedBatchNorm(x, o, statsSum);
  return new Tensor(native.batchNorm(x?.h, o.weight?.h ?? null, o.bias?.h ?? null, o.runningMean?.h ?? null, o.runningVar?.h ?? null, o.training, o.momentum ?? 0.1, o.eps ?? 1e-5));
}

/**
 * Training-mode batch norm with statistics of the global batch, in two passes
 * (the one-pass E[x^2] - mean^2 loses the variance to cancellation when the mean
 * is large): the per-channel sums of x and the count, summed over the ranks in a
 * differentiable collective, give the mean; the sums of (x - mean)^2 the biased
 * variance. The running variance takes the unbiased one, as PyTorch's SyncBatchNorm.
 */
function syncedBatchNorm(x: Tensor, o: BatchNormOptions, sum: (t: Tensor) => Tensor): Tensor {
  return tidy(() => {
    const c = x.size(1);
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const shape = [1, c, ...Array<number>(x.ndim - 2).fill(1)];
    const g = sum(cat([x.sum(dims), full([1], x.numel / c, { dtype: x.dtype, device: x.device })]));
    const n = g.narrow(0, c, 1).item();
    const mean = g.narrow(0, 0, c).div(n);
    const centred = x.sub(mean.reshape(...shape));
    const variance = sum(centred.square().sum(dims)).div(n);
    let y = centred.mul(variance.add(o.eps ?? 1e-5).rsqrt().reshape(...shape));
    if (o.weight) y = y.mul(o.weight.reshape(...shape));
    if (o.bias) y = y.add(o.bias.reshape(...shape));
    const m = o.momentum ?? 0.1;
    noGrad(() => {
      o.runningMean?.mul_(1 - m).add_(mean.detach().mul(m));
      o.runningVar?.mul_(1 - m).add_(variance.detach().mul((m * n) / Math.max(1, n - 1)));
    });
    return y;
  });
}

/** Layer norm over the trailing `normalizedShape` dims. */
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(native.layerNorm(x?.h, normalizedShape, weight?.h ?? null, bias?.h ?? null, eps));
}
