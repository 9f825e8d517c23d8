// EntangledEmbedding: table [num, maxE]; a candidate takes the first e columns.
import { Module } from '../../nn/module.js';
import { embedding } from '../../tensor/ops/embedding.js';
import { tidy } from '../../tensor/scope.js';
import { randn, tensor, zeros, type Tensor } from '../../tensor/tensor.js';
import type { ArchSample } from '../arch.js';
import { Choice } from '../choice.js';
import { prefixRule, Superposition } from '../superposition.js';
import type { Cost, Costed } from './common.js';

export class EntangledEmbedding extends Module implements Costed {
  readonly weight: Tensor;
  readonly sp: Superposition;
  readonly maxE: number;

  constructor(readonly num: number, readonly dim: Choice<number> | number) {
    super();
    this.maxE = dim instanceof Choice ? Math.max(...dim.values) : dim;
    this.sp = new Superposition([num, this.maxE], dim instanceof Choice ? [dim] : [], dim instanceof Choice ? [prefixRule(1, [0], (v) => Number(v[0]))] : []);
    this.weight = this.param('weight', randn([num, this.maxE]));
  }

  forward(indices: Tensor, arch: ArchSample): Tensor {
    const d = this.dim;
    return tidy(() => {
      if (!(d instanceof Choice)) return embedding(this.weight, indices);
      if (arch.mode === 'superposition') {
        // Masking the looked-up rows equals looking up in the masked table, at a fraction of the cost.
        return embedding(this.weight, indices).mul(this.sp.dimMask([arch.weights(d)], 1));
      }
      const e = d.values[arch.index(d)];
      const y = embedding(this.weight.narrow(1, 0, e), indices);
      const scale = arch.chosenWeight([d]);
      return scale ? y.mul(scale) : y;
    });
  }

  expectedCost(arch: ArchSample): Cost {
    const d = this.dim;
    return tidy(() => {
      if (!(d instanceof Choice)) return { params: tensor(this.num * this.maxE), flops: zeros([]) };
      return { params: arch.weights(d).mul(tensor(d.values.map((e) => this.num * e))).sum(), flops: zeros([]) };
    });
  }
}
