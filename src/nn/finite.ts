// Finiteness checks of training state (losses, gradient norms, alphas,
// BatchNorm statistics, checkpoints). The common case costs one fused
// reduction per group of tensors and one sync: the sum of every tensor's sum
// is finite exactly when no tensor holds a NaN or an infinity (or when finite
// values overflow, which the exact per-tensor pass that follows a suspicious
// sum tells apart). Only that rare second pass looks at tensors one by one,
// to name the first bad one.
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/scope.js';
import { stack, type Tensor } from '../tensor/tensor.js';

/** A non-finite value where training state must be finite; `stage` says which step (or save) produced it. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
  constructor(
    /** 'arch': the architecture step; 'weights': the weight step; 'checkpoint': the state about to be saved. */
    readonly stage: 'arch' | 'weights' | 'checkpoint',
    /** What is not finite, e.g. "the training loss is NaN" or "BatchNorm statistic 'bn.running_var' holds 3 inf values (of 16)". */
    readonly what: string,
  ) {
    super(what);
  }
}

/** A BatchNorm running statistic, by its state-dict name (the buffers a step must keep finite; others, e.g. masks, may hold -inf). */
export function isBatchNormStatistic(name: string): boolean {
  return /(^|\.)running_(mean|var)$/.test(name);
}

export interface NonFinite {
  name: string;
  /** e.g. '3 NaN values (of 16)', '1 inf value (of 4)'. */
  values: string;
}

const FLOAT = new Set(['float32', 'float64', 'float16']);

function describe(t: Tensor): string | null {
  return tidy(() => {
    const bad = t.numel - t.isfinite().sum().item();
    if (bad === 0) return null;
    const nan = t.isnan().sum().item();
    const kind = nan === bad ? 'NaN' : nan === 0 ? 'inf' : 'NaN or inf';
    return `${bad} ${kind} value${bad === 1 ? '' : 's'} (of ${t.numel})`;
  });
}

/**
 * The first floating-point tensor (in iteration order) holding a NaN or an
 * infinity, or null. Integer tensors are skipped. One reduction and one sync
 * when everything is finite.
 */
export function firstNonFinite(named: Iterable<readonly [string, Tensor]>): NonFinite | null {
  const list = [...named].filter(([, t]) => FLOAT.has(t.dtype) && t.numel > 0);
  if (list.length === 0) return null;
  const total = noGrad(() =>
    tidy(() => {
      const sums = list.map(([, t]) => t.sum());
      const mixed = sums.some((s) => s.dtype !== sums[0].dtype);
      return stack(mixed ? sums.map((s) => s.to('float64')) : sums).sum().item();
    }),
  );
  if (Number.isFinite(total)) return null;
  return noGrad(() => {
    for (const [name, t] of list) {
      const values = describe(t);
      if (values) return { name, values };
    }
    return null; // finite values whose sum overflowed
  });
}
