// EntangledLayerNorm. LayerNorm's mean and variance depend on the width, so a
// masked gamma/beta over all max features (the reference's mixture) is NOT the
// discrete sub-network at one-hot weights. We define the superposition as
//     sum_e w_e * pad(LN_e(x[..., :e]; gamma[:e], beta[:e]))
// which equals the chosen sub-network exactly at one-hot (docs/superposition.md).
import { Module } from '../../nn/module.js';
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

  #ln(x: Tensor, e: number): Tensor {
    return layerNorm(x, [e], this.weight?.narrow(0, 0, e), this.bias?.narrow(0, 0, e), this.opts.eps ?? 1e-5);
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    const f = this.features;
    const last = x.size(-1);
    return tidy(() => {
      if (!(f instanceof Choice)) return this.#ln(x, this.maxE);
      if (arch.mode === 'superposition') {
        if (last !== this.maxE) throw new Error(`EntangledLayerNorm: expected input [..., ${this.maxE}], got [${x.shape.join(', ')}]`);
        const w = arch.weights(f);
        let out: Tensor | null = null;
        f.values.forEach((e, i) => {
          const y = this.#ln(x.narrow(-1, 0, e), e).pad([0, this.maxE - e]).mul(w.narrow(0, i, 1));
          out = out === null ? y : out.add(y);
        });
        return out!;
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
