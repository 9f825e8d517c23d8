// Multi-head attention with a fixed head dimension and AutoFormer's 2-D
// relative position embeddings (reference-facts 3.10): the plain layers the
// vision-transformer space's supernet and its standalone sub-networks share.
import { softmax } from '../tensor/ops/activation.js';
import { keep, tidy } from '../tensor/scope.js';
import { tensor, zeros, type Tensor } from '../tensor/tensor.js';
import { noGrad } from '../tensor/autograd.js';
import { Module } from './module.js';

/**
 * AutoFormer's RelativePosition2D: a table of `2 * maxDistance + 2` rows of
 * `dim` features per axis; the pair (i, j) of patch tokens on a side x side
 * grid reads row `clamp(row_j - row_i, -M, M) + M + 1` of the vertical table
 * plus the like row of the horizontal one; any pair with the cls token (token
 * 0) reads row 0 of both.
 */
export class RelativePosition2D extends Module {
  readonly tableV: Tensor;
  readonly tableH: Tensor;
  readonly #index = new Map<string, { v: Tensor; h: Tensor }>();

  constructor(readonly dim: number, readonly maxDistance: number) {
    super();
    const rows = 2 * maxDistance + 2;
    // AutoFormer: trunc_normal_(std=0.02); a plain normal here (|x| > 2 std has probability 5%).
    this.tableV = this.param('table_v', noGrad(() => zeros([rows, dim]).normal_(0, 0.02)));
    this.tableH = this.param('table_h', noGrad(() => zeros([rows, dim]).normal_(0, 0.02)));
  }

  /** Row indices [tokens * tokens] per axis, for 1 cls + side^2 patch tokens (cached per size and device). */
  #indices(tokens: number, device: string): { v: Tensor; h: Tensor } {
    const key = `${tokens}@${device}`;
    let ix = this.#index.get(key);
    if (!ix) {
      const n = tokens - 1;
      const side = Math.round(Math.sqrt(n));
      if (side * side !== n) throw new Error(`RelativePosition2D: ${n} patch tokens do not form a square grid`);
      const M = this.maxDistance;
      const v = new Array<number>(tokens * tokens).fill(0);
      const h = new Array<number>(tokens * tokens).fill(0);
      for (let i = 1; i < tokens; i++) {
        for (let j = 1; j < tokens; j++) {
          const clip = (d: number) => Math.max(-M, Math.min(M, d)) + M + 1;
          v[i * tokens + j] = clip(Math.floor((j - 1) / side) - Math.floor((i - 1) / side));
          h[i * tokens + j] = clip(((j - 1) % side) - ((i - 1) % side));
        }
      }
      // Kept: built inside a forward's scope, reused by every later forward.
      ix = { v: keep(tensor(v, { dtype: 'int64', device })), h: keep(tensor(h, { dtype: 'int64', device })) };
      this.#index.set(key, ix);
    }
    return ix;
  }

  /** The embeddings of every token pair: [tokens, tokens, dim]. */
  forward(tokens: number): Tensor {
    return tidy(() => {
      const ix = this.#indices(tokens, this.tableV.device);
      return this.tableV.indexSelect(0, ix.v).add(this.tableH.indexSelect(0, ix.h)).reshape(tokens, tokens, this.dim);
    });
  }

  override dispose(): void {
    for (const ix of this.#index.values()) {
      ix.v.dispose();
      ix.h.dispose();
    }
    this.#index.clear();
    super.dispose();
  }
}

/**
 * Scaled dot-product attention over heads of q, k, v [B, H, N, D], with
 * optional relative position embeddings relK, relV [N, N, D] (shared by the
 * heads) added to the logits (q . relK[i, j], scaled like q . k) and to the
 * output (sum_j p_ij relV[i, j]), as AutoFormer's attention. -> [B, H, N, D].
 */
export function headAttention(q: Tensor, k: Tensor, v: Tensor, scale: number, rel?: { k: Tensor; v: Tensor } | null): Tensor {
  return tidy(() => {
    const [B, H, N, D] = q.shape;
    // q per query position against that position's row of relK: [N, B*H, D] x [N, D, N].
    const perQuery = (t: Tensor, last: number) => t.permute(2, 0, 1, 3).reshape(N, B * H, last);
    const fromQuery = (t: Tensor, last: number) => t.transpose(0, 1).reshape(B, H, N, last);
    let logits = q.matmul(k.transpose(-2, -1));
    if (rel) logits = logits.add(fromQuery(perQuery(q, D).bmm(rel.k.transpose(1, 2)), N));
    const p = softmax(logits.mul(scale), -1);
    let out = p.matmul(v);
    if (rel) out = out.add(fromQuery(perQuery(p, N).bmm(rel.v), D));
    return out;
  });
}
