// A run across processes (data-parallel, dist/process-group.ts): the rank and
// world size come from the environment, as torchrun and SLURM set it (RANK,
// WORLD_SIZE, MASTER_ADDR, MASTER_PORT; `tanglenas ... --nproc N` sets them
// for its N local processes). Every rank trains on its share of each training
// and validation batch; gradients of the weights and of alpha are averaged
// before each update, so all ranks keep the same weights and alphas (same
// seed, same initial values, same sampler draws). Rank 0 owns the run
// directory; rank r > 0 keeps its own bookkeeping in <run>/ranks/<r>/.
import { join } from 'node:path';
import { mappedLoader, type BatchLoader } from '../data/loader.js';
import { barrier, dataParallelGrads, broadcast, destroyProcessGroup, initProcessGroup, processGroup, shardOf } from '../dist/process-group.js';
import { tensor } from '../tensor/tensor.js';
import { manualSeed } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { RunLoaders } from './data.js';
import type { GradSync } from '../nas/grad-sync.js';

export interface DistEnv {
  rank: number;
  world: number;
  addr: string;
  port: number;
}

/** The data-parallel set-up the environment names, or null for a single process. */
export function distFromEnv(env: NodeJS.ProcessEnv = process.env): DistEnv | null {
  const world = env.WORLD_SIZE === undefined ? 1 : Number(env.WORLD_SIZE);
  if (!Number.isInteger(world) || world < 1) throw new Error(`WORLD_SIZE='${env.WORLD_SIZE}' is not a positive integer`);
  if (world === 1) return null;
  const rank = Number(env.RANK);
  if (env.RANK === undefined || !Number.isInteger(rank) || rank < 0 || rank >= world) throw new Error(`RANK='${env.RANK}' must be an integer in 0..${world - 1} (WORLD_SIZE ${world})`);
  const port = Number(env.MASTER_PORT ?? 29500);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`MASTER_PORT='${env.MASTER_PORT}' is not a port number`);
  return { rank, world, addr: env.MASTER_ADDR ?? '127.0.0.1', port };
}

/** Where rank `rank` of a run in `dir` keeps its files (rank 0: the run directory itself). */
export function rankRunDir(dir: string, rank: number): string {
  return rank === 0 ? dir : join(dir, 'ranks', String(rank));
}

/** Joins the group the environment names (rendezvous timeout TANGLENAS_DIST_TIMEOUT_S, default 60 s). */
export function joinGroup(d: DistEnv): void {
  const t = Number(process.env.TANGLENAS_DIST_TIMEOUT_S ?? 60);
  initProcessGroup({ addr: d.addr, port: d.port, rank: d.rank, world: d.world, timeoutMs: Math.max(1, t) * 1000 });
}

/**
 * Runs `prepare` (a dataset download and check) on each machine's local rank 0
 * first, then on the other ranks, which find its cache: one download per
 * machine (torch's `if local_rank != 0: barrier()` pattern). Ranks without
 * LOCAL_RANK count as local rank 0. The wait allows TANGLENAS_DIST_DATA_TIMEOUT_S
 * (default 1800 s); a rank 0 that fails ends the others' wait at once.
 */
export async function onePerMachineFirst<T>(d: DistEnv | null, prepare: () => Promise<T>): Promise<T> {
  if (!d) return prepare();
  const first = !(Number(process.env.LOCAL_RANK ?? 0) > 0);
  const waitMs = Math.max(1, Number(process.env.TANGLENAS_DIST_DATA_TIMEOUT_S ?? 1800)) * 1000;
  if (!first) barrier(waitMs);
  const out = await prepare();
  if (first) barrier(waitMs);
  return out;
}

export function leaveGroup(): void {
  if (processGroup()) destroyProcessGroup();
}

/** In a data-parallel run: gradients averaged over the ranks (weights: overlapped with the backward pass in `bucketMb` buckets); else null. */
export function gradientSync(bucketMb: number): GradSync | null {
  if (!processGroup()) return null;
  return dataParallelGrads(bucketMb);
}

/** The training and validation loaders give each rank its share of every batch (evaluation loaders stay whole). */
export function shardLoaders(l: RunLoaders): RunLoaders {
  const g = processGroup();
  if (!g) return l;
  const shard = (b: BatchLoader): BatchLoader =>
    mappedLoader(b, (next) => {
      let batch = next();
      // An epoch's last, partial batch that does not split evenly is skipped (every rank alike),
      // as DistributedSampler's drop_last would: equal shares keep the mean of the ranks' means exact.
      // (A batch_size that does not split is shardOf's error.)
      if (batch.last && batch.x.shape[0] % g.world !== 0) {
        batch.x.dispose();
        batch.y.dispose();
        batch = next();
      }
      const x = shardOf(batch.x, g).contiguous();
      const y = shardOf(batch.y, g).contiguous();
      return { ...batch, x, y, size: x.shape[0] };
    });
  return { ...l, train: shard(l.train), valid: l.valid && shard(l.valid) };
}

/**
 * Rank 0's value on every rank (as is, in a single process): decisions each
 * rank would take from its own clock (a budget stop, budget_fit's epoch count)
 * must be the same everywhere, or one rank would wait in a collective for
 * another that has stopped.
 */
export function agreed(value: number): number {
  if (!processGroup()) return value;
  return tidy(() => {
    const t = tensor([value], { dtype: 'float64', device: 'cpu' });
    broadcast([t], 0);
    return t.item();
  });
}

/**
 * dist_draws independent: the seed of rank `rank`'s draws at global step
 * `step` (a 31-bit mix, so nearby ranks and steps get unrelated streams). A
 * function of the step, not a stream state, so a resumed run draws the same.
 */
export function drawSeed(seed: number, rank: number, step: number): number {
  let h = (seed ^ 0x9e3779b9) | 0;
  for (const v of [rank, step]) {
    h = Math.imul(h ^ v, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 1;
}

/** Reseeds libtorch's generators for this rank's step when the run draws independently (no-op otherwise). */
export function seedRankDraws(mode: 'shared' | 'independent', seed: number, step: number): void {
  const g = processGroup();
  if (mode === 'independent' && g) manualSeed(drawSeed(seed, g.rank, step));
}
