// Tabular benchmarks (reference-facts 8): every architecture of a space with
// its test accuracy after training from scratch. Which file a space has, and
// the id the file declares, are facts of the space's registry entry. Looked up
// by the space's benchmarkKey(), which reproduces the reference's key strings.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getSpace, listSpaces } from '../nas/registry.js';

/** The benchmark file name of a space, or undefined when it has no table. */
export function benchmarkFile(space: string): string | undefined {
  return getSpace(space).benchmark?.file;
}

export interface BenchmarkEntry {
  key: string;
  test_acc: number;
  train_acc: number;
}

export interface Lookup {
  key: string;
  testAcc: number;
  trainAcc: number;
  /** 1 = best test accuracy; ties share the better rank. */
  rank: number;
  size: number;
  optimum: number;
  /** Share of architectures with a lower test accuracy, in percent. */
  percentile: number;
}

export class ToyBenchmark {
  readonly #byKey = new Map<string, BenchmarkEntry>();
  readonly #sorted: number[];
  readonly optimum: { key: string; test_acc: number };

  constructor(readonly space: string, readonly file: string, data: unknown) {
    const d = data as { entries?: unknown; optimum?: { key: string; test_acc: number }; num_entries?: number };
    if (!d || !Array.isArray(d.entries) || !d.optimum || typeof d.optimum.test_acc !== 'number') {
      throw new Error(`benchmark '${file}' is not a toy benchmark table (no 'entries' list or 'optimum'); use the JSON files from shared/data/toy-bench`);
    }
    for (const e of d.entries as BenchmarkEntry[]) {
      if (typeof e?.key !== 'string' || typeof e.test_acc !== 'number') throw new Error(`benchmark '${file}': an entry has no string 'key' or numeric 'test_acc'; the file is damaged`);
      this.#byKey.set(e.key, e);
    }
    if (typeof d.num_entries === 'number' && d.num_entries !== this.#byKey.size) {
      throw new Error(`benchmark '${file}' declares ${d.num_entries} entries but holds ${this.#byKey.size} distinct keys; the file is damaged`);
    }
    this.#sorted = [...this.#byKey.values()].map((e) => e.test_acc).sort((a, b) => b - a);
    this.optimum = d.optimum;
  }

  get size(): number {
    return this.#byKey.size;
  }

  lookup(key: string): Lookup | null {
    const e = this.#byKey.get(key);
    if (!e) return null;
    const rank = this.#sorted.indexOf(e.test_acc) + 1;
    const below = this.#sorted.length - this.#sorted.lastIndexOf(e.test_acc) - 1;
    return { key, testAcc: e.test_acc, trainAcc: e.train_acc, rank, size: this.size, optimum: this.optimum.test_acc, percentile: (100 * below) / this.size };
  }

  /** The n best entries by test accuracy. */
  top(n: number): BenchmarkEntry[] {
    return [...this.#byKey.values()].sort((a, b) => b.test_acc - a.test_acc).slice(0, n);
  }
}

/**
 * Where the table of a space lives: an explicit folder or file, then
 * $TANGLENAS_BENCH_DIR, then ../shared/data/toy-bench relative to the working
 * directory. Null when none exists (an explicit path that does not exist is an error).
 */
export function findBenchmark(space: string, explicit?: string | null): string | null {
  const file = benchmarkFile(space);
  if (!file) throw new Error(`no tabular benchmark for space '${space}' (benchmarks exist for ${listSpaces().filter((s) => s.benchmark).map((s) => s.name).join(', ')})`);
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`benchmark path '${explicit}' does not exist; pass the folder holding ${file} (or the file itself)`);
    const p = statSync(explicit).isDirectory() ? join(explicit, file) : explicit;
    if (!existsSync(p)) throw new Error(`benchmark folder '${explicit}' has no ${file}`);
    return resolve(p);
  }
  const env = process.env.TANGLENAS_BENCH_DIR;
  if (env) {
    const p = join(env, file);
    if (!existsSync(p)) throw new Error(`TANGLENAS_BENCH_DIR='${env}' has no ${file}; point it at the folder holding the toy benchmark JSON files, or unset it`);
    return resolve(p);
  }
  const dflt = resolve('..', 'shared', 'data', 'toy-bench', file);
  return existsSync(dflt) ? dflt : null;
}

const cache = new Map<string, ToyBenchmark>();

export function loadBenchmark(space: string, file: string): ToyBenchmark {
  const hit = cache.get(file);
  if (hit && hit.space === space) return hit;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`benchmark '${file}' cannot be read as JSON (${(e as Error).message}); use the JSON files from shared/data/toy-bench`);
  }
  const d = data as { space?: string };
  const info = getSpace(space).benchmark;
  if (!info) throw new Error(`space '${space}' has no tabular benchmark`);
  if (d?.space !== undefined && d.space !== info.id) throw new Error(`benchmark '${file}' is for space '${d.space}', not '${space}'; pass ${info.file}`);
  const b = new ToyBenchmark(space, file, data);
  cache.set(file, b);
  return b;
}

/** The table of a space if it can be found, else null. */
export function benchmarkFor(space: string, explicit?: string | null): ToyBenchmark | null {
  // Spaces without a tabular benchmark (the language models) are evaluated by test loss.
  if (!benchmarkFile(space) && !explicit) return null;
  const file = findBenchmark(space, explicit);
  return file ? loadBenchmark(space, file) : null;
}
