// The mixing weights of one forward pass: what a sampler produces from alpha and
// what entangled operations consume.
import { noGrad } from '../tensor/autograd.js';
import { oneHot, tensor, type Tensor } from '../tensor/tensor.js';
import type { Architecture, Choice, Factor } from './choice.js';

/**
 * superposition: mix the candidates' zero-padded weight slices (one op call).
 * discrete: run only the chosen candidate's slice (SPOS, GDAS, extracted subnets).
 */
export type ForwardMode = 'superposition' | 'discrete';

export class ArchSample {
  readonly mode: ForwardMode;
  readonly #weights: Map<Choice, Tensor>;
  readonly #indices = new Map<Choice, number>();
  /**
   * In discrete mode, scale the chosen slice by its weight so a straight-through
   * gradient reaches alpha (GDAS). Constant one-hot weights do not need it.
   */
  readonly straightThrough: boolean;

  constructor(mode: ForwardMode, weights: Map<Choice, Tensor>, opts: { straightThrough?: boolean; indices?: Map<Choice, number> } = {}) {
    this.mode = mode;
    this.#weights = weights;
    this.straightThrough = opts.straightThrough ?? false;
    for (const [c, i] of opts.indices ?? []) this.#indices.set(c, i);
  }

  /** Mixing weights of a choice, shape [choice.size]. */
  weights(c: Factor): Tensor {
    const w = this.#weights.get(c as Choice);
    if (!w) throw new Error(`no mixing weights for choice '${c.name}': the sampler was given a different choice list than the model uses`);
    return w;
  }

  /** The chosen (argmax) index of a choice. */
  index(c: Factor): number {
    let i = this.#indices.get(c as Choice);
    if (i === undefined) {
      const w = noGrad(() => this.weights(c).toArray());
      i = w.indexOf(Math.max(...w));
      this.#indices.set(c as Choice, i);
    }
    return i;
  }

  /** Product of the factors' weights at their chosen indices (the discrete path's scale). */
  chosenWeight(factors: readonly Factor[]): Tensor | null {
    if (!this.straightThrough || factors.length === 0) return null;
    let s: Tensor | null = null;
    for (const c of factors) {
      const wi = this.weights(c).narrow(0, this.index(c), 1);
      s = s === null ? wi : s.mul(wi);
    }
    return s;
  }

  choices(): Choice[] {
    return [...this.#weights.keys()];
  }

  /** The architecture this sample selects (argmax per choice). */
  architecture(): Architecture {
    const a: Architecture = {};
    for (const c of this.#weights.keys()) a[c.name] = this.index(c);
    return a;
  }

  /** Constant one-hot weights for a fixed architecture. */
  static fixed(choices: readonly Choice[], arch: Architecture, mode: ForwardMode = 'discrete'): ArchSample {
    const weights = new Map<Choice, Tensor>();
    const indices = new Map<Choice, number>();
    for (const c of choices) {
      const i = arch[c.name];
      if (i === undefined || !Number.isInteger(i) || i < 0 || i >= c.size) {
        throw new RangeError(`architecture: choice '${c.name}' needs an index in [0, ${c.size}), got ${i}`);
      }
      weights.set(c, oneHot(tensor([i], { dtype: 'int64' }), c.size).float().reshape(c.size));
      indices.set(c, i);
    }
    return new ArchSample(mode, weights, { indices });
  }
}

/**
 * Combi-superposition weights: the flattened outer product of the factors'
 * weight vectors, first factor outermost, last fastest (itertools.product order).
 */
export function combiSuperposition(weights: readonly Tensor[]): Tensor {
  if (weights.length === 0) throw new Error('combiSuperposition: needs at least one factor');
  let w = weights[0];
  for (let f = 1; f < weights.length; f++) w = w.outer(weights[f]).reshape(-1);
  return w;
}
