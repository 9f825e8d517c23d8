// Accuracy passes in evaluation mode (dropout off, BatchNorm on running
// statistics). The reference evaluates sub-networks with dropout on in parts
// of its two-stage search (reference-facts 9.2); we do not.
import type { ImageLoader } from '../data/loader.js';
import type { Layer } from '../nn/layer.js';
import type { Module } from '../nn/module.js';
import type { Architecture } from '../nas/choice.js';
import type { SearchSpace } from '../spaces/space.js';
import { noGrad } from '../tensor/autograd.js';
import { softmax } from '../tensor/ops/activation.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface EvalResult {
  acc: number;
  loss: number;
  n: number;
}

/** One pass over the loader's current epoch with `forward`, without gradients. */
export function evaluateLoader(model: Module, forward: (x: Tensor) => Tensor, loss: (logits: Tensor, y: Tensor) => Tensor, loader: ImageLoader): EvalResult {
  const wasTraining = model.training;
  model.eval();
  let correct = 0, lossSum = 0, n = 0;
  try {
    for (const b of loader.epochBatches()) {
      tidy(() => {
        noGrad(() => {
          const logits = forward(b.x);
          correct += logits.argmax(1).eq(b.y).sum().item();
          lossSum += loss(logits, b.y).item() * b.size;
          n += b.size;
        });
        b.x.dispose();
        b.y.dispose();
      });
    }
  } finally {
    model.train(wasTraining);
  }
  return { acc: n ? correct / n : NaN, loss: n ? lossSum / n : NaN, n };
}

/** The supernet's accuracy for one architecture (= the inherited sub-network's, by the one-hot invariant). */
export function evaluateArchitecture(space: SearchSpace, arch: Architecture, loader: ImageLoader): EvalResult {
  const sample = space.fixed(arch, 'discrete');
  return evaluateLoader(space.supernet, (x) => space.supernet.forward(x, sample), (l, y) => space.loss(l, y), loader);
}

export function evaluateNetwork(space: SearchSpace, net: Layer, loader: ImageLoader): EvalResult {
  return evaluateLoader(net, (x) => net.forward(x), (l, y) => space.loss(l, y), loader);
}

/** softmax(alpha) per choice, rounded for the metrics. */
export function alphaSoftmax(space: SearchSpace, digits = 4): Record<string, number[]> {
  const f = 10 ** digits;
  return noGrad(() => Object.fromEntries(space.choices.map((c) => [c.name, tidy(() => softmax(c.alpha, -1).toArray().map((p) => Math.round(p * f) / f))])));
}

/** Raw alpha values (exact float32 values as JS numbers). */
export function alphaValues(space: SearchSpace): Record<string, number[]> {
  return noGrad(() => Object.fromEntries(space.choices.map((c) => [c.name, c.alpha.toArray()])));
}
