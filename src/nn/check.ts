// Argument and input-shape checks shared by the layers. Errors name the module,
// what was expected, what was given and how to fix it, because a bad shape deep
// in a supernet otherwise surfaces as an opaque libtorch message.
import { Tensor, type DType } from '../tensor/tensor.js';

export const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

export function positiveInt(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new TypeError(`${owner}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

export function nonNegativeInt(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new TypeError(`${owner}: ${name} must be a non-negative integer, got ${String(v)}`);
  }
  return v;
}

export function finiteNumber(owner: string, name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range = min === -Infinity && max === Infinity ? 'a finite number' : `a number in [${min}, ${max}]`;
    throw new RangeError(`${owner}: ${name} must be ${range}, got ${String(v)}`);
  }
  return v;
}

/** A positive int or a pair of them, as [h, w]. */
export function intPair(owner: string, name: string, v: unknown, min: 0 | 1): [number, number] {
  const check = min === 1 ? positiveInt : nonNegativeInt;
  if (typeof v === 'number') return [check(owner, name, v), v];
  if (Array.isArray(v) && v.length === 2) return [check(owner, `${name}[0]`, v[0]), check(owner, `${name}[1]`, v[1])];
  throw new TypeError(`${owner}: ${name} must be an integer or a pair [h, w], got ${JSON.stringify(v)}`);
}

export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64', 'float16'];

export function floatDtype(owner: string, dtype: DType | undefined): DType {
  const d = dtype ?? 'float32';
  if (!FLOAT_DTYPES.includes(d)) throw new TypeError(`${owner}: dtype must be one of ${FLOAT_DTYPES.join(', ')}, got '${d}'`);
  return d;
}

export function isTensor(owner: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${owner}.forward: expected a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.isDisposed) throw new Error(`${owner}.forward: the input tensor was already disposed (created in a tidy() scope that ended?)`);
  return x;
}

/** Input must be floating point and of the parameters' dtype. */
export function sameFloatDtype(owner: string, x: Tensor, want: DType): void {
  const got = x.dtype;
  if (got !== want) {
    throw new TypeError(`${owner}.forward: input dtype is ${got} but the parameters are ${want}; convert with x.to('${want}')`);
  }
}

/** Checks an NCHW input with `channels` channels; `fix` says what to change when the count differs. */
export function nchwInput(owner: string, x: unknown, channels: number, fix: (got: number) => string): number[] {
  const s = isTensor(owner, x).shape;
  if (s.length !== 4) {
    const hint = s.length === 3 ? '; add a batch dim with x.unsqueeze(0)' : '';
    throw new Error(`${owner}.forward: expected a 4-D input [N, ${channels}, H, W], got ${s.length}-D ${fmtShape(s)}${hint}`);
  }
  if (s[1] !== channels) throw new Error(`${owner}.forward: expected input [N, ${channels}, H, W], got ${fmtShape(s)} with ${s[1]} channels; ${fix(s[1])}`);
  return s;
}
