// Weight sharing (WS), the classic DARTS/DrNAS baseline: every candidate runs on
// its own and the outputs are mixed, sum_i w_i * pad(op_i(x)). It costs one op
// call (and its activations) per candidate; TangleNAS's superposition costs one.
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * sum_i w_i * run(i). `run` may return null for candidates that contribute
 * nothing (e.g. a 'none' op). Outputs must already share one shape.
 */
export function outputMixture(weights: Tensor, count: number, run: (i: number) => Tensor | null): Tensor {
  return tidy(() => {
    let out: Tensor | null = null;
    for (let i = 0; i < count; i++) {
      const y = run(i);
      if (y === null) continue;
      const t = y.mul(weights.narrow(0, i, 1));
      out = out === null ? t : out.add(t);
    }
    if (out === null) throw new Error('outputMixture: no candidate produced an output');
    return out;
  });
}

/** Zero-pads dim 1 (channels) of an NCHW tensor up to `channels`. */
export function padChannels(x: Tensor, channels: number): Tensor {
  const c = x.size(1);
  return c === channels ? x : x.pad([0, 0, 0, 0, 0, channels - c]);
}
