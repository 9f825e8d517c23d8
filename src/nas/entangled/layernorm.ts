// EntangledLayerNorm. LayerNorm's mean and variance depend on the width, so a
// masked gamma/beta over all max features (the reference's mixture) is NOT the
// discrete sub-network at one-hot weights. We define the superposition as
//     sum_e w_e * pad(LN_e(x[..., :e]; gamma[:e], beta[:e]))
// which equals the chosen sub-network exactly at one-hot (docs/superposition.md).
//
// It is computed in one pass, not as n LayerNorms: with mu_e and r_e the mean
// and inverse std of the prefix x[..., :e], feature j of the sum is
//     gamma_j (x_j a_j - b_j) + beta_j m_j,
//     a_j = sum_{e > j} w_e r_e,  b_j = sum_{e > j} w_e mu_e r_e,  m_j = sum_{e > j} w_e
// (a, b and m are constant on each band of features between consecutive widths).
// The native op layerNormMix keeps only x and the per-width statistics for
// backward, as a plain LayerNorm does, not n padded outputs.
import { Module } from '../../nn/module.js';
import { layerNormMix } from '../../tensor/ops/mix.js';
import { layerNorm } from '../../tensor/ops/norm.js';
import { tidy } from '../../tensor/scope.js';
import { ones, tensor, zeros, type Tensor } from '../../tensor/tensor.js';
import type { ArchSample } from '../arch.js';
import { Choice } from '../choice.js';
import type { Cost, Costed } from './common.js';

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
        return layerNormMix(x, f.values, arch.weights(f), this.weight, this.bias, this.#eps);
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
