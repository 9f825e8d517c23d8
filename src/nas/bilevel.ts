// One bi-level search step (paper Algorithm 1): alpha on a validation batch
// (the architect), then the weights on a training batch under a fresh sample.
// After each of the two, a finiteness check (NonFiniteError naming the first
// bad value): the architecture loss and alpha; the training loss, the gradient
// norm the clipping computed and the model's BatchNorm statistics, one fused
// reduction per group of tensors.
import { firstNonFinite, isBatchNormStatistic, NonFiniteError } from '../nn/finite.js';
import type { Module } from '../nn/module.js';
import type { Optimizer, Hyper } from '../nn/optim/optimizer.js';
import { clipGradNorm } from '../nn/optim/clip.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Architect, Batch, UnrollContext } from './architect.js';
import { backwardSynced, type GradSync } from './grad-sync.js';
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

/**
 * Fraction of rows (or tokens: logits [..., classes]) whose argmax equals the
 * label; with class-probability labels (mixup, label smoothing) the most likely class.
 */
export function accuracy(logits: Tensor, y: Tensor): number {
  return tidy(() => logits.argmax(-1).eq(y.ndim === logits.ndim ? y.argmax(-1) : y).float().mean().item());
}

/**
 * After a weight step: the loss, the gradient norm (null when not clipped)
 * and the model's BatchNorm statistics must be finite; throws a
 * NonFiniteError naming the first that is not.
 */
export function checkWeightStep(r: { loss: number; gradNorm: number | null }, model: Module): void {
  if (!Number.isFinite(r.loss)) throw new NonFiniteError('weights', `the training loss is ${r.loss}`);
  if (r.gradNorm !== null && !Number.isFinite(r.gradNorm)) throw new NonFiniteError('weights', `the gradient norm is ${r.gradNorm}`);
  const bad = firstNonFinite(model.namedBuffers().filter(([name]) => isBatchNormStatistic(name)));
  if (bad) throw new NonFiniteError('weights', `BatchNorm statistic '${bad.name}' holds ${bad.values}`);
}

/** After an architecture step: its loss and every alpha must be finite (NonFiniteError otherwise). */
export function checkArchStep(space: SearchSpace, archLoss: number): void {
  if (!Number.isFinite(archLoss)) throw new NonFiniteError('arch', `the architecture loss is ${archLoss}`);
  const bad = firstNonFinite(space.choices.map((ch) => [ch.name, ch.alpha] as const));
  if (bad) throw new NonFiniteError('arch', `alpha '${bad.name}' holds ${bad.values}`);
}

/** Weight step: forward under a new sample, cross-entropy, backward, clip, update, finiteness check. */
export function weightStep<H extends Hyper>(space: SearchSpace, sampler: Sampler, optimizer: Optimizer<H>, batch: Batch, clip = 5, sync?: GradSync | null): { loss: number; acc: number; gradNorm: number | null } {
  const r = withFrozenAlphas(space, () =>
    tidy(() => {
      const logits = space.supernet.forward(batch.x, sampler.sample(space.choices));
      const loss = space.loss(logits, batch.y);
      optimizer.zeroGrad();
      // Data-parallel: the ranks' gradients averaged before clipping, as DDP does.
      backwardSynced(loss, space.supernet.parameters(), sync);
      const gradNorm = clip > 0 ? clipGradNorm(space.supernet.parameters(), clip) : null;
      optimizer.step();
      return { loss: loss.item(), acc: accuracy(logits, batch.y), gradNorm };
    }),
  );
  checkWeightStep(r, space.supernet);
  return r;
}

export function bilevelStep<H extends Hyper>(
  space: SearchSpace,
  sampler: Sampler,
  architect: Architect,
  optimizer: Optimizer<H>,
  train: Batch,
  val: Batch,
  opts: { clip?: number; unroll?: Omit<UnrollContext, 'train'>; sync?: GradSync | null } = {},
): StepResult {
  const archLoss = architect.step(val, opts.unroll ? { ...opts.unroll, train } : undefined);
  if (architect.optimizer) checkArchStep(space, archLoss);
  const { loss, acc } = weightStep(space, sampler, optimizer, train, opts.clip ?? 5, opts.sync);
  return { archLoss, trainLoss: loss, trainAcc: acc };
}

/**
 * `arch_update: simultaneous` (the reference's MobileNetV3 default,
 * reference-facts 6.6): one forward of the training batch under one sample,
 * one backward for the weights and alpha together (the architecture terms,
 * regulariser and penalty, added to the loss), then both updates. Half the
 * passes of the bi-level step, and no held-out split for alpha.
 */
export function simultaneousStep<H extends Hyper>(space: SearchSpace, sampler: Sampler, architect: Architect, optimizer: Optimizer<H>, train: Batch, opts: { clip?: number; sync?: GradSync | null } = {}): StepResult {
  const alphas = space.alphas();
  const clip = opts.clip ?? 5;
  const r = tidy(() => {
    const sample = sampler.sample(space.choices);
    const logits = space.supernet.forward(train.x, sample);
    const loss = space.loss(logits, train.y);
    optimizer.zeroGrad();
    for (const a of alphas) a.grad = null;
    backwardSynced(architect.withArchTerms(loss, sample), space.supernet.parameters(), opts.sync);
    const grads = alphas.map((a) => a.grad ?? a.mul(0));
    for (const a of alphas) a.grad = null;
    const gradNorm = clip > 0 ? clipGradNorm(space.supernet.parameters(), clip) : null;
    optimizer.step();
    architect.applyGradients(grads);
    return { loss: loss.item(), acc: accuracy(logits, train.y), gradNorm };
  });
  checkWeightStep(r, space.supernet);
  checkArchStep(space, r.loss);
  return { archLoss: r.loss, trainLoss: r.loss, trainAcc: r.acc };
}
