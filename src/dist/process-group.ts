// Data-parallel communication on libtorch's c10d: one process group per
// process, a TCPStore rendezvous (rank 0 serves it) and the Gloo backend on
// CPUs. Collectives run in place on lists of tensors; every rank must make the
// same calls in the same order.
import { createServer } from 'node:net';
import { native } from '../tensor/native.js';
import { noGrad } from '../tensor/autograd.js';
import { cat, Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/scope.js';

export interface ProcessGroupOptions {
  /** Address of rank 0's store (MASTER_ADDR), e.g. 127.0.0.1. */
  addr: string;
  /** Its port (MASTER_PORT). */
  port: number;
  rank: number;
  world: number;
  /** How long a rendezvous or a collective may wait for the other ranks. Default 60 s. */
  timeoutMs?: number;
  backend?: 'gloo';
}

let current: { rank: number; world: number } | null = null;

/** A TCP port free on this machine now, for a local rendezvous (tests, benchmarks). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** True when this addon can make a Gloo process group. */
export function distAvailable(): boolean {
  return native.distAvailable() as boolean;
}

/** Joins the group: returns when all `world` ranks have joined (or throws after the timeout). */
export function initProcessGroup(o: ProcessGroupOptions): void {
  if ((o.backend ?? 'gloo') !== 'gloo') throw new Error(`process group backend '${o.backend}': only 'gloo' is built in (NCCL needs a CUDA build: docs/distributed.md)`);
  if (!Number.isInteger(o.world) || o.world < 1) throw new Error(`world size ${o.world} must be a positive integer`);
  if (!Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.world) throw new Error(`rank ${o.rank} must be an integer in 0..${o.world - 1} (world size ${o.world})`);
  try {
    native.distInit(o.addr, o.port, o.rank, o.world, o.timeoutMs ?? 60_000);
  } catch (e) {
    throw new Error(`rank ${o.rank} of ${o.world}: no rendezvous at ${o.addr}:${o.port} within ${((o.timeoutMs ?? 60_000) / 1000).toFixed(0)} s (${(e as Error).message}); check that every rank uses the same address, port and world size and that rank 0 can listen there`);
  }
  current = { rank: o.rank, world: o.world };
}

/** The group this process belongs to, or null. */
export function processGroup(): { rank: number; world: number } | null {
  return current;
}

function collective(what: string, fn: () => void): void {
  if (!current) throw new Error(`${what}: no process group (initProcessGroup first)`);
  try {
    fn();
  } catch (e) {
    throw new Error(`rank ${current.rank} of ${current.world}: ${what} failed, another rank stopped or hung (${(e as Error).message})`);
  }
}

/**
 * In place: the sum (or mean) over the ranks of each tensor. The tensors are
 * packed into one flat buffer per dtype (a bucket: one collective instead of
 * one per tensor; Gloo's list form means one tensor per device, not a list of
 * different tensors), reduced, and unpacked.
 */
export function allReduce(tensors: readonly Tensor[], op: 'sum' | 'mean' = 'mean'): void {
  if (!tensors.length) return;
  if (!current) throw new Error('allreduce: no process group (initProcessGroup first)');
  const world = current.world;
  const byDtype = new Map<string, Tensor[]>();
  for (const t of tensors) byDtype.set(t.dtype, [...(byDtype.get(t.dtype) ?? []), t]);
  noGrad(() =>
    tidy(() => {
      for (const group of byDtype.values()) {
        const flat = cat(group.map((t) => t.reshape(-1)));
        collective('allreduce', () => native.distAllreduce([flat.h]));
        if (op === 'mean' && world > 1) flat.div_(world);
        let at = 0;
        for (const t of group) {
          t.copy_(flat.narrow(0, at, t.numel).reshape(...t.shape));
          at += t.numel;
        }
      }
    }),
  );
}

/**
 * `loss.backward()` with the parameters' gradients averaged over the ranks
 * while the pass runs (DDP's reducer): buckets of at most `bucketMb` MB, in
 * reverse parameter order, each reduced as soon as its gradients are ready.
 * `bucketMb` 0: one bucket per dtype, reduced after the pass. A parameter
 * that no rank's graph reached keeps no gradient, as in a single process.
 */
export function backwardAllReduce(loss: Tensor, params: readonly Tensor[], bucketMb = 25): void {
  if (!(bucketMb >= 0)) throw new Error(`bucket size ${bucketMb} MB must be >= 0`);
  collective('allreduce', () => native.distBackward(loss.h, params.map((p) => p.h), bucketMb * 1024 * 1024));
}

/** The group's gradient averaging for the search steps (nas/grad-sync.ts's GradSync): weights through backwardAllReduce, alpha by one allreduce. */
export function dataParallelGrads(bucketMb = 25): { backward(loss: Tensor, params: readonly Tensor[]): void; average(grads: Tensor[]): void } {
  return { backward: (loss, params) => backwardAllReduce(loss, params, bucketMb), average: (grads) => allReduce(grads, 'mean') };
}

/** A new tensor: the sum of `t` over the ranks, differentiable (its backward sums the gradients over the ranks too). */
export function allReduceSumDiff(t: Tensor): Tensor {
  let out: Tensor | null = null;
  collective('allreduce', () => (out = new Tensor(native.distAllreduceSumDiff(t.h))));
  return out!;
}

/** In place: rank `root`'s values of each tensor on every rank (one collective per tensor: Gloo reads a list as one tensor per device). */
export function broadcast(tensors: readonly Tensor[], root = 0): void {
  for (const t of tensors) collective('broadcast', () => native.distBroadcast([t.h], root));
}

/** Waits for every rank; `timeoutMs` instead of the group's timeout (a long wait, such as another rank's download). */
export function barrier(timeoutMs?: number): void {
  collective('barrier', () => native.distBarrier(timeoutMs ?? null));
}

export function destroyProcessGroup(): void {
  native.distDestroy();
  current = null;
}

/** This rank's rows of a global batch (equal shares; the batch size must divide by the world size). */
export function shardOf(t: Tensor, g = current): Tensor {
  if (!g || g.world === 1) return t;
  const n = t.shape[0];
  if (n % g.world !== 0) throw new Error(`a batch of ${n} does not split evenly over ${g.world} ranks; use a batch size divisible by the world size`);
  const per = n / g.world;
  return t.narrow(0, g.rank * per, per);
}
