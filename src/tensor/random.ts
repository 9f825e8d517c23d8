// Seeding, RNG state (for exact resume) and the differentiable samplers that
// DrNAS (Dirichlet) and GDAS (Gumbel) need.
import { native } from './native.js';
import { Tensor, getDefaultDevice, rand, tensor, type Device, type TensorOptions } from './tensor.js';
import { tidy } from './scope.js';

/** Seeds libtorch's default generators, the CPU's and every CUDA device's (all random creation functions and dropout). */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new TypeError(`manualSeed(${seed}): the seed must be a non-negative integer`);
  native.manualSeed(seed);
}

/** The full state of a device's default generator (the CPU's by default), to store in a checkpoint. */
export function getRngState(device?: Device): Uint8Array {
  const t = new Tensor(native.getRngState(device));
  try {
    return t.dataSync() as Uint8Array;
  } finally {
    t.dispose();
  }
}

export function setRngState(state: Uint8Array, device?: Device): void {
  const t = tensor(state, { dtype: 'uint8', device: 'cpu' });
  try {
    native.setRngState(t?.h, device);
  } finally {
    t.dispose();
  }
}

/** Runs fn and puts the random state back: the CPU's generator and the default device's. */
export function keepingRngState<T>(fn: () => T): T {
  const dev = getDefaultDevice();
  const cpu = getRngState();
  const gpu = dev === 'cpu' ? null : getRngState(dev);
  try {
    return fn();
  } finally {
    setRngState(cpu);
    if (gpu) setRngState(gpu, dev);
  }
}

/**
 * Gamma(concentration, 1) samples, differentiable w.r.t. the concentration
 * (implicit reparameterisation, libtorch's _standard_gamma backward).
 */
export function standardGamma(concentration: Tensor): Tensor {
  return new Tensor(native.standardGamma(concentration?.h));
}

/**
 * Reparameterised Dirichlet samples along the last dim: normalised Gamma draws.
 * libtorch 1.13's _sample_dirichlet has no backward; this path does.
 */
export function dirichlet(concentration: Tensor): Tensor {
  return tidy(() => {
    const g = standardGamma(concentration);
    // No clamp on the sum: libtorch returns draws >= the dtype's smallest normal
    // number, so it is positive. A clamp at 1e-30 took small-concentration rows
    // (whose draws underflow far below it) off the simplex.
    return g.div(g.sum(-1, true));
  });
}

/** Standard Gumbel(0, 1) noise: -log(-log(U)). */
export function gumbel(shape: number[], opts?: TensorOptions): Tensor {
  return tidy(() => rand(shape, opts).clamp(1e-20, 1 - 1e-7).log().neg().log().neg());
}

/** Bernoulli(p) draws with p given elementwise. */
export function bernoulli(p: Tensor): Tensor {
  return new Tensor(native.bernoulli(p?.h));
}

/** Samples n category indices per row of non-negative weights. */
export function multinomial(probs: Tensor, n: number, replacement = false): Tensor {
  return new Tensor(native.multinomial(probs?.h, n, replacement));
}
