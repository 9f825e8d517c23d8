// EntangledLayerNorm. LayerNorm's mean and variance depend on the width, so a
// masked gamma/beta over all max features (the reference's mixture) is NOT the
// discrete sub-network at one-hot weights. We define the superposition as
//     sum_e w_e * pad(LN_e(x[..., :e]; gamma[:e], beta[:e]))
// which equals the chosen sub-network exactly at one-hot (docs/superposition.md).
//
// It is computed in one pass, not as n LayerNorms: with mu_e and r_e the mean
// and inverse std of the prefix x[..., :e], feature j of the sum is
//     gamma_j (x_j a_j - b_j) + beta_j m_j,
//     a_j = sum_{e > j} w_e r_e,  b_j = sum_{e > j} w_e mu_e r_e,  m_j = sum_{e > j} w_e.
// a, b and m are constant on each band of features between consecutive widths,
// so x is scaled band by band with per-row scalars: the graph keeps one
// [..., maxE] tensor and the per-width statistics, not n padded outputs.
import { Module } from '../../nn/module.js';
import { layerNorm } from '../../tensor/ops/norm.js';
import { tidy } from '../../tensor/scope.js';
import { cat, ones, tensor, zeros, type Tensor } from '../../tensor/tensor.js';
import type { ArchSample } from '../arch.js';
import { Choice } from '../choice.js';
import type { Cost, Costed } from './common.js';

/**
 * sum_e w_e pad(LN_e(x[..., :e]; gamma[:e], beta[:e])) over the widths `widths`
 * (the largest is x's feature count), with w [widths.length]; in one pass (see
 * the top of the file).
 */
export function superposedLayerNorm(x: Tensor, widths: readonly number[], w: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  if (Math.max(...widths) !== x.size(-1)) throw new Error(`superposedLayerNorm: the largest width ${Math.max(...widths)} must be the input's feature count ${x.size(-1)}`);
  return tidy(() => {
    const order = widths.map((e, i) => [e, i] as const).sort((p, q) => p[0] - q[0]);
    // Per width, [..., 1] each: w_e r_e and w_e mu_e r_e (var and mean of a view of x keep no copy).
    const terms = order.map(([e, i]) => {
      const xe = x.narrow(-1, 0, e);
      const wi = w.narrow(0, i, 1);
      const wr = xe.var(-1, { unbiased: false, keepdim: true }).add(eps).rsqrt().mul(wi);
      return { e, wi, wr, wmr: xe.mean(-1, true).mul(wr) };
    });
    // Band k (features [e_{k-1}, e_k)) gets the sums over the widths e_k and above.
    const bands: Tensor[] = [];
    const masses: Tensor[] = [];
    let a: Tensor | null = null, b: Tensor | null = null, m: Tensor | null = null;
    for (let k = terms.length - 1; k >= 0; k--) {
      const t = terms[k];
      a = a ? a.add(t.wr) : t.wr;
      b = b ? b.add(t.wmr) : t.wmr;
      m = m ? m.add(t.wi) : t.wi;
      const lo = k > 0 ? terms[k - 1].e : 0;
      bands.unshift(x.narrow(-1, lo, t.e - lo).mul(a).sub(b));
      masses.unshift(m.expand(t.e - lo));
    }
    const z = cat(bands, -1);
    const y = weight ? z.mul(weight) : z;
    return bias ? y.add(bias.mul(cat(masses, 0))) : y;
  });
}

export class EntangledLayerNorm extends Module implements Costed {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly maxE: number;

  constructor(readonly features: Choice<number> | number, readonly opts: { affine?: boolean; eps?: number } = {}) {
    super();
    this.maxE = features instanceof Choice ? Math.max(...features.values) : features;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.param('weight', ones([this.maxE])) : null;
    this.bias = affine ? this.param('bias', zeros([this.maxE])) : null;
  }

  get #eps(): number {
    return this.opts.eps ?? 1e-5;
  }

  #ln(x: Tensor, e: number): Tensor {
    return layerNorm(x, [e], this.weight?.narrow(0, 0, e), this.bias?.narrow(0, 0, e), this.#eps);
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    const f = this.features;
    const last = x.size(-1);
    return tidy(() => {
      if (!(f instanceof Choice)) return this.#ln(x, this.maxE);
      if (arch.mode === 'superposition') {
        if (last !== this.maxE) throw new Error(`EntangledLayerNorm: expected input [..., ${this.maxE}], got [${x.shape.join(', ')}]`);
        return superposedLayerNorm(x, f.values, arch.weights(f), this.weight, this.bias, this.#eps);
      }
      const i = arch.index(f);
      const e = f.values[i];
      if (last !== e) throw new Error(`EntangledLayerNorm: expected input [..., ${e}], got [${x.shape.join(', ')}]`);
      const y = this.#ln(x, e);
      const scale = arch.chosenWeight([f]);
      return scale ? y.mul(scale) : y;
    });
  }

  expectedCost(arch: ArchSample): Cost {
    const f = this.features;
    const per = this.weight ? 2 : 0;
    return tidy(() => {
      if (!(f instanceof Choice)) return { params: tensor(per * this.maxE), flops: zeros([]) };
      return { params: arch.weights(f).mul(tensor(f.values.map((e) => per * e))).sum(), flops: zeros([]) };
    });
  }
}
