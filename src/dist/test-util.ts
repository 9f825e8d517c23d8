// A rank of the data-parallel tests (process-group.test.ts), run as its own
// process: `node test-util.js '<json>'`; prints one JSON line. The bi-level
// run is also called in-process (world size 1) as the single-process reference.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Architect } from '../nas/architect.js';
import { bilevelStep } from '../nas/bilevel.js';
import { createSampler } from '../nas/samplers/index.js';
import { Adam } from '../nn/optim/adam.js';
import { createSpace } from '../spaces/index.js';
import { F, grad, manualSeed, noGrad, ones, randn, tensor, tidy, zeros } from '../tensor/index.js';
import { setBatchNormSync } from '../tensor/ops/norm.js';
import { allReduce, allReduceSumDiff, backwardAllReduce, barrier, dataParallelGrads, broadcast, destroyProcessGroup, initProcessGroup, shardOf } from './process-group.js';

export interface WorkerArgs {
  mode: 'collectives' | 'bilevel' | 'syncbn' | 'reducer' | 'forever';
  rank: number;
  world: number;
  port: number;
  steps?: number;
  sampler?: string;
  timeoutMs?: number;
  /** syncbn mode: whether BatchNorm uses the global batch's statistics. */
  syncBn?: boolean;
  /** bilevel and reducer modes: backwardAllReduce's bucket size. */
  bucketMb?: number;
}

/** `steps` bi-level steps on lm-tiny with a global batch of 8, each rank on its share; the alphas after. */
export function runBilevel(sampler: string, steps: number, group: { rank: number; world: number } | null, bucketMb = 25): number[][] {
  manualSeed(0);
  const space = createSpace('lm-tiny');
  const s = createSampler(sampler);
  const sync = group ? dataParallelGrads(bucketMb) : null;
  const architect = new Architect(space, s, { lr: 0.01, sync });
  const opt = new Adam(space.supernet.parameters(), { lr: 1e-3 });
  for (let i = 0; i < steps; i++) {
    tidy(() => {
      // The same global batches on every rank (same seed), then each rank's rows.
      const train = space.exampleBatch(8);
      const val = space.exampleBatch(8);
      const part = (b: { x: import('../tensor/index.js').Tensor; y: import('../tensor/index.js').Tensor }) => ({ x: shardOf(b.x, group), y: shardOf(b.y, group) });
      bilevelStep(space, s, architect, opt, part(train), part(val), { sync });
    });
  }
  const out = noGrad(() => space.alphas().map((a) => a.toArray() as number[]));
  space.supernet.dispose();
  return out;
}

/**
 * One step of conv -> BatchNorm (affine) -> ReLU -> linear on a global batch of
 * 8, each rank on its share, gradients averaged: the gradients of every weight
 * and the BatchNorm's running statistics after it.
 */
export function runBatchNormStep(sync: boolean, group: { rank: number; world: number } | null): { grads: number[][]; running: number[][] } {
  manualSeed(0);
  const conv = randn([4, 3, 3, 3]).mul(0.3).requiresGrad_();
  const gamma = randn([4]).add(1).requiresGrad_();
  const beta = randn([4]).requiresGrad_();
  const fc = randn([2, 4 * 16]).mul(0.1).requiresGrad_();
  const rm = zeros([4]);
  const rv = ones([4]);
  // A large channel mean, so a one-pass variance would lose digits.
  const x = randn([8, 3, 4, 4]).add(3);
  const y = randn([8, 2]);
  setBatchNormSync(sync && group ? allReduceSumDiff : null);
  try {
    return tidy(() => {
      const xr = shardOf(x, group);
      const h = F.batchNorm(F.conv2d(xr, conv, null, { padding: 1 }), { weight: gamma, bias: beta, runningMean: rm, runningVar: rv, training: true });
      const out = F.relu(h).flatten(1).matmul(fc.T);
      const loss = out.sub(shardOf(y, group)).square().mean();
      const grads = grad(loss, [conv, gamma, beta, fc]).map((g) => g!);
      if (group) allReduce(grads, 'mean');
      return { grads: grads.map((g) => g.toArray()), running: [rm.toArray(), rv.toArray()] };
    });
  } finally {
    setBatchNormSync(null);
  }
}

/**
 * Rank `rank`'s loss on five parameters of different sizes: `both` reached by
 * every rank (with rank-dependent data), `only0` by rank 0 only, `none` by no
 * rank. With `bucketMb` the gradients come from backwardAllReduce; without,
 * from a plain backward (the single-process pieces the test averages itself).
 */
export function reducerGrads(rank: number, bucketMb: number | null): (number[] | null)[] {
  return tidy(() => {
    manualSeed(0);
    const [a, b, c, only0, none] = [[3, 4], [5], [2, 2], [2], [3]].map((s) => randn(s).requiresGrad_());
    const x = randn([3, 4]).mul(rank + 1);
    let loss = a.mul(x).sum().add(b.mul(rank - 0.5).square().sum()).add(c.matmul(c).sum().mul(rank + 2));
    if (rank === 0) loss = loss.add(only0.exp().sum());
    const params = [a, b, c, only0, none];
    if (bucketMb === null) loss.backward();
    else backwardAllReduce(loss, params, bucketMb);
    return params.map((p) => (p.grad ? (p.grad.flatten().toArray() as number[]) : null));
  });
}

export interface Worker {
  /** Exit code and the JSON lines it printed. */
  done: Promise<{ code: number | null; out: Record<string, unknown>[] }>;
  kill: () => void;
  /** Resolves at its first printed line. */
  firstLine: Promise<void>;
}

/** Starts `script` (a worker module of the tests) with one JSON argument, on one thread. */
export function startWorker(script: string, arg: unknown, env: NodeJS.ProcessEnv = {}): Worker {
  const p = spawn(process.execPath, [script, JSON.stringify(arg)], { env: { ...process.env, TANGLENAS_THREADS: '1', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  let signal: () => void = () => {};
  const firstLine = new Promise<void>((r) => (signal = r));
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    if (buf.includes('\n')) signal();
  });
  const done = new Promise<{ code: number | null; out: Record<string, unknown>[] }>((resolve) => p.on('close', (code) => resolve({ code, out: buf.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) })));
  return { done, kill: () => p.kill('SIGKILL'), firstLine };
}

function main(a: WorkerArgs): unknown {
  initProcessGroup({ addr: '127.0.0.1', port: a.port, rank: a.rank, world: a.world, timeoutMs: a.timeoutMs ?? 20_000 });
  try {
    if (a.mode === 'collectives') {
      return tidy(() => {
        const t = tensor([a.rank + 1, 10 * (a.rank + 1)]);
        allReduce([t], 'sum');
        const m = tensor([a.rank]);
        allReduce([m], 'mean');
        const b = tensor([a.rank === 1 ? 42 : -1]);
        broadcast([b], 1);
        barrier();
        return { sum: t.toArray(), mean: m.toArray(), broadcast: b.toArray() };
      });
    }
    if (a.mode === 'bilevel') return { alphas: runBilevel(a.sampler ?? 'darts', a.steps ?? 5, { rank: a.rank, world: a.world }, a.bucketMb) };
    if (a.mode === 'reducer') return { grads: reducerGrads(a.rank, a.bucketMb ?? 25) };
    if (a.mode === 'syncbn') return runBatchNormStep(a.syncBn ?? true, { rank: a.rank, world: a.world });
    process.stdout.write(JSON.stringify({ ready: true }) + '\n');
    for (;;) tidy(() => allReduce([tensor([1])], 'sum'));
  } finally {
    destroyProcessGroup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(JSON.stringify(main(JSON.parse(process.argv[2]) as WorkerArgs)) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: (e as Error).message }) + '\n');
    process.exitCode = 3;
  }
}
