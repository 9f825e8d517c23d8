// Sparsemax (Martins & Astudillo, 2016): the Euclidean projection onto the
// simplex; exact zeros outside the support. Differentiable through autograd:
// p = relu(z - tau) with tau = (sum_{support} z - 1) / |support|.
import { noGrad } from '../../tensor/autograd.js';
import { tidy } from '../../tensor/scope.js';
import { arange, type Tensor } from '../../tensor/tensor.js';

/** Sparsemax along the last dim. */
export function sparsemax(z: Tensor): Tensor {
  return tidy(() => {
    const n = z.size(-1);
    const support = noGrad(() => {
      const sorted = z.sort(-1, true).values;
      const k = arange(1, n + 1, 1, { dtype: z.dtype });
      // k is in the support when 1 + k z_(k) > sum_{j<=k} z_(j)
      const inSupport = k.mul(sorted).add(1).gt(sorted.cumsum(-1));
      const kz = inSupport.to(z.dtype).sum(-1, true); // support size
      const tauSorted = sorted.cumsum(-1).gather(-1, kz.sub(1).long()).sub(1).div(kz);
      return z.gt(tauSorted).to(z.dtype);
    });
    const tau = z.mul(support).sum(-1, true).sub(1).div(support.sum(-1, true));
    return z.sub(tau).clamp(0);
  });
}
