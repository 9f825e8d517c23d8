// EntangledConv2d: one super-kernel [maxOut, maxIn/groups, maxK, maxK]; a
// candidate takes the first `out` and `in` channels and the centred k x k window.
import { Module } from '../../nn/module.js';
import { conv2d } from '../../tensor/ops/conv.js';
import { tidy } from '../../tensor/scope.js';
import { zeros, type Tensor } from '../../tensor/tensor.js';
import { combiSuperposition, type ArchSample } from '../arch.js';
import { Factor } from '../choice.js';
import { outputMixture, padChannels } from '../ws.js';
import { centredRule, prefixRule, Superposition, type DimRule } from '../superposition.js';
import { chosenIndices, dependsOn, factorsOf, factorWeights, maxOf, sizeFor, type BiasMode, type CandidateCosts, type Cost, type Costed, type Size, expectedCostOf } from './common.js';

export interface EntangledConv2dOptions {
  inChannels: Size;
  outChannels: Size;
  kernel: Size;
  stride?: number;
  dilation?: number;
  /** Fixed group count; channel choices need groups = 1 or `depthwise`. */
  groups?: number;
  /**
   * Depthwise (groups = channels, one input channel per filter): the channel
   * count may be a choice (outChannels; inChannels must be the same size), each
   * candidate taking the first c filters. `groups` is then ignored.
   */
  depthwise?: boolean;
  /** 'same' keeps the spatial size for every kernel (needed with a kernel choice). */
  padding?: 'same' | number;
  /** weighted: sum_n w_n pad(b[:out_n]); full: the whole bias, unweighted. */
  bias?: BiasMode;
  /**
   * 'weights' (TangleNAS superposition, one conv) or 'outputs' (the WS baseline:
   * every candidate slice runs and the padded outputs are mixed). Same parameters.
   */
  mix?: 'weights' | 'outputs';
}

export class EntangledConv2d extends Module implements Costed {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly sp: Superposition;
  readonly opts: Required<EntangledConv2dOptions>;
  readonly maxIn: number;
  readonly maxOut: number;
  readonly maxK: number;
  /** Input spatial size of the last forward (for FLOPs). */
  inputHW: [number, number] | null = null;

  constructor(opts: EntangledConv2dOptions) {
    super();
    this.opts = { stride: 1, dilation: 1, groups: 1, padding: 'same', bias: 'weighted', mix: 'weights', depthwise: false, ...opts };
    const { inChannels, outChannels, kernel, groups, padding, depthwise } = this.opts;
    [this.maxIn, this.maxOut, this.maxK] = [maxOf(inChannels), maxOf(outChannels), maxOf(kernel)];
    if (depthwise && inChannels !== outChannels) throw new TypeError('EntangledConv2d: a depthwise conv takes the same size (number or choice) as inChannels and outChannels');
    if (!depthwise && groups !== 1 && (typeof inChannels !== 'number' || typeof outChannels !== 'number')) {
      throw new TypeError('EntangledConv2d: channel choices need groups = 1 (depthwise convs search the kernel only)');
    }
    if (!depthwise && (this.maxIn % groups !== 0 || this.maxOut % groups !== 0)) throw new TypeError(`EntangledConv2d: ${this.maxIn} in / ${this.maxOut} out channels not divisible by groups=${groups}`);
    if (typeof kernel !== 'number' && padding !== 'same') throw new TypeError("EntangledConv2d: a kernel choice needs padding 'same' so every candidate keeps the spatial size");
    const factors = factorsOf(inChannels, outChannels, kernel);
    const rules: DimRule[] = [];
    const size = (s: Size) => (v: readonly (number | string)[]) => sizeFor(s, factors, v);
    if (typeof outChannels !== 'number') rules.push(prefixRule(0, dependsOn(outChannels, factors), size(outChannels)));
    if (typeof inChannels !== 'number' && !depthwise) rules.push(prefixRule(1, dependsOn(inChannels, factors), size(inChannels)));
    if (typeof kernel !== 'number') {
      for (const d of [2, 3]) rules.push(centredRule(d, dependsOn(kernel, factors), this.maxK, size(kernel)));
    }
    const shape = [this.maxOut, depthwise ? 1 : this.maxIn / groups, this.maxK, this.maxK];
    this.sp = new Superposition(shape, factors, rules);
    // PyTorch's default init: kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    const bound = 1 / Math.sqrt(shape[1] * this.maxK * this.maxK);
    this.weight = this.param('weight', zeros(shape).uniform_(-bound, bound));
    this.bias = this.opts.bias === 'none' ? null : this.param('bias', zeros([this.maxOut]).uniform_(-bound, bound));
  }

  get factors(): readonly Factor[] {
    return this.sp.factors;
  }

  #padding(k: number): number {
    const p = this.opts.padding;
    return p === 'same' ? (this.opts.dilation * (k - 1)) / 2 : p;
  }

  /** (in, out, kernel) of one candidate. */
  candidate(indices: readonly number[]): { cin: number; cout: number; k: number } {
    const v = this.sp.values(indices);
    return { cin: sizeFor(this.opts.inChannels, this.factors, v), cout: sizeFor(this.opts.outChannels, this.factors, v), k: sizeFor(this.opts.kernel, this.factors, v) };
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    if (arch.mode === 'superposition') return this.forwardMixed(x, factorWeights(arch, this.factors));
    return this.forwardCandidate(x, chosenIndices(arch, this.factors), arch.chosenWeight(this.factors));
  }

  /** Superposition with explicit per-factor weights: one conv with W * M. */
  forwardMixed(x: Tensor, ws: readonly Tensor[]): Tensor {
    if (this.opts.mix === 'outputs') return this.#forwardOutputMixture(x, ws);
    const s = x.shape;
    this.inputHW = [s[2], s[3]];
    this.#checkInput(s, this.maxIn);
    const { stride, dilation } = this.opts;
    const groups = this.#groups(this.maxOut);
    return tidy(() => {
      const w = this.sp.mix(this.weight, ws);
      const b = this.bias === null ? null : this.opts.bias === 'full' ? this.bias : this.bias.mul(this.sp.dimMask(ws, 0));
      return conv2d(x, w, b, { stride, dilation, groups, padding: this.#padding(this.maxK) });
    });
  }

  #forwardOutputMixture(x: Tensor, ws: readonly Tensor[]): Tensor {
    this.#checkInput(x.shape, this.maxIn);
    return tidy(() => {
      const w = combiSuperposition(ws);
      const cands = this.sp.candidates;
      return outputMixture(w, cands.length, (n) => {
        // A candidate with a pruned value has weight 0: not running it is exact (prune_below).
        if (!cands[n].every((v, f) => this.sp.factors[f].isLive(v))) return null;
        const cin = this.candidate(cands[n]).cin;
        const xin = cin === this.maxIn ? x : x.narrow(1, 0, cin);
        return padChannels(this.forwardCandidate(xin, cands[n]), this.maxOut);
      });
    });
  }

  /** One candidate's slice (scaled by `scale`, the straight-through weight, when given). */
  forwardCandidate(x: Tensor, idx: readonly number[], scale: Tensor | null = null): Tensor {
    const s = x.shape;
    this.inputHW = [s[2], s[3]];
    const { stride, dilation } = this.opts;
    const { cin, cout, k } = this.candidate(idx);
    const groups = this.#groups(cout);
    this.#checkInput(s, cin);
    return tidy(() => {
      let w = this.sp.slice(this.weight, idx);
      let b = this.bias?.narrow(0, 0, cout) ?? null;
      if (scale) {
        w = w.mul(scale);
        if (b && this.opts.bias === 'weighted') b = b.mul(scale);
      }
      return conv2d(x, w, b, { stride, dilation, groups, padding: this.#padding(k) });
    });
  }

  /** The conv's groups for a candidate with `channels` channels. */
  #groups(channels: number): number {
    return this.opts.depthwise ? channels : this.opts.groups;
  }

  #checkInput(s: number[], channels: number): void {
    if (s.length !== 4 || s[1] !== channels) {
      throw new Error(`EntangledConv2d: expected input [N, ${channels}, H, W], got [${s.join(', ')}]`);
    }
  }

  /** Output spatial size for an input size and kernel. */
  outputHW([h, w]: [number, number], k: number): [number, number] {
    const { stride, dilation } = this.opts;
    const p = this.#padding(k);
    const o = (n: number) => Math.floor((n + 2 * p - dilation * (k - 1) - 1) / stride) + 1;
    return [o(h), o(w)];
  }

  /** Exact params and MACs of every candidate, in combi order. */
  candidateCosts(): CandidateCosts {
    if (!this.inputHW) throw new Error('EntangledConv2d: cost needs the input size; run one forward first');
    const hw = this.inputHW;
    const params: number[] = [], flops: number[] = [];
    for (const t of this.sp.candidates) {
      const { cin, cout, k } = this.candidate(t);
      const g = this.#groups(cin);
      const wParams = cout * (cin / g) * k * k;
      const [ho, wo] = this.outputHW(hw, k);
      params.push(wParams + (this.bias ? cout : 0));
      flops.push(wParams * ho * wo);
    }
    return { params, flops };
  }

  expectedCost(arch: ArchSample): Cost {
    return expectedCostOf(arch, this.factors, this.candidateCosts());
  }
}
