// bench/engine: tanglenas vs Debian's PyTorch on the same training steps.
//
//   node dist/bench/engine.js [--rounds R] [--steps N] [--warmup W] [--python PATH]
//   node dist/bench/engine.js --threads-experiment [--rounds R] [--steps N]
//
// Run by hand, not in CI (see bench/README.md). The driver (this process) is the
// tanglenas side; it spawns bench/engine_torch.py as a persistent worker that
// speaks JSON lines, then alternates N tanglenas steps with N PyTorch steps for R
// rounds of each model. Every step time is taken inside the process that runs
// the step, so the pipe never enters a measurement; warm-up steps are excluded.
//
// Thread counts: this process reads TANGLENAS_THREADS / OMP_NUM_THREADS (default:
// all cores) before libtorch loads (src/tensor/native.ts); the Python worker gets
// the same value as OMP_NUM_THREADS in its environment and never calls
// torch.set_num_threads.
//
// The tensor library is imported dynamically so that the threads experiment's
// worker (b) can start libtorch with OMP_NUM_THREADS unset.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

type Lib = typeof import('../src/tensor/index.js');
type Tensor = import('../src/tensor/index.js').Tensor;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NativeTable = Record<string, (...args: any[]) => any>;

const HERE = dirname(fileURLToPath(import.meta.url));
/** Repository root: dist/bench/engine.js sits two levels below it. */
const ROOT = [resolve(HERE, '..'), resolve(HERE, '..', '..')].find((d) => existsSync(join(d, 'bench', 'engine_torch.py'))) ?? resolve(HERE, '..', '..');
const LR = 0.01;
const MOMENTUM = 0.9;
/** A step is 'quiet' when other processes took less than this share of the machine's CPU time during it. */
const QUIET = 0.1;

// ------------------------------------------------------------------ arguments

interface Args {
  rounds: number;
  steps: number;
  warmup: number;
  python: string;
  threadsExperiment: boolean;
  worker: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rounds: 8, steps: 3, warmup: 2, python: '/usr/bin/python3', threadsExperiment: false, worker: null };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min}, got '${v ?? ''}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    switch (f) {
      case '--rounds': a.rounds = int(f, argv[++i], 1); break;
      case '--steps': a.steps = int(f, argv[++i], 1); break;
      case '--warmup': a.warmup = int(f, argv[++i], 0); break;
      case '--python': a.python = argv[++i] ?? a.python; break;
      case '--threads-experiment': a.threadsExperiment = true; break;
      case '--worker': a.worker = argv[++i] ?? null; break; // internal: threads-experiment child
      case '-h': case '--help':
        console.log('usage: node dist/bench/engine.js [--rounds R] [--steps N] [--warmup W] [--python PATH] [--threads-experiment]');
        process.exit(0);
        break;
      default: throw new Error(`unknown argument '${f}' (try --help)`);
    }
  }
  return a;
}

// ------------------------------------------------------------------ statistics

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((p, r) => p - r);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}
const f1 = (x: number): string => x.toFixed(1);
const f3 = (x: number): string => x.toFixed(3);
const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

// ------------------------------------------------------------------ the models (mirrored in engine_torch.py)

interface Model {
  params: Tensor[];
  bufs: Tensor[];
  step(): number;
}

/** SGD with momentum, by hand and in place, exactly as engine_torch.py does it. */
function sgd(L: Lib, params: Tensor[], bufs: Tensor[]): void {
  L.noGrad(() => {
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) throw new Error(`parameter ${i} has no gradient`);
      bufs[i].mul_(MOMENTUM).add_(g);
      p.add_(bufs[i], -LR);
      p.grad = null;
      g.dispose();
    }
  });
}

function param(L: Lib, shape: number[], scale: number): Tensor {
  return L.keep(L.randn(shape).mul(scale).requiresGrad_(true));
}

/** Batch 64, 3x32x32 -> conv7x7(64) relu maxpool -> conv7x7(128) relu maxpool -> mean(H,W) -> linear(10), cross-entropy. */
function convNet(L: Lib): Model {
  const { F } = L;
  return L.tidy(() => {
    L.manualSeed(0);
    const w1 = param(L, [64, 3, 7, 7], 1 / Math.sqrt(3 * 49));
    const b1 = param(L, [64], 0.01);
    const w2 = param(L, [128, 64, 7, 7], 1 / Math.sqrt(64 * 49));
    const b2 = param(L, [128], 0.01);
    const w3 = param(L, [10, 128], 1 / Math.sqrt(128));
    const b3 = param(L, [10], 0.01);
    const x = L.keep(L.randn([64, 3, 32, 32]));
    const y = L.keep(L.randint(0, 10, [64]));
    const params = [w1, b1, w2, b2, w3, b3];
    const bufs = params.map((p) => L.keep(L.zerosLike(p)));
    const step = (): number =>
      L.tidy(() => {
        const h1 = F.maxPool2d(F.relu(F.conv2d(x, w1, b1, { padding: 3 })), 2);
        const h2 = F.maxPool2d(F.relu(F.conv2d(h1, w2, b2, { padding: 3 })), 2);
        const feat = h2.mean([2, 3]);
        const logits = F.linear(feat, w3, b3);
        const loss = F.crossEntropy(logits, y);
        loss.backward();
        sgd(L, params, bufs);
        return loss.item();
      });
    return { params, bufs, step };
  });
}

/** Pre-norm transformer block: batch 16, seq 128, width 256, 4 heads, MLP 1024, loss mean(out^2). */
function block(L: Lib): Model {
  const { F } = L;
  const B = 16, T = 128, D = 256, H = 4, HID = 1024, hd = D / H;
  return L.tidy(() => {
    L.manualSeed(1);
    const ln1w = L.keep(L.ones([D], { requiresGrad: true }));
    const ln1b = L.keep(L.zeros([D], { requiresGrad: true }));
    const wqkv = param(L, [3 * D, D], 1 / Math.sqrt(D));
    const bqkv = param(L, [3 * D], 0.01);
    const wo = param(L, [D, D], 1 / Math.sqrt(D));
    const bo = param(L, [D], 0.01);
    const ln2w = L.keep(L.ones([D], { requiresGrad: true }));
    const ln2b = L.keep(L.zeros([D], { requiresGrad: true }));
    const w1 = param(L, [HID, D], 1 / Math.sqrt(D));
    const b1 = param(L, [HID], 0.01);
    const w2 = param(L, [D, HID], 1 / Math.sqrt(HID));
    const b2 = param(L, [D], 0.01);
    const x = L.keep(L.randn([B, T, D]));
    const mask = L.keep(L.ones([T, T], { dtype: 'bool' }).triu(1));
    const params = [ln1w, ln1b, wqkv, bqkv, wo, bo, ln2w, ln2b, w1, b1, w2, b2];
    const bufs = params.map((p) => L.keep(L.zerosLike(p)));
    const step = (): number =>
      L.tidy(() => {
        const h = F.layerNorm(x, [D], ln1w, ln1b, 1e-5);
        const [q0, k0, v0] = F.linear(h, wqkv, bqkv).chunk(3, -1);
        const q = q0.view(B, T, H, hd).transpose(1, 2);
        const k = k0.view(B, T, H, hd).transpose(1, 2);
        const v = v0.view(B, T, H, hd).transpose(1, 2);
        const scores = q.matmul(k.transpose(-2, -1)).div(Math.sqrt(hd));
        const att = F.softmax(scores.maskedFill(mask, -Infinity), -1);
        const ctx = att.matmul(v).transpose(1, 2).reshape(B, T, D);
        const x1 = x.add(F.linear(ctx, wo, bo));
        const h2 = F.layerNorm(x1, [D], ln2w, ln2b, 1e-5);
        const m = F.linear(F.gelu(F.linear(h2, w1, b1)), w2, b2);
        const out = x1.add(m);
        const loss = out.mul(out).mean();
        loss.backward();
        sgd(L, params, bufs);
        return loss.item();
      });
    return { params, bufs, step };
  });
}

interface StepTimes {
  /** wall-clock ms per step */
  ms: number[];
  /** process CPU ms per step, all threads (wall x threads when nothing else competes) */
  cpu_ms: number[];
  /** minor page faults per step (fresh memory touched) */
  faults: number[];
  /** share of the machine's CPU time that other processes (and steal) took during the step */
  foreign: number[];
  losses: number[];
}

const JIFFY_MS = 10; // USER_HZ is 100 on Linux
/** [busy, total] CPU jiffies of the whole machine from /proc/stat, or null off Linux. */
function machineJiffies(): [number, number] | null {
  try {
    const v = readFileSync('/proc/stat', 'latin1').slice(0, 200).split('\n', 1)[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return [total - v[3] - v[4], total];
  } catch {
    return null;
  }
}
function foreignShare(s0: [number, number] | null, s1: [number, number] | null, ownCpuMs: number): number {
  if (!s0 || !s1 || s1[1] === s0[1]) return 0;
  return Math.max(0, ((s1[0] - s0[0]) * JIFFY_MS - ownCpuMs) / ((s1[1] - s0[1]) * JIFFY_MS));
}

function timeSteps(m: Model, n: number): StepTimes {
  const r: StepTimes = { ms: [], cpu_ms: [], faults: [], foreign: [], losses: [] };
  for (let i = 0; i < n; i++) {
    const s0 = machineJiffies();
    const f0 = process.resourceUsage().minorPageFault;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    r.losses.push(m.step());
    const t1 = performance.now();
    r.ms.push(t1 - t0);
    stepIntervals.push([t0, t1]);
    const c = process.cpuUsage(c0);
    r.cpu_ms.push((c.user + c.system) / 1e3);
    r.faults.push(process.resourceUsage().minorPageFault - f0);
    r.foreign.push(foreignShare(s0, machineJiffies(), r.cpu_ms[r.cpu_ms.length - 1]));
  }
  return r;
}

function sgemmTimes(L: Lib, n: number, reps: number): { ms: number[]; foreign: number[] } {
  return L.tidy(() => {
    L.manualSeed(2);
    const a = L.randn([n, n]);
    const b = L.randn([n, n]);
    const r = { ms: [] as number[], foreign: [] as number[] };
    L.noGrad(() => {
      for (let i = 0; i < reps; i++) {
        const s0 = machineJiffies();
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const c = a.matmul(b);
        r.ms.push(performance.now() - t0);
        const cpu = process.cpuUsage(c0);
        r.foreign.push(foreignShare(s0, machineJiffies(), (cpu.user + cpu.system) / 1e3));
        c.dispose();
      }
    });
    return r;
  });
}

// ------------------------------------------------------------------ JSON-lines worker client

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reply = Record<string, any>;

class Worker {
  readonly proc: ChildProcess;
  #pending: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  #stderr = '';
  #exited = false;

  constructor(readonly name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv) {
    this.proc = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const fail = (why: string): void => {
      this.#exited = true;
      const err = new Error(`${name} worker ${why}${this.#stderr ? `; its stderr:\n${this.#stderr.trimEnd()}` : ''}`);
      for (const p of this.#pending.splice(0)) p.reject(err);
    };
    this.proc.on('error', (e) => fail(`could not start (${cmd}): ${e.message}`));
    this.proc.on('exit', (code, sig) => fail(`exited (code ${code}, signal ${sig})`));
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const p = this.#pending.shift();
      if (!p) return;
      let r: Reply;
      try {
        r = JSON.parse(line) as Reply;
      } catch {
        p.reject(new Error(`${name} worker sent a non-JSON line: ${line.slice(0, 200)}`));
        return;
      }
      if (typeof r.error === 'string') p.reject(new Error(`${name} worker: ${r.error}`));
      else p.resolve(r);
    });
  }

  request(req: Reply): Promise<Reply> {
    if (this.#exited) return Promise.reject(new Error(`${this.name} worker is not running`));
    return new Promise((res, rej) => {
      this.#pending.push({ resolve: res, reject: rej });
      this.proc.stdin!.write(JSON.stringify(req) + '\n');
    });
  }

  async quit(): Promise<void> {
    if (this.#exited) return;
    await this.request({ cmd: 'quit' }).catch(() => undefined);
    this.proc.stdin!.end();
  }
}

// ------------------------------------------------------------------ GC accounting

/** Wall-clock intervals of the tanglenas steps being timed, for attributing GC pauses. */
const stepIntervals: [number, number][] = [];

/** V8 GC pauses that started inside a timed tanglenas step (not those while the PyTorch side ran). */
function gcMeter(): { ms: () => number; count: () => number; stop: () => void } {
  const entries: { start: number; duration: number }[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) entries.push({ start: e.startTime, duration: e.duration });
  });
  obs.observe({ entryTypes: ['gc'] });
  const inStep = (): { start: number; duration: number }[] =>
    entries.filter((e) => stepIntervals.some(([a, b]) => e.start >= a && e.start <= b));
  return {
    ms: () => inStep().reduce((s, e) => s + e.duration, 0),
    count: () => inStep().length,
    stop: () => obs.disconnect(),
  };
}
/** PerformanceObserver entries arrive on the event loop: yield once before reading. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

// ------------------------------------------------------------------ per-op overhead probes

/** Counts N-API calls made by fn, and the tensor handles it created that were never freed. */
function countCalls(native: NativeTable, fn: () => void): { calls: number; leaked: Map<string, number> } {
  let calls = 0;
  const live = new Map<unknown, string>();
  const isHandle = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof ArrayBuffer);
  const saved = new Map<string, NativeTable[string]>();
  for (const [k, f] of Object.entries(native)) {
    if (typeof f !== 'function') continue;
    saved.set(k, f);
    native[k] = (...args: unknown[]) => {
      calls++;
      const r: unknown = f(...args);
      if (k === 'free') live.delete(args[0]);
      else if (isHandle(r)) live.set(r, k);
      else if (Array.isArray(r)) for (const h of r) if (isHandle(h)) live.set(h, k);
      return r;
    };
  }
  try {
    fn();
  } finally {
    for (const [k, f] of saved) native[k] = f;
  }
  const leaked = new Map<string, number>();
  for (const k of live.values()) leaked.set(k, (leaked.get(k) ?? 0) + 1);
  return { calls, leaked };
}

interface TinyOps {
  tidyAdd: number;
  disposeAdd: number;
  rawAddFree: number;
  rawNumel: number;
  gcAdd: number;
}

/** Microseconds per call for n calls of several flavours of a 1-element add. */
function tinyOps(L: Lib, native: NativeTable, n: number): TinyOps {
  const a = L.keep(L.ones([1]));
  const b = L.keep(L.ones([1]));
  const per = (fn: () => void): number => {
    const t0 = performance.now();
    fn();
    return ((performance.now() - t0) * 1e3) / n;
  };
  const block = 1000;
  const r: TinyOps = {
    // Tensor method inside tidy blocks of 1000 (the normal way)
    tidyAdd: per(() => {
      for (let i = 0; i < n; i += block) L.tidy(() => { for (let j = 0; j < block; j++) a.add(b); });
    }),
    // Tensor method, explicit dispose, no scope
    disposeAdd: per(() => {
      for (let i = 0; i < n; i++) a.add(b).dispose();
    }),
    // addon call + free without the Tensor class or scopes: the N-API floor for an op
    rawAddFree: per(() => {
      for (let i = 0; i < n; i++) native.free(native.add(a.h, b.h));
    }),
    // an N-API call that does no ATen work
    rawNumel: per(() => {
      for (let i = 0; i < n; i++) native.numel(a.h);
    }),
    // no dispose at all: handles wait for V8's GC and the External finalizers
    gcAdd: per(() => {
      for (let i = 0; i < n; i++) native.add(a.h, b.h);
    }),
  };
  a.dispose();
  b.dispose();
  return r;
}

// ------------------------------------------------------------------ main comparison

type Side = 'ts' | 'py';
type Series = Record<Side, StepTimes & { roundMedians: number[] }>;
const emptySeries = (): Series => ({
  ts: { ms: [], cpu_ms: [], faults: [], foreign: [], losses: [], roundMedians: [] },
  py: { ms: [], cpu_ms: [], faults: [], foreign: [], losses: [], roundMedians: [] },
});
function append(s: StepTimes & { roundMedians: number[] }, t: StepTimes): void {
  s.ms.push(...t.ms);
  s.cpu_ms.push(...t.cpu_ms);
  s.faults.push(...t.faults);
  s.foreign.push(...t.foreign);
  s.losses.push(...t.losses);
  s.roundMedians.push(median(t.ms));
}
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

async function compare(args: Args): Promise<void> {
  const L: Lib = await import('../src/tensor/index.js');
  const { native } = (await import('../src/tensor/native.js')) as { native: NativeTable };
  const threads = L.configuredThreads();
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
  delete env.TANGLENAS_THREADS;
  delete env.MKL_NUM_THREADS;
  const script = join(ROOT, 'bench', 'engine_torch.py');
  const py = new Worker('PyTorch', args.python, [script], env);
  try {
    const info = await py.request({ cmd: 'info' });
    const loadStart = load();
    console.log('bench/engine: tanglenas vs PyTorch, same training steps, interleaved in one run');
    console.log(`  machine   ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} logical CPUs; node ${process.version}; load average ${loadStart}`);
    console.log(`  threads   tanglenas getNumThreads()=${L.getNumThreads()} (configured ${threads}; OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS} before libtorch loaded)`);
    console.log(`            PyTorch   torch.get_num_threads()=${info.threads} (OMP_NUM_THREADS=${info.omp_num_threads_env} in its environment, never set_num_threads; interop ${info.interop_threads}; torch ${info.torch}, python ${info.python})`);
    console.log(`  schedule  ${args.rounds} rounds x ${args.steps} steps per side per model after ${args.warmup} warm-up steps per side per model; the side that goes first alternates per round`);
    console.log('');

    const models: Record<'conv' | 'tfm', Model> = { conv: convNet(L), tfm: block(L) };
    await py.request({ cmd: 'setup' });
    const names = { conv: 'conv-net step (b64, 3->64->128, 7x7)', tfm: 'transformer block (b16, T128, d256)' } as const;

    // Warm-up; its first losses check that both sides compute the same thing.
    const firstLoss: Record<string, [number, number]> = {};
    const nWarm = Math.max(1, args.warmup);
    for (const k of ['conv', 'tfm'] as const) {
      const t = timeSteps(models[k], nWarm);
      const p = (await py.request({ cmd: 'steps', model: k, n: nWarm })) as StepTimes;
      firstLoss[k] = [t.losses[0], p.losses[0]];
    }
    const rss = { ts: [rssMb()], py: [(await py.request({ cmd: 'rss' })).rss_mb as number] };

    // sgemm 2048 x 2048 float32: one warm-up call per side, then SGEMM_REPS per side in every round.
    const N = 2048;
    const SGEMM_REPS = 2;
    const gf = (t: number): number => (2 * N ** 3) / (t * 1e-3) / 1e9;
    const sg = { ts: { ms: [] as number[], foreign: [] as number[] }, py: { ms: [] as number[], foreign: [] as number[] } };
    sgemmTimes(L, N, 1);
    await py.request({ cmd: 'sgemm', n: N, reps: 1 });

    const series: Record<'conv' | 'tfm', Series> = { conv: emptySeries(), tfm: emptySeries() };
    const gc = gcMeter();
    for (let r = 0; r < args.rounds; r++) {
      for (const k of ['conv', 'tfm'] as const) {
        const runTs = (): void => append(series[k].ts, timeSteps(models[k], args.steps));
        const runPy = async (): Promise<void> => append(series[k].py, (await py.request({ cmd: 'steps', model: k, n: args.steps })) as StepTimes);
        if (r % 2 === 0) { runTs(); await runPy(); } else { await runPy(); runTs(); }
      }
      const sgTs = (): void => {
        const t = sgemmTimes(L, N, SGEMM_REPS);
        sg.ts.ms.push(...t.ms);
        sg.ts.foreign.push(...t.foreign);
      };
      const sgPy = async (): Promise<void> => {
        const t = await py.request({ cmd: 'sgemm', n: N, reps: SGEMM_REPS });
        sg.py.ms.push(...(t.ms as number[]));
        sg.py.foreign.push(...(t.foreign as number[]));
      };
      if (r % 2 === 0) { sgTs(); await sgPy(); } else { await sgPy(); sgTs(); }
      rss.ts.push(rssMb());
      rss.py.push((await py.request({ cmd: 'rss' })).rss_mb as number);
      const s = series;
      console.log(`  round ${r + 1}/${args.rounds}: conv ${f1(s.conv.ts.roundMedians[r])} / ${f1(s.conv.py.roundMedians[r])} ms, ` +
        `tfm ${f1(s.tfm.ts.roundMedians[r])} / ${f1(s.tfm.py.roundMedians[r])} ms (tanglenas / PyTorch, round medians)`);
    }
    await tick();
    const gcMs = gc.ms();
    const gcCount = gc.count();
    gc.stop();
    const tsSteps = series.conv.ts.ms.length + series.tfm.ts.ms.length;

    // Per-op overhead: 1e5 tiny adds, and N-API calls per step.
    const tinyN = 100_000;
    const tiny = tinyOps(L, native, tinyN);
    const pyTiny = (((await py.request({ cmd: 'tinyops', n: tinyN })).ms_total as number) * 1e3) / tinyN;
    const calls = { conv: countCalls(native, () => models.conv.step()), tfm: countCalls(native, () => models.tfm.step()) };
    const loadEnd = load();

    // ---------------------------------------------------------------- report
    console.log('');
    const row = (label: string, a: number[], b: number[], extra: string): void => {
      const ratio = median(a) / median(b);
      const range = `${f1(quantile(a, 0.1))}..${f1(quantile(a, 0.9))} | ${f1(quantile(b, 0.1))}..${f1(quantile(b, 0.9))}`;
      console.log(`  ${label.padEnd(37)} ${f1(median(a)).padStart(9)} ${f1(median(b)).padStart(9)} ${f3(ratio).padStart(8)}  ${ratio <= 1.05 ? 'met ' : 'MISS'}  ${range.padStart(33)}  ${extra}`);
    };
    console.log('median wall-clock ms per training step (forward + backward + SGD-momentum update); target ratio <= 1.05');
    console.log('  step                                  tanglenas   PyTorch    ratio        p10..p90 tanglenas | PyTorch  notes');
    for (const k of ['conv', 'tfm'] as const) {
      const { ts, py: p } = series[k];
      const paired = median(ts.roundMedians.map((x, i) => x / p.roundMedians[i]));
      row(names[k], ts.ms, p.ms, `all steps, n=${ts.ms.length}/${p.ms.length}; median of per-round ratios ${f3(paired)}`);
    }
    for (const k of ['conv', 'tfm'] as const) {
      const { ts, py: p } = series[k];
      const quietTs = ts.ms.filter((_, i) => ts.foreign[i] < QUIET);
      const quietPy = p.ms.filter((_, i) => p.foreign[i] < QUIET);
      if (quietTs.length && quietPy.length) row(`${names[k].split(' (')[0]}, quiet steps`, quietTs, quietPy, `other processes < ${QUIET * 100}% of the CPUs, n=${quietTs.length}/${quietPy.length}`);
      else console.log(`  ${`${names[k].split(' (')[0]}, quiet steps`.padEnd(37)} none: other processes used >= ${QUIET * 100}% of the CPUs during every step of one side`);
    }
    console.log('  per step (medians, tanglenas / PyTorch): CPU ms over all threads; minor page faults; CPU share taken by other processes');
    for (const k of ['conv', 'tfm'] as const) {
      const { ts, py: p } = series[k];
      console.log(`  ${names[k].padEnd(37)} cpu ${f1(median(ts.cpu_ms))} / ${f1(median(p.cpu_ms))} ms (ratio ${f3(median(ts.cpu_ms) / median(p.cpu_ms))}); ` +
        `faults ${median(ts.faults)} / ${median(p.faults)}; others ${f1(100 * median(ts.foreign))}% / ${f1(100 * median(p.foreign))}%`);
    }
    console.log('');
    const quietOf = (x: { ms: number[]; foreign: number[] }): number[] => x.ms.filter((_, i) => x.foreign[i] < QUIET);
    console.log(`sgemm ${N}x${N} float32, a.matmul(b), ${SGEMM_REPS} calls per side per round (target >= 150 GFLOP/s for tanglenas)`);
    for (const [side, x] of [['tanglenas', sg.ts], ['PyTorch  ', sg.py]] as const) {
      const q = quietOf(x);
      const t = median(x.ms);
      console.log(`  ${side} median ${f1(t)} ms = ${f1(gf(t))} GFLOP/s over all ${x.ms.length} calls` +
        (q.length ? `; quiet calls ${f1(gf(median(q)))} GFLOP/s (n=${q.length})` : '; no quiet calls') +
        `; best ${f1(gf(Math.min(...x.ms)))}` + (side === 'tanglenas' ? `  target ${gf(q.length ? median(q) : t) >= 150 ? 'met' : 'MISS'}` : ''));
    }
    console.log('');
    console.log(`same computation: first-step loss conv ${firstLoss.conv[0].toPrecision(7)} (tanglenas) vs ${firstLoss.conv[1].toPrecision(7)} (PyTorch), ` +
      `tfm ${firstLoss.tfm[0].toPrecision(7)} vs ${firstLoss.tfm[1].toPrecision(7)}`);
    console.log(`per-op overhead, 1-element add, us per op (1e5 calls): tanglenas in tidy ${f3(tiny.tidyAdd)}, with dispose() ${f3(tiny.disposeAdd)}, ` +
      `raw addon add+free ${f3(tiny.rawAddFree)}, raw add left to GC ${f3(tiny.gcAdd)}, bare N-API call ${f3(tiny.rawNumel)}; PyTorch ${f3(pyTiny)}`);
    console.log(`N-API calls per step: conv ${calls.conv.calls}, tfm ${calls.tfm.calls}; at the in-tidy rate that is ` +
      `${f3((calls.conv.calls * tiny.tidyAdd) / 1e3)} and ${f3((calls.tfm.calls * tiny.tidyAdd) / 1e3)} ms per step`);
    const leaks = (m: Map<string, number>): string => (m.size ? [...m].map(([k, v]) => `${k} x${v}`).join(', ') : 'none');
    console.log(`tensor handles a step leaves unfreed: conv ${leaks(calls.conv.leaked)}, tfm ${leaks(calls.tfm.leaked)}`);
    console.log(`V8 GC pauses inside the timed tanglenas steps: ${gcCount}, ${f1(gcMs)} ms in all = ${f3(gcMs / tsSteps)} ms per step`);
    console.log(`RSS MB after warm-up and after each round: tanglenas [${rss.ts.map(f1).join(', ')}], PyTorch [${rss.py.map(f1).join(', ')}]`);
    console.log(`RSS MB at the end of the timed steps: tanglenas ${f1(rss.ts[rss.ts.length - 1])}, PyTorch ${f1(rss.py[rss.py.length - 1])}`);
    console.log(`load average at start ${loadStart}, at end ${loadEnd} (the machine is shared: compare the per-round ratios and rerun when busy)`);
  } finally {
    await py.quit();
  }
}

// ------------------------------------------------------------------ threads experiment

/** Thread set-ups of the experiment's three workers. */
const THREAD_MODES: Record<string, { label: string; env: (e: NodeJS.ProcessEnv) => void }> = {
  a: { label: '(a) OMP_NUM_THREADS=2 in env', env: (e) => { e.OMP_NUM_THREADS = '2'; } },
  b: { label: '(b) OMP_NUM_THREADS unset, setNumThreads(2) at runtime', env: (e) => { delete e.OMP_NUM_THREADS; } },
  c: { label: '(c) OMP_NUM_THREADS=1 in env', env: (e) => { e.OMP_NUM_THREADS = '1'; } },
  d: { label: "(d) OMP_NUM_THREADS unset, libtorch's own default", env: (e) => { delete e.OMP_NUM_THREADS; } },
};

async function threadsExperiment(args: Args): Promise<void> {
  console.log('bench/engine --threads-experiment: the conv-net step in four tanglenas worker processes, interleaved');
  console.log(`  ${args.rounds} rounds x ${args.steps} steps per worker, ${args.warmup} warm-up steps excluded; worker order rotates per round`);
  const workers: [string, Worker][] = [];
  try {
    for (const [mode, m] of Object.entries(THREAD_MODES)) {
      const env = { ...process.env };
      delete env.TANGLENAS_THREADS;
      delete env.MKL_NUM_THREADS;
      m.env(env);
      workers.push([mode, new Worker(`tanglenas(${mode})`, process.execPath, [fileURLToPath(import.meta.url), '--worker', mode], env)]);
    }
    const infos = new Map<string, Reply>();
    for (const [mode, w] of workers) {
      infos.set(mode, await w.request({ cmd: 'info' }));
      await w.request({ cmd: 'setup' });
      if (args.warmup > 0) await w.request({ cmd: 'steps', model: 'conv', n: args.warmup });
    }
    const st = new Map<string, StepTimes>(workers.map(([m]) => [m, { ms: [], cpu_ms: [], faults: [], foreign: [], losses: [] }]));
    for (let r = 0; r < args.rounds; r++) {
      for (let i = 0; i < workers.length; i++) {
        const [mode, w] = workers[(i + r) % workers.length];
        const t = (await w.request({ cmd: 'steps', model: 'conv', n: args.steps })) as StepTimes;
        const s = st.get(mode)!;
        s.ms.push(...t.ms);
        s.cpu_ms.push(...t.cpu_ms);
        s.foreign.push(...t.foreign);
      }
      console.log(`  round ${r + 1}/${args.rounds}: ${workers.map(([m]) => `${m} ${f1(median(st.get(m)!.ms))}`).join(', ')} ms (running medians)`);
    }
    const quiet = (s: StepTimes): number[] => s.ms.filter((_, i) => s.foreign[i] < QUIET);
    const base = median(st.get('a')!.ms);
    const baseQuiet = median(quiet(st.get('a')!));
    console.log('');
    console.log(`  set-up                                                  threads      median ms  vs (a)   p10..p90         quiet steps: median ms (n)  vs (a)   CPU ms`);
    for (const [mode] of workers) {
      const i = infos.get(mode)!;
      const s = st.get(mode)!;
      const q = quiet(s);
      const range = `${f1(quantile(s.ms, 0.1))}..${f1(quantile(s.ms, 0.9))}`;
      const qs = q.length ? `${f1(median(q))} (${q.length})`.padStart(19) + `${f3(median(q) / baseQuiet).padStart(15)}` : 'none'.padStart(19) + ''.padStart(15);
      console.log(`  ${THREAD_MODES[mode].label.padEnd(55)} ${`${i.threads_at_start} -> ${i.threads}`.padEnd(10)} ${f1(median(s.ms)).padStart(10)} ${f3(median(s.ms) / base).padStart(7)}   ${range.padEnd(15)}  ${qs}  ${f1(median(s.cpu_ms)).padStart(7)}`);
    }
    console.log(`  threads = getNumThreads() at start-up -> during the steps; quiet steps: other processes took < ${QUIET * 100}% of the CPUs`);
    console.log(`  (workers' OMP_NUM_THREADS at libtorch load: ${workers.map(([m]) => `${m}=${infos.get(m)!.omp_env_at_load ?? 'unset'}`).join(', ')})`);
  } finally {
    for (const [, w] of workers) await w.quit();
  }
}

/** A threads-experiment child: serves 'info', 'setup', 'steps', 'rss', 'quit' on stdin/stdout. */
async function worker(mode: string): Promise<void> {
  if (!(mode in THREAD_MODES)) throw new Error(`--worker ${mode}: unknown mode`);
  const ompAtLoad = process.env.OMP_NUM_THREADS;
  let threadsAtStart: number;
  let L: Lib;
  if (mode === 'b' || mode === 'd') {
    // Load the addon before src/tensor/native.ts can put OMP_NUM_THREADS into the
    // environment, and let libtorch initialise its thread pool with it unset;
    // the library import below then reuses this already-loaded addon.
    const req = createRequire(import.meta.url);
    const addon = req(join(ROOT, 'native', 'build', 'Release', 'tanglenas.node')) as NativeTable;
    threadsAtStart = addon.getNumThreads() as number;
    L = await import('../src/tensor/index.js');
    if (mode === 'b') L.setNumThreads(2);
  } else {
    L = await import('../src/tensor/index.js');
    threadsAtStart = L.getNumThreads();
  }
  let model: Model | null = null;
  const rl = createInterface({ input: process.stdin });
  const send = (r: Reply): void => { process.stdout.write(JSON.stringify(r) + '\n'); };
  for await (const line of rl) {
    if (!line.trim()) continue;
    const req = JSON.parse(line) as Reply;
    try {
      switch (req.cmd) {
        case 'info': send({ threads: L.getNumThreads(), threads_at_start: threadsAtStart, omp_env_at_load: ompAtLoad ?? null }); break;
        case 'setup': model = convNet(L); send({ ok: true }); break;
        case 'steps': {
          if (!model) throw new Error('setup first');
          send(timeSteps(model, Number(req.n)));
          break;
        }
        case 'rss': send({ rss_mb: rssMb() }); break;
        case 'quit': send({ ok: true }); rl.close(); return;
        default: send({ error: `unknown command ${String(req.cmd)}` });
      }
    } catch (e) {
      send({ error: e instanceof Error ? e.message : String(e) });
    }
  }
}

// ------------------------------------------------------------------ entry

const args = parseArgs(process.argv.slice(2));
if (args.worker !== null) await worker(args.worker);
else if (args.threadsExperiment) await threadsExperiment(args);
else await compare(args);
