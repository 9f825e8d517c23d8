// A named categorical architecture choice. Layers that share a decision share the
// Choice object (one embed-dim choice for a whole transformer); each Choice owns
// its architecture logits alpha, kept apart from the network weights.
import { keep } from '../tensor/scope.js';
import { randn, type Tensor } from '../tensor/tensor.js';
import { noGrad } from '../tensor/autograd.js';

export type ChoiceValue = number | string;

/**
 * A named list of candidate values that a superposition is taken over. Choices
 * are factors with architecture logits; a bare Factor serves operations whose
 * weights come from a slice of a choice (the toy cell's kernel 3 within 5).
 */
export class Factor<V extends ChoiceValue = ChoiceValue> {
  readonly name: string;
  readonly values: readonly V[];
  /** Options still in the search; progressive pruning (prune_below) turns some off. */
  readonly #live: boolean[];

  constructor(name: string, values: readonly V[]) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new TypeError(`choice('${name}'): names are identifiers (letters, digits, _ . -)`);
    if (values.length < 1) throw new TypeError(`choice('${name}'): needs at least one value`);
    if (new Set(values).size !== values.length) throw new TypeError(`choice('${name}'): values [${values.join(', ')}] contain duplicates`);
    this.name = name;
    this.values = Object.freeze([...values]);
    this.#live = values.map(() => true);
  }

  /** Whether option `i` is still in the search (mixtures skip pruned options; they carry weight 0). */
  isLive(i: number): boolean {
    return this.#live[i];
  }

  get liveCount(): number {
    return this.#live.filter(Boolean).length;
  }

  /** Indices of the pruned options. */
  pruned(): number[] {
    return this.#live.flatMap((on, i) => (on ? [] : [i]));
  }

  /** Takes option `i` out of the search; the last live option cannot go. */
  prune(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`choice '${this.name}': cannot prune option ${i} of ${this.size}`);
    if (this.#live[i] && this.liveCount === 1) throw new Error(`choice '${this.name}': cannot prune its last live option (${this.values[i]})`);
    this.#live[i] = false;
  }

  /** Sets the pruned options (a checkpoint's); every other option is live. */
  setPruned(indices: readonly number[]): void {
    this.#live.fill(true);
    for (const i of indices) this.prune(i);
  }

  get size(): number {
    return this.values.length;
  }

  indexOf(value: V): number {
    const i = this.values.indexOf(value);
    if (i < 0) throw new RangeError(`choice '${this.name}': ${JSON.stringify(value)} is not one of [${this.values.join(', ')}]`);
    return i;
  }

}

export class Choice<V extends ChoiceValue = ChoiceValue> extends Factor<V> {
  /** Architecture logits, shape [values.length]; 1e-3 * N(0, 1) like the reference. */
  readonly alpha: Tensor;

  constructor(name: string, values: readonly V[]) {
    super(name, values);
    this.alpha = keep(randn([values.length]).mul(1e-3));
    this.alpha.requiresGrad_(true);
  }

  /** argmax of alpha over the live options (ties -> first). */
  argmax(): number {
    return noGrad(() => {
      const a = this.alpha.toArray().map((v, i) => (this.isLive(i) ? v : -Infinity));
      return a.indexOf(Math.max(...a));
    });
  }
}

export function choice<V extends ChoiceValue>(name: string, values: readonly V[]): Choice<V> {
  return new Choice(name, values);
}

/** An architecture: one value index per choice name. */
export type Architecture = Record<string, number>;

/** Canonical JSON of an architecture: values (not indices), keys sorted. */
export function encodeArchitecture(choices: readonly Choice[], arch: Architecture): string {
  const out: Record<string, ChoiceValue> = {};
  for (const c of [...choices].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const i = arch[c.name];
    if (i === undefined) throw new Error(`architecture has no entry for choice '${c.name}'`);
    if (!Number.isInteger(i) || i < 0 || i >= c.size) throw new RangeError(`architecture: index ${i} out of range for choice '${c.name}' (${c.size} values)`);
    out[c.name] = c.values[i];
  }
  return JSON.stringify(out);
}

/** Inverse of encodeArchitecture; rejects unknown or missing choices and values. */
export function decodeArchitecture(choices: readonly Choice[], json: string): Architecture {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch (e) {
    throw new Error(`architecture JSON does not parse: ${(e as Error).message}`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new TypeError('architecture JSON must be an object {choiceName: value}');
  const byName = new Map(choices.map((c) => [c.name, c]));
  const arch: Architecture = {};
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const c = byName.get(k);
    if (!c) throw new Error(`architecture names unknown choice '${k}' (known: ${[...byName.keys()].join(', ')})`);
    arch[k] = c.indexOf(v as ChoiceValue);
  }
  for (const c of choices) if (arch[c.name] === undefined) throw new Error(`architecture JSON misses choice '${c.name}'`);
  return arch;
}
