// A rank of the data-parallel tests (process-group.test.ts), run as its own
// process: `node test-util.js '<json>'`; prints one JSON line. The bi-level
// run is also called in-process (world size 1) as the single-process reference.
import { fileURLToPath } from 'node:url';
import { Architect } from '../nas/architect.js';
import { bilevelStep } from '../nas/bilevel.js';
import { createSampler } from '../nas/samplers/index.js';
import { Adam } from '../nn/optim/adam.js';
import { createSpace } from '../spaces/index.js';
import { manualSeed, noGrad, tensor, tidy } from '../tensor/index.js';
import { allReduce, barrier, broadcast, destroyProcessGroup, initProcessGroup, shardOf } from './process-group.js';

export interface WorkerArgs {
  mode: 'collectives' | 'bilevel' | 'forever';
  rank: number;
  world: number;
  port: number;
  steps?: number;
  sampler?: string;
  timeoutMs?: number;
}

/** `steps` bi-level steps on lm-tiny with a global batch of 8, each rank on its share; the alphas after. */
export function runBilevel(sampler: string, steps: number, group: { rank: number; world: number } | null): number[][] {
  manualSeed(0);
  const space = createSpace('lm-tiny');
  const s = createSampler(sampler);
  const sync = group ? (gs: import('../tensor/index.js').Tensor[]) => allReduce(gs, 'mean') : null;
  const architect = new Architect(space, s, { lr: 0.01, syncGrads: sync });
  const opt = new Adam(space.supernet.parameters(), { lr: 1e-3 });
  for (let i = 0; i < steps; i++) {
    tidy(() => {
      // The same global batches on every rank (same seed), then each rank's rows.
      const train = space.exampleBatch(8);
      const val = space.exampleBatch(8);
      const part = (b: { x: import('../tensor/index.js').Tensor; y: import('../tensor/index.js').Tensor }) => ({ x: shardOf(b.x, group), y: shardOf(b.y, group) });
      bilevelStep(space, s, architect, opt, part(train), part(val), { syncGrads: sync });
    });
  }
  const out = noGrad(() => space.alphas().map((a) => a.toArray() as number[]));
  space.supernet.dispose();
  return out;
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
    if (a.mode === 'bilevel') return { alphas: runBilevel(a.sampler ?? 'darts', a.steps ?? 5, { rank: a.rank, world: a.world }) };
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
