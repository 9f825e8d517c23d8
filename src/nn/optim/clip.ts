// Gradient-norm clipping with torch.nn.utils.clip_grad_norm_'s semantics.
import { noGrad } from '../../tensor/autograd.js';
import { tidy } from '../../tensor/scope.js';
import { stack, type Tensor } from '../../tensor/tensor.js';

export interface ClipOptions {
  /** Throw when the total norm is NaN or infinite instead of scaling by it. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales the gradients of `params` in place so that their joint p-norm is at
 * most `maxNorm`: every gradient is multiplied by min(1, maxNorm / (total + 1e-6)).
 * Returns the total norm before clipping (0 when no parameter has a gradient).
 * `normType` may be Infinity (largest absolute entry).
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2, opts: ClipOptions = {}): number {
  if (!(Number.isFinite(maxNorm) && maxNorm >= 0)) throw new RangeError(`clipGradNorm: maxNorm must be a finite number >= 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new RangeError(`clipGradNorm: normType must be positive (or Infinity), got ${normType}`);
  return noGrad(() =>
    tidy(() => {
      const grads: Tensor[] = [];
      for (const p of params) {
        const g = p.grad;
        if (g !== null) grads.push(g);
      }
      if (grads.length === 0) return 0;
      const total =
        normType === Infinity
          ? stack(grads.map((g) => g.abs().max().to('float64'))).max()
          : stack(grads.map((g) => g.norm(normType).to('float64'))).norm(normType);
      const t = total.item();
      if (!Number.isFinite(t) && opts.errorIfNonfinite) {
        throw new Error(`clipGradNorm: the total ${normType}-norm of the gradients is ${t}; a loss or gradient is NaN/inf`);
      }
      // Like PyTorch, scale even when the coefficient is 1 (no data-dependent branch).
      const coef = Math.min(maxNorm / (t + 1e-6), 1);
      for (const g of grads) g.mul_(coef);
      return t;
    }),
  );
}
