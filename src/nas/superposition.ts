// Weight superposition for one entangled weight tensor.
//
// Every candidate (a tuple of values, one per factor choice) selects a box of the
// super-weight: along each governed dim a range [start, end) (a prefix for
// channels and widths, a centred window for kernels). Superposition is
//     W_mix = sum_n w_n * pad(slice_n(W)) = W * M,   M = sum_n w_n * box_n,
// with w the combi weights. We never materialise padded copies: when every
// governed dim depends on one factor, M is an outer product of per-factor masks
// (conv: m_out x m_in x m_k); otherwise M = Z_A^T Z_B with Z the candidates'
// masks split into two dim groups (cost linear in the candidate count).
import { tidy } from '../tensor/scope.js';
import { keep } from '../tensor/scope.js';
import { ones, tensor, zeros, type Device, type Tensor } from '../tensor/tensor.js';
import { combiSuperposition } from './arch.js';
import type { Factor, ChoiceValue } from './choice.js';

export type Range = readonly [number, number];

/** How one weight dim is sliced: a range chosen by the values of some factors. */
export interface DimRule {
  dim: number;
  /** Indices into the factor list. */
  dependsOn: number[];
  /** The range for a full candidate tuple (values for every factor). */
  range(values: readonly ChoiceValue[]): Range;
}

/** A prefix of `size(values)` elements. */
export function prefixRule(dim: number, dependsOn: number[], size: (values: readonly ChoiceValue[]) => number): DimRule {
  return { dim, dependsOn, range: (v) => [0, size(v)] };
}

/** A centred window of `size(values)` in a dim of length `max` (kernel crops). */
export function centredRule(dim: number, dependsOn: number[], max: number, size: (values: readonly ChoiceValue[]) => number): DimRule {
  return {
    dim,
    dependsOn,
    range: (v) => {
      const k = size(v);
      const s = Math.floor((max - k) / 2);
      return [s, s + k];
    },
  };
}

function product(sizes: number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of sizes) out = out.flatMap((t) => Array.from({ length: n }, (_, i) => [...t, i]));
  return out;
}

export class Superposition {
  readonly shape: readonly number[];
  readonly factors: readonly Factor[];
  readonly rules: readonly DimRule[];
  /** Candidate index tuples in combi order (first factor outermost). */
  readonly candidates: readonly number[][];
  readonly factorised: boolean;
  // Built on first use, once per device (a space moved to a GPU gets its own copy).
  readonly #ruleMasks = new Map<Device, Tensor[]>(); // per rule: [N, shape[dim]]
  readonly #groupMasks = new Map<Device, { factor: number; dims: number[]; masks: Tensor }[]>();

  constructor(shape: readonly number[], factors: readonly Factor[], rules: readonly DimRule[]) {
    this.shape = shape;
    this.factors = factors;
    this.rules = [...rules].sort((a, b) => a.dim - b.dim);
    const dims = new Set<number>();
    for (const r of this.rules) {
      if (r.dim < 0 || r.dim >= shape.length) throw new RangeError(`superposition: rule for dim ${r.dim} but the weight has ${shape.length} dims`);
      if (dims.has(r.dim)) throw new Error(`superposition: two rules for dim ${r.dim}`);
      dims.add(r.dim);
      for (const f of r.dependsOn) if (f < 0 || f >= factors.length) throw new RangeError(`superposition: rule for dim ${r.dim} depends on factor ${f} of ${factors.length}`);
    }
    this.candidates = product(factors.map((c) => c.size));
    for (const t of this.candidates) {
      for (const r of this.rules) {
        const [s, e] = r.range(this.values(t));
        if (!(Number.isInteger(s) && Number.isInteger(e) && 0 <= s && s < e && e <= shape[r.dim])) {
          throw new RangeError(`superposition: candidate (${this.values(t).join(', ')}) gives range [${s}, ${e}) outside dim ${r.dim} of size ${shape[r.dim]}`);
        }
      }
    }
    this.factorised = this.rules.every((r) => r.dependsOn.length === 1);
  }

  values(indices: readonly number[]): ChoiceValue[] {
    return indices.map((i, f) => this.factors[f].values[i]);
  }

  /** Ranges per governed dim for one candidate. */
  ranges(indices: readonly number[]): Map<number, Range> {
    const v = this.values(indices);
    return new Map(this.rules.map((r) => [r.dim, r.range(v)]));
  }

  #indicator(len: number, [s, e]: Range): Float32Array {
    const m = new Float32Array(len);
    m.fill(1, s, e);
    return m;
  }

  /** Per rule, the candidates' 0/1 masks [N, size]. */
  #masks(device: Device): Tensor[] {
    let m = this.#ruleMasks.get(device);
    if (!m) {
      m = this.rules.map((r) => {
        const len = this.shape[r.dim];
        const data = new Float32Array(this.candidates.length * len);
        this.candidates.forEach((t, n) => data.set(this.#indicator(len, r.range(this.values(t))), n * len));
        return keep(tensor(data, { shape: [this.candidates.length, len], device }));
      });
      this.#ruleMasks.set(device, m);
    }
    return m;
  }

  /** Factorised form: per factor, the masks of its dims for each of its values. */
  #groups(device: Device): { factor: number; dims: number[]; masks: Tensor }[] {
    const cached = this.#groupMasks.get(device);
    if (cached) return cached;
    const byFactor = new Map<number, DimRule[]>();
    for (const r of this.rules) byFactor.set(r.dependsOn[0], [...(byFactor.get(r.dependsOn[0]) ?? []), r]);
    const groups = [...byFactor].map(([f, rules]) => {
      const c = this.factors[f];
      const sizes = rules.map((r) => this.shape[r.dim]);
      const block = sizes.reduce((a, b) => a * b, 1);
      const data = new Float32Array(c.size * block);
      for (let v = 0; v < c.size; v++) {
        // A full tuple with this factor at v; the rules only read factor f.
        const t = this.factors.map((_, g) => (g === f ? v : 0));
        const vals = this.values(t);
        const ind = rules.map((r, k) => this.#indicator(sizes[k], r.range(vals)));
        // Outer product of the dims' indicators, row-major over the dims.
        for (let i = 0; i < block; i++) {
          let rem = i, on = 1;
          for (let k = rules.length - 1; k >= 0; k--) {
            on *= ind[k][rem % sizes[k]];
            rem = Math.floor(rem / sizes[k]);
          }
          data[v * block + i] = on;
        }
      }
      return { factor: f, dims: rules.map((r) => r.dim), masks: keep(tensor(data, { shape: [c.size, block], device })) };
    });
    this.#groupMasks.set(device, groups);
    return groups;
  }

  /** Shape that places the listed dims and broadcasts over the others. */
  #broadcastShape(dims: number[]): number[] {
    return this.shape.map((n, d) => (dims.includes(d) ? n : 1));
  }

  /**
   * The superposition mask M (broadcastable to the weight's shape) for the
   * factors' mixing weights `ws` (one vector per factor, in factor order).
   */
  mask(ws: readonly Tensor[]): Tensor {
    this.#checkWeights(ws);
    if (this.factors.length === 0) return ones([]);
    if (this.rules.length === 0) return combiSuperposition(ws).sum();
    return tidy(() => {
      if (this.factorised) {
        let m: Tensor | null = null;
        const groups = this.#groups(ws[0].device);
        for (const g of groups) {
          const gm = ws[g.factor].reshape(1, -1).matmul(g.masks).reshape(...this.#broadcastShape(g.dims));
          m = m === null ? gm : m.mul(gm);
        }
        // Factors that govern no dim still scale the mixture by their weight sum.
        const used = new Set(groups.map((g) => g.factor));
        for (let f = 0; f < ws.length; f++) if (!used.has(f)) m = m!.mul(ws[f].sum());
        return m!;
      }
      const w = combiSuperposition(ws);
      const masks = this.#masks(ws[0].device);
      const za = masks[0].mul(w.reshape(-1, 1)); // [N, |A|]
      let zb: Tensor | null = null; // Khatri-Rao of the remaining dims: [N, prod]
      for (let k = 1; k < masks.length; k++) {
        zb = zb === null ? masks[k] : zb.unsqueeze(2).mul(masks[k].unsqueeze(1)).reshape(this.candidates.length, -1);
      }
      const m = zb === null ? za.sum(0) : za.transpose(0, 1).matmul(zb);
      return m.reshape(...this.#broadcastShape(this.rules.map((r) => r.dim)));
    });
  }

  /** The mask along one dim only (for biases and per-channel parameters): sum_n w_n box_n[dim]. */
  dimMask(ws: readonly Tensor[], dim: number): Tensor {
    this.#checkWeights(ws);
    const k = this.rules.findIndex((r) => r.dim === dim);
    if (this.factors.length === 0) return ones([this.shape[dim]]);
    return tidy(() => {
      const w = combiSuperposition(ws);
      if (k < 0) return w.sum().expand(this.shape[dim]);
      return w.reshape(1, -1).matmul(this.#masks(w.device)[k]).reshape(this.shape[dim]);
    });
  }

  /** W_mix = W * M. */
  mix(weight: Tensor, ws: readonly Tensor[]): Tensor {
    if (this.factors.length === 0) return weight;
    return tidy(() => weight.mul(this.mask(ws)));
  }

  /** The chosen candidate's slice of W (a view). */
  slice(weight: Tensor, indices: readonly number[]): Tensor {
    let t = weight;
    for (const [dim, [s, e]] of this.ranges(indices)) t = t.narrow(dim, s, e - s);
    return t;
  }

  #checkWeights(ws: readonly Tensor[]): void {
    if (ws.length !== this.factors.length) throw new Error(`superposition: got ${ws.length} weight vectors for ${this.factors.length} factors (${this.factors.map((c) => c.name).join(', ')})`);
    ws.forEach((w, f) => {
      const s = w.shape;
      if (s.length !== 1 || s[0] !== this.factors[f].size) throw new Error(`superposition: weights for '${this.factors[f].name}' have shape [${s.join(', ')}], expected [${this.factors[f].size}]`);
    });
  }
}

/**
 * The definition, literally: sum_n w_n * zero_pad(slice_n(W)). Materialises every
 * candidate; for tests and documentation, not for training.
 */
export function explicitSuperposition(sp: Superposition, weight: Tensor, ws: readonly Tensor[]): Tensor {
  return tidy(() => {
    const w = combiSuperposition(ws);
    let acc = zeros([...sp.shape], { dtype: weight.dtype });
    sp.candidates.forEach((t, n) => {
      const ranges = sp.ranges(t);
      const pads: number[] = [];
      for (let d = sp.shape.length - 1; d >= 0; d--) {
        const [s, e] = ranges.get(d) ?? [0, sp.shape[d]];
        pads.push(s, sp.shape[d] - e);
      }
      acc = acc.add(sp.slice(weight, t).pad(pads).mul(w.narrow(0, n, 1)));
    });
    return acc;
  });
}
