// Autograd entry points beyond Tensor.backward: no-grad scopes and gradients of
// outputs with respect to chosen inputs (second-order DARTS needs both).
import { native } from './native.js';
import { Tensor, wrapHandle } from './tensor.js';

/** Runs fn with gradient recording off (restored afterwards, also on throw). */
export function noGrad<T>(fn: () => T): T {
  const prev: boolean = native.isGradEnabled();
  native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

/** Runs fn with gradient recording on (inside an outer noGrad, for example). */
export function enableGrad<T>(fn: () => T): T {
  const prev: boolean = native.isGradEnabled();
  native.setGradEnabled(true);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

export interface GradOptions {
  gradOutputs?: Tensor[];
  /** Keep the graph for another backward; defaults to createGraph. */
  retainGraph?: boolean;
  /** Build a graph of the gradient itself (higher-order derivatives). */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

/** d(sum of outputs)/d(inputs), like torch.autograd.grad. Does not touch `.grad`. */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const create = opts.createGraph ?? false;
  const hs: unknown[] = native.autogradGrad(
    outs.map((t) => t?.h),
    Array.isArray(inputs) ? inputs.map((t) => t?.h) : inputs,
    opts.gradOutputs ? opts.gradOutputs.map((t) => t?.h) : null,
    opts.retainGraph ?? create,
    create,
    opts.allowUnused ?? false,
  );
  return hs.map((h) => (h === null ? null : wrapHandle(h)));
}
