// Records what a function does with tensors, at the level of the addon's ATen
// ops: every call through `native` is routed through a recorder for the
// duration (withNativeHook), which numbers the tensors it sees by the identity
// of their handles and keeps, per op, its name, its arguments (tensors as value
// references, everything else as given) and its outputs' shapes and dtypes.
// Values computed from constants alone (masks, position indices, scales) are
// "static": their data is copied when they are made, so the trace outlives the
// tensors. The ONNX writer (src/nn/onnx.ts) turns a trace into a graph.
import { noGrad } from './autograd.js';
import { native, withNativeHook } from './native.js';
import { tidy } from './scope.js';
import { Tensor, type DType } from './tensor.js';

/** A tensor the trace saw. */
export interface TracedValue {
  id: number;
  /** input: the traced function's input; param: one of the named tensors; external: another tensor made before the trace; op: an op's output. */
  kind: 'input' | 'param' | 'external' | 'op';
  /** The name of a param. */
  name?: string;
  shape: number[];
  dtype: DType;
  /** Computed from constants only (no input, no param, nothing random or in place): its data is in `data`. */
  static: boolean;
  /** The raw little-endian data of a static value. */
  data?: Uint8Array;
  /** The node that made it (kind 'op'). */
  producer?: number;
}

/** An argument as recorded: tensors become value references; typed arrays are summarised (their tensor is static). */
export type TraceArg = number | string | boolean | bigint | null | undefined | { ref: number } | { typed: string; length: number } | TraceArg[];

export interface TracedNode {
  index: number;
  /** The addon function's name (`conv2d`, `add`, `attentionMix`, ...). */
  op: string;
  args: TraceArg[];
  /** Value ids of the outputs; an in-place op's single output is the new version of its first argument. */
  outputs: number[];
  inPlace: boolean;
  /** Where the op was called from: the first stack frame outside src/tensor/. */
  site: string;
}

export interface Trace {
  values: TracedValue[];
  nodes: TracedNode[];
  input: number;
  output: number;
  /** Values the traced function read into JS (item, toBuffer) although they depend on the input or a param. */
  reads: { op: string; value: number; site: string }[];
}

/** Addon calls that make no tensor and change none: run, not recorded. */
const PASS = new Set([
  'free', 'isDisposed', 'shape', 'dtype', 'device', 'numel', 'isContiguous', 'sameStorage', 'requiresGrad', 'requiresGrad_', 'isLeaf',
  'gradFn', 'isGradEnabled', 'setGradEnabled', 'liveTensors', 'getNumThreads', 'setNumThreads', 'cudaIsAvailable', 'cudaDeviceCount',
  'parallelInfo', 'configInfo',
]);
/** Reads of tensor data into JS. */
const READS = new Set(['item', 'toBuffer']);
/** Ops whose result is random (never static, and never exported). */
export const RANDOM_OPS: ReadonlySet<string> = new Set(['rand', 'randn', 'randint', 'randperm', 'multinomial', 'bernoulli', 'standardGamma', 'uniform_', 'normal_', 'manualSeed', 'setRngState', 'getRngState']);

/** A native tensor handle: an addon External, an object without a prototype. */
function isHandle(v: unknown): v is object {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === null;
}

function callSite(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40; // enough to get past the tensor layer's own frames
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const lines = stack.split('\n').slice(1);
  const frame = lines.find((l) => !/[/\\]src[/\\]tensor[/\\]/.test(l) && !l.includes('node:'));
  return frame?.trim().replace(/^at /, '') ?? 'unknown';
}

/**
 * Runs `fn` once (without gradients) with every addon call recorded, and returns
 * the trace and `fn`'s output (the caller's to dispose). `input` is the
 * function's input; `names` names the tensors that become named parameters
 * (a state dict: name -> tensor).
 */
export function traceCalls(fn: () => Tensor, input: Tensor, names: ReadonlyMap<string, Tensor>): { trace: Trace; output: Tensor } {
  // The base addon's own functions: shapes and data are read without being recorded.
  const base = native;
  const values: TracedValue[] = [];
  const nodes: TracedNode[] = [];
  const reads: Trace['reads'] = [];
  const current = new Map<object, number>(); // handle -> id of its current version
  const paramNames = new Map<object, string>();
  for (const [name, t] of names) if (!paramNames.has(t.h as object)) paramNames.set(t.h as object, name);

  const snapshot = (h: object): Uint8Array => new Uint8Array(base.toBuffer(h) as ArrayBuffer);
  const newValue = (h: object, v: Omit<TracedValue, 'id' | 'shape' | 'dtype'>): number => {
    const id = values.length;
    values.push({ id, shape: base.shape(h) as number[], dtype: base.dtype(h) as DType, ...v });
    current.set(h, id);
    return id;
  };
  const refOf = (h: object): number => {
    const known = current.get(h);
    if (known !== undefined) return known;
    const name = paramNames.get(h);
    if (name !== undefined) return newValue(h, { kind: 'param', name, static: false });
    return newValue(h, { kind: 'external', static: true, data: snapshot(h) });
  };
  const convert = (a: unknown, refs: number[]): TraceArg => {
    if (isHandle(a)) {
      const id = refOf(a);
      refs.push(id);
      return { ref: id };
    }
    if (Array.isArray(a)) return a.map((x) => convert(x, refs));
    if (ArrayBuffer.isView(a)) return { typed: a.constructor.name, length: (a as unknown as ArrayLike<unknown>).length };
    if (a === null || a === undefined || ['number', 'string', 'boolean', 'bigint'].includes(typeof a)) return a as TraceArg;
    return String(a);
  };

  const hook = (op: string, f: (...args: unknown[]) => unknown, args: unknown[]): unknown => {
    if (PASS.has(op)) return f(...args);
    if (READS.has(op)) {
      const id = isHandle(args[0]) ? current.get(args[0]) : undefined;
      if (id !== undefined && !values[id].static) reads.push({ op, value: id, site: callSite() });
      return f(...args);
    }
    const refs: number[] = [];
    const recorded = args.map((a) => convert(a, refs));
    const result = f(...args);
    const inPlace = op.endsWith('_') && isHandle(args[0]);
    const isStatic = !RANDOM_OPS.has(op) && !inPlace && refs.every((r) => values[r].static);
    const index = nodes.length;
    const outs: object[] = isHandle(result) ? [result] : Array.isArray(result) ? result.filter(isHandle) : inPlace ? [args[0] as object] : [];
    const outputs = outs.map((h) => newValue(h, { kind: 'op', static: isStatic, producer: index, ...(isStatic ? { data: snapshot(h) } : {}) }));
    nodes.push({ index, op, args: recorded, outputs, inPlace, site: callSite() });
    return result;
  };

  let output!: Tensor;
  let inputId = -1;
  withNativeHook(hook, () => {
    inputId = newValue(input.h as object, { kind: 'input', static: false });
    output = noGrad(() => tidy(() => fn()));
  });
  if (!(output instanceof Tensor)) throw new TypeError(`trace: the traced function must return one Tensor, got ${typeof output}`);
  const out = current.get(output.h as object);
  if (out === undefined) throw new Error('trace: the traced function returned a tensor that it did not compute (nor was it its input or a param)');
  return { trace: { values, nodes, input: inputId, output: out, reads }, output };
}
