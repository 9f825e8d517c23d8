// Accuracy passes in evaluation mode (dropout off, BatchNorm on running
// statistics). The reference evaluates sub-networks with dropout on in parts
// of its two-stage search (reference-facts 9.2); we do not.
import type { BatchLoader } from '../data/loader.js';
import type { Layer } from '../nn/layer.js';
import type { Module } from '../nn/module.js';
import type { Architecture } from '../nas/choice.js';
import type { SearchSpace } from '../nas/space.js';
import { noGrad } from '../tensor/autograd.js';
import { withPrecision } from '../tensor/precision.js';
import { softmax } from '../tensor/ops/activation.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface EvalResult {
  /** Accuracy per label (images: per image; language models: per token). */
  acc: number;
  /** Mean loss per label. */
  loss: number;
  /** Labels seen. */
  n: number;
}

/** One pass over the loader's current epoch with `forward`, without gradients. */
export function evaluateLoader(model: Module, forward: (x: Tensor) => Tensor, loss: (logits: Tensor, y: Tensor) => Tensor, loader: BatchLoader): EvalResult {
  const wasTraining = model.training;
  model.eval();
  let correct = 0, lossSum = 0, n = 0;
  try {
    for (const b of loader.epochBatches()) {
      tidy(() => {
        noGrad(() => {
          const logits = forward(b.x);
          // Per label: an image's class, or every position of a token window
          // (the loss is a mean over them too).
          const labels = b.y.numel;
          correct += logits.argmax(-1).eq(b.y).sum().item();
          lossSum += loss(logits, b.y).item() * labels;
          n += labels;
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

/**
 * Where BatchNorm statistics for one sub-network come from: the first
 * `batches` batches of a fixed loader (the weight split, index order, no
 * augmentation), replayed from the same position every time.
 */
export interface Calibration {
  loader: BatchLoader;
  start: object;
  batches: number;
}

interface BnLike {
  training: boolean;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  numBatchesTracked?: Tensor | null;
  /** nn.BatchNorm2d: null = cumulative average. */
  momentum?: number | null;
  /** EntangledBatchNorm2d keeps its momentum in its options. */
  opts?: { momentum: number };
}

function batchNorms(m: Module): BnLike[] {
  return m
    .namedModules()
    .map(([, x]) => x as unknown as BnLike)
    .filter((x) => x.runningMean instanceof Object && x.runningVar instanceof Object && (typeof x.momentum !== 'undefined' || typeof x.opts?.momentum === 'number'));
}

/**
 * Runs `fn` with the supernet's BatchNorm statistics recomputed for one
 * architecture (cumulative average over the calibration batches, only the
 * BatchNorms in training mode, so dropout stays off and no random numbers are
 * drawn), then puts the shared statistics back. The running statistics of a
 * supernet average over every sub-network (or the mixture) it was trained
 * with, which is not any single sub-network's.
 */
export function withCalibratedBatchNorm<T>(space: SearchSpace, arch: Architecture, cal: Calibration | null, fn: () => T): T {
  const bns = batchNorms(space.supernet);
  if (!cal || cal.batches === 0 || bns.length === 0) return fn();
  const saved = noGrad(() => bns.map((b) => ({ mean: b.runningMean!.clone(), v: b.runningVar!.clone(), n: b.numBatchesTracked?.clone() ?? null, momentum: b.momentum, opt: b.opts?.momentum })));
  const wasTraining = space.supernet.training;
  try {
    space.supernet.eval();
    noGrad(() => {
      for (const b of bns) {
        b.runningMean!.zero_();
        b.runningVar!.fill_(1);
        b.numBatchesTracked?.zero_();
        b.training = true;
      }
    });
    const sample = space.fixed(arch, 'discrete');
    cal.loader.restore(cal.start);
    for (let i = 0; i < cal.batches; i++) {
      tidy(() => {
        const batch = cal.loader.next();
        for (const b of bns) {
          if (b.momentum !== undefined) b.momentum = null;
          if (b.opts) b.opts.momentum = 1 / (i + 1); // cumulative average
        }
        noGrad(() => space.supernet.forward(batch.x, sample));
        batch.x.dispose();
        batch.y.dispose();
      });
    }
    for (const b of bns) b.training = false;
    return fn();
  } finally {
    noGrad(() =>
      bns.forEach((b, i) => {
        const s = saved[i];
        b.runningMean!.copy_(s.mean);
        b.runningVar!.copy_(s.v);
        if (s.n && b.numBatchesTracked) b.numBatchesTracked.copy_(s.n);
        if (b.momentum !== undefined) b.momentum = s.momentum ?? null;
        if (b.opts && s.opt !== undefined) b.opts.momentum = s.opt;
      }),
    );
    for (const s of saved) {
      s.mean.dispose();
      s.v.dispose();
      s.n?.dispose();
    }
    space.supernet.train(wasTraining);
  }
}

/**
 * The supernet's accuracy for one architecture (= the inherited sub-network's,
 * by the one-hot invariant), with BatchNorm statistics calibrated for it when
 * `cal` is given (`timing` receives how long the calibration took).
 */
export function evaluateArchitecture(space: SearchSpace, arch: Architecture, loader: BatchLoader, cal: Calibration | null = null, timing?: { calibrationMs: number }): EvalResult {
  const sample = space.fixed(arch, 'discrete');
  const t0 = Date.now();
  return withPrecision(() =>
    withCalibratedBatchNorm(space, arch, cal, () => {
      if (timing) timing.calibrationMs = Date.now() - t0;
      return evaluateLoader(space.supernet, (x) => space.supernet.forward(x, sample), (l, y) => space.loss(l, y), loader);
    }),
  );
}

export function evaluateNetwork(space: SearchSpace, net: Layer, loader: BatchLoader): EvalResult {
  return withPrecision(() => evaluateLoader(net, (x) => net.forward(x), (l, y) => space.loss(l, y), loader));
}

/** Median wall time (ms) of a no-grad eval-mode forward of `x` (the first call warms up). */
function medianForwardMs(net: Layer, x: Tensor, repeats: number): number {
  const wasTraining = net.training;
  net.eval();
  try {
    const times: number[] = [];
    for (let i = 0; i <= repeats; i++) {
      const t0 = performance.now();
      tidy(() => noGrad(() => net.forward(x).sum().item()));
      if (i > 0) times.push(performance.now() - t0);
    }
    times.sort((a, c) => a - c);
    return times[Math.floor(times.length / 2)];
  } finally {
    net.train(wasTraining);
  }
}

/** Median eval-mode forward time over one batch, per input element (a token for language models). */
export function inferenceMsPer(net: Layer, loader: BatchLoader, repeats = 5): number {
  const b = loader.next();
  try {
    return medianForwardMs(net, b.x, repeats) / b.x.numel;
  } finally {
    b.x.dispose();
    b.y.dispose();
  }
}

/** Latency of an image network: median eval-mode forward time of one image (batch 1), on the run's device and threads. */
export function latencyMs(net: Layer, loader: BatchLoader, repeats = 10): number {
  const b = loader.next();
  try {
    return tidy(() => medianForwardMs(net, b.x.narrow(0, 0, 1).contiguous(), repeats));
  } finally {
    b.x.dispose();
    b.y.dispose();
  }
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
