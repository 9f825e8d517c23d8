// Resume after kill -9: run A goes uninterrupted; run B (same config, fixed
// seed, CPU, one thread) is killed with SIGKILL at a random moment after its
// first checkpoints, then continued with --resume. B must end bit-identical to
// A: same alpha, same genotype, same supernet file, same metrics (but for wall
// time and memory). Through the CLI in child processes, as a user would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertSameRun, tempDir, withoutClock, writeFakeBenchmark } from '../src/search/test-util.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const ENV = { ...process.env, TANGLENAS_THREADS: '1' };
let tmp: { dir: string; cleanup: () => void };
let bench: string;

before(() => {
  tmp = tempDir('tanglenas-e2e-resume-');
  bench = join(tmp.dir, 'bench');
  mkdirSync(bench);
  writeFakeBenchmark('toy-cell', bench);
});
after(() => tmp.cleanup());

function cli(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: ENV });
  return { status: r.status, stderr: r.stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the run, waits until `ready(dir)` holds, waits a random extra moment, kills it with SIGKILL. */
async function killMidway(args: string[], dir: string, ready: () => boolean): Promise<void> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 60_000;
  while (!ready()) {
    if (child.exitCode !== null) throw new Error(`run exited (${child.exitCode}) before the kill point: ${stderr}`);
    if (Date.now() > deadline) throw new Error('run did not reach the kill point in 60 s');
    await sleep(20);
  }
  await sleep(Math.floor(Math.random() * 150));
  child.kill('SIGKILL');
  await exited;
  assert.equal(child.signalCode, 'SIGKILL', `the run finished before the kill: ${stderr}`);
  assert.equal(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status, 'running');
}

function checkpointStep(dir: string): number {
  const f = join(dir, 'checkpoints', 'last.json');
  if (!existsSync(f)) return -1;
  try {
    return (JSON.parse(readFileSync(f, 'utf8')) as { loop: { globalStep: number } }).loop.globalStep;
  } catch {
    return -1;
  }
}

const tiny = ['--dataset', 'synthetic', '--set', 'synthetic_train=64', '--set', 'synthetic_test=16', '--batch-size', '8', '--set', 'steps_per_epoch=4', '--set', 'log_every=1', '--set', 'eval_batch_size=16', '--set', 'bn_calibration_samples=32', '--threads', '1', '--quiet'];

test('search (TangleNAS): SIGKILL mid-run, --resume, bit-identical alpha, genotype, supernet and metrics', async () => {
  const args = ['search', '--preset', 'toy-cell/tanglenas', ...tiny, '--epochs', '3', '--set', 'checkpoint_every_steps=1', '--set', 'arch_lr=0.03', '--benchmark-dir', bench];
  const a = join(tmp.dir, 'A');
  const b = join(tmp.dir, 'B');
  const ra = cli([...args, '--run-dir', a]);
  assert.equal(ra.status, 0, ra.stderr);
  const killAt = 3 + Math.floor(Math.random() * 5);
  await killMidway([...args, '--run-dir', b], b, () => checkpointStep(b) >= killAt);
  assert.ok(!existsSync(join(b, 'architecture.json')));
  const rb = cli(['search', '--resume', b, '--quiet']);
  assert.equal(rb.status, 0, rb.stderr);
  const ja = JSON.parse(readFileSync(join(a, 'architecture.json'), 'utf8'));
  const jb = JSON.parse(readFileSync(join(b, 'architecture.json'), 'utf8'));
  assert.deepEqual(jb.alpha, ja.alpha, `alpha differs after a kill at step ${killAt}+`);
  assert.deepEqual(jb.architecture, ja.architecture);
  assert.equal(jb.inherited_test_acc, ja.inherited_test_acc);
  assert.ok(readFileSync(join(a, 'supernet.safetensors')).equals(readFileSync(join(b, 'supernet.safetensors'))), 'supernet weights differ');
  assert.deepEqual(withoutClock(b), withoutClock(a));
  assert.equal(JSON.parse(readFileSync(join(b, 'status.json'), 'utf8')).status, 'done');
});

test('two-stage (SPOS + ES): SIGKILL in either stage, --resume, the same search result', async () => {
  const args = ['two-stage', '--preset', 'toy-cell/spos-es', ...tiny, '--epochs', '2', '--set', 'checkpoint_every_steps=2', '--set', 'generations=4', '--set', 'fitness_samples=16', '--set', 'checkpoint_minutes=0', '--benchmark-dir', bench];
  const a = join(tmp.dir, 'TA');
  const b = join(tmp.dir, 'TB');
  const ra = cli([...args, '--run-dir', a]);
  assert.equal(ra.status, 0, ra.stderr);
  // Half the time in the supernet stage, half in the black-box stage.
  const inBlackBox = Math.random() < 0.5;
  await killMidway([...args, '--run-dir', b], b, () => (inBlackBox ? existsSync(join(b, 'checkpoints', 'black-box.json')) : checkpointStep(b) >= 3));
  const rb = cli(['two-stage', '--resume', b, '--quiet']);
  assert.equal(rb.status, 0, rb.stderr);
  assertSameRun(b, a, `after a kill in the ${inBlackBox ? 'black-box' : 'supernet'} stage`);
});
