// Linear: y = x W^T + b with W [out, in], initialised like torch.nn.Linear.
import { F } from '../tensor/index.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { fmtShape, floatDtype, isTensor, positiveInt, sameFloatDtype } from './check.js';
import { defaultWeightAndBias } from './init.js';
import { Layer, onDevice, type LayerOptions } from './layer.js';

export interface LinearOptions extends LayerOptions {
  bias?: boolean;
}

export class Linear extends Layer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly #dtype: DType;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    const who = `Linear(${inFeatures}, ${outFeatures})`;
    this.inFeatures = positiveInt(who, 'inFeatures', inFeatures);
    this.outFeatures = positiveInt(who, 'outFeatures', outFeatures);
    this.#dtype = floatDtype(who, opts.dtype);
    const { weight: w, bias: b } = defaultWeightAndBias([outFeatures, inFeatures], opts.bias ?? true, this.#dtype);
    this.weight = this.param('weight', onDevice(w, opts.device));
    this.bias = b === null ? null : this.param('bias', onDevice(b, opts.device));
  }

  override toString(): string {
    return `Linear(${this.inFeatures}, ${this.outFeatures}, bias=${this.bias !== null})`;
  }

  forward(x: Tensor): Tensor {
    const who = `Linear(${this.inFeatures}, ${this.outFeatures})`;
    isTensor(who, x);
    const s = x.shape;
    if (s.length < 1 || s[s.length - 1] !== this.inFeatures) {
      throw new Error(
        `${who}.forward: expected input [..., ${this.inFeatures}] (last dim = inFeatures), got ${fmtShape(s)}; ` +
          `check the previous layer's output size or flatten the input first (x.flatten(1))`,
      );
    }
    sameFloatDtype(who, x, this.#dtype);
    return F.linear(x, this.weight, this.bias);
  }
}
