// Loads the libtorch addon, on first use. The thread count goes into the environment before the
// library loads: OpenMP reads OMP_NUM_THREADS once at start-up, and without it
// libtorch's own default on these VMs is 1 thread (bench/engine --threads-experiment:
// 2 threads 413 ms, default 762 ms per conv step; setNumThreads(2) later: 419 ms).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function configureThreads(): number {
  const raw = process.env.TANGLENAS_THREADS ?? process.env.OMP_NUM_THREADS;
  const n = raw === undefined || raw === '' ? availableParallelism() : Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`TANGLENAS_THREADS/OMP_NUM_THREADS='${raw}' is not a positive integer: set it to a thread count such as 2, or unset it to use all ${availableParallelism()} cores`);
  }
  process.env.OMP_NUM_THREADS = String(n);
  return n;
}

function findAddon(): string {
  // dist/src/tensor/native.js and src/tensor/native.ts both sit below the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'native', 'build', 'Release', 'tanglenas.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('the tanglenas native addon is not built: run `npm run build:native` (needs the Debian packages libtorch-dev and libopenblas0-openmp; see README)');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Addon = Record<string, (...args: any[]) => any>;
let addon: Addon | null = null;
let threads = 0;

/** Loads libtorch on first use, so that importing the library (registries, configs) costs nothing and `threads` can still apply. */
function load(): Addon {
  if (!addon) {
    threads = configureThreads();
    addon = createRequire(import.meta.url)(findAddon()) as Addon;
    native = addon; // importers' live binding now skips the proxy
  }
  return addon;
}

/** Whether libtorch has been loaded in this process. */
export function engineLoaded(): boolean {
  return addon !== null;
}

/** The intra-op thread count libtorch was started with (loads it). */
export function configuredThreads(): number {
  load();
  return threads;
}

/** Intercepts one addon call: the op name, the addon's function and the arguments; returns the result. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeHook = (name: string, fn: (...args: any[]) => any, args: unknown[]) => unknown;

/**
 * Runs `body` with every call through `native` routed through `hook`, then puts
 * the addon back: importers' live binding sees a proxy for the duration (the
 * ONNX tracer, src/tensor/trace.ts). Synchronous bodies only; not nestable.
 * @internal
 */
export function withNativeHook<T>(hook: NativeHook, body: () => T): T {
  const base = load();
  if (native !== base) throw new Error('withNativeHook: addon calls are already being intercepted (a trace inside a trace?)');
  const wrapped = new Map<string, unknown>();
  native = new Proxy(base, {
    get: (_, key) => {
      if (typeof key !== 'string') return undefined;
      let f = wrapped.get(key);
      if (f === undefined) {
        const g = base[key];
        if (typeof g !== 'function') return g;
        f = (...args: unknown[]) => hook(key, g, args);
        wrapped.set(key, f);
      }
      return f;
    },
  });
  try {
    return body();
  } finally {
    native = base;
  }
}

// eslint-disable-next-line prefer-const
export let native: Addon = new Proxy({} as Addon, {
  get: (_, key: string) => load()[key],
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => ({ ...Object.getOwnPropertyDescriptor(load(), key), configurable: true }),
});
