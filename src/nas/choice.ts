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

  constructor(name: string, values: readonly V[]) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new TypeError(`choice('${name}'): names are identifiers (letters, digits, _ . -)`);
    if (values.length < 1) throw new TypeError(`choice('${name}'): needs at least one value`);
    if (new Set(values).size !== values.length) throw new TypeError(`choice('${name}'): values [${values.join(', ')}] contain duplicates`);
    this.name = name;
    this.values = Object.freeze([...values]);
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

  /** argmax of alpha (ties -> first). */
  argmax(): number {
    return noGrad(() => {
      const a = this.alpha.toArray();
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
