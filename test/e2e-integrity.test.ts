// Runs that cannot be corrupted (issue 11), through the CLI in child
// processes, as a user would meet them: one writer per run (a second one, or
// a resume of a live run, is refused with exit code 2 naming the pid and the
// host; a killed run's lock is taken over with a note), file-system errors
// that name the path and the cause and never hang, a --data-dir that is used
// or refused, and the smaller command-line findings. (Damaged checkpoints and
// non-finite values: src/search/integrity.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunDir } from '../src/search/rundir.js';
import { testFolder } from '../src/search/test-util.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const ENV = { ...process.env, TANGLENAS_THREADS: '1' };
const tmp = testFolder('tanglenas-e2e-integrity-');

function cli(args: string[], timeout = 120_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: ENV, timeout });
}

/** Exit code 2 and one clear line (no stack trace) matching `re`. */
function assertUsage(r: SpawnSyncReturns<string>, re: RegExp, what: string): void {
  assert.equal(r.status, 2, `${what}: status ${r.status}${r.error ? ` (${r.error.message})` : ''}, stderr ${r.stderr}`);
  assert.match(r.stderr, re, what);
  assert.match(r.stderr, /^tanglenas: /, what);
  assert.doesNotMatch(r.stderr, /ambiguous|at .*\.js:\d+/, what);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readJson(f: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function checkpointStep(dir: string): number {
  return (readJson(join(dir, 'checkpoints', 'last.json'))?.loop as { globalStep?: number } | undefined)?.globalStep ?? -1;
}

interface Background {
  pid: number;
  exited: Promise<number | null>;
  ended: () => boolean;
  stderr: () => string;
  kill: () => void;
}

/** Starts a CLI run in the background; `exited` resolves with its exit code. */
function background(args: string[]): Background {
  const child = spawn(process.execPath, [MAIN, ...args], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let ended = false;
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => ((ended = true), r(code))));
  return { pid: child.pid!, exited, ended: () => ended, stderr: () => err, kill: () => child.kill('SIGKILL') };
}

/** A background run, once its checkpoint of global step `step` is written. */
async function runningPast(args: string[], dir: string, step: number): Promise<Background> {
  const b = background([...args, '--run-dir', dir]);
  const deadline = Date.now() + 60_000;
  while (checkpointStep(dir) < step) {
    if (b.ended()) throw new Error(`the run ended before its checkpoint of step ${step}: ${b.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no checkpoint of step ${step} in 60 s`);
    await sleep(20);
  }
  return b;
}

const tiny = ['--dataset', 'synthetic', '--set', 'synthetic_train=64', '--set', 'synthetic_test=16', '--batch-size', '8', '--set', 'steps_per_epoch=4', '--set', 'log_every=1', '--set', 'eval_batch_size=16', '--set', 'bn_calibration_samples=32', '--threads', '1'];
const searchArgs = () => ['search', '--preset', 'toy-cell/tanglenas', ...tiny, '--set', 'checkpoint_every_steps=1', '--benchmark-dir', tmp.bench];

test('finding 1: while a run lives, a resume or a new run in its folder exits 2 naming its pid and host; two runs started together: one runs; the live run ends untouched', async () => {
  const dir = join(tmp.dir, 'live');
  // Long enough to outlast two CLI start-ups on a loaded machine (each loads libtorch).
  const a = await runningPast([...searchArgs(), '--epochs', '10', '--quiet'], dir, 1);
  const holder = new RegExp(`run directory '.*live' is in use by pid ${a.pid} on host ${hostname()} \\('tanglenas search', since [^)]+\\); wait for it to end or stop it, then try again`);
  assertUsage(cli(['search', '--resume', dir, '--quiet']), holder, 'resume of a live run');
  assertUsage(cli([...searchArgs(), '--epochs', '3', '--quiet', '--run-dir', dir]), holder, 'a new run in a live run\'s folder');
  assert.ok(!a.ended(), 'the live run must outlast the two refusals (make it longer)');
  assert.equal(await a.exited, 0, a.stderr());
  const m = new RunDir(dir).readMetrics();
  assert.equal(m.filter((r) => r.kind === 'epoch').length, 10, 'one record per epoch, no duplicates');
  const steps = m.filter((r) => r.kind === 'step').map((r) => r.global_step as number);
  assert.deepEqual(steps, Array.from({ length: 40 }, (_, i) => i + 1));
  assert.equal(readJson(join(dir, 'status.json'))!.status, 'done');
  assert.ok(!existsSync(join(dir, 'run.lock')), 'the lock is released at the end');

  // Two new runs into one folder at the same moment.
  const same = join(tmp.dir, 'same');
  const one = [...searchArgs(), '--epochs', '1', '--set', 'steps_per_epoch=1', '--quiet', '--run-dir', same];
  const two = [background(one), background(one)];
  const codes = await Promise.all(two.map((r) => r.exited));
  assert.deepEqual([...codes].sort(), [0, 2], `exit codes ${codes}: ${two.map((r) => r.stderr()).join(' | ')}`);
  assert.match(two[codes.indexOf(2)].stderr(), /is in use by pid \d+ on host|already holds a run/);
  assert.equal(new RunDir(same).readMetrics().filter((r) => r.kind === 'epoch').length, 1);
});

test('finding 1: after kill -9, status.json still says running but the run reads as interrupted; the resume takes the dead lock over with a note', async () => {
  const dir = join(tmp.dir, 'killed');
  const a = await runningPast([...searchArgs(), '--epochs', '3', '--quiet'], dir, 2);
  a.kill();
  await a.exited;
  assert.equal(readJson(join(dir, 'status.json'))!.status, 'running');
  assert.equal((readJson(join(dir, 'run.lock')) ?? {}).pid, a.pid, 'the lock names the killed writer');
  const run = new RunDir(dir) as unknown as { state(): string };
  assert.equal(run.state(), 'interrupted');
  const r = cli(['search', '--resume', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`note: took over the lock of pid ${a.pid} on host ${hostname()} \\('tanglenas search', since [^)]+\\), which no longer runs`));
  assert.equal(run.state(), 'done');
});

test('finding 4: file-system errors name the path and the cause, exit 2, and /proc cannot hang the command', () => {
  const t0 = Date.now();
  assertUsage(cli([...searchArgs(), '--quiet', '--run-dir', '/proc/tanglenas-test/run'], 30_000), /cannot use the run directory '\/proc\/tanglenas-test\/run': '\/proc' is on the kernel's proc file system, which holds no files; choose another --run-dir/, '/proc');
  assert.ok(Date.now() - t0 < 20_000);
  const file = join(tmp.dir, 'a-file');
  writeFileSync(file, 'x');
  assertUsage(cli([...searchArgs(), '--quiet', '--run-dir', join(file, 'run')]), /cannot use the run directory '.*a-file\/run': '.*a-file' is a file, not a folder; choose another --run-dir/, 'a file where a folder is expected');
});

/** Whether this machine lets an unprivileged user namespace mount a tmpfs (read-only and full file systems). */
const canMount = spawnSync('unshare', ['-rm', 'sh', '-c', `d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d" && rmdir "$d"`]).status === 0;

test('finding 4: read-only file system and a full disk (tmpfs in a user namespace): the path and the cause; a run resumes once space is freed', { skip: !canMount && 'no user namespaces with mount' }, () => {
  const mnt = join(tmp.dir, 'mnt');
  mkdirSync(mnt);
  const node = `'${process.execPath}' '${MAIN}'`;
  const q = (a: string[]) => a.map((x) => `'${x}'`).join(' ');
  const ro = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o ro,size=1m tmpfs '${mnt}' && ${node} ${q([...searchArgs(), '--quiet', '--run-dir', join(mnt, 'run')])}`], { encoding: 'utf8', env: ENV });
  assertUsage(ro, /cannot create the run directory '.*mnt\/run': read-only file system \(EROFS\); choose another --run-dir/, 'read-only');
  // 1 MB holds the run's small files but not its first checkpoint (2 MB).
  const script = [
    `mount -t tmpfs -o size=1m tmpfs '${mnt}' || exit 9`,
    `${node} ${q([...searchArgs(), '--epochs', '1', '--set', 'steps_per_epoch=2', '--quiet', '--run-dir', join(mnt, 'run')])}; echo "first=$?"`,
    `mount -o remount,size=64m '${mnt}' || exit 9`,
    `${node} ${q(['search', '--resume', join(mnt, 'run'), '--quiet'])}; echo "resumed=$?"`,
  ].join('\n');
  const full = spawnSync('unshare', ['-rm', 'sh', '-c', script], { encoding: 'utf8', env: ENV });
  assert.match(full.stdout, /first=1\n/, full.stderr);
  assert.match(full.stderr, /^tanglenas: cannot write '.*mnt\/run\/checkpoints\/next\.safetensors': no space left on device \(ENOSPC\); the run keeps its last checkpoint: free some space, then continue with --resume .*mnt\/run$/m);
  assert.match(full.stdout, /resumed=0\n/, full.stderr);
});

test('finding 5: a --data-dir that is empty, missing or a file is refused (exit 2), never passed over for another copy; synthetic data refuses one', () => {
  const empty = join(tmp.dir, 'empty-data');
  mkdirSync(empty);
  const file = join(tmp.dir, 'data-file');
  writeFileSync(file, 'x');
  // Small, so that a version that ignored the flag would finish quickly on Debian's Fashion-MNIST.
  const run = (dataDir: string, name: string, extra: string[] = []) => cli(['search', '--epochs', '1', '--set', 'steps_per_epoch=1', '--set', 'train_subset=64', '--set', 'test_subset=32', '--set', 'eval_samples=32', '--set', 'bn_calibration_samples=32', '--batch-size', '8', '--threads', '1', '--quiet', ...extra, '--data-dir', dataDir, '--run-dir', join(tmp.dir, name)]);
  assertUsage(run(empty, 'd1'), /the data folder given holds no Fashion-MNIST files \(looked for train-images-idx3-ubyte\(\.gz\)/, 'empty');
  assertUsage(run(join(tmp.dir, 'no-such-data'), 'd2'), /data_dir '.*no-such-data' does not exist; check the path given to --data-dir/, 'missing');
  assertUsage(run(file, 'd3'), /data-file: the data folder given is a file, not a folder/, 'a file');
  assertUsage(run(empty, 'd4', ['--dataset', 'synthetic']), /data_dir '.*empty-data' has no use: dataset 'synthetic' is generated in memory/, 'synthetic');
});

test('finding 6: negative numbers reach the flags\' own checks (not "argument is ambiguous")', () => {
  assertUsage(cli(['search', '--budget-minutes', '-1']), /budget_minutes.* in --budget-minutes must be .*got -1/, '--budget-minutes -1');
  assertUsage(cli(['lookup', '--top', '-3', '--benchmark-dir', tmp.bench]), /--top .*-3/, '--top -3');
});

test('finding 6: evaluate and generate name a missing run folder (not --resume), exit 2', () => {
  const missing = join(tmp.dir, 'no-such-run');
  for (const cmd of ['evaluate', 'generate']) {
    const r = cli([cmd, missing]);
    assertUsage(r, /run directory '.*no-such-run' does not exist; check the path/, cmd);
    assert.doesNotMatch(r.stderr, /--resume/, cmd);
  }
});

test('finding 6: two-stage --resume of a search run is refused; a finetune run outlives its search folder', () => {
  // A search stopped by its budget (resumable), continued by the wrong command.
  const s = join(tmp.dir, 'stopped-search');
  const stopped = cli([...searchArgs(), '--epochs', '2', '--quiet', '--budget-minutes', '0.0001', '--run-dir', s]);
  assert.equal(stopped.status, 3, stopped.stderr);
  assertUsage(cli(['two-stage', '--resume', s, '--quiet']), /run '.*stopped-search' is a 'search' run, not a 'two-stage' one; continue it with 'tanglenas search --resume .*stopped-search'/, 'two-stage --resume of a search');
  // finetune --from: the architecture itself goes into the run's config.
  const f = join(tmp.dir, 'finetune');
  const ft = cli(['finetune', '--from', s, ...tiny, '--epochs', '1', '--set', 'steps_per_epoch=1', '--quiet', '--run-dir', f]);
  assert.equal(ft.status, 0, ft.stderr);
  const arch = JSON.parse(readFileSync(join(f, 'config.json'), 'utf8')).arch as string;
  assert.deepEqual(JSON.parse(arch), JSON.parse(readFileSync(join(s, 'architecture.json'), 'utf8')).architecture);
  renameSync(s, `${s}-moved`);
  const ev = cli(['evaluate', f, '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).kind, 'model');
});

test('finding 6: budget_fit reserves for the final test pass one calibration plus the test images, not the calibration per image', () => {
  // 16 validation images per evaluation, 256 calibration and 256 test images:
  // counting the calibration per validation image would reserve ~16 calibrations.
  const dir = join(tmp.dir, 'fit');
  const r = cli(['search', '--preset', 'toy-cell/tanglenas', '--dataset', 'synthetic', '--set', 'synthetic_train=64', '--set', 'synthetic_test=256', '--batch-size', '8', '--set', 'steps_per_epoch=1', '--set', 'eval_batch_size=16', '--set', 'eval_samples=16', '--set', 'bn_calibration_samples=256', '--threads', '1', '--epochs', '1', '--set', 'budget_fit=true', '--budget-minutes', '5', '--quiet', '--run-dir', dir]);
  assert.equal(r.status, 0, r.stderr);
  const m = new RunDir(dir).readMetrics();
  const plan = m.find((x) => x.kind === 'plan')!;
  const lastEpoch = m.filter((x) => x.kind === 'epoch').at(-1)!;
  const actual = (readJson(join(dir, 'architecture.json'))!.time_s as number) - (lastEpoch.time_s as number);
  assert.equal(typeof plan.final_pass_s, 'number', 'the plan says what it reserved');
  const reserved = plan.final_pass_s as number;
  assert.ok(reserved < 3 * actual + 0.5, `reserved ${reserved} s for a final pass of ${actual.toFixed(2)} s`);
  assert.ok(reserved > actual / 4, `reserved ${reserved} s for a final pass of ${actual.toFixed(2)} s`);
});

test('budget_fit re-plans after every epoch: the plans never undercut the epochs done, the run ends on its last plan and uses most of its budget', () => {
  const dir = join(tmp.dir, 'refit');
  const budgetS = 12;
  const r = cli(['search', '--preset', 'toy-cell/tanglenas', '--dataset', 'synthetic', '--set', 'synthetic_train=64', '--set', 'synthetic_test=32', '--batch-size', '8', '--set', 'steps_per_epoch=2', '--set', 'eval_batch_size=16', '--set', 'eval_samples=16', '--set', 'bn_calibration_samples=16', '--threads', '1', '--epochs', '1000', '--set', 'budget_fit=true', '--budget-minutes', String(budgetS / 60), '--quiet', '--run-dir', dir]);
  assert.ok(r.status === 0 || r.status === 3, r.stderr);
  const m = new RunDir(dir).readMetrics();
  const plans = m.filter((x) => x.kind === 'plan');
  const epochs = m.filter((x) => x.kind === 'epoch');
  assert.ok(plans.length >= 1);
  for (const p of plans) assert.ok((p.planned_epochs as number) >= (p.epoch as number) + 1, JSON.stringify(p));
  if (r.status === 0) assert.equal(epochs.length, plans.at(-1)!.planned_epochs);
  const used = (epochs.at(-1)!.time_s as number) / budgetS;
  assert.ok(used > 0.6 && used <= 1.05, `the epochs used ${(100 * used).toFixed(0)}% of the budget`);
});

test('budget_fit fills the budget with a shorter last epoch when a whole one does not fit (its steps as planned, then the run ends)', () => {
  const dir = join(tmp.dir, 'partial');
  const budgetS = 12;
  const r = cli(['search', '--preset', 'toy-cell/tanglenas', '--dataset', 'synthetic', '--set', 'synthetic_train=64', '--set', 'synthetic_test=32', '--batch-size', '8', '--set', 'steps_per_epoch=15', '--set', 'eval_batch_size=16', '--set', 'eval_samples=16', '--set', 'bn_calibration_samples=16', '--set', 'log_every=1', '--threads', '1', '--epochs', '1000', '--set', 'budget_fit=true', '--budget-minutes', String(budgetS / 60), '--quiet', '--run-dir', dir]);
  assert.ok(r.status === 0 || r.status === 3, r.stderr);
  const m = new RunDir(dir).readMetrics();
  const plan = m.filter((x) => x.kind === 'plan').at(-1)!;
  const epochs = m.filter((x) => x.kind === 'epoch');
  const last = plan.last_epoch_steps as number;
  assert.ok(last >= 1 && last <= 15, JSON.stringify(plan));
  if (r.status !== 0) return; // a loaded machine can still overrun; the plan's fields are checked above
  assert.equal(epochs.length, plan.planned_epochs);
  const stepsOf = (e: number) => m.filter((x) => x.kind === 'step' && x.epoch === e).length;
  assert.equal(stepsOf(epochs.length - 1), last, 'the last epoch ran the planned steps');
  for (let e = 0; e < epochs.length - 1; e++) assert.equal(stepsOf(e), 15);
  const used = (epochs.at(-1)!.time_s as number) / budgetS;
  assert.ok(used > 0.7 && used <= 1.05, `the epochs used ${(100 * used).toFixed(0)}% of the budget`);
});
