// Entangled multi-head self-attention over (heads x embed dim).
//
// Head layout: head i of an h-head attention sees the features i, i+h, i+2h, ...
// (strided) instead of the contiguous block [i*e/h, (i+1)*e/h). A standard GPT
// with its q, k, v features (and the output projection's input features)
// permuted; the same function class. Why: for a fixed h, the heads of every
// width e that h divides are prefixes of the heads of the widest one, so
// features beyond e (zero at a one-hot embed choice) drop out of every head.
//
// Candidate (h, e): q, k, v = x[..., :e] W[:e, :e]^T (+ b[:e]) from the q, k and v
// blocks of the super-weight, h strided heads of e/h features, scaled dot product
// with 1/sqrt(e/h), output projection W_o[:e, :e].
//
// Superposition: the embed factor is weight-superposed in the q, k, v and output
// projections (one matmul each) and in the scale; the head count is output-mixed,
// one attention core per head count, sum_h w_h attn_h. At one-hot weights this is
// exactly the candidate's attention; the reference's mixture is not
// (reference-facts 9.1; docs/superposition.md). The cores run in one native op
// (attentionMix) that keeps only q, k and v for backward and recomputes the
// attention probabilities, so the mixture keeps no [B, h, T, T] tensor per head
// count (the standalone GPT uses the same op).
import { Module } from '../../nn/module.js';
import { attentionMix, stridedAttention } from '../../tensor/ops/mix.js';
import { linear } from '../../tensor/ops/linear.js';
import { tidy } from '../../tensor/scope.js';
import { tensor, zeros, type Tensor } from '../../tensor/tensor.js';
import type { ArchSample } from '../arch.js';
import { Factor } from '../choice.js';
import { prefixRule, Superposition } from '../superposition.js';
import type { Cost, Costed } from './common.js';

export interface EntangledAttentionOptions {
  embed: Factor<number> | number;
  heads: Factor<number> | number;
  causal?: boolean;
  bias?: boolean;
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
        const [q, k, v] = w.map((wi, i) => linear(x, wi.narrow(0, 0, e).narrow(1, 0, e), b[i]?.narrow(0, 0, e)));
        const y = linear(stridedAttention(q, k, v, h, this.#causal()), this.proj.narrow(0, 0, e).narrow(1, 0, e), this.projBias?.narrow(0, 0, e));
        const scale = single ? null : arch.chosenWeight([this.heads, this.embed]);
        return scale ? y.mul(scale) : y;
      }
      if (s.length !== 3 || s[2] !== this.maxE) throw new Error(`EntangledAttention: expected input [B, T, ${this.maxE}], got [${s.join(', ')}]`);
      const we = arch.weights(this.embed);
      const m = this.sp.dimMask([we], 0);
      const M = this.sp.mask([we]); // one mask for the four projections: the graph keeps it once
      const [q, k, v] = w.map((wi, i) => linear(x, wi.mul(M), b[i] ? b[i]!.mul(m) : null));
      // Scale of (h, e): 1/sqrt(e/h) = sqrt(h) / sqrt(e). The embed part is superposed
      // like the projections (sum_e w_e / sqrt(e), exact at one-hot).
      const c = we.mul(tensor(this.embed.values.map((e) => 1 / Math.sqrt(e)))).sum();
      const scales = tensor(this.heads.values.map((h) => Math.sqrt(h))).mul(c);
      const mixed = attentionMix(q, k, v, this.heads.values, scales, arch.weights(this.heads), this.#causal());
      return linear(mixed, this.proj.mul(M), this.projBias ? this.projBias.mul(m) : null);
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

