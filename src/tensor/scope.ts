// Deterministic tensor memory (tfjs-style `tidy`): every tensor created inside a
// scope is freed when the scope ends, except what the scope returns and what was
// `keep`-ed. Native memory then never waits on V8's garbage collector.

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
  kept: boolean;
}

const scopes: Set<Disposable>[] = [];

/** Called by every tensor constructor. */
export function track(t: Disposable): void {
  const top = scopes[scopes.length - 1];
  if (top !== undefined && !t.kept) top.add(t);
}

/** Exempts a tensor from every enclosing scope (e.g. parameters, optimizer state). */
export function keep<T extends Disposable>(t: T): T {
  t.kept = true;
  for (const s of scopes) s.delete(t);
  return t;
}

/** Number of open scopes (for debugging leaks). */
export function scopeDepth(): number {
  return scopes.length;
}

// `seen` guards against cycles; a depth cap instead silently disposed tensors
// returned deeper than a few levels.
function collect(value: unknown, out: Set<unknown>, seen = new Set<object>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if ('dispose' in value && 'isDisposed' in value) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, seen);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, seen);
  else if (value instanceof Set) for (const v of value) collect(v, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, seen);
}

/**
 * Runs `fn` in a scope. Tensors it returns (directly, or inside arrays, Maps, Sets
 * and plain objects) move to the enclosing scope; all other tensors created inside
 * are disposed, also when `fn` throws. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new Error('tidy(fn): fn returned a Promise; scopes must be synchronous (await outside tidy, or call keep() on tensors that must live on)');
  }
  const returned = new Set<unknown>();
  collect(result, returned);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (returned.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Disposes tensors found in a value (a tensor, array, Map, Set or plain object of them). */
export function dispose(value: unknown): void {
  const found = new Set<unknown>();
  collect(value, found);
  for (const t of found) (t as Disposable).dispose();
}
