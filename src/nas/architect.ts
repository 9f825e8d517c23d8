// The bi-level architect: updates alpha on a validation batch with
// Adam(3e-4, betas (0.5, 0.999), weight decay 1e-3), first order (DARTS v1,
// DrNAS, GDAS) or second order (DARTS v2: unrolled weights, finite-difference
// Hessian-vector product). Weights are updated separately, on a training batch.
// With cost constraints, the architecture loss gains their penalty (its
// multipliers step after every alpha update; constraint.ts).
import type { GradSync } from './grad-sync.js';
import { Adam } from '../nn/optim/adam.js';
import { grad, noGrad } from '../tensor/autograd.js';
import { keep, tidy } from '../tensor/scope.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import type { ArchSample } from './arch.js';
import type { ConstraintPenalty } from './constraint.js';
import type { Sampler } from './samplers/sampler.js';
import type { SearchSpace } from './space.js';

export interface Batch {
  x: Tensor;
  y: Tensor;
}

export interface ArchitectOptions {
  lr?: number;
  betas?: [number, number];
  /** Adam weight decay on alpha; the sampler may override it (DrNAS's regulariser). */
  weightDecay?: number;
  order?: 1 | 2;
  /** Cost constraints on the discretised architecture (none: unconstrained). */
  penalty?: ConstraintPenalty | null;
  /** Preference-conditioned alpha for a Pareto front (pareto.ts); none: plain alpha. */
  preference?: PreferenceOptions | null;
  /** Data-parallel runs: averages alpha's gradients over the ranks, in place, before the update. */
  sync?: GradSync | null;
}

export interface PreferenceOptions {
  metric: 'params' | 'flops';
  /** lambda at t = 1 (alpha(t) = base - t * strength * direction). */
  strength: number;
  /** Per choice, per option: its relative extra cost (pareto.ts costDirection). */
  direction: number[][];
}

/** What the second-order step needs from the weight optimizer (reference-facts 4). */
export interface UnrollContext {
  train: Batch;
  /** Current weight learning rate (xi). */
  lr: number;
  momentum: number;
  weightDecay: number;
  /** The weight optimizer's momentum buffer of a parameter, if any. */
  momentumBuffer?: (p: Tensor) => Tensor | null;
}

export class Architect {
  readonly optimizer: Adam | null;
  readonly order: 1 | 2;
  readonly penalty: ConstraintPenalty | null;
  readonly preference: PreferenceOptions | null;
  readonly #sync: GradSync | null;
  /**
   * Preference mode: alpha(t) = base - t * strength * direction; base is what
   * the optimizer trains, with the gradient at alpha(t) (pareto.ts says why
   * the cost is not in the loss).
   */
  readonly base: Tensor[] = [];
  readonly #direction: Tensor[] = [];
  #t = 0;

  constructor(readonly space: SearchSpace, readonly sampler: Sampler, opts: ArchitectOptions = {}) {
    this.order = opts.order ?? 1;
    this.penalty = opts.penalty ?? null;
    this.#sync = opts.sync ?? null;
    if (this.order !== 1 && this.order !== 2) throw new Error(`architect: order must be 1 or 2, got ${opts.order}`);
    this.preference = sampler.trainsAlpha ? (opts.preference ?? null) : null;
    if (this.preference) {
      const { direction } = this.preference;
      if (direction.length !== space.choices.length || space.choices.some((c, i) => direction[i].length !== c.size)) {
        throw new Error(`architect: the preference direction must have one entry per option of each of the ${space.choices.length} choices`);
      }
      space.alphas().forEach((a, i) => {
        this.base.push(keep(noGrad(() => a.clone())).requiresGrad_(true));
        this.#direction.push(keep(tensor(direction[i], { dtype: a.dtype, device: a.device })));
      });
    }
    // SPOS never trains alpha.
    this.optimizer = sampler.trainsAlpha
      ? new Adam(this.preference ? this.base : space.alphas(), { lr: opts.lr ?? 3e-4, betas: opts.betas ?? [0.5, 0.999], weightDecay: sampler.archWeightDecay(opts.weightDecay ?? 1e-3) })
      : null;
  }

  #loss(b: Batch): Tensor {
    const { supernet, choices } = this.space;
    const sample = this.sampler.sample(choices);
    return this.withArchTerms(this.space.loss(supernet.forward(b.x, sample), b.y), sample);
  }

  /** The architecture loss of a data loss under `sample`: plus the sampler's regulariser and the constraints' penalty. */
  withArchTerms(loss: Tensor, sample: ArchSample): Tensor {
    const reg = this.sampler.regularizer(this.space.choices);
    if (reg) loss = loss.add(reg);
    const pen = this.penalty?.loss(this.space, sample);
    if (pen) loss = loss.add(pen);
    return loss;
  }

  /**
   * The alpha update from gradients computed elsewhere (`arch_update:
   * simultaneous`: one backward gave the weights and alpha theirs): averaged
   * over data-parallel ranks, Adam, then the preference and penalty updates.
   */
  applyGradients(grads: Tensor[]): void {
    if (!this.optimizer) return;
    tidy(() => {
      this.#sync?.average(grads);
      // Preference mode: d alpha(t) / d base = 1.
      const trained = this.preference ? this.base : this.space.alphas();
      trained.forEach((a, i) => (a.grad = grads[i]));
      this.optimizer!.step();
      for (const a of trained) a.grad = null;
      if (this.preference) this.setPreference(this.#t);
      this.penalty?.update(this.space, this.space.discretize());
    });
  }

  /**
   * One alpha update. Only alpha's gradient is computed (autograd.grad), so the
   * weights' gradients stay untouched for the weight step that follows.
   * Returns the validation loss.
   */
  step(val: Batch, unroll?: UnrollContext): number {
    if (!this.optimizer) return Number.NaN;
    if (this.order === 2 && !unroll) throw new Error('architect: second order needs the training batch and the weight optimizer context');
    const alphas = this.space.alphas();
    return tidy(() => {
      const { loss, grads } = this.order === 1 ? this.#firstOrder(val, alphas) : this.#secondOrder(val, alphas, unroll!);
      this.applyGradients(grads);
      return loss;
    });
  }

  /** Preference mode: alpha <- base - t * strength * direction (the sampler reads alpha). */
  setPreference(t: number): void {
    if (!this.preference) throw new Error('architect: setPreference needs the preference mode (pareto: true)');
    this.#t = t;
    const lambda = t * this.preference.strength;
    noGrad(() => this.space.alphas().forEach((a, i) => a.copy_(tidy(() => this.base[i].sub(this.#direction[i].mul(lambda))))));
  }

  #firstOrder(val: Batch, alphas: Tensor[]): { loss: number; grads: Tensor[] } {
    const loss = this.#loss(val);
    const grads = grad(loss, alphas, { allowUnused: true }).map((g, i) => g ?? alphas[i].mul(0));
    return { loss: loss.item(), grads };
  }

  #secondOrder(val: Batch, alphas: Tensor[], u: UnrollContext): { loss: number; grads: Tensor[] } {
    const net = this.space.supernet;
    const weights = net.parameters();
    const saved = noGrad(() => weights.map((w) => w.clone()));
    const savedBuffers = noGrad(() => net.namedBuffers().map(([, b]) => [b, b.clone()] as const));
    const restore = (offset: Tensor[] | null, eps = 0) =>
      noGrad(() => weights.forEach((w, i) => (offset ? w.copy_(saved[i]).add_(offset[i], eps) : w.copy_(saved[i]))));
    try {
      // Virtual step: w' = w - xi (mu m + dL_train/dw + lambda w)
      const gTrain = grad(this.#loss(u.train), weights, { allowUnused: true });
      noGrad(() =>
        weights.forEach((w, i) => {
          let d = gTrain[i] ?? w.mul(0);
          const m = u.momentumBuffer?.(w);
          if (m && u.momentum) d = d.add(m.mul(u.momentum));
          if (u.weightDecay) d = d.add(w.mul(u.weightDecay));
          w.add_(d, -u.lr);
        }),
      );
      const lossVal = this.#loss(val);
      const g = grad(lossVal, [...alphas, ...weights], { allowUnused: true });
      const dAlpha = alphas.map((a, i) => g[i] ?? a.mul(0));
      const dW = weights.map((w, i) => g[alphas.length + i] ?? w.mul(0));
      // Hessian-vector product by central differences around the original w.
      const norm = noGrad(() => dW.map((t) => t.square().sum()).reduce((a, b) => a.add(b)).sqrt().item());
      const eps = 0.01 / Math.max(norm, 1e-12);
      const alphaGradAt = (sign: 1 | -1): Tensor[] => {
        restore(dW, sign * eps);
        return grad(this.#loss(u.train), alphas, { allowUnused: true }).map((t, i) => t ?? alphas[i].mul(0));
      };
      const gPlus = alphaGradAt(1);
      const gMinus = alphaGradAt(-1);
      const grads = dAlpha.map((d, i) => d.sub(gPlus[i].sub(gMinus[i]).mul(u.lr / (2 * eps))));
      return { loss: lossVal.item(), grads };
    } finally {
      restore(null);
      noGrad(() => savedBuffers.forEach(([b, s]) => b.copy_(s)));
      for (const t of saved) t.dispose();
      for (const [, s] of savedBuffers) s.dispose();
    }
  }
}
