// A small Module base (PyTorch-like): explicitly registered parameters, buffers
// and children; train/eval; state dicts. Registered tensors are `keep`-ed, so
// scopes never free them; `dispose()` frees them all.
import { noGrad } from '../tensor/autograd.js';
import { keep } from '../tensor/scope.js';
import type { Device, Tensor } from '../tensor/tensor.js';

export type StateDict = Map<string, Tensor>;

export class Module {
  training = true;
  readonly #params = new Map<string, Tensor>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  /** Registers a trainable tensor (requiresGrad is switched on). */
  protected param(name: string, t: Tensor): Tensor {
    this.#checkName(name);
    keep(t);
    if (!t.requiresGrad) t.requiresGrad_(true);
    this.#params.set(name, t);
    return t;
  }

  /** Registers a non-trainable state tensor (e.g. running statistics). */
  protected buffer(name: string, t: Tensor): Tensor {
    this.#checkName(name);
    keep(t);
    this.#buffers.set(name, t);
    return t;
  }

  /** Registers a sub-module. */
  protected child<M extends Module>(name: string, m: M): M {
    this.#checkName(name);
    this.#children.set(name, m);
    return m;
  }

  #checkName(name: string): void {
    if (name === '' || name.includes('.')) throw new TypeError(`${this.constructor.name}: invalid member name '${name}' (non-empty, no dots)`);
    if (this.#params.has(name) || this.#buffers.has(name) || this.#children.has(name)) {
      throw new TypeError(`${this.constructor.name}: '${name}' is registered twice`);
    }
  }

  namedChildren(): [string, Module][] {
    return [...this.#children];
  }

  /** This module and all descendants, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, c] of this.#children) out.push(...c.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [p, m] of this.namedModules()) for (const [n, t] of m.#params) out.push([p ? `${p}.${n}` : n, t]);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [p, m] of this.namedModules()) for (const [n, t] of m.#buffers) out.push([p ? `${p}.${n}` : n, t]);
    return out;
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((acc, t) => acc + t.numel, 0);
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const t of this.parameters()) t.grad = null;
  }

  /** Parameters and buffers by dotted name (the live tensors, not copies). */
  stateDict(): StateDict {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into the registered tensors. Strict mode (default) rejects
   * missing and unexpected keys; shapes must always match.
   */
  loadStateDict(state: StateDict, opts: { strict?: boolean } = {}): void {
    const own = this.stateDict();
    const strict = opts.strict ?? true;
    if (strict) {
      const missing = [...own.keys()].filter((k) => !state.has(k));
      const unexpected = [...state.keys()].filter((k) => !own.has(k));
      if (missing.length || unexpected.length) {
        throw new Error(`loadStateDict(${this.constructor.name}): missing keys [${missing.join(', ')}], unexpected keys [${unexpected.join(', ')}]; pass {strict: false} to load a subset`);
      }
    }
    noGrad(() => {
      for (const [k, src] of state) {
        const dst = own.get(k);
        if (!dst) continue;
        const a = dst.shape, b = src.shape;
        if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
          throw new Error(`loadStateDict(${this.constructor.name}): '${k}' has shape [${b.join(', ')}] but the module expects [${a.join(', ')}]`);
        }
        dst.copy_(src);
      }
    });
  }

  /**
   * Moves every parameter and buffer (and any gradient) to `device`, in place:
   * each tensor keeps its identity (set_data, as PyTorch's Module.to), so the
   * fields that hold them and optimizers built on them stay valid.
   */
  to(device: Device): this {
    moveTensorsTo(device, [...this.parameters(), ...this.namedBuffers().map(([, b]) => b)]);
    return this;
  }

  /** Frees every parameter and buffer of this module tree. */
  dispose(): void {
    for (const [, t] of this.stateDict()) t.dispose();
  }
}

/** Moves tensors (and their gradients) to `device` in place, keeping their identities. */
export function moveTensorsTo(device: Device, tensors: readonly Tensor[]): void {
  noGrad(() => {
    for (const t of tensors) {
      if (t.device === device) continue;
      const moved = t.toDevice(device);
      t.setData_(moved);
      moved.dispose();
      const g = t.grad;
      if (g && g.device !== device) t.grad = g.toDevice(device);
      g?.dispose();
    }
  });
}

/** Modules in order, registered as children named 0, 1, ... (torch's ModuleList, for its state-dict names). */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];
  constructor(items: M[]) {
    super();
    this.items = items.map((m, i) => this.child(String(i), m));
  }
}
