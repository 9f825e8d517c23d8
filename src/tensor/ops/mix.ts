// Fused native ops for entangled mixtures, each with its own backward that keeps
// less for backward than the composed ops would (the GPT supernet's memory).
import { native } from '../native.js';
import { tidy } from '../scope.js';
import { ones, Tensor, tensor, zeros } from '../tensor.js';

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
    return new Tensor(native.attentionMix(q.h, k.h, v.h, [...heads], s.h, w.h, causal));
  });
}

/**
 * Plain multi-head attention with h strided heads over q, k, v [B, T, F] and
 * the standard scale 1/sqrt(F/h): the layout of a discrete GPT block and of a
 * one-hot supernet core, which must agree exactly.
 */
export function stridedAttention(q: Tensor, k: Tensor, v: Tensor, heads: number, causal: boolean): Tensor {
  return attentionMix(q, k, v, [heads], [1 / Math.sqrt(q.size(-1) / heads)], null, causal);
}

/**
 * sum_i weights[i] * pad(LayerNorm(x[..., :widths[i]]; weight[:w_i], bias[:w_i])),
 * the LayerNorm superposition over prefix widths (the largest is x's last dim),
 * in one pass. Keeps x and the per-width mean and inverse std for backward.
 * Backward cannot be differentiated again.
 */
export function layerNormMix(x: Tensor, widths: readonly number[], weights: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  return tidy(() => {
    const E = x.size(-1);
    const order = widths.map((_, i) => i).sort((a, b) => widths[a] - widths[b]);
    const w = order.every((o, i) => o === i) ? weights : weights.indexSelect(0, tensor(order, { dtype: 'int64' }));
    const opts = { dtype: x.dtype, device: x.device };
    const g = weight ?? ones([E], opts), b = bias ?? zeros([E], opts);
    return new Tensor(native.layerNormMix(x.h, order.map((i) => widths[i]), w.h, g.h, b.h, eps));
  });
}
