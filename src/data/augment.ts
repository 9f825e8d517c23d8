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
