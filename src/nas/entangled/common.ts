// Shared helpers for entangled operations.
import type { Tensor } from '../../tensor/tensor.js';
import type { ArchSample } from '../arch.js';
import { Factor, type ChoiceValue } from '../choice.js';
import { combiSuperposition } from '../arch.js';
import { tidy } from '../../tensor/scope.js';
import { tensor } from '../../tensor/tensor.js';

/** A size computed from several choices, e.g. the MLP width embed x ratio. */
export class Derived {
  constructor(readonly of: readonly Factor<number>[], readonly fn: (...values: number[]) => number) {}
}
export function derived(of: readonly Factor<number>[], fn: (...values: number[]) => number): Derived {
  return new Derived(of, fn);
}

/** A fixed size, a choice among sizes, or a size derived from choices. */
export type Size = number | Factor<number> | Derived;

function product(lists: readonly (readonly number[])[]): number[][] {
  let out: number[][] = [[]];
  for (const l of lists) out = out.flatMap((t) => l.map((v) => [...t, v]));
  return out;
}

export function maxOf(s: Size): number {
  if (typeof s === 'number') return s;
  if (s instanceof Factor) return Math.max(...s.values);
  return Math.max(...product(s.of.map((c) => c.values)).map((v) => s.fn(...v)));
}

/** The choices a size depends on. */
export function choicesOf(s: Size): Factor<number>[] {
  return typeof s === 'number' ? [] : s instanceof Factor ? [s] : [...s.of];
}

/** Collects the factors of several sizes, in order of first appearance. */
export function factorsOf(...sizes: Size[]): Factor<number>[] {
  const out: Factor<number>[] = [];
  for (const s of sizes) for (const c of choicesOf(s)) if (!out.includes(c)) out.push(c);
  return out;
}

/** Resolves a size for a candidate tuple (values per factor, in `factors` order). */
export function sizeFor(s: Size, factors: readonly Factor[], values: readonly ChoiceValue[]): number {
  if (typeof s === 'number') return s;
  const v = (c: Factor) => Number(values[factors.indexOf(c)]);
  return s instanceof Factor ? v(s) : s.fn(...s.of.map(v));
}

/** Factor indices a size depends on. */
export function dependsOn(s: Size, factors: readonly Factor[]): number[] {
  return choicesOf(s).map((c) => factors.indexOf(c));
}

/** Expected or exact cost of an operation; tensors so that they are differentiable. */
export interface Cost {
  params: Tensor;
  /** Multiply-accumulates of one forward pass for one input sample. */
  flops: Tensor;
}

/** The per-factor weights an op needs from an arch sample. */
export function factorWeights(arch: ArchSample, factors: readonly Factor[]): Tensor[] {
  return factors.map((c) => arch.weights(c));
}

export function chosenIndices(arch: ArchSample, factors: readonly Factor[]): number[] {
  return factors.map((c) => arch.index(c));
}

/** An operation whose cost depends on the architecture. */
export interface Costed {
  /** Cost under the sample's mixing weights: sum_n w_n cost_n (exact at one-hot). */
  expectedCost(arch: ArchSample): Cost;
}

export type BiasMode = 'none' | 'weighted' | 'full';

export function valuesAsNumbers(v: readonly ChoiceValue[]): number[] {
  return v.map(Number);
}

/** Per-candidate exact costs, in combi order. */
export interface CandidateCosts {
  params: number[];
  flops: number[];
}

/** sum_n w_n cost_n for mixing weights `w` over the candidates. */
export function mixCost(w: Tensor, c: CandidateCosts): Cost {
  return tidy(() => ({ params: w.mul(tensor(c.params)).sum(), flops: w.mul(tensor(c.flops)).sum() }));
}

/** Expected cost under the sample's combi weights of `factors` (a fixed op has one candidate). */
export function expectedCostOf(arch: ArchSample, factors: readonly Factor[], c: CandidateCosts): Cost {
  return tidy(() => mixCost(factors.length ? combiSuperposition(factorWeights(arch, factors)) : tensor([1]), c));
}
