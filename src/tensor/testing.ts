// Test-only helpers: tolerant comparisons, a seeded JS random source (test data
// independent of libtorch's generator) and a finite-difference gradient check.
// Imported by *.test.ts files only; not exported from the package index.
import assert from 'node:assert/strict';
import { grad } from './autograd.js';
import { tidy } from './scope.js';
import { Tensor, tensor } from './tensor.js';

type Nested = number | Nested[];

function flatten(v: Tensor | ArrayLike<number> | Nested): number[] {
  if (v instanceof Tensor) return v.toArray();
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return (v as Nested[]).flat(Infinity as 1) as number[];
  return Array.from(v as ArrayLike<number>);
}

export interface CloseOptions {
  atol?: number;
  rtol?: number;
  msg?: string;
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| elementwise (NaN only
 * matches NaN). A Tensor `actual` is also checked against `shape` when given.
 */
export function assertClose(
  actual: Tensor | ArrayLike<number> | Nested,
  expected: Tensor | ArrayLike<number> | Nested,
  opts: CloseOptions & { shape?: number[] } = {},
): void {
  const { atol = 1e-5, rtol = 1e-5, msg = '' } = opts;
  if (opts.shape && actual instanceof Tensor) assert.deepEqual(actual.shape, opts.shape, `${msg} shape`);
  const a = flatten(actual);
  const e = flatten(expected);
  assert.equal(a.length, e.length, `${msg} length: got ${a.length} values, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(e[i])) {
      assert.ok(Number.isNaN(a[i]), `${msg} [${i}]: got ${a[i]}, expected NaN`);
      continue;
    }
    const ok = a[i] === e[i] || Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
    if (!ok) {
      assert.fail(`${msg} [${i}]: got ${a[i]}, expected ${e[i]} (|diff| ${Math.abs(a[i] - e[i]).toExponential(3)} > atol ${atol} + rtol ${rtol} * |expected|)\n got      ${fmt(a)}\n expected ${fmt(e)}`);
    }
  }
}

function fmt(v: number[]): string {
  const s = v.slice(0, 12).map((x) => +x.toPrecision(6));
  return `[${s.join(', ')}${v.length > 12 ? ', ...' : ''}]`;
}

/** mulberry32: a small seeded generator so test inputs do not depend on libtorch's RNG. */
export function jsRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform numbers in [lo, hi) from a seeded generator. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): number[] {
  const r = jsRandom(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** A float64 tensor of the given shape filled from randomArray. */
export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1, requiresGrad = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(randomArray(n, seed, lo, hi), { shape, dtype: 'float64', requiresGrad });
}

/** Row-major strides of a shape. */
export function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Indices of inputs not to check (e.g. integer indices). */
  skip?: number[];
}

/**
 * Compares autograd gradients of `fn` with central finite differences. The
 * output is reduced with fixed random weights rather than a plain sum: a plain
 * sum hides wrong gradients of ops whose outputs sum to a constant (softmax).
 * Inputs must be float64 leaf tensors; integer inputs must be listed in `skip`.
 * fn must be deterministic; it always gets leaves that require grad.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const { eps = 1e-6, atol = 1e-6, rtol = 1e-4, skip = [] } = opts;
  const checked = inputs.map((_, i) => !skip.includes(i));
  inputs.forEach((x, i) => {
    if (checked[i]) assert.equal(x.dtype, 'float64', `gradcheck: input ${i} must be float64 (finite differences in float32 are too noisy)`);
  });
  tidy(() => {
    const leaves = inputs.map((x, i) => (checked[i] ? x.detach().requiresGrad_(true) : x));
    const out = fn(...leaves);
    const w = tensor(randomArray(out.numel, 12345, 0.5, 1.5), { shape: out.shape, dtype: 'float64' });
    const loss = out.mul(w).sum();
    const wanted = leaves.filter((_, i) => checked[i]);
    const analytic = grad(loss, wanted, { allowUnused: true }).map((g, k) => (g === null ? new Array<number>(wanted[k].numel).fill(0) : g.toArray()));

    const values = inputs.map((x) => x.toArray());
    // Inputs require grad here too, so that fn may itself call grad() (double-backward checks).
    const evalAt = (): number =>
      tidy(() => {
        const xs = inputs.map((x, i) => (checked[i] ? tensor(values[i], { shape: x.shape, dtype: 'float64', requiresGrad: true }) : x));
        return fn(...xs).mul(w).sum().item();
      });
    let k = 0;
    inputs.forEach((x, i) => {
      if (!checked[i]) return;
      const a = analytic[k++];
      for (let j = 0; j < values[i].length; j++) {
        const orig = values[i][j];
        values[i][j] = orig + eps;
        const up = evalAt();
        values[i][j] = orig - eps;
        const down = evalAt();
        values[i][j] = orig;
        const numeric = (up - down) / (2 * eps);
        if (!(Math.abs(a[j] - numeric) <= atol + rtol * Math.abs(numeric))) {
          assert.fail(`gradcheck: input ${i} (shape [${x.shape.join(', ')}]) element ${j}: autograd ${a[j]}, finite difference ${numeric}`);
        }
      }
    });
  });
}
