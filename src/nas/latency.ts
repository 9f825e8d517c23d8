// Latency of a sub-network on this machine, as a lookup table: a base time plus
// one entry per (choice, option), additive, so its expectation under a
// sampler's mixing weights is differentiable (base + sum_c w_c . L_c) and a
// constraint 'latency_ms <= x' works like params and FLOPs.
// How the table is built: the reference times each entangled op at each
// choice; here, for every space alike, whole sub-networks are timed (batch 1,
// eval mode, no grad; warm-up, then the fastest of the repeats, at least 20 ms
// of them: interference from other processes only adds time), random ones plus
// each option at least once, and the table is their least-squares fit
// (the first option of each choice is the 0 the others are relative to; a
// small ridge keeps it defined). What the table misses (interactions between
// choices) shows in the check the table carries: rank correlation and error
// of its prediction against the measured latency of 20 other random
// sub-networks. Tables are cached per space, space options, host, CPU model
// and thread count ($TANGLENAS_CACHE/latency).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheRoot } from '../data/files.js';
import { Rng } from '../data/rng.js';
import { writeFileAtomic } from '../nn/atomic.js';
import { noGrad } from '../tensor/autograd.js';
import { getNumThreads } from '../tensor/runtime.js';
import { tidy } from '../tensor/scope.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import type { ArchSample } from './arch.js';
import type { Architecture } from './choice.js';
import type { SearchSpace } from './space.js';

export interface LatencyTable {
  format: 'tanglenas.latency/1';
  space: string;
  /** What the table was measured on; a cached table is used only on the same. */
  machine: { host: string; cpu: string; threads: number };
  /** Hash of the space's choices (names and values): another configuration of the space gets its own table. */
  choicesHash: string;
  batch: number;
  base: number;
  /** Per choice, per option: milliseconds added to the base (the first option 0). */
  table: Record<string, number[]>;
  fit: { subnets: number; rmseMs: number };
  /** Prediction against 20 other measured sub-networks. */
  check: { subnets: number; spearman: number; meanAbsErrorMs: number; meanRelError: number };
}

export interface LatencyOptions {
  batch?: number;
  warmup?: number;
  repeats?: number;
  seed?: number;
}

/** Fastest wall milliseconds of one forward of the architecture's sub-network over the repeats (fresh weights, eval mode, no grad). */
export function measureLatency(space: SearchSpace, arch: Architecture, o: LatencyOptions = {}): number {
  const net = space.subnet(arch, { inherit: false });
  try {
    net.eval();
    const x = tidy(() => space.exampleBatch(o.batch ?? 1).x);
    const times: number[] = [];
    noGrad(() => {
      const warmup = Math.max(1, o.warmup ?? 2);
      let repeats = o.repeats ?? 5;
      for (let i = 0; i < warmup + repeats; i++) {
        const t0 = performance.now();
        tidy(() => net.forward(x).sum().item());
        const ms = performance.now() - t0;
        if (i >= warmup) times.push(ms);
        // Unless told, at least 20 ms of repeats (5 to 50): a 1.5 ms network needs more than 5 to find its fastest.
        else if (i === warmup - 1 && o.repeats === undefined) repeats = Math.min(50, Math.max(5, Math.ceil(20 / Math.max(ms, 1e-3))));
      }
    });
    x.dispose();
    return Math.min(...times);
  } finally {
    net.dispose();
  }
}

function choicesHash(space: SearchSpace): string {
  return createHash('sha256').update(JSON.stringify(space.choices.map((c) => [c.name, c.values]))).digest('hex').slice(0, 16);
}

function machine(): LatencyTable['machine'] {
  return { host: hostname(), cpu: cpus()[0]?.model ?? 'unknown', threads: getNumThreads() };
}

/** Solves (A + ridge I) x = b by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[], ridge: number): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row.map((v, j) => v + (i === j ? ridge : 0)), b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(a: number[], b: number[]): number {
  const rank = (v: number[]) => {
    const idx = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
      for (let k = i; k <= j; k++) r[idx[k][1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : 0;
}

/** The table's prediction for an architecture, in ms. */
export function predictLatency(t: LatencyTable, arch: Architecture): number {
  let ms = t.base;
  for (const [name, row] of Object.entries(t.table)) ms += row[arch[name]];
  return ms;
}

/** base + sum over choices of (mixing weights . table row): differentiable w.r.t. the weights. */
export function expectedLatency(t: LatencyTable, space: SearchSpace, sample: ArchSample): Tensor {
  return tidy(() => {
    let out = tensor([t.base]).sum();
    for (const c of space.choices) out = out.add(sample.weights(c).mul(tensor(t.table[c.name])).sum());
    return out;
  });
}

/** The least-squares table of measured latencies `y` (ms) of `archs` (no check yet). */
export function fitLatencyTable(space: SearchSpace, archs: Architecture[], y: number[], batch: number): LatencyTable {
  // Unknowns: the base, then options 1.. of each choice (option 0 is the reference).
  const columns: [string, number][] = space.choices.flatMap((c) => Array.from({ length: c.size - 1 }, (_, i) => [c.name, i + 1] as [string, number]));
  const X = archs.map((a) => [1, ...columns.map(([name, i]) => (a[name] === i ? 1 : 0))]);
  const p = columns.length + 1;
  const xtx = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => X.reduce((s, r) => s + r[i] * r[j], 0)));
  const xty = Array.from({ length: p }, (_, i) => X.reduce((s, r, k) => s + r[i] * y[k], 0));
  const beta = solve(xtx, xty, 1e-9 * archs.length);
  const table: Record<string, number[]> = Object.fromEntries(space.choices.map((c) => [c.name, new Array<number>(c.size).fill(0)]));
  columns.forEach(([name, i], k) => (table[name][i] = beta[k + 1]));
  const t: LatencyTable = {
    format: 'tanglenas.latency/1',
    space: space.name,
    machine: machine(),
    choicesHash: choicesHash(space),
    batch,
    base: beta[0],
    table,
    fit: { subnets: archs.length, rmseMs: 0 },
    check: { subnets: 0, spearman: 0, meanAbsErrorMs: 0, meanRelError: 0 },
  };
  t.fit.rmseMs = Math.sqrt(archs.reduce((s, a, k) => s + (predictLatency(t, a) - y[k]) ** 2, 0) / archs.length);
  return t;
}

/** Times sub-networks and fits the table (see the file comment); `subnets`: fitting set size (default 3 x the unknowns, at least 30). */
export function buildLatencyTable(space: SearchSpace, o: LatencyOptions & { subnets?: number; checkSubnets?: number } = {}): LatencyTable {
  const rng = new Rng(o.seed ?? 0, 0x1a7);
  const random = () => space.randomArchitecture(() => rng.float());
  // Unknowns: the base, then options 1.. of each choice.
  const unknowns = 1 + space.choices.reduce((s, c) => s + c.size - 1, 0);
  const n = Math.max(30, o.subnets ?? 3 * unknowns);
  const fitArchs: Architecture[] = [];
  // Every option at least once, then random ones.
  for (const c of space.choices) for (let i = 0; i < c.size; i++) fitArchs.push({ ...random(), [c.name]: i });
  while (fitArchs.length < n) fitArchs.push(random());
  const t = fitLatencyTable(space, fitArchs, fitArchs.map((a) => measureLatency(space, a, o)), o.batch ?? 1);
  const checkArchs = Array.from({ length: o.checkSubnets ?? 20 }, random);
  const measured = checkArchs.map((a) => measureLatency(space, a, { ...o, repeats: o.repeats ?? 5 }));
  const predicted = checkArchs.map((a) => predictLatency(t, a));
  t.check = {
    subnets: checkArchs.length,
    spearman: spearman(predicted, measured),
    meanAbsErrorMs: measured.reduce((s, m, k) => s + Math.abs(predicted[k] - m), 0) / measured.length,
    meanRelError: measured.reduce((s, m, k) => s + Math.abs(predicted[k] - m) / m, 0) / measured.length,
  };
  return t;
}

/** The cached table of this space on this machine and thread count, else a new one (then cached). */
export function latencyTableFor(space: SearchSpace, o: LatencyOptions & { subnets?: number; checkSubnets?: number; log?: (line: string) => void } = {}): LatencyTable {
  const m = machine();
  const hash = choicesHash(space);
  const file = latencyCacheFile(space, o.batch ?? 1);
  if (existsSync(file)) {
    try {
      const t = JSON.parse(readFileSync(file, 'utf8')) as LatencyTable;
      if (t.format === 'tanglenas.latency/1' && t.choicesHash === hash && JSON.stringify(t.machine) === JSON.stringify(m)) return t;
    } catch {
      // A damaged cache file is rebuilt.
    }
  }
  o.log?.(`  latency table: timing sub-networks of ${space.name} on this machine (${m.threads} threads, batch ${o.batch ?? 1}); cached in ${file}`);
  const t = buildLatencyTable(space, o);
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(t, null, 1));
  return t;
}

/** Where this machine's table of a space is cached. */
export function latencyCacheFile(space: SearchSpace, batch = 1): string {
  return join(cacheRoot(), 'latency', `${space.name}-${choicesHash(space)}-${createHash('sha256').update(JSON.stringify(machine())).digest('hex').slice(0, 12)}-b${batch}.json`);
}

/** The latency table a space's constraints use (set by the run that needs one). */
const attached = new WeakMap<SearchSpace, LatencyTable>();

export function attachLatencyTable(space: SearchSpace, t: LatencyTable): void {
  attached.set(space, t);
}

export function latencyTableOf(space: SearchSpace): LatencyTable | null {
  return attached.get(space) ?? null;
}
