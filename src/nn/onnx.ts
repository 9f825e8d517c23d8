// A network as an ONNX model (opset 17), written with onnx-proto: one eval-mode
// forward is traced at the level of the addon's ATen ops (src/tensor/trace.ts),
// twice, on random batches of 2 and 3 samples; the two traces must agree op by
// op (a forward whose ops depend on the input's values cannot be one graph),
// and the dims that differ between them are the batch dimension, left dynamic.
// Each op of the live graph maps to ONNX nodes: parameters and buffers become
// initializers under their state-dict names, tensors made inside the forward
// from constants alone (masks, positions, scales) initializers with their
// values. An op without a mapping fails with its name and call site: never a
// model that computes something else. docs/export.md lists the ops.
import onnxProto from 'onnx-proto';
import { RANDOM_OPS, traceCalls, type Trace, type TraceArg, type TracedNode, type TracedValue } from '../tensor/trace.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import type { Layer } from './layer.js';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IAttr = onnxProto.onnx.IAttributeProto;
type IValueInfo = onnxProto.onnx.IValueInfoProto;

export const ONNX_OPSET = 17;
/** The two batch sizes the network is traced with. */
const BATCHES = [2, 3] as const;

export interface OnnxExportOptions {
  /** A random input batch of `batch` samples of the network's input shape and dtype (the forward is traced on two). */
  example: (batch: number) => Tensor;
  /** Graph input name (default `input`). */
  inputName?: string;
  /** Graph output name (default `logits`). */
  outputName?: string;
  /** Stored in the model's metadata_props. */
  metadata?: Record<string, string>;
  /** The model's doc_string and producer_version. */
  docString?: string;
  producerVersion?: string;
}

/** Thrown for a forward that cannot be written as an ONNX graph; names the op and where it was called. */
export class OnnxExportError extends Error {
  override name = 'OnnxExportError';
}

/** What toOnnx made. */
export interface OnnxModel {
  /** The serialized ModelProto (write it to model.onnx). */
  bytes: Uint8Array;
  /** ONNX_OPSET, the one opset the graph imports. */
  opset: number;
  /** ONNX op types used, with counts. */
  ops: Record<string, number>;
  /** The traced ATen-level ops of the live graph, with counts. */
  tracedOps: Record<string, number>;
  /** Number of initializers (parameters, buffers, constants). */
  initializers: number;
  /** The graph input's and output's shapes; `batch` marks the dynamic dim. */
  inputShape: (number | string)[];
  outputShape: (number | string)[];
}

// ------------------------------------------------------------------ dtypes and constants

const ELEM: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };
const isFloat = (d: DType) => d === 'float32' || d === 'float64' || d === 'float16';
/** Torch's promotion order, enough for mixed operands of one op. */
const RANK: Record<DType, number> = { bool: 0, uint8: 1, int32: 2, int64: 3, float16: 4, float32: 5, float64: 6 };

function typedOf(dtype: DType, values: readonly (number | bigint)[]): ArrayBufferView {
  switch (dtype) {
    case 'float32': return Float32Array.from(values, Number);
    case 'float64': return Float64Array.from(values, Number);
    case 'int64': return BigInt64Array.from(values, (v) => BigInt(v));
    case 'int32': return Int32Array.from(values, Number);
    case 'uint8': return Uint8Array.from(values, Number);
    case 'bool': return Uint8Array.from(values, (v) => (v ? 1 : 0));
    case 'float16': throw new OnnxExportError('ONNX export: float16 scalar constants are not supported; export a float32 network');
  }
}
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** A dim of a symbolic shape: a number, or k times the batch size. */
type SymDim = number | { k: number };
const isSym = (d: SymDim): d is { k: number } => typeof d !== 'number';

type Attr = { i: number } | { f: number } | { s: string } | { ints: number[] } | { floats: number[] };
function attrProto(name: string, a: Attr): IAttr {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('s' in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  if ('ints' in a) return { name, type: T.INTS, ints: a.ints };
  return { name, type: T.FLOATS, floats: a.floats };
}

// ------------------------------------------------------------------ the graph being built

class Graph {
  readonly nodes: INode[] = [];
  readonly initializers: ITensor[] = [];
  readonly #consts = new Map<string, string>();
  #n = 0;
  #batch: string | null = null;

  constructor(readonly inputName: string) {}

  /** A new tensor name ('/' first: state-dict names never start with one). */
  fresh(hint: string): string {
    return `/${hint}_${this.#n++}`;
  }

  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs: string[] = [this.fresh(op.toLowerCase())]): string[] {
    this.nodes.push({ opType: op, name: `${op}_${this.nodes.length}`, input: inputs, output: outputs, attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)) });
    return outputs;
  }

  /** node() with one output. */
  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output === undefined ? undefined : [output])[0];
  }

  initializer(name: string, dtype: DType, shape: readonly number[], data: Uint8Array): string {
    this.initializers.push({ name, dataType: ELEM[dtype], dims: [...shape], rawData: data });
    return name;
  }

  /** A constant tensor (shared between uses of the same values). */
  constant(dtype: DType, shape: readonly number[], values: readonly (number | bigint)[]): string {
    const key = `${dtype}|${shape.join(',')}|${values.map(String).join(',')}`;
    let name = this.#consts.get(key);
    if (name === undefined) {
      name = this.initializer(this.fresh('const'), dtype, shape, bytesOf(typedOf(dtype, values)));
      this.#consts.set(key, name);
    }
    return name;
  }

  scalar(value: number, dtype: DType): string {
    return this.constant(dtype, [], [value]);
  }

  ints(values: readonly (number | bigint)[]): string {
    return this.constant('int64', [values.length], values);
  }

  /** The batch size as a 1-D int64 tensor [B], read from the graph input. */
  batch(): string {
    return (this.#batch ??= this.op('Shape', [this.inputName], { start: { i: 0 }, end: { i: 1 } }));
  }

  /**
   * A shape as a 1-D int64 tensor: a constant when no dim depends on the batch;
   * for Reshape one batch dim may be -1; otherwise concatenated from the batch size.
   */
  shape(dims: readonly SymDim[], reshape: boolean): string {
    const syms = dims.filter(isSym);
    if (syms.length === 0) return this.ints(dims as number[]);
    if (reshape && syms.length === 1) return this.ints(dims.map((d) => (isSym(d) ? -1 : d)));
    const parts = dims.map((d) => (isSym(d) ? (d.k === 1 ? this.batch() : this.op('Mul', [this.batch(), this.ints([d.k])])) : this.ints([d])));
    return this.op('Concat', parts, { axis: { i: 0 } });
  }
}

// ------------------------------------------------------------------ the two traces, compared

interface Joined {
  trace: Trace;
  /** Symbolic shape per value id. */
  sym: SymDim[][];
  /** Nodes whose numeric arguments differ between the traces. */
  argsDiffer: Set<number>;
  /** Static values whose data differ between the traces. */
  dataDiffer: Set<number>;
}

function where(n: TracedNode): string {
  return `(called at ${n.site})`;
}

function sameArgs(a: TraceArg, b: TraceArg, numbersDiffer: { v: boolean }): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameArgs(x, b[i], numbersDiffer));
  }
  if (typeof a === 'number' && typeof b === 'number') {
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) numbersDiffer.v = true;
    return true;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    if ('ref' in a && 'ref' in b) return a.ref === b.ref;
    if ('typed' in a && 'typed' in b) {
      if (a.length !== b.length) numbersDiffer.v = true;
      return a.typed === b.typed;
    }
    return false;
  }
  return a === b;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function join(a: Trace, b: Trace): Joined {
  const reads = [...new Set(a.reads.map((r) => `${r.op} at ${r.site}`))];
  const diverge = (msg: string) =>
    new OnnxExportError(
      `ONNX export: the forward does different things on two inputs (${msg}): its ops depend on the input's values or batch size, which one ONNX graph cannot express` +
        (reads.length ? `; it reads tensor values into JavaScript (${reads.slice(0, 3).join('; ')})` : ''),
    );
  const argsDiffer = new Set<number>();
  for (let i = 0; i < Math.min(a.nodes.length, b.nodes.length); i++) {
    const [x, y] = [a.nodes[i], b.nodes[i]];
    const numbers = { v: false };
    if (x.op !== y.op) throw diverge(`op ${i} is '${x.op}' ${where(x)} once and '${y.op}' ${where(y)} the other time`);
    if (!sameArgs(x.args, y.args, numbers) || x.outputs.join() !== y.outputs.join()) throw diverge(`op ${i}, '${x.op}' ${where(x)}, has other tensor arguments`);
    if (numbers.v) argsDiffer.add(i);
  }
  if (a.nodes.length !== b.nodes.length) throw diverge(`${a.nodes.length} vs ${b.nodes.length} ops`);
  if (a.values.length !== b.values.length || a.output !== b.output || a.input !== b.input) throw diverge('the tensors differ');
  const sym: SymDim[][] = [];
  const dataDiffer = new Set<number>();
  for (const va of a.values) {
    const vb = b.values[va.id];
    if (va.kind !== vb.kind || va.name !== vb.name || va.dtype !== vb.dtype || va.shape.length !== vb.shape.length) throw diverge(`tensor ${va.id} differs`);
    sym.push(
      va.shape.map((d, i) => {
        const e = vb.shape[i];
        if (d === e) return d;
        const k = d / BATCHES[0];
        if (Number.isInteger(k) && k * BATCHES[1] === e) return { k };
        const n = va.producer === undefined ? `the ${va.kind} tensor` : `the output of '${a.nodes[va.producer].op}' ${where(a.nodes[va.producer])}`;
        throw new OnnxExportError(`ONNX export: dim ${i} of ${n} is ${d} for a batch of ${BATCHES[0]} and ${e} for ${BATCHES[1]}: only dims proportional to the batch size can be dynamic`);
      }),
    );
    if (va.static && !sameBytes(va.data, vb.data)) dataDiffer.add(va.id);
  }
  return { trace: a, sym, argsDiffer, dataDiffer };
}

// ------------------------------------------------------------------ translation

/** What a translator sees of one traced op. */
class Ctx {
  constructor(
    readonly g: Graph,
    readonly node: TracedNode,
    readonly j: Joined,
    readonly nameOf: (id: number) => string,
    readonly outName: (id: number) => string,
    readonly alias: (id: number, name: string) => void,
  ) {}

  fail(msg: string): never {
    throw new OnnxExportError(`ONNX export: '${this.node.op}' ${where(this.node)}: ${msg}`);
  }
  arg(i: number): TraceArg {
    return this.node.args[i];
  }
  ref(i: number): number {
    const a = this.node.args[i];
    if (a === null || typeof a !== 'object' || Array.isArray(a) || !('ref' in a)) this.fail(`argument ${i} is not a tensor`);
    return a.ref;
  }
  isNull(i: number): boolean {
    return this.node.args[i] === null || this.node.args[i] === undefined;
  }
  /** The ONNX name of tensor argument i. */
  t(i: number): string {
    return this.nameOf(this.ref(i));
  }
  tOpt(i: number): string | null {
    return this.isNull(i) ? null : this.t(i);
  }
  tList(i: number): number[] {
    const a = this.node.args[i];
    if (!Array.isArray(a)) this.fail(`argument ${i} is not a tensor list`);
    return a.map((x) => (x !== null && typeof x === 'object' && !Array.isArray(x) && 'ref' in x ? x.ref : this.fail(`argument ${i} holds a non-tensor`)));
  }
  v(i: number): TracedValue {
    return this.j.trace.values[this.ref(i)];
  }
  sym(id: number): SymDim[] {
    return this.j.sym[id];
  }
  num(i: number): number {
    const a = this.node.args[i];
    if (typeof a === 'number') return a;
    if (typeof a === 'boolean') return a ? 1 : 0;
    return this.fail(`argument ${i} is not a number`);
  }
  numOpt(i: number): number | null {
    return this.isNull(i) ? null : this.num(i);
  }
  nums(i: number): number[] {
    const a = this.node.args[i];
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'number')) return this.fail(`argument ${i} is not a list of numbers`);
    return a as number[];
  }
  bool(i: number): boolean {
    return Boolean(this.node.args[i]);
  }
  str(i: number): string {
    return String(this.node.args[i]);
  }
  get outs(): TracedValue[] {
    return this.node.outputs.map((id) => this.j.trace.values[id]);
  }
  get out(): TracedValue {
    return this.outs[0];
  }
  /** The ONNX name of output k. */
  o(k = 0): string {
    return this.outName(this.node.outputs[k]);
  }
  /** Output k is the tensor `name` (no node). */
  same(name: string, k = 0): void {
    this.alias(this.node.outputs[k], name);
  }
  /** Casts `name` from dtype `from` to `to` (nothing when equal). */
  cast(name: string, from: DType, to: DType): string {
    return from === to ? name : this.g.op('Cast', [name], { to: { i: ELEM[to] } });
  }
  /** Tensor argument i cast to `to`. */
  tAs(i: number, to: DType): string {
    return this.cast(this.t(i), this.v(i).dtype, to);
  }
  /** Argument i, a tensor or a number, as a tensor of dtype `to`. */
  operand(i: number, to: DType): string {
    return typeof this.arg(i) === 'number' || typeof this.arg(i) === 'boolean' ? this.g.scalar(this.num(i), to) : this.tAs(i, to);
  }
  rank(i: number): number {
    return this.v(i).shape.length;
  }
  axis(d: number, rank: number): number {
    const a = d < 0 ? d + rank : d;
    if (a < 0 || a >= Math.max(rank, 1)) this.fail(`dim ${d} is out of range for rank ${rank}`);
    return a;
  }
  /** The fixed size of dim `d` of tensor argument i (fails on a batch dim). */
  size(i: number, d: number): number {
    const s = this.sym(this.ref(i))[this.axis(d, this.rank(i))];
    return isSym(s) ? this.fail(`needs a fixed size on dim ${d}, which is the batch dim`) : s;
  }
  /** The dtype two operands are computed in (comparisons). */
  common(i: number, k: number): DType {
    const dt = (x: number): DType | null => (typeof this.arg(x) === 'object' && this.arg(x) !== null ? this.v(x).dtype : null);
    const [a, b] = [dt(i), dt(k)];
    if (a && b) return RANK[a] >= RANK[b] ? a : b;
    const t = (a ?? b)!;
    const s = this.arg(a ? k : i);
    if (typeof s === 'number' && !isFloat(t)) return Number.isInteger(s) ? (t === 'bool' ? 'int64' : t) : 'float32';
    return t;
  }
}

type Translator = (c: Ctx) => void;

const unary = (op: string): Translator => (c) => void c.g.op(op, [c.tAs(0, c.out.dtype)], {}, c.o());
/** Arithmetic on two operands in the output's dtype. */
const arith = (op: string): Translator => (c) => void c.g.op(op, [c.operand(0, c.out.dtype), c.operand(1, c.out.dtype)], {}, c.o());
const compare = (op: string, negate = false): Translator => (c) => {
  const dt = c.common(0, 1);
  const r = c.g.op(op, [c.operand(0, dt), c.operand(1, dt)], {}, negate ? undefined : c.o());
  if (negate) c.g.op('Not', [r], {}, c.o());
};
const logical = (op: string): Translator => (c) => void c.g.op(op, [c.tAs(0, 'bool'), c.tAs(1, 'bool')], {}, c.o());
/** Reshape-like ops: the output shape, with its batch dims. */
const reshapeToOutput: Translator = (c) => {
  const inS = c.sym(c.ref(0)), outS = c.sym(c.node.outputs[0]);
  if (JSON.stringify(inS) === JSON.stringify(outS)) return c.same(c.t(0));
  c.g.op('Reshape', [c.t(0), c.g.shape(outS, true)], {}, c.o());
};
const identity: Translator = (c) => c.same(c.t(0));
/** A reduction whose axes are an attribute at opset 17 (all but ReduceSum). */
function reduceAttr(c: Ctx, op: string, x: string, rank: number, dims: number[], keepdim: boolean, out?: string): string {
  const axes = (dims.length ? dims : [...Array(rank).keys()]).map((d) => c.axis(d, rank));
  return c.g.op(op, [x], { axes: { ints: axes }, keepdims: { i: keepdim ? 1 : 0 } }, out);
}
function reduceSum(c: Ctx, x: string, rank: number, dims: number[], keepdim: boolean, out?: string): string {
  const axes = (dims.length ? dims : [...Array(rank).keys()]).map((d) => c.axis(d, rank));
  return c.g.op('ReduceSum', [x, c.g.ints(axes)], { keepdims: { i: keepdim ? 1 : 0 } }, out);
}
function variance(c: Ctx, dims: number[], unbiased: boolean, keepdim: boolean, out?: string): string {
  const g = c.g, dt = c.out.dtype, x = c.tAs(0, dt), r = c.rank(0);
  const axes = (dims.length ? dims : [...Array(r).keys()]).map((d) => c.axis(d, r));
  const d = g.op('Sub', [x, reduceAttr(c, 'ReduceMean', x, r, axes, true)]);
  const s = reduceSum(c, g.op('Mul', [d, d]), r, axes, keepdim);
  // The count of the reduced elements: a constant unless the batch dim is among them.
  const sizes = axes.map((a) => c.sym(c.ref(0))[a]);
  let n: string;
  if (sizes.some(isSym)) {
    const count = g.op('ReduceProd', [g.op('Gather', [g.op('Shape', [x]), g.ints(axes)], { axis: { i: 0 } })], { keepdims: { i: 0 } });
    n = g.op('Cast', [count], { to: { i: ELEM[dt] } });
    if (unbiased) n = g.op('Sub', [n, g.scalar(1, dt)]);
  } else {
    n = g.scalar((sizes as number[]).reduce((a, b) => a * b, 1) - (unbiased ? 1 : 0), dt);
  }
  return g.op('Div', [s, n], {}, out);
}
/** 0.5 x (1 + erf(x / sqrt 2)) or the tanh approximation, as torch computes them. */
function gelu(c: Ctx): void {
  const g = c.g, dt = c.out.dtype, x = c.tAs(0, dt);
  const k = (v: number) => g.scalar(v, dt);
  let inner: string;
  if (c.str(1) === 'tanh') {
    const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
    inner = g.op('Tanh', [g.op('Mul', [k(Math.sqrt(2 / Math.PI)), g.op('Add', [x, g.op('Mul', [k(0.044715), x3])])])]);
  } else {
    inner = g.op('Erf', [g.op('Mul', [x, k(Math.SQRT1_2)])]);
  }
  g.op('Mul', [g.op('Mul', [k(0.5), x]), g.op('Add', [k(1), inner])], {}, c.o());
}

/**
 * Multi-head attention mixed over head counts with strided heads (head j of h:
 * features j, j+h, ...), as the addon's attentionMix: sum_i w_i softmax(s_i q k^T
 * [causal mask]) v per head count.
 */
function attentionMix(c: Ctx): void {
  const g = c.g;
  const [q, k, v] = [c.t(0), c.t(1), c.t(2)];
  const heads = c.nums(3);
  const dt = c.v(0).dtype;
  const T = c.size(0, 1), F = c.size(0, 2);
  const causal = c.bool(6);
  const mask = causal ? g.constant('bool', [T, T], Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? 1 : 0))) : null;
  const scales = c.tAs(4, dt), weights = c.tAs(5, dt);
  const pick = (t: string, i: number) => g.op('Gather', [t, g.constant('int64', [], [i])], { axis: { i: 0 } });
  let sum: string | null = null;
  heads.forEach((h, i) => {
    const split = (t: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [t, g.ints([0, 0, F / h, h])])], { perm: { ints: perm } });
    const raw = g.op('MatMul', [split(q, [0, 3, 1, 2]), split(k, [0, 3, 2, 1])]); // [B, h, T, T]
    let scores = g.op('Mul', [raw, pick(scales, i)]);
    if (mask) scores = g.op('Where', [mask, g.scalar(-Infinity, dt), scores]);
    const o = g.op('MatMul', [g.op('Softmax', [scores], { axis: { i: -1 } }), split(v, [0, 3, 1, 2])]); // [B, h, T, F/h]
    const merged = g.op('Reshape', [g.op('Transpose', [o], { perm: { ints: [0, 2, 3, 1] } }), g.ints([0, 0, F])]);
    const term = g.op('Mul', [merged, pick(weights, i)]);
    sum = sum === null ? term : g.op('Add', [sum, term]);
  });
  c.same(sum!);
}

/** sum_k w_k pad(LayerNorm(x[..., :e_k]; gamma[:e_k], beta[:e_k])), as the addon's layerNormMix. */
function layerNormMix(c: Ctx): void {
  const g = c.g, dt = c.v(0).dtype, r = c.rank(0);
  const widths = c.nums(1), E = c.size(0, -1), eps = c.num(5);
  const [x, w, gamma, beta] = [c.t(0), c.tAs(2, dt), c.t(3), c.t(4)];
  let sum: string | null = null;
  widths.forEach((e, i) => {
    const prefix = (t: string, axis: number) => (e === E ? t : g.op('Slice', [t, g.ints([0]), g.ints([e]), g.ints([axis])]));
    let y = g.op('LayerNormalization', [prefix(x, r - 1), prefix(gamma, 0), prefix(beta, 0)], { axis: { i: -1 }, epsilon: { f: eps } });
    if (e < E) y = g.op('Pad', [y, g.ints([...Array(r).fill(0), ...Array(r - 1).fill(0), E - e])]);
    const term = g.op('Mul', [y, g.op('Gather', [w, g.constant('int64', [], [i])], { axis: { i: 0 } })]);
    sum = sum === null ? term : g.op('Add', [sum, term]);
  });
  c.same(sum!);
}

function batchNorm(c: Ctx): void {
  const g = c.g, dt = c.v(0).dtype, C = c.size(0, 1), r = c.rank(0);
  const training = c.bool(5), stats = !c.isNull(3) && !c.isNull(4);
  const eps = c.num(7);
  const scale = c.tOpt(1) ?? g.constant(dt, [C], Array(C).fill(1));
  const bias = c.tOpt(2) ?? g.constant(dt, [C], Array(C).fill(0));
  if (stats && !training) {
    g.op('BatchNormalization', [c.t(0), scale, bias, c.t(3), c.t(4)], { epsilon: { f: eps } }, c.o());
    return;
  }
  if (stats) c.fail('BatchNorm in training mode (it would update its running statistics): call eval() on the network');
  // No running statistics: normalised with the batch's own (biased) statistics, as libtorch does.
  const x = c.t(0), axes = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2)];
  const d = g.op('Sub', [x, g.op('ReduceMean', [x], { axes: { ints: axes }, keepdims: { i: 1 } })]);
  const v = g.op('ReduceMean', [g.op('Mul', [d, d])], { axes: { ints: axes }, keepdims: { i: 1 } });
  const y = g.op('Div', [d, g.op('Sqrt', [g.op('Add', [v, g.scalar(eps, dt)])])]);
  const perChannel = (t: string) => g.op('Reshape', [t, g.ints([1, C, ...Array(r - 2).fill(1)])]);
  g.op('Add', [g.op('Mul', [y, perChannel(scale)]), perChannel(bias)], {}, c.o());
}

function pad(c: Ctx): void {
  const g = c.g, r = c.rank(0), p = c.nums(1), mode = c.str(2);
  const begin = Array(r).fill(0), end = Array(r).fill(0);
  for (let i = 0; i < p.length / 2; i++) {
    begin[r - 1 - i] = p[2 * i];
    end[r - 1 - i] = p[2 * i + 1];
  }
  const modes: Record<string, string> = { constant: 'constant', reflect: 'reflect', replicate: 'edge' };
  if (!(mode in modes)) c.fail(`padding mode '${mode}' has no ONNX opset ${ONNX_OPSET} equivalent`);
  const inputs = [c.t(0), g.ints([...begin, ...end])];
  if (mode === 'constant') inputs.push(g.scalar(c.numOpt(3) ?? 0, c.v(0).dtype));
  g.op('Pad', inputs, { mode: { s: modes[mode] } }, c.o());
}

function argReduce(op: 'ArgMax' | 'ArgMin'): Translator {
  return (c) => {
    const keep = c.bool(2);
    if (c.isNull(1)) {
      const flat = c.g.op(op, [c.g.op('Reshape', [c.t(0), c.g.ints([-1])])], { axis: { i: 0 }, keepdims: { i: 0 } });
      if (keep) c.g.op('Reshape', [flat, c.g.shape(c.sym(c.node.outputs[0]), true)], {}, c.o());
      else c.same(flat);
      return;
    }
    c.g.op(op, [c.t(0)], { axis: { i: c.axis(c.num(1), c.rank(0)) }, keepdims: { i: keep ? 1 : 0 } }, c.o());
  };
}

function valuesAndIndices(reduce: 'ReduceMax' | 'ReduceMin', arg: 'ArgMax' | 'ArgMin'): Translator {
  return (c) => {
    const axis = c.axis(c.num(1), c.rank(0)), keep = { i: c.bool(2) ? 1 : 0 };
    c.g.op(reduce, [c.t(0)], { axes: { ints: [axis] }, keepdims: keep }, c.o(0));
    c.g.op(arg, [c.t(0)], { axis: { i: axis }, keepdims: keep }, c.o(1));
  };
}

function splitBy(c: Ctx, dimArg: number): void {
  const d = c.axis(c.num(dimArg), c.rank(0));
  const sizes = c.outs.map((o) => {
    const s = c.sym(o.id)[d];
    return isSym(s) ? c.fail('splits the batch dim') : s;
  });
  c.g.node('Split', [c.t(0), c.g.ints(sizes)], { axis: { i: d } }, c.outs.map((_, k) => c.o(k)));
}

/** ConstantOfShape for a constant whose shape depends on the batch size. */
const filled = (value: (c: Ctx) => number): Translator => (c) => {
  const dt = c.out.dtype;
  const t = { name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { dataType: ELEM[dt], dims: [1], rawData: bytesOf(typedOf(dt, [value(c)])) } };
  c.g.nodes.push({ opType: 'ConstantOfShape', name: `ConstantOfShape_${c.g.nodes.length}`, input: [c.g.shape(c.sym(c.node.outputs[0]), false)], output: [c.o()], attribute: [t] });
};

const TRANSLATORS: Record<string, Translator> = {
  // ---- shape and layout
  reshape: reshapeToOutput,
  view: reshapeToOutput,
  flatten: reshapeToOutput,
  expand: (c) => void c.g.op('Expand', [c.t(0), c.g.shape(c.sym(c.node.outputs[0]), false)], {}, c.o()),
  permute: (c) => void c.g.op('Transpose', [c.t(0)], { perm: { ints: c.nums(1).map((d) => c.axis(d, c.rank(0))) } }, c.o()),
  transpose: (c) => {
    const r = c.rank(0), perm = [...Array(r).keys()];
    const [a, b] = [c.axis(c.num(1), r), c.axis(c.num(2), r)];
    [perm[a], perm[b]] = [perm[b], perm[a]];
    c.g.op('Transpose', [c.t(0)], { perm: { ints: perm } }, c.o());
  },
  squeeze: (c) => {
    const inS = c.sym(c.ref(0));
    if (inS.length === c.out.shape.length) return c.same(c.t(0));
    const axes = c.isNull(1) ? inS.flatMap((d, i) => (d === 1 ? [i] : [])) : [c.axis(c.num(1), inS.length)];
    c.g.op('Squeeze', [c.t(0), c.g.ints(axes)], {}, c.o());
  },
  unsqueeze: (c) => void c.g.op('Unsqueeze', [c.t(0), c.g.ints([c.axis(c.num(1), c.rank(0) + 1)])], {}, c.o()),
  narrow: (c) => {
    const d = c.axis(c.num(1), c.rank(0));
    const start = c.num(2) < 0 ? c.num(2) + c.size(0, d) : c.num(2);
    c.g.op('Slice', [c.t(0), c.g.ints([start]), c.g.ints([start + c.num(3)]), c.g.ints([d])], {}, c.o());
  },
  slice: (c) => {
    const d = c.axis(c.num(1), c.rank(0)), step = c.num(4);
    if (step < 1) c.fail(`step ${step} must be positive`);
    c.g.op('Slice', [c.t(0), c.g.ints([c.numOpt(2) ?? 0]), c.g.ints([c.numOpt(3) ?? INT64_MAX]), c.g.ints([d]), c.g.ints([step])], {}, c.o());
  },
  select: (c) => void c.g.op('Gather', [c.t(0), c.g.constant('int64', [], [c.num(2)])], { axis: { i: c.axis(c.num(1), c.rank(0)) } }, c.o()),
  indexSelect: (c) => void c.g.op('Gather', [c.t(0), c.t(2)], { axis: { i: c.axis(c.num(1), c.rank(0)) } }, c.o()),
  gather: (c) => void c.g.op('GatherElements', [c.t(0), c.t(2)], { axis: { i: c.axis(c.num(1), c.rank(0)) } }, c.o()),
  scatter: (c) => void c.g.op('ScatterElements', [c.t(0), c.t(2), c.tAs(3, c.v(0).dtype)], { axis: { i: c.axis(c.num(1), c.rank(0)) } }, c.o()),
  cat: (c) => {
    const ids = c.tList(0), dt = c.out.dtype;
    const parts = ids.map((id) => c.cast(c.nameOf(id), c.j.trace.values[id].dtype, dt));
    c.g.op('Concat', parts, { axis: { i: c.axis(c.num(1), c.out.shape.length) } }, c.o());
  },
  stack: (c) => {
    const ids = c.tList(0), dt = c.out.dtype, axis = c.axis(c.num(1), c.out.shape.length);
    const parts = ids.map((id) => c.g.op('Unsqueeze', [c.cast(c.nameOf(id), c.j.trace.values[id].dtype, dt), c.g.ints([axis])]));
    c.g.op('Concat', parts, { axis: { i: axis } }, c.o());
  },
  split: (c) => splitBy(c, 2),
  splitSizes: (c) => splitBy(c, 2),
  chunk: (c) => splitBy(c, 2),
  pad,
  tril: (c) => void c.g.op('Trilu', [c.t(0), c.g.constant('int64', [], [c.num(1)])], { upper: { i: 0 } }, c.o()),
  triu: (c) => void c.g.op('Trilu', [c.t(0), c.g.constant('int64', [], [c.num(1)])], { upper: { i: 1 } }, c.o()),
  flip: (c) => {
    const axes = c.nums(1).map((d) => c.axis(d, c.rank(0)));
    c.g.op('Slice', [c.t(0), c.g.ints(axes.map(() => -1)), c.g.ints(axes.map(() => INT64_MIN)), c.g.ints(axes), c.g.ints(axes.map(() => -1))], {}, c.o());
  },
  // ---- dtype, copies
  to: (c) => c.same(c.tAs(0, c.out.dtype)),
  toDevice: identity,
  clone: identity,
  contiguous: identity,
  detach: identity,
  // ---- arithmetic and comparisons (broadcasting as in torch)
  add: arith('Add'),
  sub: arith('Sub'),
  mul: arith('Mul'),
  div: arith('Div'),
  pow: arith('Pow'),
  maximum: arith('Max'),
  minimum: arith('Min'),
  rsub: (c) => void c.g.op('Sub', [c.g.scalar(c.num(1), c.out.dtype), c.tAs(0, c.out.dtype)], {}, c.o()),
  scalarPow: (c) => void c.g.op('Pow', [c.g.scalar(c.num(0), c.out.dtype), c.tAs(1, c.out.dtype)], {}, c.o()),
  remainder: (c) => {
    const dt = c.out.dtype, [a, b] = [c.operand(0, dt), c.operand(1, dt)];
    if (!isFloat(dt)) return void c.g.op('Mod', [a, b], { fmod: { i: 0 } }, c.o());
    c.g.op('Sub', [a, c.g.op('Mul', [c.g.op('Floor', [c.g.op('Div', [a, b])]), b])], {}, c.o()); // sign of the divisor, as Python
  },
  floorDivide: (c) => {
    const dt = c.out.dtype, [a, b] = [c.operand(0, dt), c.operand(1, dt)];
    if (isFloat(dt)) return void c.g.op('Floor', [c.g.op('Div', [a, b])], {}, c.o());
    c.g.op('Div', [c.g.op('Sub', [a, c.g.op('Mod', [a, b], { fmod: { i: 0 } })]), b], {}, c.o()); // exact: a - (a mod b) is a multiple of b
  },
  eq: compare('Equal'),
  ne: compare('Equal', true),
  lt: compare('Less'),
  le: compare('LessOrEqual'),
  gt: compare('Greater'),
  ge: compare('GreaterOrEqual'),
  logicalAnd: logical('And'),
  logicalOr: logical('Or'),
  logicalNot: (c) => void c.g.op('Not', [c.tAs(0, 'bool')], {}, c.o()),
  where: (c) => void c.g.op('Where', [c.tAs(0, 'bool'), c.tAs(1, c.out.dtype), c.tAs(2, c.out.dtype)], {}, c.o()),
  maskedFill: (c) => void c.g.op('Where', [c.tAs(1, 'bool'), c.g.scalar(c.num(2), c.out.dtype), c.tAs(0, c.out.dtype)], {}, c.o()),
  clamp: (c) => {
    const dt = c.out.dtype, lo = c.numOpt(1), hi = c.numOpt(2);
    c.g.op('Clip', [c.tAs(0, dt), lo === null ? '' : c.g.scalar(lo, dt), hi === null ? '' : c.g.scalar(hi, dt)], {}, c.o());
  },
  // ---- elementwise
  neg: unary('Neg'),
  abs: unary('Abs'),
  sign: unary('Sign'),
  exp: unary('Exp'),
  log: unary('Log'),
  sqrt: unary('Sqrt'),
  reciprocal: unary('Reciprocal'),
  sin: unary('Sin'),
  cos: unary('Cos'),
  floor: unary('Floor'),
  ceil: unary('Ceil'),
  round: unary('Round'),
  relu: unary('Relu'),
  sigmoid: unary('Sigmoid'),
  tanh: unary('Tanh'),
  hardswish: unary('HardSwish'),
  isnan: (c) => void c.g.op('IsNaN', [c.t(0)], {}, c.o()),
  isfinite: (c) => void c.g.op('Not', [c.g.op('Or', [c.g.op('IsInf', [c.t(0)]), c.g.op('IsNaN', [c.t(0)])])], {}, c.o()),
  rsqrt: (c) => void c.g.op('Reciprocal', [c.g.op('Sqrt', [c.tAs(0, c.out.dtype)])], {}, c.o()),
  log1p: (c) => void c.g.op('Log', [c.g.op('Add', [c.tAs(0, c.out.dtype), c.g.scalar(1, c.out.dtype)])], {}, c.o()),
  expm1: (c) => void c.g.op('Sub', [c.g.op('Exp', [c.tAs(0, c.out.dtype)]), c.g.scalar(1, c.out.dtype)], {}, c.o()),
  silu: (c) => void c.g.op('Mul', [c.t(0), c.g.op('Sigmoid', [c.t(0)])], {}, c.o()),
  hardsigmoid: (c) => void c.g.op('HardSigmoid', [c.t(0)], { alpha: { f: 1 / 6 }, beta: { f: 0.5 } }, c.o()),
  elu: (c) => void c.g.op('Elu', [c.t(0)], { alpha: { f: c.num(1) } }, c.o()),
  leakyRelu: (c) => void c.g.op('LeakyRelu', [c.t(0)], { alpha: { f: c.num(1) } }, c.o()),
  softplus: (c) => {
    // torch: x where beta x > threshold, else log(1 + exp(beta x)) / beta
    const g = c.g, dt = c.out.dtype, x = c.t(0), beta = c.num(1);
    const bx = g.op('Mul', [x, g.scalar(beta, dt)]);
    const soft = g.op('Div', [g.op('Softplus', [bx]), g.scalar(beta, dt)]);
    g.op('Where', [g.op('Greater', [bx, g.scalar(c.num(2), dt)]), x, soft], {}, c.o());
  },
  gelu,
  softmax: (c) => void c.g.op('Softmax', [c.t(0)], { axis: { i: c.axis(c.num(1), c.rank(0)) } }, c.o()),
  logSoftmax: (c) => void c.g.op('LogSoftmax', [c.t(0)], { axis: { i: c.axis(c.num(1), c.rank(0)) } }, c.o()),
  // ---- reductions
  sum: (c) => void reduceSum(c, c.tAs(0, c.out.dtype), c.rank(0), c.nums(1), c.bool(2), c.o()),
  mean: (c) => void reduceAttr(c, 'ReduceMean', c.t(0), c.rank(0), c.nums(1), c.bool(2), c.o()),
  prod: (c) => void reduceAttr(c, 'ReduceProd', c.tAs(0, c.out.dtype), c.rank(0), [], false, c.o()),
  varDims: (c) => void variance(c, c.nums(1), c.bool(2), c.bool(3), c.o()),
  std: (c) => void c.g.op('Sqrt', [variance(c, [], c.bool(1), false)], {}, c.o()),
  norm: (c) => {
    const p = c.num(1), dims = c.nums(2), keep = c.bool(3);
    if (p === 2) return void reduceAttr(c, 'ReduceL2', c.t(0), c.rank(0), dims, keep, c.o());
    if (p === 1) return void reduceAttr(c, 'ReduceL1', c.t(0), c.rank(0), dims, keep, c.o());
    if (p === Infinity) return void reduceAttr(c, 'ReduceMax', c.g.op('Abs', [c.t(0)]), c.rank(0), dims, keep, c.o());
    c.fail(`only the 1-, 2- and infinity-norm are supported, got p=${p}`);
  },
  maxAll: (c) => void reduceAttr(c, 'ReduceMax', c.t(0), c.rank(0), [], false, c.o()),
  minAll: (c) => void reduceAttr(c, 'ReduceMin', c.t(0), c.rank(0), [], false, c.o()),
  maxDim: valuesAndIndices('ReduceMax', 'ArgMax'),
  minDim: valuesAndIndices('ReduceMin', 'ArgMin'),
  argmax: argReduce('ArgMax'),
  argmin: argReduce('ArgMin'),
  logsumexp: (c) => void reduceAttr(c, 'ReduceLogSumExp', c.t(0), c.rank(0), c.nums(1), c.bool(2), c.o()),
  cumsum: (c) => void c.g.op('CumSum', [c.tAs(0, c.out.dtype), c.g.constant('int64', [], [c.axis(c.num(1), c.rank(0))])], {}, c.o()),
  topk: (c) => {
    const axis = c.axis(c.num(2), c.rank(0));
    c.g.node('TopK', [c.t(0), c.g.ints([c.num(1)])], { axis: { i: axis }, largest: { i: c.bool(3) ? 1 : 0 }, sorted: { i: 1 } }, [c.o(0), c.o(1)]);
  },
  sort: (c) => {
    const axis = c.axis(c.num(1), c.rank(0));
    c.g.node('TopK', [c.t(0), c.g.ints([c.size(0, axis)])], { axis: { i: axis }, largest: { i: c.bool(2) ? 1 : 0 }, sorted: { i: 1 } }, [c.o(0), c.o(1)]);
  },
  // ---- linear algebra
  matmul: (c) => void c.g.op('MatMul', [c.t(0), c.t(1)], {}, c.o()),
  mm: (c) => void c.g.op('MatMul', [c.t(0), c.t(1)], {}, c.o()),
  bmm: (c) => void c.g.op('MatMul', [c.t(0), c.t(1)], {}, c.o()),
  outer: (c) => void c.g.op('Mul', [c.g.op('Unsqueeze', [c.t(0), c.g.ints([1])]), c.g.op('Unsqueeze', [c.t(1), c.g.ints([0])])], {}, c.o()),
  linear: (c) => {
    const g = c.g, b = c.tOpt(2);
    if (c.rank(0) === 2) return void g.op('Gemm', [c.t(0), c.t(1), ...(b ? [b] : [])], { transB: { i: 1 } }, c.o());
    const y = g.op('MatMul', [c.t(0), g.op('Transpose', [c.t(1)], { perm: { ints: [1, 0] } })], {}, b ? undefined : c.o());
    if (b) g.op('Add', [y, b], {}, c.o());
  },
  // ---- nn
  conv2d: (c) => {
    const [ph, pw] = c.nums(4), b = c.tOpt(2);
    const w = c.v(1).shape;
    c.g.op('Conv', [c.t(0), c.t(1), ...(b ? [b] : [])], { kernel_shape: { ints: w.slice(2) }, strides: { ints: c.nums(3) }, pads: { ints: [ph, pw, ph, pw] }, dilations: { ints: c.nums(5) }, group: { i: c.num(6) } }, c.o());
  },
  maxPool2d: (c) => {
    const [ph, pw] = c.nums(3);
    c.g.op('MaxPool', [c.t(0)], { kernel_shape: { ints: c.nums(1) }, strides: { ints: c.nums(2) }, pads: { ints: [ph, pw, ph, pw] }, dilations: { ints: c.nums(4) }, ceil_mode: { i: c.bool(5) ? 1 : 0 } }, c.o());
  },
  avgPool2d: (c) => {
    const [ph, pw] = c.nums(3);
    c.g.op('AveragePool', [c.t(0)], { kernel_shape: { ints: c.nums(1) }, strides: { ints: c.nums(2) }, pads: { ints: [ph, pw, ph, pw] }, ceil_mode: { i: c.bool(4) ? 1 : 0 }, count_include_pad: { i: c.bool(5) ? 1 : 0 } }, c.o());
  },
  adaptiveAvgPool2d: (c) => {
    const [oh, ow] = c.nums(1), [h, w] = [c.size(0, 2), c.size(0, 3)];
    if (oh === 1 && ow === 1) return void c.g.op('GlobalAveragePool', [c.t(0)], {}, c.o());
    if (h % oh !== 0 || w % ow !== 0) c.fail(`input ${h}x${w} is not a multiple of the output ${oh}x${ow} (uneven windows have no ONNX equivalent)`);
    const k = [h / oh, w / ow];
    c.g.op('AveragePool', [c.t(0)], { kernel_shape: { ints: k }, strides: { ints: k } }, c.o());
  },
  batchNorm,
  layerNorm: (c) => {
    const g = c.g, n = c.nums(1), dt = c.v(0).dtype;
    const numel = n.reduce((a, b) => a * b, 1);
    const scale = c.tOpt(2) ?? g.constant(dt, n, Array(numel).fill(1));
    g.op('LayerNormalization', [c.t(0), scale, ...(c.isNull(3) ? [] : [c.t(3)])], { axis: { i: -n.length }, epsilon: { f: c.num(4) } }, c.o());
  },
  dropout: (c) => (c.bool(2) && c.num(1) > 0 ? c.fail('dropout in training mode: call eval() on the network') : c.same(c.t(0))),
  dropout2d: (c) => (c.bool(2) && c.num(1) > 0 ? c.fail('dropout in training mode: call eval() on the network') : c.same(c.t(0))),
  embedding: (c) => void c.g.op('Gather', [c.t(0), c.t(1)], { axis: { i: 0 } }, c.o()),
  oneHot: (c) => {
    const depth = c.out.shape[c.out.shape.length - 1];
    c.g.op('OneHot', [c.t(0), c.g.ints([depth]), c.g.constant('int64', [2], [0, 1])], { axis: { i: -1 } }, c.o());
  },
  attentionMix,
  layerNormMix,
  // ---- constants whose shape follows the batch size (fixed ones are folded)
  zeros: filled(() => 0),
  ones: filled(() => 1),
  full: filled((c) => c.num(1)),
};

/** The traced ops the writer maps to ONNX. */
export const ONNX_SUPPORTED_OPS: readonly string[] = Object.keys(TRANSLATORS);

/** Ops whose numeric arguments may differ between the two traces (they are read from the output shape). */
const SHAPE_FROM_OUTPUT = new Set(['reshape', 'view', 'flatten', 'expand', 'zeros', 'ones', 'full']);

function translate(j: Joined, inputName: string, outputName: string, paramData: ReadonlyMap<number, Uint8Array>): { graph: Graph; tracedOps: Record<string, number> } {
  const { trace } = j;
  const g = new Graph(inputName);
  const names = new Map<number, string>();
  names.set(trace.input, inputName);
  const nodeOf = (v: TracedValue) => (v.producer === undefined ? undefined : trace.nodes[v.producer]);
  /** Folded into an initializer: a static value of fixed shape. */
  const folded = (v: TracedValue) => v.static && !j.sym[v.id].some(isSym);

  // The live ops: those the output depends on, back to the input, params and folded constants.
  const live = new Set<number>();
  const stack = [trace.output];
  const seen = new Set<number>();
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const v = trace.values[id];
    const n = nodeOf(v);
    if (!n || folded(v)) continue;
    live.add(n.index);
    const refs: number[] = [];
    const walk = (a: TraceArg) => {
      if (Array.isArray(a)) a.forEach(walk);
      else if (a !== null && typeof a === 'object' && 'ref' in a) refs.push(a.ref);
    };
    n.args.forEach(walk);
    stack.push(...refs);
  }

  const nameOf = (id: number): string => {
    const known = names.get(id);
    if (known !== undefined) return known;
    const v = trace.values[id];
    let name: string;
    if (v.kind === 'param') {
      name = g.initializer(v.name!, v.dtype, v.shape, paramData.get(id)!);
    } else if (folded(v)) {
      if (j.dataDiffer.has(id)) {
        const n = nodeOf(v);
        throw new OnnxExportError(`ONNX export: a tensor made inside the forward${n ? ` by '${n.op}' ${where(n)}` : ''} has other values for another input: it is random or computed from the input's values`);
      }
      name = g.initializer(g.fresh(v.kind === 'external' ? 'external' : 'constant'), v.dtype, v.shape, v.data!);
    } else {
      throw new OnnxExportError(`ONNX export: internal error: tensor ${id} is used before it is computed`);
    }
    names.set(id, name);
    return name;
  };
  const outName = (id: number): string => {
    if (names.has(id)) throw new OnnxExportError(`ONNX export: internal error: tensor ${id} is computed twice`);
    const name = id === trace.output ? outputName : g.fresh('t');
    names.set(id, name);
    return name;
  };
  const alias = (id: number, name: string): void => {
    if (id === trace.output) g.op('Identity', [name], {}, outputName);
    names.set(id, id === trace.output ? outputName : name);
  };

  const tracedOps: Record<string, number> = {};
  for (const n of trace.nodes) {
    if (!live.has(n.index)) continue;
    const fail = (msg: string): never => {
      throw new OnnxExportError(`ONNX export: '${n.op}' ${where(n)}: ${msg}`);
    };
    if (RANDOM_OPS.has(n.op)) fail('a random op inside the forward cannot be exported (dropout and sampling only run in training mode: call eval())');
    if (n.inPlace) fail('in-place ops inside the forward are not supported by the ONNX export; use the out-of-place op');
    const tr = TRANSLATORS[n.op];
    if (!tr) fail(`no ONNX mapping for this op (supported: ${ONNX_SUPPORTED_OPS.join(', ')})`);
    if (j.argsDiffer.has(n.index) && !SHAPE_FROM_OUTPUT.has(n.op)) fail(`its arguments change with the batch size or the input's values (${JSON.stringify(n.args)})`);
    tracedOps[n.op] = (tracedOps[n.op] ?? 0) + 1;
    tr(new Ctx(g, n, j, nameOf, outName, alias));
  }
  // The output is the input, a param or a folded constant: no op named it.
  if (names.get(trace.output) !== outputName) g.op('Identity', [nameOf(trace.output)], {}, outputName);
  return { graph: g, tracedOps };
}

function valueInfo(name: string, dtype: DType, dims: SymDim[]): { proto: IValueInfo; shape: (number | string)[] } {
  const shape = dims.map((d) => (isSym(d) ? (d.k === 1 ? 'batch' : `${d.k}*batch`) : d));
  return {
    proto: { name, type: { tensorType: { elemType: ELEM[dtype], shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } },
    shape,
  };
}

/**
 * The network's eval-mode forward as an ONNX model (opset 17): traced on two
 * random batches (2 and 3 samples) from `opts.example`, the batch dim left
 * dynamic. Fails with an OnnxExportError naming the op for anything it cannot
 * express exactly. The network's training flag is restored afterwards.
 */
export function toOnnx(net: Layer, opts: OnnxExportOptions): OnnxModel {
  const inputName = opts.inputName ?? 'input', outputName = opts.outputName ?? 'logits';
  const wasTraining = net.training;
  net.eval();
  const state = net.stateDict();
  try {
    const traces = BATCHES.map((b) => {
      const x = opts.example(b);
      try {
        const { trace, output } = traceCalls(() => net.forward(x), x, state);
        output.dispose();
        return trace;
      } finally {
        x.dispose();
      }
    });
    const joined = join(traces[0], traces[1]);
    const trace = joined.trace;
    if (!joined.sym[trace.input].length || !isSym(joined.sym[trace.input][0]) || (joined.sym[trace.input][0] as { k: number }).k !== 1) {
      throw new OnnxExportError(`ONNX export: the example input's first dim must be the batch size (got shapes [${traces[0].values[trace.input].shape}] and [${traces[1].values[trace.input].shape}] for batches of ${BATCHES.join(' and ')})`);
    }
    // Params are read from the network, not the trace: only the live ones become initializers.
    const paramData = new Map<number, Uint8Array>();
    for (const v of trace.values) if (v.kind === 'param') paramData.set(v.id, bytesOf(state.get(v.name!)!.dataSync()));
    const { graph, tracedOps } = translate(joined, inputName, outputName, paramData);
    const inV = trace.values[trace.input], outV = trace.values[trace.output];
    const input = valueInfo(inputName, inV.dtype, joined.sym[trace.input]);
    const output = valueInfo(outputName, outV.dtype, joined.sym[trace.output]);
    const model: onnxProto.onnx.IModelProto = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'tanglenas',
      producerVersion: opts.producerVersion ?? '',
      docString: opts.docString ?? '',
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: { name: 'tanglenas', node: graph.nodes, initializer: graph.initializers, input: [input.proto], output: [output.proto] },
    };
    const ops: Record<string, number> = {};
    for (const n of graph.nodes) ops[n.opType!] = (ops[n.opType!] ?? 0) + 1;
    return { bytes: onnx.ModelProto.encode(model).finish(), opset: ONNX_OPSET, ops, tracedOps, initializers: graph.initializers.length, inputShape: input.shape, outputShape: output.shape };
  } finally {
    net.train(wasTraining);
  }
}
