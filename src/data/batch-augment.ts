// The AutoFormer/DeiT training augmentations (timm's Mixup/CutMix, RandAugment
// `rand-m9-mstd0.5-inc1` and RandomErasing), each a function of a whole batch
// tensor on the batch's own device. They run after the loader (which only crops
// and flips), so the GPU does the pixel work and the JS side only handles a few
// numbers per sample. Every random number comes from libtorch's default
// generator of the batch's device, so manualSeed makes them deterministic and a
// checkpointed RNG state (getRngState) resumes them bit for bit. The draws are
// not numpy's or Python's `random`, so the streams differ from timm's; the
// distributions are the same.
import {
  Tensor, arange, cat, full, oneHot, ones, rand, randint, randn, standardGamma, tensor, tidy, where, zeros, type DType,
} from '../tensor/index.js';

const FLOATS: readonly DType[] = ['float32', 'float64', 'float16'];

// ---------------------------------------------------------------- validation

/** Checks a non-empty float [B, C, H, W] batch and returns its shape. */
function checkBatch(fn: string, name: string, x: Tensor): [number, number, number, number] {
  if (!(x instanceof Tensor)) throw new TypeError(`${fn}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  const s = x.shape;
  if (s.length !== 4 || s.some((d) => d < 1)) throw new RangeError(`${fn}: ${name} must be a non-empty [B, C, H, W] batch, got shape [${s.join(', ')}]`);
  if (!FLOATS.includes(x.dtype)) throw new TypeError(`${fn}: ${name} must be a float tensor, got ${x.dtype}`);
  return s as [number, number, number, number];
}

/** A number in [lo, hi]; with hi Infinity, a finite number >= lo unless `infinite` allows Infinity. */
function checkRange(fn: string, name: string, v: number, lo: number, hi = Infinity, infinite = false): number {
  const ok = typeof v === 'number' && v >= lo && v <= hi && (infinite || Number.isFinite(v));
  const want = hi === Infinity ? `a ${infinite ? '' : 'finite '}number >= ${lo}` : `a number in [${lo}, ${hi}]`;
  if (!ok) throw new RangeError(`${fn}: ${name} must be ${want}, got ${v}`);
  return v;
}

function checkInt(fn: string, name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

// ---------------------------------------------------------------- Mixup / CutMix

export interface MixupCutmixOptions {
  numClasses: number;
  /** Mixup's Beta alpha; 0 turns mixup off. */
  mixup: number;
  /** CutMix's Beta alpha; 0 turns cutmix off. */
  cutmix: number;
  /** Probability of mixing a batch at all (default 1). */
  prob?: number;
  /** Probability of cutmix rather than mixup when both are on (default 0.5). */
  switchProb?: number;
  /** Label smoothing folded into the targets (default 0). */
  labelSmoothing?: number;
}

/** Rows [y0, y1) and columns [x0, x1) pasted from the partner, and the lambda that area implies. */
export interface CutmixBox {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  lam: number;
}

/**
 * timm's rand_bbox + lambda correction: a box of (int(H*r), int(W*r)) with
 * r = sqrt(1 - lam) (halves rounded down, as timm) centred on (cy, cx), clipped to
 * the image; lam becomes 1 - box area / (H*W) so the targets match the pixels.
 */
export function cutmixBox(height: number, width: number, lam: number, cy: number, cx: number): CutmixBox {
  const ratio = Math.sqrt(1 - lam);
  const hh = Math.floor(Math.trunc(height * ratio) / 2);
  const hw = Math.floor(Math.trunc(width * ratio) / 2);
  const clip = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  const y0 = clip(cy - hh, height), y1 = clip(cy + hh, height);
  const x0 = clip(cx - hw, width), x1 = clip(cx + hw, width);
  return { y0, y1, x0, x1, lam: 1 - ((y1 - y0) * (x1 - x0)) / (height * width) };
}

/**
 * The deterministic half of Mixup/CutMix, with lambda (and the box) given: the
 * partner of sample i is sample B-1-i (the batch flipped, timm's 'batch' mode);
 * with a box the partner's box is pasted in, else x is lam*x + (1-lam)*partner.
 * Targets are timm's mixup_target: lam*smooth(y) + (1-lam)*smooth(y flipped), with
 * smooth = one-hot scaled to on = 1 - ls + ls/K, off = ls/K. Always new tensors.
 */
export function mixWith(x: Tensor, y: Tensor, lam: number, box: CutmixBox | null, o: { numClasses: number; labelSmoothing?: number }): { x: Tensor; y: Tensor } {
  return tidy(() => {
    const [, , H, W] = x.shape;
    let out: Tensor;
    if (box) {
      const rows = arange(H, undefined, 1, { device: x.device });
      const cols = arange(W, undefined, 1, { device: x.device });
      const inRows = rows.ge(box.y0).logicalAnd(rows.lt(box.y1)).view(1, 1, H, 1);
      const inCols = cols.ge(box.x0).logicalAnd(cols.lt(box.x1)).view(1, 1, 1, W);
      out = where(inRows.logicalAnd(inCols), x.flip(0), x);
    } else {
      out = lam === 1 ? x.clone() : x.mul(lam).add(x.flip(0).mul(1 - lam));
    }
    const ls = o.labelSmoothing ?? 0;
    const t = oneHot(y.device === x.device ? y.long() : y.long().toDevice(x.device), o.numClasses).float().mul(1 - ls).add(ls / o.numClasses);
    return { x: out, y: t.mul(lam).add(t.flip(0).mul(1 - lam)) };
  });
}

/**
 * timm's Mixup in 'batch' mode: one lambda ~ Beta(alpha, alpha) per batch (two
 * Gamma draws), applied with probability `prob`; cutmix instead of mixup with
 * probability `switchProb` when both alphas are on. Returns the mixed batch, the
 * soft targets [B, numClasses] (float32) and the lambda used (1 = not mixed; x is
 * then copied unchanged and the targets are the smoothed one-hots). An odd batch
 * is allowed (timm asserts even): its middle sample is its own partner.
 */
export function mixupCutmix(x: Tensor, y: Tensor, o: MixupCutmixOptions): { x: Tensor; y: Tensor; lam: number } {
  const fn = 'mixupCutmix';
  const [B, , H, W] = checkBatch(fn, 'x', x);
  if (!(y instanceof Tensor)) throw new TypeError(`${fn}: y must be a Tensor of class indices`);
  if (y.ndim !== 1 || y.size(0) !== B) throw new RangeError(`${fn}: y must have shape [${B}] (one label per sample of x), got [${y.shape.join(', ')}]`);
  if (y.dtype !== 'int64' && y.dtype !== 'int32') throw new TypeError(`${fn}: y must hold int64 (or int32) class indices, got ${y.dtype}`);
  if (typeof o !== 'object' || o === null) throw new TypeError(`${fn}: options are required ({ numClasses, mixup, cutmix })`);
  const K = checkInt(fn, 'numClasses', o.numClasses, 1);
  const mixA = checkRange(fn, 'mixup (alpha)', o.mixup, 0);
  const cutA = checkRange(fn, 'cutmix (alpha)', o.cutmix, 0);
  const prob = checkRange(fn, 'prob', o.prob ?? 1, 0, 1);
  const switchProb = checkRange(fn, 'switchProb', o.switchProb ?? 0.5, 0, 1);
  const labelSmoothing = checkRange(fn, 'labelSmoothing', o.labelSmoothing ?? 0, 0, 1);
  return tidy(() => {
    const [lo, hi] = cat([y.min().view(1), y.max().view(1)]).toArray();
    if (lo < 0 || hi >= K) throw new RangeError(`${fn}: y holds labels in [${lo}, ${hi}], outside [0, numClasses = ${K})`);
    const device = x.device;
    let lam = 1;
    let box: CutmixBox | null = null;
    if (mixA > 0 || cutA > 0) {
      const [u, s] = rand([2], { device }).toArray();
      if (u < prob) {
        const useCutmix = cutA > 0 && (mixA === 0 || s < switchProb);
        const alpha = useCutmix ? cutA : mixA;
        const [g1, g2] = standardGamma(tensor([alpha, alpha], { dtype: 'float64', device })).toArray();
        lam = g1 / (g1 + g2);
        if (useCutmix) {
          const [cy] = randint(0, H, [1], { device }).toArray();
          const [cx] = randint(0, W, [1], { device }).toArray();
          box = cutmixBox(H, W, lam, cy, cx);
          lam = box.lam;
        }
      }
    }
    return { ...mixWith(x, y, lam, box, { numClasses: K, labelSmoothing }), lam };
  });
}

// ---------------------------------------------------------------- RandAugment
//
// The ops work on PIL's uint8 values: the batch is quantised once to
// round(x * 255) and every op returns integers in 0..255 computed with PIL's
// rules (truncating casts, its lookup tables, float32 blends), so the result
// divided by 255 is what ToTensor would give for the PIL image.

/** One RandAugment op: timm's level-to-argument rule and the op itself. */
export interface RandAugmentOp {
  readonly name: string;
  /** timm's *_level_to_arg: the op's argument for a magnitude in [0, 10]; `sign` (+1/-1) is timm's random negation, ignored by unsigned ops. */
  level(magnitude: number, sign: number): number;
  /** Applies the op to [n, C, H, W] images of 0..255 integers, argument args[i] to sample i; `fill` ([1, C, 1], 0..255) fills what geometric ops uncover. */
  apply(img: Tensor, args: number[], fill: Tensor): Tensor;
}

// PIL's clip then (UINT8) cast. floorDiv(1) is floor (exactly), but libtorch's CPU floor kernel
// costs a fixed ~8 ms per call here, a tenth of a small op's budget.
const u8 = (t: Tensor): Tensor => t.floorDiv(1).clamp(0, 255);
const perSample = (img: Tensor, v: number[]): Tensor => tensor(v, { shape: [v.length, 1, 1, 1], device: img.device });

/** ImageEnhance's Image.blend(degenerate, img, f): deg + f*(img - deg) in float32, clipped and truncated. */
const blend = (deg: Tensor, img: Tensor, f: Tensor): Tensor => u8(deg.add(img.sub(deg).mul(f)));

/** PIL's convert('L') ((19595 R + 38470 G + 7471 B + 2^15) >> 16, exact in float32), [n, 1, H, W]; a 1-channel image is its own grey. */
function grey(img: Tensor): Tensor {
  if (img.size(1) === 1) return img;
  const [r, g, b] = [0, 1, 2].map((c) => img.narrow(1, c, 1));
  return r.mul(19595).add(g.mul(38470)).add(b.mul(7471)).add(32768).floorDiv(65536);
}

/** PIL's ImageFilter.SMOOTH ([[1,1,1],[1,5,1],[1,1,1]] / 13, rounded); border pixels kept, as PIL does. */
function smooth(img: Tensor): Tensor {
  const [, , H, W] = img.shape;
  if (H < 3 || W < 3) return img;
  const win = (dy: number, dx: number) => img.narrow(2, dy, H - 2).narrow(3, dx, W - 2);
  let s = win(1, 1).mul(4); // the centre's extra weight; the 3x3 sum adds its fifth
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) s = s.add(win(dy, dx));
  const inner = s.div(13).round().pad([1, 1, 1, 1]); // integer/13 is never a tie
  const border = ones([1, 1, H - 2, W - 2], { dtype: 'bool', device: img.device }).pad([1, 1, 1, 1]).logicalNot();
  return where(border, img, inner);
}

/**
 * PIL's Image.transform(AFFINE, (a, b, c, d, e, f), NEAREST) as PIL computes it:
 * output pixel (x, y) reads input (floor(X), floor(Y)), `fill` where that lies
 * outside, with X = a(x+.5) + b(y+.5) + c, Y = d(x+.5) + e(y+.5) + f evaluated
 * in 16.16 fixed point (affine_fixed: each coefficient rounded to 1/65536),
 * or in doubles for pure scale/translate matrices (ImagingScaleAffine). The
 * float64 sums below are exact, so the pixel choice is PIL's, ties included.
 * One gather on the flattened images.
 */
function affine(img: Tensor, mats: number[][], fill: Tensor): Tensor {
  const [n, C, H, W] = img.shape;
  const device = img.device;
  const fix = (v: number) => Math.floor(v * 65536 + 0.5) / 65536;
  // Per sample: X = kx[0]*x + kx[1]*y + kx[2] (x, y integer pixel indices), Y likewise.
  const coef = mats.flatMap(([a, b, c, d, e, f]) => (b === 0 && d === 0
    ? [a, 0, c + a * 0.5, 0, e, f + e * 0.5]
    : [fix(a), fix(b), fix(c + a * 0.5 + b * 0.5), fix(d), fix(e), fix(f + d * 0.5 + e * 0.5)]));
  const k = tensor(coef, { shape: [n, 6], dtype: 'float64', device });
  const col = (i: number) => k.narrow(1, i, 1); // [n, 1]
  const px = arange(W, undefined, 1, { dtype: 'float64', device }).view(1, W).expand(H, W).reshape(1, H * W);
  const py = arange(H, undefined, 1, { dtype: 'float64', device }).view(H, 1).expand(H, W).reshape(1, H * W);
  const sx = col(0).mul(px).add(col(1).mul(py)).add(col(2)).floorDiv(1);
  const sy = col(3).mul(px).add(col(4).mul(py)).add(col(5)).floorDiv(1);
  const inside = sx.ge(0).logicalAnd(sx.lt(W)).logicalAnd(sy.ge(0)).logicalAnd(sy.lt(H)).unsqueeze(1);
  const index = sy.clamp(0, H - 1).mul(W).add(sx.clamp(0, W - 1)).long().unsqueeze(1).expand(n, C, H * W).contiguous();
  return where(inside, img.flatten(2).gather(2, index), fill).view(n, C, H, W);
}

/**
 * ImageOps.equalize per channel: lut[v] = (step//2 + #pixels below v) // step
 * with step = (#pixels below the top value) // 256, identity when step is 0
 * (so images under 257 pixels never change), clipped to 255. "#pixels below v"
 * is the sorted position where v's run of equal values starts: one sort, and a
 * scatter of each run start's position to its value (the other elements go to
 * slots of their own past 256, so no index repeats and the result is deterministic).
 */
function equalize(img: Tensor): Tensor {
  const [n, C, H, W] = img.shape;
  const N = H * W;
  const device = img.device;
  const s = img.flatten(2).sort(-1).values.long(); // [n, C, N]
  const pos = arange(N, undefined, 1, { device }).view(1, 1, N).expand(n, C, N);
  const first = ones([n, C, 1], { dtype: 'bool', device });
  const starts = cat([first, s.narrow(2, 1, N - 1).ne(s.narrow(2, 0, N - 1))], 2);
  const below = zeros([n, C, 256 + N], { dtype: 'int64', device }).scatter(2, where(starts, s, pos.add(256)), pos.contiguous()).narrow(2, 0, 256);
  const step = below.gather(2, s.narrow(2, N - 1, 1)).floorDiv(256); // [n, C, 1]
  const lut = below.add(step.floorDiv(2)).floorDiv(step.clamp(1)).clamp(null, 255);
  const identity = arange(256, undefined, 1, { device }).view(1, 1, 256);
  return lookup(img, where(step.gt(0), lut, identity));
}

/** Per-channel lookup tables [n, C, 256] applied to 0..255 images (PIL's point()). */
function lookup(img: Tensor, lut: Tensor): Tensor {
  return lut.float().gather(2, img.flatten(2).long()).view(...img.shape);
}

function rotateMatrix(deg: number, W: number, H: number): number[] {
  // PIL's Image.rotate (counter-clockwise about (W/2, H/2)) as its inverse map, with its
  // own steps: angle % 360 (Python's, non-negative), radians, cos/sin rounded to 15 decimals.
  const t = -((((deg % 360) + 360) % 360) * (Math.PI / 180));
  const r15 = (v: number) => Number(v.toFixed(15));
  const [a, b, d, e] = [r15(Math.cos(t)), r15(Math.sin(t)), r15(-Math.sin(t)), r15(Math.cos(t))];
  const cx = W / 2, cy = H / 2;
  return [a, b, a * -cx + b * -cy + cx, d, e, d * -cx + e * -cy + cy];
}

const enhanceLevel = (m: number, sign: number) => Math.max(0.1, 1 + sign * (m / 10) * 0.9);
const none = () => 0;
const geometric = (name: string, level: (m: number, sign: number) => number, matrix: (v: number, W: number, H: number) => number[]): RandAugmentOp => ({
  name,
  level,
  apply: (img, args, fill) => affine(img, args.map((v) => matrix(v, img.size(3), img.size(2))), fill),
});

/** timm's _RAND_INCREASING_TRANSFORMS, in timm's order (RandAugment draws an index into this list). */
export const RAND_AUGMENT_OPS: readonly RandAugmentOp[] = [
  {
    name: 'AutoContrast',
    level: none,
    apply: (img) => {
      // ImageOps.autocontrast (cutoff 0): each channel's lo..hi stretched to 0..255 by PIL's
      // lut int(v * scale + offset), scale = 255 / (hi - lo), offset = -lo * scale, in doubles
      // as PIL (whose rounding can give 254 for hi); a flat channel is kept.
      const device = img.device;
      const lo = img.flatten(2).min(2, true).to('float64'); // [n, C, 1]
      const hi = img.flatten(2).max(2, true).to('float64');
      const scale = full([1], 255, { dtype: 'float64', device }).div(hi.sub(lo).clamp(1));
      const v = arange(256, undefined, 1, { dtype: 'float64', device }).view(1, 1, 256);
      return lookup(img, where(hi.gt(lo), v.mul(scale).add(lo.mul(scale).neg()).floor().clamp(null, 255), v));
    },
  },
  { name: 'Equalize', level: none, apply: (img) => equalize(img) },
  { name: 'Invert', level: none, apply: (img) => img.rsub(255) },
  geometric('Rotate', (m, sign) => sign * (m / 10) * 30, rotateMatrix),
  {
    name: 'PosterizeIncreasing',
    level: (m) => 4 - Math.trunc((m / 10) * 4), // bits kept
    apply: (img, bits) => {
      const q = perSample(img, bits.map((b) => 2 ** (8 - b)));
      return img.floorDiv(q).mul(q);
    },
  },
  {
    name: 'SolarizeIncreasing',
    level: (m) => 256 - Math.min(256, Math.trunc((m / 10) * 256)), // threshold
    apply: (img, th) => where(img.lt(perSample(img, th)), img, img.rsub(255)),
  },
  {
    name: 'SolarizeAdd',
    level: (m) => Math.min(128, Math.trunc((m / 10) * 110)), // added below 128
    apply: (img, add) => where(img.lt(128), img.add(perSample(img, add)).clamp(null, 255), img),
  },
  { name: 'ColorIncreasing', level: enhanceLevel, apply: (img, f) => blend(grey(img), img, perSample(img, f)) },
  {
    name: 'ContrastIncreasing',
    level: enhanceLevel,
    // The degenerate image is the grey mean, int(mean + 0.5), as ImageEnhance.Contrast.
    apply: (img, f) => blend(grey(img).to('float64').mean([1, 2, 3], true).add(0.5).floor().float(), img, perSample(img, f)),
  },
  { name: 'BrightnessIncreasing', level: enhanceLevel, apply: (img, f) => u8(img.mul(perSample(img, f))) },
  { name: 'SharpnessIncreasing', level: enhanceLevel, apply: (img, f) => blend(smooth(img), img, perSample(img, f)) },
  geometric('ShearX', (m, sign) => sign * (m / 10) * 0.3, (v) => [1, v, 0, 0, 1, 0]),
  geometric('ShearY', (m, sign) => sign * (m / 10) * 0.3, (v) => [1, 0, 0, v, 1, 0]),
  geometric('TranslateXRel', (m, sign) => sign * (m / 10) * 0.45, (v, W) => [1, 0, v * W, 0, 1, 0]),
  geometric('TranslateYRel', (m, sign) => sign * (m / 10) * 0.45, (v, _W, H) => [1, 0, 0, 0, 1, v * H]),
];

export interface RandAugmentOptions {
  /** Ops drawn per sample, with replacement (default 2). */
  ops?: number;
  /** Magnitude out of 10 (default 9). */
  magnitude?: number;
  /** Std of the per-application magnitude noise (default 0.5; Infinity = uniform in [0, magnitude], as timm). */
  magnitudeStd?: number;
  /** Probability that each drawn op is applied (default 0.5). */
  prob?: number;
  /** What geometric ops uncover, in [0, 1], one value or one per channel (default 128/255, timm's _FILL; DeiT passes the dataset mean). */
  fill?: number | readonly number[];
}

/** Quantises to PIL's 0..255, and the fill as a [1, C, 1] tensor. */
function toPil(fn: string, x01: Tensor, fill: number | readonly number[] | undefined): { img: Tensor; fillT: Tensor } {
  const [, C] = checkBatch(fn, 'x01', x01);
  if (C !== 1 && C !== 3) throw new RangeError(`${fn}: x01 must have 1 or 3 channels (PIL's L or RGB), got ${C}`);
  const f = typeof fill === 'number' || fill === undefined ? new Array(C).fill(fill ?? 128 / 255) : [...fill];
  if (f.length !== C) throw new RangeError(`${fn}: fill must be one value or ${C} (one per channel), got ${f.length}`);
  f.forEach((v, i) => checkRange(fn, `fill[${i}]`, v, 0, 1));
  return {
    img: x01.to('float32').clamp(0, 1).mul(255).round(),
    fillT: tensor(f.map((v) => Math.round(v * 255)), { shape: [1, C, 1], device: x01.device }),
  };
}

/**
 * One RandAugment op with a fixed magnitude and sign for every sample, on a [0, 1]
 * batch (quantised to multiples of 1/255 as in randAugment): for tests and previews.
 */
export function applyRandAugmentOp(name: string, x01: Tensor, magnitude: number, sign = 1, fill?: number | readonly number[]): Tensor {
  const op = RAND_AUGMENT_OPS.find((o) => o.name === name);
  if (!op) throw new RangeError(`applyRandAugmentOp: unknown op '${name}' (one of ${RAND_AUGMENT_OPS.map((o) => o.name).join(', ')})`);
  checkRange('applyRandAugmentOp', 'magnitude', magnitude, 0, 10);
  return tidy(() => {
    const { img, fillT } = toPil('applyRandAugmentOp', x01, fill);
    const arg = op.level(magnitude, sign < 0 ? -1 : 1);
    return op.apply(img, new Array(img.size(0)).fill(arg), fillT).div(255).to(x01.dtype);
  });
}

/**
 * timm's RandAugment `rand-m{magnitude}-mstd{magnitudeStd}-inc1` on a [0, 1]
 * batch: per sample `ops` ops drawn uniformly with replacement from
 * RAND_AUGMENT_OPS, each applied with probability `prob` at a magnitude
 * ~ N(magnitude, magnitudeStd) clipped to [0, 10], with a random sign for the
 * signed ops. Vectorised per op layer: each op runs once on the samples that
 * drew it, and one permutation puts the batch back in order. The result is in
 * [0, 1], multiples of 1/255, the input's dtype.
 */
export function randAugment(x01: Tensor, o: RandAugmentOptions = {}): Tensor {
  const fn = 'randAugment';
  const [B] = checkBatch(fn, 'x01', x01);
  const layers = checkInt(fn, 'ops', o.ops ?? 2, 0);
  const mag = checkRange(fn, 'magnitude', o.magnitude ?? 9, 0);
  const std = checkRange(fn, 'magnitudeStd', o.magnitudeStd ?? 0.5, 0, Infinity, true);
  const prob = checkRange(fn, 'prob', o.prob ?? 0.5, 0, 1);
  return tidy(() => {
    const device = x01.device;
    const { img: start, fillT } = toPil(fn, x01, o.fill);
    let img = start;
    const N = RAND_AUGMENT_OPS.length;
    for (let layer = 0; layer < layers; layer++) {
      // Per sample: op choice, applied?, sign, magnitude noise (only B numbers each come to JS).
      const u = rand([3, B], { device }).toArray();
      const z = std === 0 ? null : std === Infinity ? rand([B], { device }).toArray() : randn([B], { device }).toArray();
      const groups = new Map<number, number[]>();
      for (let b = 0; b < B; b++) {
        if (!(u[B + b] < prob)) continue;
        const k = Math.min(N - 1, Math.floor(u[b] * N));
        groups.set(k, [...(groups.get(k) ?? []), b]);
      }
      if (groups.size === 0) continue;
      const prev = img;
      img = tidy(() => {
        const pieces: Tensor[] = [];
        const order: number[] = [];
        const pick = (idx: number[]) => prev.indexSelect(0, tensor(idx, { dtype: 'int64', device }));
        for (const [k, idx] of groups) {
          const op = RAND_AUGMENT_OPS[k];
          const args = idx.map((b) => {
            const m = z === null ? mag : std === Infinity ? z[b] * mag : mag + std * z[b];
            return op.level(Math.max(0, Math.min(10, m)), u[2 * B + b] > 0.5 ? -1 : 1);
          });
          pieces.push(op.apply(pick(idx), args, fillT));
          order.push(...idx);
        }
        const done = new Set(order);
        const untouched = [...Array(B).keys()].filter((b) => !done.has(b));
        if (untouched.length > 0) pieces.push(pick(untouched));
        order.push(...untouched);
        const inverse = new Array<number>(B);
        order.forEach((b, j) => (inverse[b] = j));
        return cat(pieces, 0).indexSelect(0, tensor(inverse, { dtype: 'int64', device }));
      });
      if (prev !== start) prev.dispose(); // layers' intermediates go now, not at scope end
    }
    return img.div(255).to(x01.dtype);
  });
}

// ---------------------------------------------------------------- RandomErasing

export interface RandomErasingOptions {
  /** Probability of erasing a sample (DeiT: 0.25). */
  prob: number;
  /** Area bounds as fractions of H*W (default 0.02 and 1/3). */
  minArea?: number;
  maxArea?: number;
  /** Aspect ratio log-uniform in [minAspect, 1/minAspect] (default 0.3). */
  minAspect?: number;
  /** Box draws before giving up on a sample (default 10). */
  attempts?: number;
}

/**
 * timm's RandomErasing, mode 'pixel', count 1, on a normalised batch: per sample
 * with probability `prob`, the first of `attempts` boxes (area uniform in
 * [minArea, maxArea]*H*W, aspect log-uniform, h = round(sqrt(area*aspect)),
 * w = round(sqrt(area/aspect)), round half to even as Python's) that fits
 * (h < H, w < W) is placed with a uniform top-left and filled with N(0, 1) noise.
 * All on the device: one mask and one where, no per-sample sync.
 */
export function randomErasing(x: Tensor, o: RandomErasingOptions): Tensor {
  const fn = 'randomErasing';
  const [B, C, H, W] = checkBatch(fn, 'x', x);
  if (typeof o !== 'object' || o === null) throw new TypeError(`${fn}: options are required ({ prob })`);
  const prob = checkRange(fn, 'prob', o.prob, 0, 1);
  const minArea = checkRange(fn, 'minArea', o.minArea ?? 0.02, 0, 1);
  const maxArea = checkRange(fn, 'maxArea', o.maxArea ?? 1 / 3, minArea, 1);
  const minAspect = o.minAspect ?? 0.3;
  if (!(minAspect > 0 && Number.isFinite(minAspect))) throw new RangeError(`${fn}: minAspect must be a finite number > 0, got ${minAspect}`);
  const A = checkInt(fn, 'attempts', o.attempts ?? 10, 1);
  if (prob === 0) return x.clone();
  return tidy(() => {
    const device = x.device;
    const [la, lb] = [Math.log(minAspect), Math.log(1 / minAspect)];
    const area = rand([B, A], { device }).mul((maxArea - minArea) * H * W).add(minArea * H * W);
    const aspect = rand([B, A], { device }).mul(lb - la).add(la).exp();
    const h = area.mul(aspect).sqrt().round();
    const w = area.div(aspect).sqrt().round();
    const fits = h.lt(H).logicalAnd(w.lt(W));
    const first = fits.float().argmax(1, true); // first fitting attempt; 0 (and fits false) when none fits
    const [hb, wb] = [h.gather(1, first), w.gather(1, first)]; // [B, 1]
    const u = rand([3, B], { device });
    const erase = u.select(0, 0).unsqueeze(1).lt(prob).logicalAnd(fits.gather(1, first));
    const top = u.select(0, 1).unsqueeze(1).mul(hb.rsub(H + 1)).floor(); // randint(0, H - h) inclusive
    const left = u.select(0, 2).unsqueeze(1).mul(wb.rsub(W + 1)).floor();
    const span = (lo: Tensor, len: Tensor, n: number) => {
      const i = arange(n, undefined, 1, { dtype: 'float32', device }).view(1, n);
      return i.ge(lo).logicalAnd(i.lt(lo.add(len))); // [B, n]
    };
    const mask = span(top, hb, H).view(B, 1, H, 1).logicalAnd(span(left, wb, W).view(B, 1, 1, W)).logicalAnd(erase.view(B, 1, 1, 1));
    return where(mask, randn([B, C, H, W], { device }).to(x.dtype), x);
  });
}
