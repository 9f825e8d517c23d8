// Shared set-up for the NAS benchmarks: the reference's per-space defaults
// (reference-facts 6.1, 6.2, 7) and the largest architecture of a space.
import { Adam } from '../src/nn/optim/adam.js';
import { SGD } from '../src/nn/optim/sgd.js';
import type { Optimizer, Hyper } from '../src/nn/optim/optimizer.js';
import { tidy } from '../src/tensor/scope.js';
import { randn, type Tensor } from '../src/tensor/tensor.js';
import type { Architecture } from '../src/nas/choice.js';
import { extremeArchitecture } from '../src/nas/constraint.js';
import type { SearchSpace } from '../src/spaces/index.js';

/** The weight optimizer each toy space searches with in the reference. */
export function referenceOptimizer(space: SearchSpace, params: Tensor[]): Optimizer<Hyper> {
  if (space.name === 'toy-conv-macro') return new Adam(params, { lr: 3e-4, betas: [0.9, 0.995], weightDecay: 5e-4 }) as unknown as Optimizer<Hyper>;
  return new SGD(params, { lr: 0.025, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }) as unknown as Optimizer<Hyper>;
}

export function randomBatch(space: SearchSpace, n: number): { x: Tensor; y: Tensor } {
  return space.exampleBatch(n);
}

/** The largest sub-network by exact parameter count (coordinate ascent, nas/constraint.ts). */
export function largestArchitecture(space: SearchSpace): Architecture {
  return extremeArchitecture(space, 'params', 'max').arch;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** sgemm GFLOP/s of a 2048x2048 float32 matmul (median of `reps`). */
export function sgemmGflops(reps = 5): number {
  const n = 2048;
  return tidy(() => {
    const a = randn([n, n]);
    const b = randn([n, n]);
    a.matmul(b).sum().item();
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      tidy(() => a.matmul(b).sum().item());
      times.push((performance.now() - t0) / 1000);
    }
    return (2 * n ** 3) / median(times) / 1e9;
  });
}
