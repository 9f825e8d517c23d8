// Shared set-up for the NAS benchmarks: the reference's per-space defaults
// (reference-facts 6.1, 6.2, 7) and the largest architecture of a space.
import { Adam } from '../src/nn/optim/adam.js';
import { SGD } from '../src/nn/optim/sgd.js';
import type { Optimizer, Hyper } from '../src/nn/optim/optimizer.js';
import { noGrad } from '../src/tensor/autograd.js';
import { tidy } from '../src/tensor/scope.js';
import { randn, type Tensor } from '../src/tensor/tensor.js';
import type { Architecture } from '../src/nas/choice.js';
import { createSampler } from '../src/nas/samplers/index.js';
import type { SearchSpace } from '../src/spaces/index.js';

/** The weight optimizer each toy space searches with in the reference. */
export function referenceOptimizer(space: SearchSpace, params: Tensor[]): Optimizer<Hyper> {
  if (space.name === 'toy-conv-macro') return new Adam(params, { lr: 3e-4, betas: [0.9, 0.995], weightDecay: 5e-4 }) as unknown as Optimizer<Hyper>;
  return new SGD(params, { lr: 0.025, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }) as unknown as Optimizer<Hyper>;
}

export function randomBatch(space: SearchSpace, n: number): { x: Tensor; y: Tensor } {
  return space.exampleBatch(n);
}

/** Coordinate ascent on the exact parameter count: the largest sub-network. */
export function largestArchitecture(space: SearchSpace): Architecture {
  noGrad(() => tidy(() => space.supernet.forward(space.exampleBatch(1).x, createSampler('darts').sample(space.choices))));
  const arch: Architecture = Object.fromEntries(space.choices.map((c) => [c.name, 0]));
  const params = (a: Architecture) => tidy(() => space.expectedCost(space.fixed(a, 'superposition')).params.item());
  for (let sweep = 0; sweep < 3; sweep++) {
    for (const c of space.choices) {
      let best = arch[c.name], bestP = -1;
      for (let i = 0; i < c.size; i++) {
        const p = params({ ...arch, [c.name]: i });
        if (p > bestP) [best, bestP] = [i, p];
      }
      arch[c.name] = best;
    }
  }
  return arch;
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
