// The Tensor class: a handle on one libtorch tensor. Every method is a thin call
// into the addon; autograd, broadcasting and kernels are libtorch's.
import { native } from './native.js';
import { track, type Disposable } from './scope.js';

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool' | 'float16';
/** 'cpu', 'cuda' or 'cuda:N'. */
export type Device = string;
export type Scalar = number | boolean;
export type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int64', 'int32', 'uint8', 'bool', 'float16'];

let defaultDevice: Device = 'cpu';
/** Device used by creation functions when none is given. */
export function setDefaultDevice(device: Device): void {
  defaultDevice = device;
}
export function getDefaultDevice(): Device {
  return defaultDevice;
}
/** Runs fn with `device` as the default device, then restores the previous one. */
export function withDefaultDevice<T>(device: Device, fn: () => T): T {
  const prev = defaultDevice;
  defaultDevice = device;
  try {
    return fn();
  } finally {
    defaultDevice = prev;
  }
}

type Handle = unknown;
type Operand = Tensor | number;
// Arguments are read as `x?.h`: a null or non-Tensor argument then reaches the
// addon, whose error names the op, the argument and the input shapes, instead of
// a bare "Cannot read properties of null".

/** Handles of a tensor list; a non-array passes through for the addon to reject. */
function handles(ts: Tensor[]): unknown {
  return Array.isArray(ts) ? ts.map((t) => t?.h) : ts;
}

/** Normalises negative and missing dims for reductions. */
function dimsOf(dim: number | number[] | undefined): number[] {
  return dim === undefined ? [] : Array.isArray(dim) ? dim : [dim];
}

export class Tensor implements Disposable {
  /** @internal */ readonly h: Handle;
  kept = false;
  #disposed = false;
  #shape: number[] | undefined;

  /** @internal Wraps a native handle; use the creation functions instead. */
  constructor(handle: Handle) {
    this.h = handle;
    track(this);
  }

  // ------------------------------------------------------------ lifetime and meta

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    native.free(this.h);
  }
  get isDisposed(): boolean {
    return this.#disposed;
  }
  get shape(): number[] {
    return (this.#shape ??= native.shape(this.h) as number[]).slice();
  }
  get ndim(): number {
    return (this.#shape ??= native.shape(this.h) as number[]).length;
  }
  size(dim: number): number {
    const s = (this.#shape ??= native.shape(this.h) as number[]);
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size(${dim}): tensor has ${s.length} dims (shape [${s.join(', ')}])`);
    return s[d];
  }
  get numel(): number {
    return native.numel(this.h);
  }
  get dtype(): DType {
    return native.dtype(this.h);
  }
  get device(): Device {
    return native.device(this.h);
  }
  get isContiguous(): boolean {
    return native.isContiguous(this.h);
  }
  /** True when both tensors view the same storage. */
  sharesStorageWith(other: Tensor): boolean {
    return native.sameStorage(this.h, other?.h);
  }
  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ------------------------------------------------------------ data out

  /** Copies the data into a typed array (BigInt64Array for int64, Uint8Array for bool/uint8). */
  dataSync(): TypedArray {
    const buf: ArrayBuffer = native.toBuffer(this.h);
    switch (this.dtype) {
      case 'float32': return new Float32Array(buf);
      case 'float64': return new Float64Array(buf);
      case 'int64': return new BigInt64Array(buf);
      case 'int32': return new Int32Array(buf);
      case 'float16': return new Uint16Array(buf);
      default: return new Uint8Array(buf);
    }
  }
  /** Flat array of numbers (int64 converted with Number(); float16 decoded, not its raw bits). */
  toArray(): number[] {
    if (this.dtype === 'float16') {
      const f = this.to('float32');
      try {
        return f.toArray();
      } finally {
        f.dispose();
      }
    }
    const d = this.dataSync();
    return d instanceof BigInt64Array ? Array.from(d, Number) : Array.from(d as ArrayLike<number>);
  }
  /** The value of a one-element tensor. */
  item(): number {
    return Number(native.item(this.h));
  }

  // ------------------------------------------------------------ conversion and shape

  to(dtype: DType): Tensor { return new Tensor(native.to(this.h, dtype)); }
  toDevice(device: Device): Tensor { return new Tensor(native.toDevice(this.h, device)); }
  /** In place: this tensor takes src's data, device and dtype, keeping its identity (a parameter stays the same parameter). */
  setData_(src: Tensor): this {
    native.setData(this.h, src.h);
    return this;
  }
  float(): Tensor { return this.to('float32'); }
  long(): Tensor { return this.to('int64'); }
  clone(): Tensor { return new Tensor(native.clone(this.h)); }
  contiguous(): Tensor { return new Tensor(native.contiguous(this.h)); }
  reshape(...shape: number[]): Tensor { return new Tensor(native.reshape(this.h, shape)); }
  view(...shape: number[]): Tensor { return new Tensor(native.view(this.h, shape)); }
  permute(...dims: number[]): Tensor { return new Tensor(native.permute(this.h, dims)); }
  transpose(d0: number, d1: number): Tensor { return new Tensor(native.transpose(this.h, d0, d1)); }
  /** Matrix transpose of the last two dims. */
  get T(): Tensor { return this.transpose(-2, -1); }
  flatten(startDim = 0, endDim = -1): Tensor { return new Tensor(native.flatten(this.h, startDim, endDim)); }
  expand(...shape: number[]): Tensor { return new Tensor(native.expand(this.h, shape)); }
  squeeze(dim?: number): Tensor { return new Tensor(native.squeeze(this.h, dim)); }
  unsqueeze(dim: number): Tensor { return new Tensor(native.unsqueeze(this.h, dim)); }
  narrow(dim: number, start: number, length: number): Tensor { return new Tensor(native.narrow(this.h, dim, start, length)); }
  /** Python-style slice along one dim: start inclusive, end exclusive; either may be omitted or negative. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return new Tensor(native.slice(this.h, dim, start ?? null, end ?? null, step));
  }
  select(dim: number, index: number): Tensor { return new Tensor(native.select(this.h, dim, index)); }
  indexSelect(dim: number, index: Tensor): Tensor { return new Tensor(native.indexSelect(this.h, dim, index?.h)); }
  gather(dim: number, index: Tensor): Tensor { return new Tensor(native.gather(this.h, dim, index?.h)); }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor { return new Tensor(native.scatter(this.h, dim, index?.h, src?.h)); }
  split(sizeOrSizes: number | number[], dim = 0): Tensor[] {
    const hs: Handle[] = Array.isArray(sizeOrSizes) ? native.splitSizes(this.h, sizeOrSizes, dim) : native.split(this.h, sizeOrSizes, dim);
    return hs.map((h) => new Tensor(h));
  }
  chunk(chunks: number, dim = 0): Tensor[] { return (native.chunk(this.h, chunks, dim) as Handle[]).map((h) => new Tensor(h)); }
  /** Pads the last dims: [left, right, top, bottom, ...] as in torch.nn.functional.pad. */
  pad(pads: number[], mode: 'constant' | 'reflect' | 'replicate' | 'circular' = 'constant', value = 0): Tensor {
    return new Tensor(native.pad(this.h, pads, mode, mode === 'constant' ? value : null));
  }
  tril(diagonal = 0): Tensor { return new Tensor(native.tril(this.h, diagonal)); }
  triu(diagonal = 0): Tensor { return new Tensor(native.triu(this.h, diagonal)); }
  flip(...dims: number[]): Tensor { return new Tensor(native.flip(this.h, dims)); }
  roll(shifts: number[], dims: number[]): Tensor { return new Tensor(native.roll(this.h, shifts, dims)); }

  // ------------------------------------------------------------ arithmetic (broadcasting)

  add(o: Operand): Tensor { return new Tensor(native.add(this.h, operand(o))); }
  sub(o: Operand): Tensor { return new Tensor(native.sub(this.h, operand(o))); }
  /** scalar - this */
  rsub(s: number): Tensor { return new Tensor(native.rsub(this.h, s)); }
  mul(o: Operand): Tensor { return new Tensor(native.mul(this.h, operand(o))); }
  div(o: Operand): Tensor { return new Tensor(native.div(this.h, operand(o))); }
  floorDiv(o: Operand): Tensor { return new Tensor(native.floorDivide(this.h, operand(o))); }
  remainder(o: Operand): Tensor { return new Tensor(native.remainder(this.h, operand(o))); }
  pow(o: Operand): Tensor { return new Tensor(native.pow(this.h, operand(o))); }
  maximum(o: Tensor): Tensor { return new Tensor(native.maximum(this.h, o?.h)); }
  minimum(o: Tensor): Tensor { return new Tensor(native.minimum(this.h, o?.h)); }
  neg(): Tensor { return new Tensor(native.neg(this.h)); }
  abs(): Tensor { return new Tensor(native.abs(this.h)); }
  sign(): Tensor { return new Tensor(native.sign(this.h)); }
  exp(): Tensor { return new Tensor(native.exp(this.h)); }
  log(): Tensor { return new Tensor(native.log(this.h)); }
  log1p(): Tensor { return new Tensor(native.log1p(this.h)); }
  expm1(): Tensor { return new Tensor(native.expm1(this.h)); }
  sqrt(): Tensor { return new Tensor(native.sqrt(this.h)); }
  rsqrt(): Tensor { return new Tensor(native.rsqrt(this.h)); }
  square(): Tensor { return this.mul(this); }
  reciprocal(): Tensor { return new Tensor(native.reciprocal(this.h)); }
  sin(): Tensor { return new Tensor(native.sin(this.h)); }
  cos(): Tensor { return new Tensor(native.cos(this.h)); }
  floor(): Tensor { return new Tensor(native.floor(this.h)); }
  ceil(): Tensor { return new Tensor(native.ceil(this.h)); }
  round(): Tensor { return new Tensor(native.round(this.h)); }
  lgamma(): Tensor { return new Tensor(native.lgamma(this.h)); }
  digamma(): Tensor { return new Tensor(native.digamma(this.h)); }
  clamp(min?: number | null, max?: number | null): Tensor { return new Tensor(native.clamp(this.h, min ?? null, max ?? null)); }
  matmul(o: Tensor): Tensor { return new Tensor(native.matmul(this.h, o?.h)); }
  mm(o: Tensor): Tensor { return new Tensor(native.mm(this.h, o?.h)); }
  bmm(o: Tensor): Tensor { return new Tensor(native.bmm(this.h, o?.h)); }
  outer(o: Tensor): Tensor { return new Tensor(native.outer(this.h, o?.h)); }
  maskedFill(mask: Tensor, value: number): Tensor { return new Tensor(native.maskedFill(this.h, mask?.h, value)); }

  // comparisons and logic (bool results)
  eq(o: Operand): Tensor { return new Tensor(native.eq(this.h, operand(o))); }
  ne(o: Operand): Tensor { return new Tensor(native.ne(this.h, operand(o))); }
  lt(o: Operand): Tensor { return new Tensor(native.lt(this.h, operand(o))); }
  le(o: Operand): Tensor { return new Tensor(native.le(this.h, operand(o))); }
  gt(o: Operand): Tensor { return new Tensor(native.gt(this.h, operand(o))); }
  ge(o: Operand): Tensor { return new Tensor(native.ge(this.h, operand(o))); }
  logicalAnd(o: Tensor): Tensor { return new Tensor(native.logicalAnd(this.h, o?.h)); }
  logicalOr(o: Tensor): Tensor { return new Tensor(native.logicalOr(this.h, o?.h)); }
  logicalNot(): Tensor { return new Tensor(native.logicalNot(this.h)); }
  isnan(): Tensor { return new Tensor(native.isnan(this.h)); }
  isfinite(): Tensor { return new Tensor(native.isfinite(this.h)); }
  all(): Tensor { return new Tensor(native.all(this.h)); }
  any(): Tensor { return new Tensor(native.any(this.h)); }

  // ------------------------------------------------------------ reductions

  sum(dim?: number | number[], keepdim = false): Tensor { return new Tensor(native.sum(this.h, dimsOf(dim), keepdim)); }
  mean(dim?: number | number[], keepdim = false): Tensor { return new Tensor(native.mean(this.h, dimsOf(dim), keepdim)); }
  prod(): Tensor { return new Tensor(native.prod(this.h)); }
  /** Variance; unbiased (Bessel) by default, like PyTorch. */
  var(dim?: number | number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return new Tensor(native.varDims(this.h, dimsOf(dim), opts.unbiased ?? true, opts.keepdim ?? false));
  }
  std(unbiased = true): Tensor { return new Tensor(native.std(this.h, unbiased)); }
  /** Vector p-norm over `dim` (all elements when omitted). */
  norm(p = 2, dim?: number | number[], keepdim = false): Tensor { return new Tensor(native.norm(this.h, p, dimsOf(dim), keepdim)); }
  /** Max over all elements, or the max values along `dim`. */
  max(dim?: number, keepdim = false): Tensor {
    if (dim === undefined) return new Tensor(native.maxAll(this.h));
    const [v, i] = native.maxDim(this.h, dim, keepdim) as Handle[];
    native.free(i);
    return new Tensor(v);
  }
  min(dim?: number, keepdim = false): Tensor {
    if (dim === undefined) return new Tensor(native.minAll(this.h));
    const [v, i] = native.minDim(this.h, dim, keepdim) as Handle[];
    native.free(i);
    return new Tensor(v);
  }
  maxWithIndices(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.maxDim(this.h, dim, keepdim) as Handle[];
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  argmax(dim?: number, keepdim = false): Tensor { return new Tensor(native.argmax(this.h, dim ?? null, keepdim)); }
  argmin(dim?: number, keepdim = false): Tensor { return new Tensor(native.argmin(this.h, dim ?? null, keepdim)); }
  logsumexp(dim: number | number[], keepdim = false): Tensor { return new Tensor(native.logsumexp(this.h, dimsOf(dim), keepdim)); }
  cumsum(dim: number): Tensor { return new Tensor(native.cumsum(this.h, dim)); }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.sort(this.h, dim, descending) as Handle[];
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  topk(k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } {
    const [v, i] = native.topk(this.h, k, dim, largest) as Handle[];
    return { values: new Tensor(v), indices: new Tensor(i) };
  }

  // ------------------------------------------------------------ in place (optimizers, init); return this

  /** this += alpha * o */
  add_(o: Operand, alpha = 1): this { typeof o === 'number' ? native.add_(this.h, o * alpha) : native.add_(this.h, o?.h, alpha); return this; }
  mul_(o: Operand): this { native.mul_(this.h, operand(o)); return this; }
  div_(o: Operand): this { native.div_(this.h, operand(o)); return this; }
  /** this += value * a * b */
  addcmul_(a: Tensor, b: Tensor, value = 1): this { native.addcmul_(this.h, a?.h, b?.h, value); return this; }
  /** this += value * a / b */
  addcdiv_(a: Tensor, b: Tensor, value = 1): this { native.addcdiv_(this.h, a?.h, b?.h, value); return this; }
  lerp_(end: Tensor, weight: number): this { native.lerp_(this.h, end?.h, weight); return this; }
  copy_(src: Tensor): this { native.copy_(this.h, src?.h); return this; }
  zero_(): this { native.zero_(this.h); return this; }
  fill_(value: number): this { native.fill_(this.h, value); return this; }
  clamp_(min?: number | null, max?: number | null): this { native.clamp_(this.h, min ?? null, max ?? null); return this; }
  uniform_(low = 0, high = 1): this { native.uniform_(this.h, low, high); return this; }
  normal_(mean = 0, std = 1): this { native.normal_(this.h, mean, std); return this; }

  // ------------------------------------------------------------ autograd

  get requiresGrad(): boolean { return native.requiresGrad(this.h); }
  requiresGrad_(flag = true): this { native.requiresGrad_(this.h, flag); return this; }
  get isLeaf(): boolean { return native.isLeaf(this.h); }
  /** Name of the autograd node that produced this tensor (debugging). */
  get gradFn(): string | null { return native.gradFn(this.h); }
  /** The accumulated gradient, or null. A new handle each call: dispose or scope it. */
  get grad(): Tensor | null {
    const g = native.grad(this.h);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) { native.setGrad(this.h, g == null ? null : g.h); }
  detach(): Tensor { return new Tensor(native.detach(this.h)); }
  backward(gradient?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    const create = opts.createGraph ?? false;
    native.backward(this.h, gradient?.h ?? null, opts.retainGraph ?? create, create);
  }
}

function operand(o: Operand): Handle | number {
  return typeof o === 'number' ? o : o?.h;
}

/** Wraps a native handle in a Tensor (used by op files). @internal */
export function wrapHandle(h: Handle): Tensor {
  return new Tensor(h);
}

// ------------------------------------------------------------ creation

function resolve(opts: TensorOptions | undefined, fallback: DType = 'float32'): [DType, Device] {
  return [opts?.dtype ?? fallback, opts?.device ?? defaultDevice];
}

function finish(t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}

function checkShape(shape: number[], what: string): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new TypeError(`${what}: shape [${shape.join(', ')}] must hold non-negative integers`);
  }
  return shape;
}

export function zeros(shape: number[], opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.zeros(checkShape(shape, 'zeros'), ...resolve(opts))), opts);
}
export function ones(shape: number[], opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.ones(checkShape(shape, 'ones'), ...resolve(opts))), opts);
}
export function full(shape: number[], value: number, opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.full(checkShape(shape, 'full'), value, ...resolve(opts))), opts);
}
export function zerosLike(t: Tensor, opts?: TensorOptions): Tensor {
  return zeros(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
export function onesLike(t: Tensor, opts?: TensorOptions): Tensor {
  return ones(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
/** [start, end) with step; integer arguments give int64 unless a dtype is given. */
export function arange(start: number, end?: number, step = 1, opts?: TensorOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  const ints = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  return finish(new Tensor(native.arange(start, end, step, ...resolve(opts, ints ? 'int64' : 'float32'))), opts);
}
export function eye(n: number, opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.eye(n, ...resolve(opts))), opts);
}
/** Uniform [0, 1). */
export function rand(shape: number[], opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.rand(checkShape(shape, 'rand'), ...resolve(opts))), opts);
}
/** Standard normal. */
export function randn(shape: number[], opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.randn(checkShape(shape, 'randn'), ...resolve(opts))), opts);
}
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number[], opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.randint(low, high, checkShape(shape, 'randint'), ...resolve(opts, 'int64'))), opts);
}
export function randperm(n: number, opts?: TensorOptions): Tensor {
  return new Tensor(native.randperm(n, ...resolve(opts, 'int64')));
}

type Nested = number | boolean | Nested[];

function inferShape(data: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function typedFor(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'int32': return new Int32Array(n);
    case 'float16': throw new TypeError('tensor(): float16 from JS numbers is not supported; create float32 and call .to("float16")');
    default: return new Uint8Array(n);
  }
}

function dtypeOfTyped(data: TypedArray): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Uint16Array) return 'float16';
  return 'float32';
}

/**
 * A tensor from JS data: a number, nested arrays, or a typed array (with `shape`,
 * default 1-D). Numbers give float32, booleans bool, typed arrays their own dtype.
 */
export function tensor(data: Nested | TypedArray, opts?: TensorOptions & { shape?: number[] }): Tensor {
  if (ArrayBuffer.isView(data)) {
    const ta = data as TypedArray;
    const dtype = opts?.dtype ?? dtypeOfTyped(ta);
    const shape = checkShape(opts?.shape ?? [ta.length], 'tensor');
    const native_dt = dtypeOfTyped(ta);
    const byteCompatible = native_dt === dtype || (native_dt === 'uint8' && dtype === 'bool');
    // bool needs bytes 0/1 (libtorch kernels misbehave on other bytes), so a uint8 source goes through normalisation.
    if (!byteCompatible || (dtype === 'bool' && !(ta as Uint8Array).every((v) => v <= 1))) {
      return tensor(Array.from(ta as ArrayLike<number | bigint>, Number), { ...opts, shape });
    }
    return finish(new Tensor(native.fromBuffer(ta, shape, dtype, opts?.device ?? defaultDevice)), opts);
  }
  const shape = opts?.shape ?? inferShape(data);
  const flat = Array.isArray(data) ? (data as unknown[]).flat(Infinity as 1) as (number | boolean)[] : [data];
  const n = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== n) throw new TypeError(`tensor(): data has ${flat.length} values but shape [${shape.join(', ')}] needs ${n} (ragged nested arrays?)`);
  const dtype = opts?.dtype ?? (typeof flat[0] === 'boolean' ? 'bool' : 'float32');
  const ta = typedFor(dtype, n);
  if (ta instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) {
      const v = Number(flat[i]);
      if (!Number.isInteger(v)) throw new TypeError(`tensor(): int64 data must be integers, got ${flat[i]} at flat index ${i}`);
      ta[i] = BigInt(v);
    }
  } else if (dtype === 'bool') {
    // Truthiness, as torch.tensor(..., dtype=bool) does; a raw byte 2 would be an invalid bool.
    for (let i = 0; i < n; i++) (ta as Uint8Array)[i] = flat[i] ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) (ta as Float32Array)[i] = Number(flat[i]);
  }
  return finish(new Tensor(native.fromBuffer(ta, shape, dtype, opts?.device ?? defaultDevice)), opts);
}

/** A 0-dim tensor. */
export function scalar(value: number, opts?: TensorOptions): Tensor {
  return tensor(value, { ...opts, shape: [] });
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(handles(tensors), dim));
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(handles(tensors), dim));
}
/** cond ? a : b, elementwise with broadcasting. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return new Tensor(native.where(cond?.h, a?.h, b?.h));
}
export function oneHot(indices: Tensor, numClasses: number): Tensor {
  return new Tensor(native.oneHot(indices?.h, numClasses));
}
/** scalar ** t */
export function scalarPow(base: number, t: Tensor): Tensor {
  return new Tensor(native.scalarPow(base, t?.h));
}
