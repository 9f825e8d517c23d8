// Tabular benchmarks (reference-facts 8; NAS-Bench-201): every architecture of
// a space with its accuracy after training from scratch. Which file a space
// has, how it is laid out (the toy tables' JSON, NAS-Bench-201's CSV), its
// columns and the id a JSON table declares are facts of the space's registry
// entry. Looked up by the space's benchmarkKey(), which reproduces the keys of
// the table (the reference's genotype strings, the NB201 cell string).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getSpace, listSpaces, type BenchmarkInfo } from '../nas/registry.js';

/** The benchmark file name of a space, or undefined when it has no table. */
export function benchmarkFile(space: string): string | undefined {
  return getSpace(space).benchmark?.file;
}

export interface Lookup {
  key: string;
  /** The primary column (the first of the entry's columns; a test accuracy in percent). */
  testAcc: number;
  /** The toy tables' train accuracy; null for a table without one (NB201). */
  trainAcc: number | null;
  /** Every column the space's benchmark reports, by column name (the primary one included). */
  columns: Record<string, number>;
  /** 1 = best primary value; ties share the better rank. */
  rank: number;
  size: number;
  /** The best primary value of the table. */
  optimum: number;
  /** Share of architectures with a lower primary value, in percent. */
  percentile: number;
}

/** One architecture's numbers, by column name. */
type Row = Readonly<Record<string, number>>;

/** A table: architecture key -> its columns; ranked by the first column. */
export class Benchmark {
  readonly #rows: Map<string, Row>;
  /** Primary values, best first. */
  readonly #sorted: number[];
  readonly primary: string;
  /** The best value of every column. */
  readonly best: Readonly<Record<string, number>>;

  constructor(readonly space: string, readonly file: string, readonly columns: readonly string[], rows: Map<string, Row>) {
    if (!columns.length) throw new Error(`benchmark of space '${space}': the registry entry names no columns`);
    if (!rows.size) throw new Error(`benchmark '${file}' holds no architectures; the file is damaged`);
    this.primary = columns[0];
    this.#rows = rows;
    this.#sorted = [...rows.values()].map((r) => r[this.primary]).sort((a, b) => b - a);
    this.best = Object.fromEntries(columns.map((c) => [c, [...rows.values()].reduce((m, r) => Math.max(m, r[c] ?? -Infinity), -Infinity)]));
  }

  get size(): number {
    return this.#rows.size;
  }

  get optimum(): number {
    return this.#sorted[0];
  }

  lookup(key: string): Lookup | null {
    const r = this.#rows.get(key);
    if (!r) return null;
    const v = r[this.primary];
    const rank = this.#sorted.indexOf(v) + 1;
    const below = this.#sorted.length - this.#sorted.lastIndexOf(v) - 1;
    const columns = Object.fromEntries(this.columns.filter((c) => r[c] !== undefined).map((c) => [c, r[c]]));
    return { key, testAcc: v, trainAcc: r.train_acc ?? null, columns, rank, size: this.size, optimum: this.optimum, percentile: (100 * below) / this.size };
  }

  /** Every architecture key of the table. */
  keys(): string[] {
    return [...this.#rows.keys()];
  }

  /** The n best entries by the primary column. */
  top(n: number): Lookup[] {
    return [...this.#rows.entries()].sort((a, b) => b[1][this.primary] - a[1][this.primary]).slice(0, n).map(([k]) => this.lookup(k)!);
  }

  /** A toy table: {space?, num_entries?, optimum: {key, test_acc}, entries: [{key, test_acc, train_acc, ...}]}. */
  static fromJson(space: string, file: string, data: unknown, columns: readonly string[] = ['test_acc', 'train_acc']): Benchmark {
    const d = data as { entries?: unknown; optimum?: { test_acc?: unknown }; num_entries?: number };
    if (!d || !Array.isArray(d.entries) || !d.optimum || typeof d.optimum.test_acc !== 'number') {
      throw new Error(`benchmark '${file}' is not a toy benchmark table (no 'entries' list or 'optimum'); use the JSON files from shared/data/toy-bench`);
    }
    const rows = new Map<string, Row>();
    for (const e of d.entries as Record<string, unknown>[]) {
      if (typeof e?.key !== 'string' || typeof e[columns[0]] !== 'number') throw new Error(`benchmark '${file}': an entry has no string 'key' or numeric '${columns[0]}'; the file is damaged`);
      rows.set(e.key, Object.fromEntries(columns.filter((c) => typeof e[c] === 'number').map((c) => [c, e[c] as number])));
    }
    if (typeof d.num_entries === 'number' && d.num_entries !== rows.size) {
      throw new Error(`benchmark '${file}' declares ${d.num_entries} entries but holds ${rows.size} distinct keys; the file is damaged`);
    }
    return new Benchmark(space, file, columns, rows);
  }

  /** A CSV table: a header row naming `arch` (the key) and every column, then one row per architecture. */
  static fromCsv(space: string, file: string, text: string, columns: readonly string[]): Benchmark {
    const lines = text.split(/\r?\n/);
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    const header = (lines[0] ?? '').split(',').map((h) => h.trim());
    const missing = ['arch', ...columns].filter((c) => !header.includes(c));
    if (missing.length) {
      throw new Error(`benchmark '${file}' has no column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}; expected a CSV whose header names arch, ${columns.join(', ')} (NAS-Bench-201's nb201_merged.csv)`);
    }
    const at = (c: string) => header.indexOf(c);
    const rows = new Map<string, Row>();
    for (let i = 1; i < lines.length; i++) {
      const f = lines[i].split(',');
      if (f.length !== header.length) throw new Error(`benchmark '${file}' line ${i + 1}: ${f.length} fields, the header has ${header.length}; the file is damaged`);
      const key = f[at('arch')].trim();
      if (rows.has(key)) throw new Error(`benchmark '${file}' line ${i + 1}: architecture '${key}' appears twice; the file is damaged`);
      const row: Record<string, number> = {};
      for (const c of columns) {
        const raw = f[at(c)].trim();
        const v = raw === '' ? NaN : Number(raw);
        if (!Number.isFinite(v)) throw new Error(`benchmark '${file}' line ${i + 1}: column '${c}' holds '${raw}', not a number; the file is damaged`);
        row[c] = v;
      }
      rows.set(key, row);
    }
    return new Benchmark(space, file, columns, rows);
  }
}

/** The old name, for modules that still import it. */
export type ToyBenchmark = Benchmark;

function infoOf(space: string): BenchmarkInfo {
  const info = getSpace(space).benchmark;
  if (!info) throw new Error(`no tabular benchmark for space '${space}' (benchmarks exist for ${listSpaces().filter((s) => s.benchmark).map((s) => s.name).join(', ')})`);
  return info;
}

/**
 * Where the table of a space lives: an explicit folder or file, then
 * $TANGLENAS_BENCH_DIR, then ../shared/data/<its dir> relative to the working
 * directory. Null when none exists (an explicit path that does not exist is an error).
 */
export function findBenchmark(space: string, explicit?: string | null): string | null {
  const { file, dir = 'toy-bench' } = infoOf(space);
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`benchmark path '${explicit}' does not exist; pass the folder holding ${file} (or the file itself)`);
    const p = statSync(explicit).isDirectory() ? join(explicit, file) : explicit;
    if (!existsSync(p)) throw new Error(`benchmark folder '${explicit}' has no ${file}`);
    return resolve(p);
  }
  const env = process.env.TANGLENAS_BENCH_DIR;
  if (env) {
    const p = join(env, file);
    if (!existsSync(p)) throw new Error(`TANGLENAS_BENCH_DIR='${env}' has no ${file}; point it at the folder holding the benchmark tables, or unset it`);
    return resolve(p);
  }
  const dflt = resolve('..', 'shared', 'data', dir, file);
  return existsSync(dflt) ? dflt : null;
}

const cache = new Map<string, Benchmark>();

export function loadBenchmark(space: string, file: string): Benchmark {
  const hit = cache.get(file);
  if (hit && hit.space === space) return hit;
  const info = infoOf(space);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`benchmark '${file}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass the folder holding ${info.file}`);
  }
  let b: Benchmark;
  if (info.format === 'csv') {
    b = Benchmark.fromCsv(space, file, text, info.columns);
  } else {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new Error(`benchmark '${file}' cannot be read as JSON (${(e as Error).message}); use the JSON files from shared/data/toy-bench`);
    }
    const d = data as { space?: string };
    if (d?.space !== undefined && d.space !== info.id) throw new Error(`benchmark '${file}' is for space '${d.space}', not '${space}'; pass ${info.file}`);
    b = Benchmark.fromJson(space, file, data, info.columns);
  }
  cache.set(file, b);
  return b;
}

/**
 * The table of a space if it can be found, else null. A table describes the
 * space's default dataset: a run on another real dataset (NB201 on an image
 * folder) gets none; synthetic data keeps it (tests, smoke runs).
 */
export function benchmarkFor(space: string, explicit?: string | null, dataset?: string): Benchmark | null {
  // Spaces without a tabular benchmark (the language models) are evaluated by test loss.
  if (!benchmarkFile(space) && !explicit) return null;
  if (dataset !== undefined && dataset !== 'synthetic' && dataset !== getSpace(space).datasets[0]) return null;
  const file = findBenchmark(space, explicit);
  return file ? loadBenchmark(space, file) : null;
}
