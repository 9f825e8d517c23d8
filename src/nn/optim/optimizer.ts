// The optimizer base: parameter groups with their own hyperparameters (a
// schedule sets `lr` per group or through setLr), lazily created per-parameter
// state, and a state dict split into a JSON part and named tensors so a
// checkpoint can store it next to the weights (e.g. one safetensors file with
// the JSON in its metadata).
import { noGrad } from '../../tensor/autograd.js';
import { keep, tidy } from '../../tensor/scope.js';
import { Tensor, zerosLike } from '../../tensor/tensor.js';
import { fmtShape } from '../check.js';

export type HyperValue = number | boolean | [number, number];
export type Hyper = { lr: number } & Record<string, HyperValue>;
export type ParamGroup<H extends Hyper> = H & { params: Tensor[] };
/** A flat list of parameters, or groups each with its own hyperparameter overrides. */
export type ParamsArg<H extends Hyper> = Iterable<Tensor> | Array<{ params: Iterable<Tensor> } & Partial<H>>;

export interface ParamState {
  /** Updates applied to this parameter. */
  step: number;
  buffers: Map<string, Tensor>;
}

export interface OptimizerMeta {
  format: 'tanglenas.optimizer/1';
  kind: string;
  /** Hyperparameters per group, and the flat indices of the group's parameters. */
  paramGroups: Array<{ params: number[] } & Record<string, HyperValue | number[]>>;
  /** Per-parameter step counts by flat parameter index (only parameters that have state). */
  state: Record<string, { step: number }>;
}

export interface OptimizerStateDict {
  /** JSON-serialisable part. */
  meta: OptimizerMeta;
  /** Per-parameter buffers named `state.<flat param index>.<buffer>`, e.g. `state.3.exp_avg`. */
  tensors: Map<string, Tensor>;
}

export abstract class Optimizer<H extends Hyper> {
  readonly paramGroups: ParamGroup<H>[] = [];
  protected readonly state = new Map<Tensor, ParamState>();
  readonly defaults: Readonly<H>;

  /** Name stored in state dicts ('SGD', 'Adam', ...). */
  abstract readonly kind: string;

  constructor(params: ParamsArg<H>, defaults: H) {
    this.defaults = Object.freeze({ ...defaults });
    const items = [...(params as Iterable<unknown>)];
    if (items.length === 0) throw new TypeError(`${this.constructor.name}: got an empty parameter list`);
    const grouped = !(items[0] instanceof Tensor);
    const groups = (grouped ? items : [{ params: items }]) as Array<{ params: Iterable<Tensor> } & Partial<H>>;
    for (const g of groups) this.addParamGroup(g);
  }

  /** Checks one group's hyperparameters; throws naming the bad one. */
  protected abstract validate(h: H, where: string): void;

  /** Updates one parameter in place; runs under noGrad inside a tidy scope. */
  protected abstract update(p: Tensor, grad: Tensor, group: ParamGroup<H>, st: ParamState): void;

  /** Buffers a parameter with step > 0 must have (checked when loading state). */
  protected abstract requiredBuffers(group: ParamGroup<H>): string[];

  addParamGroup(group: { params: Iterable<Tensor> } & Partial<H>): void {
    const name = this.constructor.name;
    const where = `${name}: param group ${this.paramGroups.length}`;
    if (group === null || typeof group !== 'object' || !('params' in group)) {
      throw new TypeError(`${where}: expected {params: Tensor[], ...hyperparameters}`);
    }
    for (const k of Object.keys(group)) {
      if (k !== 'params' && !(k in this.defaults)) {
        throw new TypeError(`${where}: unknown hyperparameter '${k}' (known: ${Object.keys(this.defaults).join(', ')})`);
      }
    }
    const params = [...group.params];
    if (params.length === 0) throw new TypeError(`${where}: has no parameters`);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${where}: params[${i}] is not a Tensor`);
      if (p.isDisposed) throw new Error(`${where}: params[${i}] was disposed`);
      if (!p.isLeaf) throw new TypeError(`${where}: params[${i}] is not a leaf tensor (optimise the parameter itself, not a result computed from it)`);
      if (seen.has(p)) throw new TypeError(`${where}: params[${i}] appears more than once across the groups`);
      seen.add(p);
    });
    const full = { ...this.defaults, ...group, params } as ParamGroup<H>;
    this.validate(full, where);
    this.paramGroups.push(full);
  }

  /** Learning rate of the first group. */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  /** Sets the learning rate of every group (what a schedule calls each step). */
  setLr(lr: number): void {
    if (!(Number.isFinite(lr) && lr >= 0)) throw new RangeError(`${this.constructor.name}.setLr: lr must be a finite number >= 0, got ${lr}`);
    for (const g of this.paramGroups) g.lr = lr;
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          // One scope per parameter keeps peak temporary memory to one tensor's worth.
          tidy(() => {
            const g = p.grad;
            if (g === null) return;
            let st = this.state.get(p);
            if (st === undefined) this.state.set(p, (st = { step: 0, buffers: new Map() }));
            this.update(p, g, group, st);
          });
        }
      }
    });
  }

  /** Clears gradients: drops them (default, frees memory) or fills them with zeros. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (setToNone) p.grad = null;
        else tidy(() => { const gr = p.grad; if (gr !== null) noGrad(() => gr.zero_()); });
      }
    }
  }

  /** A buffer of the parameter's shape, dtype and device, kept out of scopes. */
  protected newBuffer(st: ParamState, name: string, like: Tensor, init?: Tensor): Tensor {
    const b = keep(init === undefined ? zerosLike(like) : init.clone());
    st.buffers.get(name)?.dispose();
    st.buffers.set(name, b);
    return b;
  }

  #flatParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** Hyperparameters, step counts and copies of the per-parameter buffers (the caller owns the copies). */
  stateDict(): OptimizerStateDict {
    const flat = this.#flatParams();
    const index = new Map(flat.map((p, i) => [p, i]));
    const meta: OptimizerMeta = { format: 'tanglenas.optimizer/1', kind: this.kind, paramGroups: [], state: {} };
    for (const g of this.paramGroups) {
      const { params, ...hyper } = g;
      meta.paramGroups.push({ ...structuredClone(hyper), params: params.map((p) => index.get(p)!) } as OptimizerMeta['paramGroups'][number]);
    }
    const tensors = new Map<string, Tensor>();
    flat.forEach((p, i) => {
      const st = this.state.get(p);
      if (st === undefined) return;
      meta.state[String(i)] = { step: st.step };
      for (const [name, b] of st.buffers) tensors.set(`state.${i}.${name}`, noGrad(() => b.clone()));
    });
    return { meta, tensors };
  }

  /**
   * Restores hyperparameters, step counts and buffers saved by stateDict(). The
   * parameters must be the same in number, grouping and shapes; the tensors are
   * copied, so the caller may dispose them afterwards.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const who = `${this.constructor.name}.loadStateDict`;
    const { meta, tensors } = sd;
    if (meta?.format !== 'tanglenas.optimizer/1') throw new Error(`${who}: not an optimizer state (format '${String(meta?.format)}')`);
    if (meta.kind !== this.kind) throw new Error(`${who}: the state was saved by ${meta.kind}, not ${this.kind}`);
    if (meta.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${who}: the state has ${meta.paramGroups.length} param groups, this optimizer ${this.paramGroups.length}`);
    }
    meta.paramGroups.forEach((g, i) => {
      if (g.params.length !== this.paramGroups[i].params.length) {
        throw new Error(`${who}: param group ${i} has ${g.params.length} parameters in the state but ${this.paramGroups[i].params.length} here`);
      }
    });
    const flat = this.#flatParams();
    // Check everything before touching any state, so a failed load changes nothing.
    const newGroups = meta.paramGroups.map((g, i) => {
      const { params: _ignored, ...hyper } = g;
      const merged = { ...this.paramGroups[i], ...structuredClone(hyper) } as ParamGroup<H>;
      this.validate(merged, `${who}: param group ${i}`);
      return merged;
    });
    const owner = new Map<number, ParamGroup<H>>();
    newGroups.forEach((g) => g.params.forEach((p) => owner.set(flat.indexOf(p), g)));
    const steps = new Map<number, number>();
    for (const [k, v] of Object.entries(meta.state)) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i >= flat.length) throw new Error(`${who}: state for parameter ${k}, but there are ${flat.length} parameters`);
      if (!Number.isInteger(v?.step) || v.step < 0) throw new Error(`${who}: parameter ${k} has an invalid step count ${JSON.stringify(v?.step)}`);
      steps.set(i, v.step);
    }
    const buffers = new Map<number, Map<string, Tensor>>();
    for (const [name, t] of tensors) {
      const m = /^state\.(\d+)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(name);
      if (m === null) throw new Error(`${who}: unexpected tensor name '${name}' (expected state.<index>.<buffer>)`);
      const i = Number(m[1]);
      if (!steps.has(i)) throw new Error(`${who}: tensor '${name}' belongs to parameter ${i}, which has no entry in meta.state`);
      const p = flat[i];
      const a = p.shape, b = t.shape;
      if (a.length !== b.length || a.some((d, j) => d !== b[j])) {
        throw new Error(`${who}: '${name}' has shape ${fmtShape(b)} but parameter ${i} has shape ${fmtShape(a)}`);
      }
      if (!buffers.has(i)) buffers.set(i, new Map());
      buffers.get(i)!.set(m[2], t);
    }
    for (const [i, step] of steps) {
      if (step === 0) continue;
      for (const need of this.requiredBuffers(owner.get(i)!)) {
        if (!buffers.get(i)?.has(need)) throw new Error(`${who}: parameter ${i} has taken ${step} steps but its '${need}' buffer is missing`);
      }
    }
    // Apply.
    newGroups.forEach((g, i) => Object.assign(this.paramGroups[i], g));
    this.#disposeState();
    for (const [i, step] of steps) {
      const p = flat[i];
      const st: ParamState = { step, buffers: new Map() };
      for (const [name, t] of buffers.get(i) ?? []) {
        st.buffers.set(name, keep(noGrad(() => zerosLike(p).copy_(t))));
      }
      this.state.set(p, st);
    }
  }

  /** The state of one parameter (read-only use: tests, inspection). */
  getState(p: Tensor): Readonly<ParamState> | undefined {
    return this.state.get(p);
  }

  #disposeState(): void {
    for (const st of this.state.values()) for (const b of st.buffers.values()) b.dispose();
    this.state.clear();
  }

  /** Frees the optimizer's state tensors (the parameters are the model's). */
  dispose(): void {
    this.#disposeState();
  }
}

/** Throws unless v is a finite number in [min, max] (max exclusive when `open`). */
export function hyperNumber(where: string, name: string, v: unknown, min: number, max = Infinity, open = false): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= min && (open ? v < max : v <= max);
  if (!ok) throw new RangeError(`${where}: ${name} must be a finite number in [${min}, ${max}${open ? ')' : ']'}, got ${JSON.stringify(v)}`);
  return v as number;
}

export function hyperBool(where: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${where}: ${name} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}
