// Data-parallel runs from the command line: `search --nproc 2` ends with the
// alphas of the single-process run on the same global batches (lm-tiny,
// DrNAS with its noise shared through the seed), rank 1's copy identical,
// rank 0 owning the run directory; the launcher's and the environment's
// errors name the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distAvailable, freePort } from '../dist/process-group.js';
import type { DataWorkerArgs } from './dist-test-util.js';
import { startWorker } from '../dist/test-util.js';
import { distFromEnv, drawSeed, rankRunDir } from './distributed.js';
import { tempDir } from './test-util.js';

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, TANGLENAS_THREADS: '1', ...env } });
const LM = ['--preset', 'lm-tiny/tanglenas', '--dataset', 'synthetic', '--set', 'synthetic_train=6000', '--set', 'synthetic_test=1000', '--batch-size', '4', '--set', 'eval_batch_size=8', '--set', 'eval_samples=16', '--set', 'block_size=16', '--epochs', '2', '--set', 'steps_per_epoch=5', '--set', 'loader_workers=0', '--device', 'cpu', '--quiet'];
const alphas = (dir: string) => (JSON.parse(readFileSync(join(dir, 'architecture.json'), 'utf8')) as { alpha: Record<string, number[]> }).alpha;

test('search --nproc 2 == one process on the same global batches (alphas within 1e-5); rank 1 keeps an identical copy in ranks/1; dist_draws independent keeps the ranks identical but changes the run', { skip: distAvailable() ? false : 'no Gloo in this libtorch' }, () => {
  const t = tempDir('tanglenas-dp-');
  try {
    const one = cli(['search', ...LM, '--run-dir', join(t.dir, 'one')]);
    assert.equal(one.status, 0, one.stderr);
    const two = cli(['search', ...LM, '--run-dir', join(t.dir, 'two'), '--nproc', '2']);
    assert.equal(two.status, 0, two.stderr);
    const a = alphas(join(t.dir, 'one'));
    const b = alphas(join(t.dir, 'two'));
    let worst = 0;
    for (const k of Object.keys(a)) a[k].forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k][i]))));
    assert.ok(worst < 1e-5, `largest alpha difference ${worst}`);
    assert.ok(Object.values(a).some((row) => row.some((v) => Math.abs(v) > 1e-3)), 'the alphas moved');
    assert.deepEqual(alphas(rankRunDir(join(t.dir, 'two'), 1)), b);
    assert.ok(existsSync(join(t.dir, 'two', 'checkpoints')));
    // dist_draws independent: each rank its own Dirichlet draws; the ranks still agree exactly, the run is another one.
    const ind = cli(['search', ...LM, '--run-dir', join(t.dir, 'ind'), '--nproc', '2', '--set', 'dist_draws=independent']);
    assert.equal(ind.status, 0, ind.stderr);
    const c = alphas(join(t.dir, 'ind'));
    assert.deepEqual(alphas(rankRunDir(join(t.dir, 'ind'), 1)), c, 'independent draws, identical alphas on both ranks');
    let moved = 0;
    for (const k of Object.keys(b)) b[k].forEach((v, i) => (moved = Math.max(moved, Math.abs(v - c[k][i]))));
    assert.ok(moved > 1e-4, `independent draws change the run (largest alpha difference ${moved})`);
  } finally {
    t.cleanup();
  }
});

test('search --nproc 2 stopped by its budget: both ranks stop at the same step (agreed), and the resume with 2 ranks ends bit-identical to the uninterrupted run', { skip: distAvailable() ? false : 'no Gloo in this libtorch' }, () => {
  const t = tempDir('tanglenas-dp-resume-');
  try {
    const args = [...LM, '--epochs', '3', '--set', 'steps_per_epoch=20', '--set', 'log_every=1', '--nproc', '2'];
    const full = cli(['search', ...args, '--run-dir', join(t.dir, 'full')]);
    assert.equal(full.status, 0, full.stderr);
    const cut = cli(['search', ...args, '--run-dir', join(t.dir, 'cut'), '--budget-minutes', '0.04']);
    assert.ok(cut.status === 3 || cut.status === 0, `exit ${cut.status}: ${cut.stderr}`);
    const steps = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"kind":"step"')).length;
    assert.equal(steps(join(t.dir, 'cut')), steps(rankRunDir(join(t.dir, 'cut'), 1)), 'both ranks did the same steps');
    if (cut.status === 3) {
      const more = cli(['search', '--resume', join(t.dir, 'cut'), '--budget-minutes', '0', '--nproc', '2', '--quiet']);
      assert.equal(more.status, 0, more.stderr);
    }
    assert.deepEqual(alphas(join(t.dir, 'cut')), alphas(join(t.dir, 'full')));
  } finally {
    t.cleanup();
  }
});

test('launch and environment errors: --node-rank past --nnodes, --nnodes without --master-addr, a rank without --run-dir, second-order DARTS, bad RANK/WORLD_SIZE', () => {
  const bad = (args: string[], re: RegExp, env: NodeJS.ProcessEnv = {}) => {
    const r = cli(['search', ...args], env);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, re);
  };
  bad(['--nproc', '2', '--nnodes', '2', '--node-rank', '2'], /--node-rank 2 must be below --nnodes 2/);
  bad(['--nproc', '1', '--nnodes', '2', '--node-rank', '1'], /--nnodes > 1 needs --master-addr/);
  bad(['--nproc', '0'], /--nproc must be an integer >= 1/);
  bad([...LM], /rank 1 of 2: a data-parallel run needs --run-dir/, { RANK: '1', WORLD_SIZE: '2' });
  const t = tempDir('tanglenas-dp-bad-');
  try {
    bad([...LM, '--set', 'method=darts', '--set', 'darts_order=2', '--run-dir', join(t.dir, 'v2')], /second-order DARTS \(darts_order 2\) does not run data-parallel yet/, { RANK: '0', WORLD_SIZE: '2' });
  } finally {
    t.cleanup();
  }
  assert.throws(() => distFromEnv({ WORLD_SIZE: '2', RANK: '2' }), /RANK='2' must be an integer in 0\.\.1/);
  assert.throws(() => distFromEnv({ WORLD_SIZE: 'two' }), /WORLD_SIZE='two' is not a positive integer/);
  assert.equal(distFromEnv({}), null);
  const seeds = new Set([0, 1, 2, 3].flatMap((r) => [0, 1, 2, 3, 1000].map((st) => drawSeed(7, r, st))));
  assert.equal(seeds.size, 20, 'distinct seeds per (rank, step)');
  for (const v of seeds) assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 31);
  assert.deepEqual(distFromEnv({ WORLD_SIZE: '2', RANK: '1', MASTER_PORT: '1234' }), { rank: 1, world: 2, addr: '127.0.0.1', port: 1234 });
});

test('one data download per machine: local rank 0 prepares first, the others find its files after; its failure ends their wait at once', { skip: distAvailable() ? false : 'no Gloo in this libtorch' }, async () => {
  const worker = fileURLToPath(new URL('./dist-test-util.js', import.meta.url));
  const run = async (a: Omit<DataWorkerArgs, 'port'>[], port: number) => (await Promise.all(a.map((w) => startWorker(worker, { ...w, port }).done))).map((r) => ({ code: r.code, out: r.out.at(-1) ?? {} }));
  const t = tempDir('tanglenas-dpdata-');
  try {
    // Rank 1 is the machine's local rank 0 here, so the order is not rank order.
    const ok = await run([{ rank: 0, local: 1, file: join(t.dir, 'a') }, { rank: 1, local: 0, file: join(t.dir, 'a') }], await freePort());
    assert.deepEqual(ok.map((r) => r.out), [{ got: 'found' }, { got: 'made' }]);
    const t0 = Date.now();
    const bad = await run([{ rank: 0, local: 0, file: join(t.dir, 'b'), fail: true }, { rank: 1, local: 1, file: join(t.dir, 'b') }], await freePort());
    assert.match(String(bad[0].out.error), /download failed/);
    assert.equal(bad[1].code, 3);
    assert.match(String(bad[1].out.error), /rank 1 of 2: barrier failed/);
    assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
  } finally {
    t.cleanup();
  }
});
