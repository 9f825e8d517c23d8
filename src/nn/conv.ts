// Conv2d on NCHW input, initialised like torch.nn.Conv2d.
import { F } from '../tensor/index.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { fmtShape, floatDtype, intPair, nchwInput, positiveInt, sameFloatDtype } from './check.js';
import { defaultWeightAndBias } from './init.js';
import { Layer, onDevice, type LayerOptions } from './layer.js';

type Pair = number | [number, number];

export interface Conv2dOptions extends LayerOptions {
  stride?: Pair;
  /** Zero padding per side, or 'valid' (none) or 'same' (output size = input size; stride 1 only). */
  padding?: Pair | 'valid' | 'same';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Layer {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly padding: [number, number] | 'same';
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly #dtype: DType;
  readonly #name: string;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super();
    const who = `Conv2d(${inChannels}, ${outChannels}, kernel=${JSON.stringify(kernelSize)})`;
    this.inChannels = positiveInt(who, 'inChannels', inChannels);
    this.outChannels = positiveInt(who, 'outChannels', outChannels);
    this.kernelSize = intPair(who, 'kernelSize', kernelSize, 1);
    this.stride = intPair(who, 'stride', opts.stride ?? 1, 1);
    this.dilation = intPair(who, 'dilation', opts.dilation ?? 1, 1);
    this.groups = positiveInt(who, 'groups', opts.groups ?? 1);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new RangeError(`${who}: inChannels (${inChannels}) and outChannels (${outChannels}) must both be divisible by groups (${this.groups})`);
    }
    const pad = opts.padding ?? 0;
    if (pad === 'same') {
      if (this.stride[0] !== 1 || this.stride[1] !== 1) {
        throw new RangeError(`${who}: padding 'same' needs stride 1, got stride ${fmtShape(this.stride)}; give the padding as numbers instead`);
      }
      this.padding = 'same';
    } else if (pad === 'valid') {
      this.padding = [0, 0];
    } else {
      this.padding = intPair(who, 'padding', pad, 0);
    }
    this.#dtype = floatDtype(who, opts.dtype);
    this.#name = `Conv2d(${inChannels}, ${outChannels}, kernel=${fmtShape(this.kernelSize)})`;

    const [kh, kw] = this.kernelSize;
    const { weight: w, bias: b } = defaultWeightAndBias([outChannels, inChannels / this.groups, kh, kw], opts.bias ?? true, this.#dtype);
    this.weight = this.param('weight', onDevice(w, opts.device));
    this.bias = b === null ? null : this.param('bias', onDevice(b, opts.device));
  }

  override toString(): string {
    const p = this.padding === 'same' ? "'same'" : fmtShape(this.padding);
    return `${this.#name.slice(0, -1)}, stride=${fmtShape(this.stride)}, padding=${p}, dilation=${fmtShape(this.dilation)}, groups=${this.groups}, bias=${this.bias !== null})`;
  }

  forward(x: Tensor): Tensor {
    const who = this.#name;
    const s = nchwInput(who, x, this.inChannels, (c: number) => `the previous layer must output ${this.inChannels} channels (or build this layer with inChannels=${c})`);
    sameFloatDtype(who, x, this.#dtype);
    const [kh, kw] = this.kernelSize;
    const [dh, dw] = this.dilation;
    if (this.padding === 'same') {
      // Total padding d*(k-1) per dim; an odd total puts the extra row/column at
      // the bottom/right, as PyTorch does.
      const th = dh * (kh - 1), tw = dw * (kw - 1);
      const [ph, pw] = [th >> 1, tw >> 1];
      if (th % 2 === 0 && tw % 2 === 0) return this.#conv(x, [ph, pw]);
      const padded = x.pad([pw, tw - pw, ph, th - ph]);
      try {
        return this.#conv(padded, [0, 0]);
      } finally {
        padded.dispose();
      }
    }
    const [ph, pw] = this.padding;
    const effH = dh * (kh - 1) + 1, effW = dw * (kw - 1) + 1;
    if (s[2] + 2 * ph < effH || s[3] + 2 * pw < effW) {
      throw new Error(
        `${who}.forward: input ${fmtShape(s)} is smaller than the (dilated) kernel ${effH}x${effW} after padding ${fmtShape(this.padding)}; ` +
          `use a larger input, more padding or a smaller kernel/dilation`,
      );
    }
    return this.#conv(x, this.padding);
  }

  #conv(x: Tensor, padding: [number, number]): Tensor {
    return F.conv2d(x, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups });
  }
}
