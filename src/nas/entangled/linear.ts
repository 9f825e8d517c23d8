// EntangledLinear: super-weight [maxOut, maxIn]; a candidate takes the first
// out_n rows and in_n columns, where out and in may each depend on several
// choices (the MLP's hidden width is embed x ratio: combi-superposition).
import { Module } from '../../nn/module.js';
import { linear } from '../../tensor/ops/linear.js';
import { tidy } from '../../tensor/scope.js';
import { zeros, type Tensor } from '../../tensor/tensor.js';
import type { ArchSample } from '../arch.js';
import type { Factor } from '../choice.js';
import { prefixRule, Superposition, type DimRule } from '../superposition.js';
import { chosenIndices, dependsOn, factorsOf, factorWeights, maxOf, sizeFor, type BiasMode, type CandidateCosts, type Cost, type Costed, type Size, expectedCostOf } from './common.js';

export interface EntangledLinearOptions {
  inFeatures: Size;
  outFeatures: Size;
  bias?: BiasMode;
}

export class EntangledLinear extends Module implements Costed {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly sp: Superposition;
  readonly opts: Required<EntangledLinearOptions>;
  readonly maxIn: number;
  readonly maxOut: number;

  constructor(opts: EntangledLinearOptions) {
    super();
    this.opts = { bias: 'weighted', ...opts };
    const { inFeatures, outFeatures } = this.opts;
    [this.maxIn, this.maxOut] = [maxOf(inFeatures), maxOf(outFeatures)];
    const factors = factorsOf(inFeatures, outFeatures);
    const rules: DimRule[] = [];
    if (typeof outFeatures !== 'number') rules.push(prefixRule(0, dependsOn(outFeatures, factors), (v) => sizeFor(outFeatures, factors, v)));
    if (typeof inFeatures !== 'number') rules.push(prefixRule(1, dependsOn(inFeatures, factors), (v) => sizeFor(inFeatures, factors, v)));
    this.sp = new Superposition([this.maxOut, this.maxIn], factors, rules);
    const bound = 1 / Math.sqrt(this.maxIn);
    this.weight = this.param('weight', zeros([this.maxOut, this.maxIn]).uniform_(-bound, bound));
    this.bias = this.opts.bias === 'none' ? null : this.param('bias', zeros([this.maxOut]).uniform_(-bound, bound));
  }

  get factors(): readonly Factor[] {
    return this.sp.factors;
  }

  candidate(indices: readonly number[]): { fin: number; fout: number } {
    const v = this.sp.values(indices);
    return { fin: sizeFor(this.opts.inFeatures, this.factors, v), fout: sizeFor(this.opts.outFeatures, this.factors, v) };
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return tidy(() => {
      if (arch.mode === 'superposition') {
        this.#checkInput(x, this.maxIn);
        const ws = factorWeights(arch, this.factors);
        const b = this.bias === null ? null : this.opts.bias === 'full' ? this.bias : this.bias.mul(this.sp.dimMask(ws, 0));
        return linear(x, this.sp.mix(this.weight, ws), b);
      }
      const idx = chosenIndices(arch, this.factors);
      const { fin, fout } = this.candidate(idx);
      this.#checkInput(x, fin);
      let w = this.sp.slice(this.weight, idx);
      let b = this.bias?.narrow(0, 0, fout) ?? null;
      const scale = arch.chosenWeight(this.factors);
      if (scale) {
        w = w.mul(scale);
        if (b && this.opts.bias === 'weighted') b = b.mul(scale);
      }
      return linear(x, w, b);
    });
  }

  #checkInput(x: Tensor, features: number): void {
    const s = x.shape;
    if (s.length < 1 || s[s.length - 1] !== features) throw new Error(`EntangledLinear: expected input [..., ${features}], got [${s.join(', ')}]`);
  }

  candidateCosts(): CandidateCosts {
    const params: number[] = [], flops: number[] = [];
    for (const t of this.sp.candidates) {
      const { fin, fout } = this.candidate(t);
      params.push(fin * fout + (this.bias ? fout : 0));
      flops.push(fin * fout);
    }
    return { params, flops };
  }

  /** Per input row (a token in a sequence model counts once). */
  expectedCost(arch: ArchSample): Cost {
    return expectedCostOf(arch, this.factors, this.candidateCosts());
  }
}
