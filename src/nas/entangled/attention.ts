// Entangled multi-head self-attention over (heads x embed dim).
//
// Candidate (h, e): q, k, v = x[..., :e] W[:e, :e]^T (+ b[:e]) from the q, k and v
// blocks of the super-weight, split into h heads of e/h features, scaled dot
// product with 1/sqrt(e/h), heads concatenated, output projection W_o[:e, :e].
//
// Superposition: the projections are linear in their weights, so q/k/v and the
// output projection are superposed over the embed factor (one matmul each). The
// attention core is not: the head layout of e features into h heads differs for
// every (h, e), so it is output-mixed, sum_(h,e) w_(h,e) pad(attn_(h,e)), with
// the combi weights (heads outermost, as the reference). At one-hot weights this
// is exactly the candidate's attention; the reference's mixture is not
// (reference-facts 9.1; docs/superposition.md).
import { Module } from '../../nn/module.js';
import { softmax } from '../../tensor/ops/activation.js';
import { linear } from '../../tensor/ops/linear.js';
import { tidy } from '../../tensor/scope.js';
import { ones, tensor, zeros, type Tensor } from '../../tensor/tensor.js';
import { combiSuperposition, type ArchSample } from '../arch.js';
import { Factor } from '../choice.js';
import { prefixRule, Superposition } from '../superposition.js';
import type { Cost, Costed } from './common.js';

export interface EntangledAttentionOptions {
  embed: Factor<number> | number;
  heads: Factor<number> | number;
  causal?: boolean;
  bias?: boolean;
}

/** Scaled dot-product attention of [B, T, H, D] inputs; returns [B, T, H*D]. */
function attend(q: Tensor, k: Tensor, v: Tensor, causal: boolean): Tensor {
  return tidy(() => {
    const [b, t, h, d] = q.shape;
    const [qh, kh, vh] = [q, k, v].map((z) => z.transpose(1, 2)); // [B, H, T, D]
    let s = qh.matmul(kh.transpose(-2, -1)).mul(1 / Math.sqrt(d));
    if (causal) s = s.maskedFill(ones([t, t], { dtype: 'bool' }).triu(1), -Infinity);
    return softmax(s, -1).matmul(vh).transpose(1, 2).reshape(b, t, h * d);
  });
}

export class EntangledAttention extends Module implements Costed {
  readonly qkv: Tensor;
  readonly qkvBias: Tensor | null;
  readonly proj: Tensor;
  readonly projBias: Tensor | null;
  readonly maxE: number;
  readonly embed: Factor<number>;
  readonly heads: Factor<number>;
  /** Superposition of a [maxE, maxE] block over the embed factor (rows and columns [:e]). */
  readonly sp: Superposition;
  /** Sequence length of the last forward (for FLOPs). */
  seqLen: number | null = null;

  constructor(readonly opts: EntangledAttentionOptions) {
    super();
    this.embed = opts.embed instanceof Factor ? opts.embed : new Factor('embed', [opts.embed]);
    this.heads = opts.heads instanceof Factor ? opts.heads : new Factor('heads', [opts.heads]);
    for (const e of this.embed.values) {
      for (const h of this.heads.values) if (e % h !== 0) throw new TypeError(`EntangledAttention: embed ${e} is not divisible by ${h} heads`);
    }
    this.maxE = Math.max(...this.embed.values);
    const E = this.maxE;
    this.sp = new Superposition([E, E], [this.embed], [prefixRule(0, [0], (v) => Number(v[0])), prefixRule(1, [0], (v) => Number(v[0]))]);
    const bound = 1 / Math.sqrt(E);
    this.qkv = this.param('qkv', zeros([3 * E, E]).uniform_(-bound, bound));
    this.proj = this.param('proj', zeros([E, E]).uniform_(-bound, bound));
    const bias = opts.bias ?? true;
    this.qkvBias = bias ? this.param('qkv_bias', zeros([3 * E]).uniform_(-bound, bound)) : null;
    this.projBias = bias ? this.param('proj_bias', zeros([E]).uniform_(-bound, bound)) : null;
  }

  #causal(): boolean {
    return this.opts.causal ?? true;
  }

  /** Weights of the q, k, v blocks and their biases. */
  #blocks(): { w: Tensor[]; b: (Tensor | null)[] } {
    const E = this.maxE;
    return { w: [0, 1, 2].map((i) => this.qkv.narrow(0, i * E, E)), b: [0, 1, 2].map((i) => this.qkvBias?.narrow(0, i * E, E) ?? null) };
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    const s = x.shape;
    this.seqLen = s[1];
    return tidy(() => {
      const { w, b } = this.#blocks();
      const single = this.embed.size === 1 && this.heads.size === 1;
      if (arch.mode === 'discrete' || single) {
        const ei = single ? 0 : arch.index(this.embed);
        const hi = single ? 0 : arch.index(this.heads);
        const [e, h] = [this.embed.values[ei], this.heads.values[hi]];
        if (s.length !== 3 || s[2] !== e) throw new Error(`EntangledAttention: expected input [B, T, ${e}], got [${s.join(', ')}]`);
        const [q, k, v] = w.map((wi, i) => linear(x, wi.narrow(0, 0, e).narrow(1, 0, e), b[i]?.narrow(0, 0, e)).reshape(s[0], s[1], h, e / h));
        const y = linear(attend(q, k, v, this.#causal()), this.proj.narrow(0, 0, e).narrow(1, 0, e), this.projBias?.narrow(0, 0, e));
        const scale = single ? null : arch.chosenWeight([this.heads, this.embed]);
        return scale ? y.mul(scale) : y;
      }
      if (s.length !== 3 || s[2] !== this.maxE) throw new Error(`EntangledAttention: expected input [B, T, ${this.maxE}], got [${s.join(', ')}]`);
      const we = arch.weights(this.embed);
      const m = this.sp.dimMask([we], 0);
      const [q, k, v] = w.map((wi, i) => linear(x, this.sp.mix(wi, [we]), b[i] ? b[i]!.mul(m) : null));
      const wc = combiSuperposition([arch.weights(this.heads), we]);
      let mixed: Tensor | null = null;
      this.heads.values.forEach((h, hi) => {
        this.embed.values.forEach((e, ei) => {
          const n = hi * this.embed.size + ei;
          const view = (z: Tensor) => z.narrow(-1, 0, e).reshape(s[0], s[1], h, e / h);
          const o = attend(view(q), view(k), view(v), this.#causal()).pad([0, this.maxE - e]).mul(wc.narrow(0, n, 1));
          mixed = mixed === null ? o : mixed.add(o);
        });
      });
      return linear(mixed!, this.sp.mix(this.proj, [we]), this.projBias ? this.projBias.mul(m) : null);
    });
  }

  expectedCost(arch: ArchSample): Cost {
    const t = this.seqLen ?? 1;
    const bias = this.qkvBias ? 1 : 0;
    return tidy(() => {
      const single = this.embed.size === 1 && this.heads.size === 1;
      const we = single ? tensor([1]) : arch.weights(this.embed);
      const es = this.embed.values;
      const params = we.mul(tensor(es.map((e) => 4 * e * e + bias * 4 * e))).sum();
      // Per token: q, k, v and output projections, plus QK^T and AV over t positions.
      const flops = we.mul(tensor(es.map((e) => 4 * e * e + 2 * t * e))).sum();
      return { params, flops };
    });
  }
}

