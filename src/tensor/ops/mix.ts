import { native } from '../native.js';
import { tidy } from '../scope.js';
import { Tensor, tensor } from '../tensor.js';

/**
 * Multi-head scaled dot-product attention with strided heads, mixed over head
 * counts: sum_i weights[i] * attn(q, k, v; heads[i] heads, scale scales[i]) on
 * q, k, v [B, T, F]. Head j of an h-head attention reads and writes the features
 * j, j+h, j+2h, ... (F divisible by every h). `scales` multiply q k^T; scales and
 * weights may be tensors [n] that need gradients (weights default to 1).
 *
 * Only q, k and v are kept for backward: the attention probabilities are
 * recomputed there, so no [B, h, T, T] tensor outlives the call. Backward
 * cannot be differentiated again.
 */
export function attentionMix(q: Tensor, k: Tensor, v: Tensor, heads: readonly number[], scales: Tensor | readonly number[], weights: Tensor | null, causal: boolean): Tensor {
  return tidy(() => {
    const opts = { dtype: q.dtype, device: q.device };
    const s = scales instanceof Tensor ? scales : tensor([...scales], opts);
    const w = weights ?? tensor(heads.map(() => 1), opts);
    return new Tensor(native.attentionMix(q?.h, k?.h, v?.h, [...heads], s.h, w.h, causal));
  });
}
