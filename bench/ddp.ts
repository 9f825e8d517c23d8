// bench/ddp: the cost of data-parallel communication on one machine: the
// toy conv-macro TangleNAS bi-level step (DrNAS, batch 64) as 2 ranks x 1
// thread (each on half the batch, gradients of weights and alpha averaged by
// Gloo over loopback) against 1 rank x 2 threads on the whole batch. Every
// configuration in its own processes, alternating, medians; ratios from one
// run. Run by hand:
//
//   node dist/bench/ddp.js [--steps 5] [--rounds 3] [--batch 64] [--space toy-conv-macro]
//
// The two-rank runs go twice: one allreduce after the backward pass
// (dist_bucket_mb 0) and DDP-style buckets overlapped with it (25 MB).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { dataParallelGrads, destroyProcessGroup, freePort, initProcessGroup, shardOf } from '../src/dist/process-group.js';
import { Architect } from '../src/nas/architect.js';
import { bilevelStep } from '../src/nas/bilevel.js';
import { createSampler } from '../src/nas/samplers/index.js';
import { createSpace } from '../src/spaces/index.js';
import { manualSeed } from '../src/tensor/random.js';
import { tidy } from '../src/tensor/scope.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { median, referenceOptimizer } from './nas-setup.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** One rank (or the single process): median seconds per step after one warm-up step. */
function child(spaceName: string, batch: number, steps: number, rank: number, world: number, port: number, bucketMb: number): void {
  if (world > 1) initProcessGroup({ addr: '127.0.0.1', port, rank, world, timeoutMs: 120_000 });
  const group = world > 1 ? { rank, world } : null;
  manualSeed(0);
  const space = createSpace(spaceName);
  const sampler = createSampler('drnas');
  const sync = group ? dataParallelGrads(bucketMb) : null;
  const architect = new Architect(space, sampler, { sync });
  const opt = referenceOptimizer(space, space.supernet.parameters());
  const train = space.exampleBatch(batch);
  const val = space.exampleBatch(batch);
  const part = (b: { x: Tensor; y: Tensor }) => ({ x: shardOf(b.x, group).contiguous(), y: shardOf(b.y, group).contiguous() });
  const t = part(train), v = part(val);
  const times: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const t0 = performance.now();
    tidy(() => void bilevelStep(space, sampler, architect, opt, t, v, { sync }));
    if (i > 0) times.push((performance.now() - t0) / 1000);
  }
  if (world > 1) destroyProcessGroup();
  process.stdout.write(JSON.stringify({ median: median(times) }) + '\n');
}

function runProcs(args: string[], world: number, threads: number): Promise<number> {
  const me = fileURLToPath(import.meta.url);
  return freePort().then((port) =>
    Promise.all(
      Array.from({ length: world }, (_, rank) =>
        new Promise<number>((resolve, reject) => {
          const p = spawn(process.execPath, [me, '--child', ...args, '--rank', String(rank), '--world', String(world), '--port', String(port)], { env: { ...process.env, TANGLENAS_THREADS: String(threads) }, stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          p.stdout.on('data', (d: Buffer) => (out += d.toString()));
          p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!).median as number) : reject(new Error(`rank ${rank} exited with ${code}`))));
        }),
      ),
    ).then((ms) => ms[0]),
  );
}

async function main(): Promise<void> {
  const spaceName = arg('--space', 'toy-conv-macro');
  const batch = Number(arg('--batch', '64'));
  const steps = Number(arg('--steps', '5'));
  if (process.argv.includes('--child')) return child(spaceName, batch, steps, Number(arg('--rank', '0')), Number(arg('--world', '1')), Number(arg('--port', '0')), Number(arg('--bucket-mb', '25')));
  const rounds = Number(arg('--rounds', '3'));
  const args = ['--space', spaceName, '--batch', String(batch), '--steps', String(steps)];
  const one: number[] = [];
  const after: number[] = [];
  const overlapped: number[] = [];
  console.log(`bench/ddp: ${spaceName} TangleNAS (DrNAS) bi-level step, global batch ${batch}; ${rounds} rounds of ${steps} steps (medians), rotating the order`);
  const configs: [number[], () => Promise<number>][] = [
    [one, () => runProcs(args, 1, 2)],
    [after, () => runProcs([...args, '--bucket-mb', '0'], 2, 1)],
    [overlapped, () => runProcs([...args, '--bucket-mb', '25'], 2, 1)],
  ];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < configs.length; k++) {
      const [into, run] = configs[(k + r) % configs.length];
      into.push(await run());
    }
  }
  const a = median(one), b = median(after), c = median(overlapped);
  console.log(`  1 rank  x 2 threads, whole batch: ${a.toFixed(3)} s/step`);
  console.log(`  2 ranks x 1 thread, half each, one allreduce after backward (dist_bucket_mb 0): ${b.toFixed(3)} s/step`);
  console.log(`  2 ranks x 1 thread, half each, 25 MB buckets overlapped with backward:     ${c.toFixed(3)} s/step`);
  console.log(`  2 ranks / 1 rank = ${(b / a).toFixed(2)} after, ${(c / a).toFixed(2)} overlapped (1.00: the communication and the duplicated per-step work cost nothing)`);
}

await main();
