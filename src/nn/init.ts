// Weight initialisers with PyTorch's formulas (torch.nn.init). They draw from
// libtorch's generator through uniform_/normal_, so manualSeed makes them
// reproducible and, for CPU tensors, bit-identical to PyTorch with the same
// seed and the same order of calls. All run under noGrad: in-place writes into a
// leaf that requires grad are otherwise refused by autograd.
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/scope.js';
import { randn, where, zeros, type DType, type Tensor } from '../tensor/tensor.js';
import { fmtShape } from './check.js';

export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Recommended gain for a nonlinearity (torch.nn.init.calculate_gain). `param` is leaky_relu's slope. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'sigmoid':
      return 1;
    case 'tanh':
      return 5.0 / 3;
    case 'relu':
      return Math.sqrt(2.0);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new TypeError(`calculateGain: negative slope ${slope} is not a valid number`);
      return Math.sqrt(2.0 / (1 + slope * slope));
    }
    case 'selu':
      return 3.0 / 4;
    default:
      throw new TypeError(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/** [fanIn, fanOut] of a weight laid out [out, in, ...kernel] (PyTorch's convention). */
export function fanInAndFanOut(t: Tensor): [number, number] {
  const s = t.shape;
  if (s.length < 2) {
    throw new TypeError(`fan in and fan out need a tensor with at least 2 dims, got shape ${fmtShape(s)}`);
  }
  let receptive = 1;
  for (let i = 2; i < s.length; i++) receptive *= s[i];
  return [s[1] * receptive, s[0] * receptive];
}

export type FanMode = 'fan_in' | 'fan_out';

function fan(t: Tensor, mode: FanMode): number {
  const [fi, fo] = fanInAndFanOut(t);
  if (mode === 'fan_in') return fi;
  if (mode === 'fan_out') return fo;
  throw new TypeError(`init: mode must be 'fan_in' or 'fan_out', got '${String(mode)}'`);
}

export function uniform_(t: Tensor, low = 0, high = 1): Tensor {
  if (!(low <= high)) throw new RangeError(`uniform_: low=${low} must not exceed high=${high}`);
  return noGrad(() => t.uniform_(low, high));
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  if (!(std >= 0)) throw new RangeError(`normal_: std=${std} must be non-negative`);
  return noGrad(() => t.normal_(mean, std));
}

export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

export interface KaimingOptions {
  /** Negative slope of the following leaky_relu (used when nonlinearity is 'leaky_relu'). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** He uniform: U(-b, b) with b = gain * sqrt(3 / fan). */
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const f = fan(t, o.mode ?? 'fan_in');
  if (f === 0) return t; // PyTorch warns and leaves zero-element tensors alone
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  // Same operation order as PyTorch so the bound is the same double.
  const std = gain / Math.sqrt(f);
  const bound = Math.sqrt(3.0) * std;
  return uniform_(t, -bound, bound);
}

/** He normal: N(0, gain^2 / fan). */
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const f = fan(t, o.mode ?? 'fan_in');
  if (f === 0) return t;
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(f));
}

/** Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fi, fo] = fanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fi + fo));
  const a = Math.sqrt(3.0) * std;
  return uniform_(t, -a, a);
}

/** Glorot normal: N(0, gain^2 * 2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fi, fo] = fanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2.0 / (fi + fo)));
}

/**
 * Normal(mean, std) truncated to [a, b], by redrawing the values that fall
 * outside (the engine has no erfinv, which PyTorch's inverse-CDF method uses,
 * so the draws differ from PyTorch's but follow the same distribution). When
 * [a, b] lies far in a tail, values still outside after `maxRounds` redraws are
 * clamped.
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, maxRounds = 100): Tensor {
  if (!(a < b)) throw new RangeError(`truncNormal_: need a < b, got a=${a}, b=${b}`);
  if (!(std > 0)) throw new RangeError(`truncNormal_: std=${std} must be positive`);
  return noGrad(() => {
    t.normal_(mean, std);
    for (let round = 0; round < maxRounds; round++) {
      const done = tidy(() => {
        const outside = t.lt(a).logicalOr(t.gt(b));
        if (!outside.any().item()) return true;
        const fresh = randn(t.shape, { dtype: t.dtype, device: t.device }).mul_(std).add_(mean);
        t.copy_(where(outside, fresh, t));
        return false;
      });
      if (done) return t;
    }
    return t.clamp_(a, b);
  });
}

/**
 * torch.nn.Linear/Conv2d's default parameters: weight kaiming_uniform(a = sqrt(5)),
 * bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Drawn on the CPU (same values on every device).
 */
export function defaultWeightAndBias(shape: number[], bias: boolean, dtype: DType): { weight: Tensor; bias: Tensor | null } {
  const w = zeros(shape, { dtype, device: 'cpu' });
  kaimingUniform_(w, { a: Math.sqrt(5) });
  if (!bias) return { weight: w, bias: null };
  const b = zeros([shape[0]], { dtype, device: 'cpu' });
  const [fanIn] = fanInAndFanOut(w);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  uniform_(b, -bound, bound);
  return { weight: w, bias: b };
}

/**
 * He initialisation of a network's layers (weight_init: he): each layer that
 * `isLayer` accepts gets weight ~ N(0, 2 / fan_in) (kaiming_normal_, ReLU gain)
 * and a zero bias; the rest keep theirs. PyTorch's default (uniform, a = sqrt(5))
 * shrinks a ReLU signal's second moment about 6x per layer, which leaves a
 * deep stack without normalisation on the ln(C) loss plateau for its first
 * hundreds of steps. Returns the number of layers re-drawn.
 */
export function heInit_(root: { namedModules(): [string, object][] }, isLayer: (m: object) => boolean): number {
  let n = 0;
  for (const [, m] of root.namedModules()) {
    if (!isLayer(m)) continue;
    const { weight, bias } = m as { weight: Tensor; bias: Tensor | null };
    kaimingNormal_(weight, { nonlinearity: 'relu' });
    if (bias) zeros_(bias);
    n++;
  }
  return n;
}
