// EntangledBatchNorm2d: statistics are per channel, so a channel prefix is exact:
// superposition masks gamma/beta (sum_n w_n pad(gamma[:c_n])) over the full
// running statistics; the discrete path normalises and updates only [:c].
import { Module } from '../../nn/module.js';
import { batchNorm } from '../../tensor/ops/norm.js';
import { tidy } from '../../tensor/scope.js';
import { ones, tensor, zeros, type Tensor } from '../../tensor/tensor.js';
import { combiSuperposition, type ArchSample } from '../arch.js';
import { prefixRule, Superposition } from '../superposition.js';
import { chosenIndices, dependsOn, factorsOf, factorWeights, maxOf, sizeFor, type Cost, type Costed, type Size } from './common.js';

export interface EntangledBatchNorm2dOptions {
  /** A fixed count, a choice, or a count derived from choices (MobileNetV3's expanded width). */
  channels: Size;
  affine?: boolean;
  momentum?: number;
  eps?: number;
}

export class EntangledBatchNorm2d extends Module implements Costed {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly sp: Superposition;
  readonly maxC: number;
  readonly opts: Required<EntangledBatchNorm2dOptions>;

  constructor(opts: EntangledBatchNorm2dOptions) {
    super();
    this.opts = { affine: true, momentum: 0.1, eps: 1e-5, ...opts };
    const ch: Size = this.opts.channels;
    this.maxC = maxOf(ch);
    const factors = factorsOf(ch);
    this.sp = new Superposition([this.maxC], factors, typeof ch === 'number' ? [] : [prefixRule(0, dependsOn(ch, factors), (v) => sizeFor(ch, factors, v))]);
    this.weight = this.opts.affine ? this.param('weight', ones([this.maxC])) : null;
    this.bias = this.opts.affine ? this.param('bias', zeros([this.maxC])) : null;
    this.runningMean = this.buffer('running_mean', zeros([this.maxC]));
    this.runningVar = this.buffer('running_var', ones([this.maxC]));
  }

  #channels(idx: readonly number[]): number {
    return idx.length ? sizeFor(this.opts.channels, this.sp.factors, this.sp.values(idx)) : this.maxC;
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    const { momentum, eps } = this.opts;
    return tidy(() => {
      const factors = this.sp.factors;
      if (arch.mode === 'superposition') {
        const m = factors.length ? this.sp.dimMask(factorWeights(arch, factors), 0) : null;
        const w = this.weight && m ? this.weight.mul(m) : this.weight;
        const b = this.bias && m ? this.bias.mul(m) : this.bias;
        return batchNorm(x, { weight: w, bias: b, runningMean: this.runningMean, runningVar: this.runningVar, training: this.training, momentum, eps });
      }
      const c = this.#channels(chosenIndices(arch, factors));
      if (x.size(1) !== c) throw new Error(`EntangledBatchNorm2d: expected ${c} channels, got input [${x.shape.join(', ')}]`);
      let w = this.weight?.narrow(0, 0, c) ?? null;
      let b = this.bias?.narrow(0, 0, c) ?? null;
      const scale = arch.chosenWeight(factors);
      if (scale && w && b) [w, b] = [w.mul(scale), b.mul(scale)];
      return batchNorm(x, { weight: w, bias: b, runningMean: this.runningMean.narrow(0, 0, c), runningVar: this.runningVar.narrow(0, 0, c), training: this.training, momentum, eps });
    });
  }

  expectedCost(arch: ArchSample): Cost {
    const factors = this.sp.factors;
    const per = this.opts.affine ? 2 : 0;
    return tidy(() => {
      const w = factors.length ? combiSuperposition(factorWeights(arch, factors)) : tensor([1]);
      const sizes = this.sp.candidates.map((t) => this.#channels(t));
      return { params: w.mul(tensor(sizes.map((c) => per * c))).sum(), flops: zeros([]) };
    });
  }
}
