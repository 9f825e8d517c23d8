// Batch assembly with augmentation: random crop with zero padding and horizontal
// flip, done with row-wise TypedArray operations (set / fill) and one native
// reverse per flipped plane, never a per-pixel JavaScript loop. Runs in the loader's worker thread or inline.
//
// Images are stored planar (C, H, W) per sample, uint8, like the CIFAR-10 binary
// records; a crop offset (dy, dx) is in [0, 2*pad] as in torchvision's
// RandomCrop(size, padding=pad): output pixel (r, c) comes from padded pixel
// (r + dy, c + dx), i.e. source pixel (r + dy - pad, c + dx - pad), 0 outside.
// The flip (torchvision's RandomHorizontalFlip, applied after the crop) reverses
// every output row.

export interface ImageGeometry {
  channels: number;
  height: number;
  width: number;
}

/** What one batch needs: dataset indices and per-sample augmentation draws. */
export interface BatchPlan {
  count: number;
  indices: ArrayLike<number>;
  /** Crop offsets in [0, 2*pad]; ignored when pad is 0 or `crop` is false. */
  dy: ArrayLike<number>;
  dx: ArrayLike<number>;
  /** 1 = flip horizontally. */
  flip: ArrayLike<number>;
  crop: boolean;
  pad: number;
}

/**
 * Writes the planned samples into `out` (count * C * H * W bytes, NCHW).
 * `src` holds all images of the dataset (n * C * H * W bytes).
 */
export function assembleBatch(src: Uint8Array, g: ImageGeometry, plan: BatchPlan, out: Uint8Array): void {
  const { channels: C, height: H, width: W } = g;
  const hw = H * W;
  const chw = C * hw;
  const nImages = src.length / chw;
  for (let b = 0; b < plan.count; b++) {
    const idx = plan.indices[b];
    if (!(idx >= 0 && idx < nImages)) throw new RangeError(`assembleBatch: sample index ${idx} outside the dataset (0..${nImages - 1})`);
    const s0 = idx * chw;
    const d0 = b * chw;
    const flip = plan.flip[b] !== 0;
    const crop = plan.crop && plan.pad > 0;
    if (!crop && !flip) {
      out.set(src.subarray(s0, s0 + chw), d0);
      continue;
    }
    const pad = crop ? plan.pad : 0;
    const oy = crop ? plan.dy[b] - pad : 0; // source row = r + oy
    const ox = crop ? plan.dx[b] - pad : 0; // source col = c + ox
    if (oy < -pad || oy > pad || ox < -pad || ox > pad) throw new RangeError(`assembleBatch: crop offset (${plan.dy[b]}, ${plan.dx[b]}) outside [0, ${2 * pad}]`);
    // Output columns whose source column lies inside the image.
    const c0 = Math.max(0, -ox);
    const c1 = Math.min(W, W - ox);
    for (let ch = 0; ch < C; ch++) {
      const sp = s0 + ch * hw;
      const dp = d0 + ch * hw;
      for (let r = 0; r < H; r++) {
        // A flipped sample is written upside down, then the whole plane is
        // reversed below: reversing H*W elements maps (H-1-r, c) to (r, W-1-c),
        // i.e. a horizontal flip, with one native reverse per plane.
        const drow = dp + (flip ? H - 1 - r : r) * W;
        const sr = r + oy;
        if (sr < 0 || sr >= H || c1 <= c0) {
          out.fill(0, drow, drow + W);
          continue;
        }
        if (c0 > 0) out.fill(0, drow, drow + c0);
        const srow = sp + sr * W;
        out.set(src.subarray(srow + c0 + ox, srow + c1 + ox), drow + c0);
        if (c1 < W) out.fill(0, drow + c1, drow + W);
      }
      if (flip) out.subarray(dp, dp + hw).reverse();
    }
  }
}

// ---------------------------------------------------------------- cutout
//
// DARTS's Cutout (DeVries & Taylor 2017, as in the DARTS retraining code): per
// image, a centre (cy, cx) uniform over the pixels, then the rows
// [cy - L/2, cy + L/2) and columns [cx - L/2, cx + L/2) (L/2 rounded down),
// clipped to the image, are set to 0 in every channel of the *normalised*
// image (so the square takes the dataset's mean colour). It follows the crop
// and the flip. An odd L gives a square of L - 1, as in DARTS.

/** The rows [y0, y1) and columns [x0, x1) cutout zeroes for a centre (cy, cx); empty ranges possible only for L < 2. */
export function cutoutBox(cy: number, cx: number, length: number, height: number, width: number): { y0: number; y1: number; x0: number; x1: number } {
  const half = Math.floor(length / 2);
  const clip = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  return { y0: clip(cy - half, height), y1: clip(cy + half, height), x0: clip(cx - half, width), x1: clip(cx + half, width) };
}

/**
 * Cutout masks of a batch, [count, H, W] row-major: 0 inside each sample's
 * square, 1 elsewhere (multiplied into the normalised batch, broadcast over
 * the channels). Written into `out` (count * H * W values).
 */
export function cutoutMask<T extends Float32Array | Uint8Array>(count: number, height: number, width: number, cy: ArrayLike<number>, cx: ArrayLike<number>, length: number, out: T): T {
  const hw = height * width;
  if (out.length < count * hw) throw new RangeError(`cutoutMask: out holds ${out.length} values, needs ${count} x ${height} x ${width}`);
  out.fill(1, 0, count * hw);
  for (let b = 0; b < count; b++) {
    if (!(cy[b] >= 0 && cy[b] < height && cx[b] >= 0 && cx[b] < width)) throw new RangeError(`cutoutMask: centre (${cy[b]}, ${cx[b]}) outside the ${height}x${width} image`);
    const { y0, y1, x0, x1 } = cutoutBox(cy[b], cx[b], length, height, width);
    for (let r = y0; r < y1; r++) out.fill(0, b * hw + r * width + x0, b * hw + r * width + x1);
  }
  return out;
}
