// Types of flat config values, shared by the config schema (search/config.ts)
// and the registries whose entries bring their own keys (a sampler's options).
// Lives below search/ so that nas/ entries can declare keys without importing
// the config module. Loads no libtorch.

export type ValueType =
  | { t: 'int'; min: number; max?: number }
  | { t: 'num'; min: number; max?: number; minOpen?: boolean; maxOpen?: boolean }
  | { t: 'bool' }
  /** `values` may be a function: the names registered when the value is checked (spaces, samplers, datasets). */
  | { t: 'enum'; values: readonly (string | number)[] | (() => readonly (string | number)[]) }
  | { t: 'str'; nullable: true }
  | { t: 'pair'; min: number; max: number }
  /** A list of non-empty strings (file paths). */
  | { t: 'list' }
  /** 'auto', 'cpu', 'cuda' or 'cuda:N' (checked against the machine when a run starts). */
  | { t: 'device' };

export const int = (min: number, max?: number): ValueType => ({ t: 'int', min, max });
export const num = (min: number, max?: number, o: { minOpen?: boolean; maxOpen?: boolean } = {}): ValueType => ({ t: 'num', min, max, ...o });
export const bool: ValueType = { t: 'bool' };
export const oneOf = (...values: (string | number)[]): ValueType => ({ t: 'enum', values });
/** A name from a registry, read when a value is checked (plugins may have added names). */
export const registered = (names: () => readonly string[]): ValueType => ({ t: 'enum', values: names });
export const path: ValueType = { t: 'str', nullable: true };
export const betas: ValueType = { t: 'pair', min: 0, max: 1 };
export const paths: ValueType = { t: 'list' };
export const device: ValueType = { t: 'device' };

export function enumValues(t: Extract<ValueType, { t: 'enum' }>): readonly (string | number)[] {
  return typeof t.values === 'function' ? t.values() : t.values;
}

/** "an integer >= 0", "one of 'a', 'b'", ... for error messages and `config --keys`. */
export function describeType(t: ValueType): string {
  switch (t.t) {
    case 'int':
      return `an integer >= ${t.min}${t.max !== undefined ? ` and <= ${t.max}` : ''}`;
    case 'num': {
      const lo = `${t.minOpen ? '>' : '>='} ${t.min}`;
      return `a number ${lo}${t.max !== undefined ? ` and ${t.maxOpen ? '<' : '<='} ${t.max}` : ''}`;
    }
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${enumValues(t).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'str':
      return 'a string (or null)';
    case 'pair':
      return `a pair [a, b] of numbers in [${t.min}, ${t.max})`;
    case 'list':
      return 'a list of file paths';
    case 'device':
      return "'auto', 'cpu', 'cuda' or 'cuda:N'";
  }
}

function inRange(v: number, t: { min: number; max?: number; minOpen?: boolean; maxOpen?: boolean }): boolean {
  if (!Number.isFinite(v)) return false;
  if (t.minOpen ? v <= t.min : v < t.min) return false;
  if (t.max !== undefined && (t.maxOpen ? v >= t.max : v > t.max)) return false;
  return true;
}

/** The value, normalised (a pair copied), or undefined when it is not of the type. */
export function conform(t: ValueType, value: unknown): { ok: true; value: unknown } | { ok: false } {
  const no = { ok: false } as const;
  switch (t.t) {
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && inRange(value, t) ? { ok: true, value } : no;
    case 'num':
      return typeof value === 'number' && inRange(value, t) ? { ok: true, value } : no;
    case 'bool':
      return typeof value === 'boolean' ? { ok: true, value } : no;
    case 'enum':
      return enumValues(t).includes(value as string | number) ? { ok: true, value } : no;
    case 'str':
      return value === null || (typeof value === 'string' && value !== '') ? { ok: true, value } : no;
    case 'pair':
      return Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && inRange(v, { min: t.min, max: t.max, maxOpen: true })) ? { ok: true, value: [...value] } : no;
    case 'list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '') ? { ok: true, value: [...value] } : no;
    case 'device':
      return typeof value === 'string' && /^(auto|cpu|cuda(:\d+)?)$/.test(value) ? { ok: true, value } : no;
  }
}

/** A registry-declared config key: its type, default and one line of help. */
export interface OptionSpec {
  /** The flat config key (e.g. gdas_tau_max). */
  key: string;
  type: ValueType;
  default: unknown;
  doc: string;
}
