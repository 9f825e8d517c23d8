// The second-order (DARTS v2) architect step against the exact unrolled gradient.
//
// The architect approximates d/dalpha L_val(w', alpha), w' = w - xi (mu m +
// dL_train/dw + lambda w), with a finite-difference Hessian-vector product. Here
// the reference differentiates through the virtual step exactly (double
// backward, createGraph: true), on a smooth float64 network (tanh, linear maps,
// softmax-weighted mixtures; no ReLU, BatchNorm or dropout), so the central
// difference is accurate to ~1e-4 relative and a sign or scale error in the xi
// term shows up as an O(1) disagreement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Architect, type Batch, type UnrollContext } from './architect.js';
import type { ArchSample } from './arch.js';
import { choice, type Choice, type ChoiceValue } from './choice.js';
import { createSampler, type Sampler } from './samplers/index.js';
import { SearchSpace, Supernet } from './space.js';
import type { Layer } from '../nn/layer.js';
import { tanh } from '../tensor/ops/activation.js';
import { linear } from '../tensor/ops/linear.js';
import { grad, keep, manualSeed, noGrad, randint, randn, tidy, type Tensor } from '../tensor/index.js';

const f64 = { dtype: 'float64' } as const;
/** Relative tolerance of the comparison (the finite difference is good to ~1e-4). */
const RTOL = 1e-3;

/** A choice whose alpha is float64 (Choice makes float32 logits) and not tiny, so the mixture is uneven. */
function choice64<V extends ChoiceValue>(name: string, values: readonly V[]): Choice<V> {
  const c = choice(name, values);
  const a32 = c.alpha;
  const a64 = keep(noGrad(() => randn([values.length], f64).mul(0.7)));
  a64.requiresGrad_(true);
  (c as unknown as { alpha: Tensor }).alpha = a64;
  a32.dispose();
  return c;
}

/**
 * logits = sum_j w2_j B_j tanh(sum_k w1_k A_k x + a) + b, w1 = mix(op1), w2 = mix(op2).
 * forwardWith takes the weights explicitly (in parameters() order), so the
 * reference can evaluate the network at the differentiable unrolled weights.
 */
class SmoothSupernet extends Supernet {
  constructor(readonly op1: Choice, readonly op2: Choice, d: number, h: number, c: number) {
    super();
    for (let k = 0; k < op1.size; k++) this.param(`a${k}`, randn([h, d], f64).mul(0.6));
    this.param('aBias', randn([h], f64).mul(0.1));
    for (let j = 0; j < op2.size; j++) this.param(`b${j}`, randn([c, h], f64).mul(0.6));
    this.param('bBias', randn([c], f64).mul(0.1));
  }

  forwardWith(p: readonly Tensor[], x: Tensor, arch: ArchSample): Tensor {
    return tidy(() => {
      const k1 = this.op1.size;
      const k2 = this.op2.size;
      const w1 = arch.weights(this.op1);
      const w2 = arch.weights(this.op2);
      let pre = p[k1];
      for (let k = 0; k < k1; k++) pre = pre.add(linear(x, p[k]).mul(w1.narrow(0, k, 1)));
      const hidden = tanh(pre);
      let out = p[k1 + 1 + k2];
      for (let j = 0; j < k2; j++) out = out.add(linear(hidden, p[k1 + 1 + j]).mul(w2.narrow(0, j, 1)));
      return out;
    });
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return this.forwardWith(this.parameters(), x, arch);
  }
}

class SmoothSpace extends SearchSpace {
  readonly name = 'smooth-test';
  readonly inputShape = [5];
  readonly numClasses = 4;
  readonly choices: readonly Choice[];
  readonly supernet: SmoothSupernet;

  constructor() {
    super();
    const op1 = choice64('op1', ['p', 'q', 'r']);
    const op2 = choice64('op2', ['s', 't']);
    this.choices = [op1, op2];
    this.supernet = new SmoothSupernet(op1, op2, this.inputShape[0], 6, this.numClasses);
  }

  benchmarkKey(): string {
    throw new Error('smooth-test: no benchmark');
  }
  fromBenchmarkKey(): never {
    throw new Error('smooth-test: no benchmark');
  }
  subnet(): Layer {
    throw new Error('smooth-test: no subnet');
  }

  dispose(): void {
    this.supernet.dispose();
    for (const a of this.alphas()) a.dispose();
  }
}

function batch(space: SmoothSpace, n: number): Batch {
  return { x: keep(randn([n, ...space.inputShape], f64)), y: keep(randint(0, space.numClasses, [n])) };
}

const snapshot = (ts: Tensor[]) => noGrad(() => ts.map((t) => t.toArray()));

/** The architect's loss (darts has no regulariser) at explicit weights. */
function lossAt(space: SmoothSpace, sampler: Sampler, w: readonly Tensor[], b: Batch): Tensor {
  assert.equal(sampler.regularizer(space.choices), null);
  return space.loss(space.supernet.forwardWith(w, b.x, sampler.sample(space.choices)), b.y);
}

interface Reference {
  /** d/dalpha L_val(w', alpha) through w'(alpha): the DARTS v2 gradient. */
  exact: number[][];
  /** d/dalpha L_val(w', alpha) at fixed w' (no Hessian term). */
  partial: number[][];
  /** d/dalpha L_val(w, alpha): first order. */
  first: number[][];
}

/**
 * The exact unrolled gradient by double backward. `sign` = -1 flips the sign
 * of the xi term of the virtual step (w' = w + xi (...)): a negative control.
 */
function reference(space: SmoothSpace, sampler: Sampler, val: Batch, u: UnrollContext, momentum: Map<Tensor, Tensor | null>, sign: 1 | -1 = 1): Reference {
  return tidy(() => {
    const w = space.supernet.parameters();
    const alphas = space.alphas();
    const unrolled = (createGraph: boolean): Tensor[] => {
      const gTrain = grad(lossAt(space, sampler, w, u.train), w, { createGraph });
      return w.map((wi, i) => {
        let d = gTrain[i]!;
        if (!createGraph) d = d.detach();
        const m = momentum.get(wi);
        if (m) d = d.add(m.mul(u.momentum));
        d = d.add(wi.detach().mul(u.weightDecay));
        // Keep w' differentiable in alpha (through gTrain) only.
        return wi.detach().sub(d.mul(sign * u.lr));
      });
    };
    const alphaGrad = (weights: readonly Tensor[]): number[][] =>
      grad(lossAt(space, sampler, weights, val), alphas).map((g) => g!.toArray());
    return { exact: alphaGrad(unrolled(true)), partial: alphaGrad(unrolled(false)), first: alphaGrad(w) };
  });
}

const flat = (a: number[][]) => a.flat();

/** Largest |got - want| / max(|want|, 1e-2 max|want|) (alpha grads sum to 0 per choice, so guard tiny entries). */
function relErr(got: number[][], want: number[][]): number {
  const g = flat(got);
  const w = flat(want);
  assert.equal(g.length, w.length);
  const scale = Math.max(...w.map(Math.abs));
  return Math.max(...g.map((v, i) => Math.abs(v - w[i]) / Math.max(Math.abs(w[i]), 1e-2 * scale)));
}

const combine = (a: number[][], b: number[][], f: (x: number, y: number) => number) => a.map((row, i) => row.map((v, j) => f(v, b[i][j])));

/** Runs one second-order architect step, capturing the raw alpha gradient handed to Adam. */
function architectGradient(space: SmoothSpace, sampler: Sampler, val: Batch, u: UnrollContext, lr: number): { grads: number[][]; alpha0: number[][]; alpha1: number[][] } {
  const arch = new Architect(space, sampler, { order: 2, lr, weightDecay: 0 });
  const opt = arch.optimizer;
  assert.ok(opt);
  const step = opt.step.bind(opt);
  const captured: { grads: number[][] | null } = { grads: null };
  opt.step = () => {
    captured.grads = noGrad(() =>
      space.alphas().map((a) => {
        const g = a.grad;
        assert.ok(g, 'alpha has a gradient when Adam steps');
        const v = g.toArray();
        g.dispose();
        return v;
      }),
    );
    step();
  };
  const w0 = snapshot(space.supernet.parameters());
  const alpha0 = snapshot(space.alphas());
  const loss = arch.step(val, u);
  assert.ok(Number.isFinite(loss));
  assert.deepEqual(snapshot(space.supernet.parameters()), w0, 'weights restored after the virtual step');
  assert.ok(space.supernet.parameters().every((p) => p.grad === null), 'weight grads untouched');
  assert.ok(space.alphas().every((a) => a.grad === null), 'alpha grads cleared');
  assert.ok(captured.grads, 'the architect called optimizer.step');
  return { grads: captured.grads, alpha0, alpha1: snapshot(space.alphas()) };
}

function check(seed: number, opts: { xi: number; momentum: number; weightDecay: number; withBuffers: boolean }): void {
  manualSeed(seed);
  const space = new SmoothSpace();
  const sampler = createSampler('darts');
  const val = batch(space, 8);
  const train = batch(space, 8);
  const params = space.supernet.parameters();
  // The last parameter has no momentum buffer (returns null), like a fresh one.
  const momentum = new Map<Tensor, Tensor | null>(
    params.map((p, i) => [p, opts.withBuffers && i < params.length - 1 ? keep(noGrad(() => randn(p.shape, f64).mul(0.5))) : null]),
  );
  const u: UnrollContext = {
    train,
    lr: opts.xi,
    momentum: opts.momentum,
    weightDecay: opts.weightDecay,
    ...(opts.withBuffers ? { momentumBuffer: (p: Tensor) => momentum.get(p) ?? null } : {}),
  };
  try {
    const ref = reference(space, sampler, val, u, momentum);
    const flipped = reference(space, sampler, val, u, momentum, -1);
    const lr = 0.01;
    const got = architectGradient(space, sampler, val, u, lr);

    const err = relErr(got.grads, ref.exact);
    const errFirst = relErr(ref.first, ref.exact);
    const errPartial = relErr(ref.partial, ref.exact);
    // The Hessian term with its sign flipped, or at half its size.
    const hessFlipped = combine(ref.partial, ref.exact, (p, e) => 2 * p - e);
    const hessHalved = combine(ref.partial, ref.exact, (p, e) => (p + e) / 2);
    const errFlip = relErr(got.grads, flipped.exact);
    const errHessFlip = relErr(got.grads, hessFlipped);
    const errHessHalf = relErr(got.grads, hessHalved);
    console.log(
      `seed ${seed} xi=${opts.xi} mu=${opts.momentum} lambda=${opts.weightDecay}: rel err vs exact ${err.toExponential(2)}; ` +
        `exact vs first order ${errFirst.toExponential(2)}, vs no-Hessian ${errPartial.toExponential(2)}; ` +
        `architect vs flipped step ${errFlip.toExponential(2)}, flipped Hessian term ${errHessFlip.toExponential(2)}, halved ${errHessHalf.toExponential(2)}`,
    );

    // The xi term is a large part of the gradient, far above the tolerance ...
    assert.ok(errFirst > 50 * RTOL, `exact unrolled vs first order differ by only ${errFirst}`);
    assert.ok(errPartial > 50 * RTOL, `the Hessian term is only ${errPartial} of the gradient`);
    // ... the architect matches the exact unrolled gradient ...
    assert.ok(err < RTOL, `architect vs exact unrolled gradient: relative error ${err}\n got ${JSON.stringify(got.grads)}\n want ${JSON.stringify(ref.exact)}`);
    // ... and the negative controls (sign or scale errors in the xi term) would fail.
    for (const [what, e] of [['flipped virtual step', errFlip], ['flipped Hessian term', errHessFlip], ['halved Hessian term', errHessHalf]] as const) {
      assert.ok(e > 20 * RTOL, `negative control (${what}) agrees to ${e}: the comparison cannot fail`);
    }
    // Adam's first step (weight decay 0) used that gradient: alpha1 = alpha0 - lr g / (|g| + eps).
    got.alpha1.forEach((row, i) =>
      row.forEach((v, j) => {
        const g = got.grads[i][j];
        const expect = got.alpha0[i][j] - (lr * g) / (Math.abs(g) + 1e-8);
        assert.ok(Math.abs(v - expect) < 1e-9, `alpha ${i},${j}: ${v} vs ${expect}`);
      }),
    );
  } finally {
    space.dispose();
    for (const t of [val.x, val.y, train.x, train.y, ...[...momentum.values()].filter((m): m is Tensor => m !== null)]) t.dispose();
  }
}

test('second order, no momentum or weight decay: the architect matches the exact unrolled gradient (large xi)', () => {
  check(11, { xi: 0.5, momentum: 0, weightDecay: 0, withBuffers: false });
  check(12, { xi: 0.2, momentum: 0, weightDecay: 0, withBuffers: false });
});

test('second order with a momentum buffer and weight decay in the virtual step matches the exact unrolled gradient', () => {
  check(21, { xi: 0.3, momentum: 0.9, weightDecay: 0.05, withBuffers: true });
  check(22, { xi: 0.5, momentum: 0.5, weightDecay: 0.2, withBuffers: true });
});
