// A run's arithmetic precision: 'fp32' (exact float32 everywhere, TF32 off
// even in cuDNN convolutions, where PyTorch allows it by default), 'tf32'
// (TF32 tensor cores for float32 matmuls and convolutions on GPUs; no change
// on the CPU) or 'bf16' (autocast: convolutions and matmuls in bfloat16,
// float32 weights, alphas, gradients and optimizer state; TF32 for what stays
// float32). Autocast is on only inside withPrecision, which the training step
// and the evaluations run in; leaving it clears libtorch's cache of casted
// weights (they change with every optimizer step).
import { native } from './native.js';
import { isCuda } from './device.js';
import type { Device } from './tensor.js';

export type Precision = 'fp32' | 'tf32' | 'bf16';
export const PRECISIONS: readonly Precision[] = ['fp32', 'tf32', 'bf16'];

let current: { type: 'cpu' | 'cuda'; precision: Precision } = { type: 'cpu', precision: 'fp32' };
let warned = false;

/** Sets the precision of what runs on `device` from now on (runs set it at start, and 'fp32' at the end). */
export function setPrecision(precision: Precision, device: Device = 'cpu'): void {
  if (!PRECISIONS.includes(precision)) throw new Error(`precision '${precision}' is not one of ${PRECISIONS.join(', ')}`);
  if (!(native.setTf32(precision !== 'fp32') as boolean) && !warned) {
    warned = true;
    process.emitWarning(`precision '${precision}': this libtorch has no setAllowTF32CuBLAS/CuDNN switches, so TF32 is left as libtorch sets it`);
  }
  current = { type: isCuda(device) ? 'cuda' : 'cpu', precision };
}

export function getPrecision(): Precision {
  return current.precision;
}

/** Runs fn under autocast when the precision is 'bf16' (nests: only the outermost exit turns it off). */
export function withPrecision<T>(fn: () => T): T {
  if (current.precision !== 'bf16') return fn();
  const { type } = current;
  const was = native.autocast(type, true, 'bfloat16') as boolean;
  try {
    return fn();
  } finally {
    native.autocast(type, was, 'bfloat16');
  }
}
