// BatchNorm2d and LayerNorm with torch.nn's parameters, buffers and state-dict
// names (weight, bias, running_mean, running_var, num_batches_tracked), so
// checkpoints map one to one onto PyTorch's.
import { noGrad } from '../tensor/autograd.js';
import { F } from '../tensor/index.js';
import { ones, zeros, scalar, type DType, type Tensor } from '../tensor/tensor.js';
import { finiteNumber, floatDtype, fmtShape, isTensor, nchwInput, positiveInt, sameFloatDtype } from './check.js';
import { Layer, onDevice, type LayerOptions } from './layer.js';

export interface BatchNormOptions extends LayerOptions {
  eps?: number;
  /**
   * Weight of the new batch statistic in the running average (default 0.1).
   * null gives a cumulative average (momentum 1/numBatchesTracked), as in PyTorch.
   */
  momentum?: number | null;
  /** Learnable per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true); without them eval uses batch statistics. */
  trackRunningStats?: boolean;
}

export class BatchNorm2d extends Layer {
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  /** int64 scalar counting training forwards (PyTorch's num_batches_tracked). */
  readonly numBatchesTracked: Tensor | null;
  readonly #dtype: DType;
  readonly #name: string;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    const who = (this.#name = `BatchNorm2d(${numFeatures})`);
    this.numFeatures = positiveInt(who, 'numFeatures', numFeatures);
    this.eps = finiteNumber(who, 'eps', opts.eps ?? 1e-5, 0);
    const m = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.momentum = m === null ? null : finiteNumber(who, 'momentum', m, 0, 1);
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.#dtype = floatDtype(who, opts.dtype);
    const o = { dtype: this.#dtype, device: 'cpu' };
    const dev = opts.device;
    this.weight = this.affine ? this.param('weight', onDevice(ones([numFeatures], o), dev)) : null;
    this.bias = this.affine ? this.param('bias', onDevice(zeros([numFeatures], o), dev)) : null;
    if (this.trackRunningStats) {
      this.runningMean = this.buffer('running_mean', onDevice(zeros([numFeatures], o), dev));
      this.runningVar = this.buffer('running_var', onDevice(ones([numFeatures], o), dev));
      this.numBatchesTracked = this.buffer('num_batches_tracked', onDevice(scalar(0, { dtype: 'int64', device: 'cpu' }), dev));
    } else {
      this.runningMean = this.runningVar = this.numBatchesTracked = null;
    }
  }

  override toString(): string {
    return `BatchNorm2d(${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats})`;
  }

  /** Running statistics back to mean 0, variance 1 and the counter to 0. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    noGrad(() => {
      this.runningMean!.zero_();
      this.runningVar!.fill_(1);
      this.numBatchesTracked!.zero_();
    });
  }

  forward(x: Tensor): Tensor {
    const who = this.#name;
    const s = nchwInput(who, x, this.numFeatures, (c: number) => `build the layer with numFeatures=${c} or fix the previous layer's output channels`);
    sameFloatDtype(who, x, this.#dtype);
    // Batch statistics in training mode, and in eval mode when none are tracked.
    const useBatchStats = this.training || !this.trackRunningStats;
    if (useBatchStats && s[0] * s[2] * s[3] <= 1) {
      throw new Error(`${who}.forward: training needs more than 1 value per channel, got input ${fmtShape(s)}; use a batch larger than 1 or call eval()`);
    }
    const update = this.training && this.trackRunningStats;
    // Cumulative average when momentum is null: weight 1/n for the n-th batch.
    const momentum = this.momentum ?? (update ? 1 / (this.numBatchesTracked!.item() + 1) : 0);
    const y = F.batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      // Passing the buffers while training makes libtorch update them in place.
      runningMean: update || !useBatchStats ? this.runningMean : null,
      runningVar: update || !useBatchStats ? this.runningVar : null,
      training: useBatchStats,
      momentum,
      eps: this.eps,
    });
    // Counted after the call, so a rejected input does not count as a batch.
    if (update) noGrad(() => this.numBatchesTracked!.add_(1));
    return y;
  }
}

export interface LayerNormOptions extends LayerOptions {
  eps?: number;
  /** Learnable elementwise weight and bias (default true). */
  elementwiseAffine?: boolean;
}

/** Normalises over the trailing `normalizedShape` dims. */
export class LayerNorm extends Layer {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly #dtype: DType;
  readonly #name: string;

  constructor(normalizedShape: number | number[], opts: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const who = (this.#name = `LayerNorm(${fmtShape(shape)})`);
    if (shape.length === 0) throw new TypeError(`${who}: normalizedShape must have at least one dim`);
    shape.forEach((d, i) => positiveInt(who, `normalizedShape[${i}]`, d));
    this.normalizedShape = shape;
    this.eps = finiteNumber(who, 'eps', opts.eps ?? 1e-5, 0);
    this.#dtype = floatDtype(who, opts.dtype);
    const o = { dtype: this.#dtype, device: 'cpu' };
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? this.param('weight', onDevice(ones(shape, o), opts.device)) : null;
    this.bias = affine ? this.param('bias', onDevice(zeros(shape, o), opts.device)) : null;
  }

  override toString(): string {
    return `LayerNorm(${fmtShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null})`;
  }

  forward(x: Tensor): Tensor {
    const who = this.#name;
    isTensor(who, x);
    const s = x.shape, n = this.normalizedShape;
    const tail = s.slice(s.length - n.length);
    if (s.length < n.length || tail.some((d, i) => d !== n[i])) {
      throw new Error(
        `${who}.forward: expected input [..., ${n.join(', ')}] (trailing dims = normalizedShape), got ${fmtShape(s)}; ` +
          `build the layer with normalizedShape matching the input's last dims`,
      );
    }
    sameFloatDtype(who, x, this.#dtype);
    return F.layerNorm(x, n, this.weight, this.bias, this.eps);
  }
}
