// One bi-level search step (paper Algorithm 1): alpha on a validation batch
// (the architect), then the weights on a training batch under a fresh sample.
import type { Optimizer, Hyper } from '../nn/optim/optimizer.js';
import { clipGradNorm } from '../nn/optim/clip.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Architect, Batch, UnrollContext } from './architect.js';
import type { Sampler } from './samplers/sampler.js';
import type { SearchSpace } from './space.js';

export interface StepResult {
  archLoss: number;
  trainLoss: number;
  trainAcc: number;
}

/** Runs fn with alpha frozen, so the weight step builds no graph through the sampler. */
export function withFrozenAlphas<T>(space: SearchSpace, fn: () => T): T {
  const alphas = space.alphas();
  for (const a of alphas) a.requiresGrad_(false);
  try {
    return fn();
  } finally {
    for (const a of alphas) a.requiresGrad_(true);
  }
}

/** Fraction of rows (or tokens: logits [..., classes]) whose argmax equals the label. */
export function accuracy(logits: Tensor, y: Tensor): number {
  return tidy(() => logits.argmax(-1).eq(y).float().mean().item());
}

/** Weight step: forward under a new sample, cross-entropy, backward, clip, update. */
export function weightStep<H extends Hyper>(space: SearchSpace, sampler: Sampler, optimizer: Optimizer<H>, batch: Batch, clip = 5): { loss: number; acc: number } {
  return withFrozenAlphas(space, () =>
    tidy(() => {
      const logits = space.supernet.forward(batch.x, sampler.sample(space.choices));
      const loss = space.loss(logits, batch.y);
      optimizer.zeroGrad();
      loss.backward();
      if (clip > 0) clipGradNorm(space.supernet.parameters(), clip);
      optimizer.step();
      return { loss: loss.item(), acc: accuracy(logits, batch.y) };
    }),
  );
}

export function bilevelStep<H extends Hyper>(
  space: SearchSpace,
  sampler: Sampler,
  architect: Architect,
  optimizer: Optimizer<H>,
  train: Batch,
  val: Batch,
  opts: { clip?: number; unroll?: Omit<UnrollContext, 'train'> } = {},
): StepResult {
  const archLoss = architect.step(val, opts.unroll ? { ...opts.unroll, train } : undefined);
  const { loss, acc } = weightStep(space, sampler, optimizer, train, opts.clip ?? 5);
  return { archLoss, trainLoss: loss, trainAcc: acc };
}
