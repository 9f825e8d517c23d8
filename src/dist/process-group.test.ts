// Data-parallel on c10d (Gloo, loopback): collectives between two processes;
// two ranks with half a batch each end with the alphas of one process on the
// whole batch (DARTS, and DrNAS with its noise shared through the seed); a
// rank killed mid-run makes the other fail within the timeout, naming itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { distAvailable, freePort, initProcessGroup, processGroup } from './process-group.js';
import { reducerGrads, runBatchNormStep, runBilevel, startWorker, type WorkerArgs } from './test-util.js';

const worker = fileURLToPath(new URL('./test-util.js', import.meta.url));
const skip = distAvailable() ? false : 'this libtorch has no Gloo';

const start = (a: WorkerArgs, env: NodeJS.ProcessEnv = {}) => startWorker(worker, a, env);

async function ranks(a: Omit<WorkerArgs, 'rank' | 'port'>, env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>[]> {
  const port = await freePort();
  const rs = await Promise.all([0, 1].map((rank) => start({ ...a, rank, port }, env).done));
  for (const r of rs) assert.equal(r.code, 0, JSON.stringify(r.out));
  return rs.map((r) => r.out[0]);
}

test('collectives between 2 ranks: allreduce sum and mean, broadcast from rank 1, barrier', { skip }, async () => {
  const [a, b] = await ranks({ mode: 'collectives', world: 2 });
  for (const r of [a, b]) assert.deepEqual(r, { sum: [3, 30], mean: [0.5], broadcast: [42] });
});

test('GLOO_SOCKET_IFNAME: the named interface carries the group (lo); an unknown one is refused by name', { skip }, async () => {
  const [a] = await ranks({ mode: 'collectives', world: 2 }, { GLOO_SOCKET_IFNAME: 'lo' });
  assert.deepEqual(a, { sum: [3, 30], mean: [0.5], broadcast: [42] });
  const port = await freePort();
  process.env.GLOO_SOCKET_IFNAME = 'nosuchif0';
  try {
    assert.throws(() => initProcessGroup({ addr: '127.0.0.1', port, rank: 0, world: 1, timeoutMs: 5000 }), /GLOO_SOCKET_IFNAME: no usable network interface 'nosuchif0'.*ip addr/);
  } finally {
    delete process.env.GLOO_SOCKET_IFNAME;
  }
  assert.equal(processGroup(), null);
});

// DrNAS with many small gradient buckets (a few KB each), DARTS with the default 25 MB.
for (const [sampler, bucketMb] of [['darts', 25], ['drnas', 0.004]] as const) {
  test(`data-parallel ${sampler}: 2 ranks x half a batch == 1 process x the whole batch (alphas within 1e-5 after 5 bi-level steps, ${bucketMb} MB buckets), identical on both ranks`, { skip }, async () => {
    const single = runBilevel(sampler, 5, null);
    const [a, b] = await ranks({ mode: 'bilevel', world: 2, steps: 5, sampler, bucketMb });
    assert.deepEqual(a.alphas, b.alphas, 'the ranks agree exactly');
    const got = a.alphas as number[][];
    let worst = 0;
    got.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - single[i][j])))));
    assert.ok(worst < 1e-5, `largest alpha difference ${worst}`);
    assert.ok(single.some((row) => row.some((v) => Math.abs(v) > 1e-3)), 'the alphas moved');
  });
}

test('backwardAllReduce: every gradient the mean of the ranks\' (one bucket, or one per parameter); a parameter only rank 0 reached gets half its gradient, one no rank reached none', { skip }, async () => {
  const r0 = reducerGrads(0, null), r1 = reducerGrads(1, null);
  const expected = r0.map((g, i) => {
    const h = r1[i];
    if (!g && !h) return null;
    return (g ?? h!).map((_, j) => ((g?.[j] ?? 0) + (h?.[j] ?? 0)) / 2);
  });
  assert.equal(expected[4], null);
  assert.ok(r1[3] === null && r0[3] !== null, 'only rank 0 reaches the fourth parameter');
  for (const bucketMb of [0, 1e-6]) {
    const [a, b] = await ranks({ mode: 'reducer', world: 2, bucketMb });
    assert.deepEqual(a.grads, b.grads, `${bucketMb} MB: the ranks agree exactly`);
    const got = a.grads as (number[] | null)[];
    got.forEach((g, i) => {
      if (expected[i] === null) return assert.equal(g, null, `${bucketMb} MB: parameter ${i} keeps no gradient`);
      assert.ok(g, `${bucketMb} MB: parameter ${i} has a gradient`);
      g.forEach((v, j) => assert.ok(Math.abs(v - expected[i]![j]) < 1e-6, `${bucketMb} MB: parameter ${i}[${j}] ${v} vs ${expected[i]![j]}`));
    });
  }
});

test('sync_bn: 2 ranks x half a batch == 1 process x the whole batch through conv -> BatchNorm -> linear (every gradient and the running statistics within 1e-5); per-rank statistics are not', { skip }, async () => {
  const single = runBatchNormStep(false, null);
  const worst = (r: Record<string, unknown>) => {
    const got = r as unknown as ReturnType<typeof runBatchNormStep>;
    const pairs = [...got.grads.map((g, i) => [g, single.grads[i]]), ...got.running.map((g, i) => [g, single.running[i]])];
    return Math.max(...pairs.flatMap(([a, b]) => a.map((v, j) => Math.abs(v - b[j]))));
  };
  const [a, b] = await ranks({ mode: 'syncbn', world: 2, syncBn: true });
  assert.deepEqual(a.grads, b.grads, 'the ranks agree exactly');
  assert.ok(worst(a) < 1e-5, `synced: largest difference ${worst(a)}`);
  const [c] = await ranks({ mode: 'syncbn', world: 2, syncBn: false });
  assert.ok(worst(c) > 1e-3, `per-rank statistics: largest difference ${worst(c)}`);
});

test('a rank killed mid-run: the other fails within the timeout, naming itself; bad group arguments are refused', { skip }, async () => {
  const port = await freePort();
  const r0 = start({ mode: 'forever', rank: 0, world: 2, port, timeoutMs: 5000 });
  const r1 = start({ mode: 'forever', rank: 1, world: 2, port, timeoutMs: 5000 });
  await Promise.all([r0.firstLine, r1.firstLine]);
  const t0 = Date.now();
  r1.kill();
  const res = await r0.done;
  assert.equal(res.code, 3);
  assert.match(String(res.out.at(-1)?.error), /rank 0 of 2: allreduce failed, another rank stopped or hung/);
  assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
  assert.throws(() => initProcessGroup({ addr: '127.0.0.1', port, rank: 2, world: 2 }), /rank 2 must be an integer in 0\.\.1/);
  assert.throws(() => initProcessGroup({ addr: '127.0.0.1', port, rank: 0, world: 1, backend: 'nccl' as never }), /only 'gloo'/);
  assert.equal(processGroup(), null);
});
