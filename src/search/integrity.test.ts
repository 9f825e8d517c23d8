// Runs that cannot be corrupted (issue 11), in process: a damaged newest
// checkpoint is skipped for the one before and the run still ends
// bit-identical to an uninterrupted one; a step that leaves a NaN or an
// infinity stops the run by name before that state is saved. (The lock, the
// file-system and command-line findings: test/e2e-integrity.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFile, saveFile } from '../nn/safetensors.js';
import { tidy } from '../tensor/index.js';
import type { PartialConfig } from './config.js';
import { resumeRun, startRun } from './pipeline.js';
import { Progress } from './progress.js';
import { RunDir } from './rundir.js';
import { assertSameRun, CrashAt, testFolder, tinyConfig } from './test-util.js';

const quiet = new Progress({ quiet: true });
const tmp = testFolder('tanglenas-integrity-');

/** A progress that keeps the log lines (warnings included). */
function recorder(): { progress: Progress; text: () => string } {
  const lines: string[] = [];
  return { progress: new Progress({ tty: false, write: (s) => lines.push(s) }), text: () => lines.join('') };
}

const search = (name: string, o: PartialConfig = {}) => tinyConfig('toy-cell/tanglenas', join(tmp.dir, name), { benchmark_dir: tmp.bench, epochs: 2, steps_per_epoch: 4, log_every: 1, checkpoint_every_steps: 1, ...o });

/** 4 KB of (seeded) random bytes written into the middle of a file, as a disk error would. */
function damage(file: string): void {
  const bytes = readFileSync(file);
  let x = 12345;
  const junk = Buffer.from(Uint8Array.from({ length: 4096 }, () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x >>> 24)));
  junk.copy(bytes, Math.floor(bytes.length / 2));
  writeFileSync(file, bytes);
}

/** Every checkpoint file of a run holds finite floating-point tensors. */
function assertFiniteCheckpoints(dir: string): void {
  for (const name of ['last', 'next', 'prev']) {
    const f = join(dir, 'checkpoints', `${name}.safetensors`);
    if (!existsSync(f)) continue;
    tidy(() => {
      for (const [k, t] of loadFile(f).tensors) {
        if (t.dtype.startsWith('float')) assert.equal(t.isfinite().all().item(), 1, `${name}: '${k}' is not finite`);
      }
    });
  }
}

let uninterrupted = '';

test('finding 2: 4 KB of random bytes in checkpoints/last: skipped with a warning naming it (checksum), resumed from prev, bit-identical to an uninterrupted run', async () => {
  uninterrupted = (await startRun('search', search('A'), 'toy-cell/tanglenas', { progress: quiet })).dir;
  const b = join(tmp.dir, 'B');
  await assert.rejects(startRun('search', search('B'), 'toy-cell/tanglenas', { progress: new CrashAt(6) }), /simulated crash after step 6/);
  assert.ok(existsSync(join(b, 'checkpoints', 'prev.safetensors')));
  damage(join(b, 'checkpoints', 'last.safetensors'));
  const log = recorder();
  const r = await resumeRun(b, {}, { progress: log.progress });
  assert.equal(r.status, 'done');
  assert.match(log.text(), /warning: skipped a damaged checkpoint: .*\/B\/checkpoints\/last\.safetensors: safetensors: .*checksum mismatch/);
  assert.match(log.text(), /resuming from .*\/B\/checkpoints\/prev\.safetensors\n/);
  assertSameRun(b, uninterrupted);
});

test('finding 2/3: a checkpoint of an older version holding inf (no checksum) is skipped by name for the one before; the run still matches', async () => {
  assert.ok(uninterrupted, 'needs the uninterrupted run of the test above');
  const c = join(tmp.dir, 'C');
  await assert.rejects(startRun('search', search('C'), 'toy-cell/tanglenas', { progress: new CrashAt(5) }), /simulated crash/);
  const last = join(c, 'checkpoints', 'last.safetensors');
  tidy(() => {
    const { tensors, metadata } = loadFile(last);
    const name = [...tensors.keys()].find((k) => k.endsWith('running_var'))!;
    tensors.get(name)!.fill_(Infinity);
    const { 'tanglenas.sha256': _sum, ...old } = metadata;
    saveFile(last, tensors, old); // as written before checksums and finiteness checks
  });
  const log = recorder();
  await resumeRun(c, {}, { progress: log.progress });
  assert.match(log.text(), /warning: skipped a damaged checkpoint: .*last\.safetensors: tensor 'supernet\..*running_var' holds \d+ inf values \(of \d+\); it was saved before checkpoints were checked/);
  assert.match(log.text(), /resuming from .*prev\.safetensors\n/);
  assertSameRun(c, uninterrupted);
});

test('finding 3: lr 1e12 stops at the first non-finite value (loss, gradient norm or BatchNorm statistic) by name and step; no checkpoint holds it', async () => {
  const cfg = search('lr', { lr: 1e12, epochs: 3 });
  const err = await startRun('search', cfg, 'toy-cell/tanglenas', { progress: quiet }).then(() => null, (e: Error) => e);
  assertFiniteCheckpoints(cfg.run_dir!);
  assert.ok(err, 'the run must stop');
  assert.throws(() => { throw err; }, (e: Error) => {
    assert.match(e.message, /^(the training loss is (NaN|-?Infinity)|the gradient norm is (NaN|Infinity)|BatchNorm statistic '.*running_(mean|var)' holds \d+ (NaN|inf|NaN or inf) values? \(of \d+\)|tensor '.*' holds .*) (after the weight step of epoch \d+, step \d+ \(global step \d+\)|in the checkpoint after global step \d+); the run stopped without saving this state \((its newest checkpoint is of global step \d+|the run has no checkpoint yet)\)\. Lower lr \(now 1000000000000\) and start a new run$/);
    return true;
  });
  const st = new RunDir(cfg.run_dir!).status()!;
  assert.equal(st.status, 'failed');
  assert.match(st.message!, /the run stopped without saving this state/);
});

test('finding 3: arch_lr 1e12 stops at the architecture step naming alpha (not an index error later); a train run at lr 1e12 too', async () => {
  const cfg = search('arch-lr', { arch_lr: 1e12 });
  const err = await startRun('search', cfg, 'toy-cell/tanglenas', { progress: quiet }).then(() => null, (e: Error) => e);
  assertFiniteCheckpoints(cfg.run_dir!);
  assert.throws(() => { throw err ?? new Error('the run did not stop'); }, /: (alpha '\w+' holds \d+ (NaN|inf|NaN or inf) values? \(of \d+\)|the architecture loss is NaN) after the architecture step of epoch 1, step \d+ \(global step \d+\); the run stopped without saving this state .*Lower arch_lr \(now 1000000000000\) and start a new run$/);
  assert.ok(uninterrupted, 'needs the architecture of the first test');
  const train = tinyConfig('toy-cell/retrain', join(tmp.dir, 'train-lr'), { arch: join(uninterrupted, 'architecture.json'), lr: 1e12, epochs: 2, steps_per_epoch: 4, checkpoint_every_steps: 1, benchmark_dir: tmp.bench });
  const trainErr = await startRun('train', train, 'toy-cell/retrain', { progress: quiet }).then(() => null, (e: Error) => e);
  assertFiniteCheckpoints(train.run_dir!);
  assert.throws(() => { throw trainErr ?? new Error('the run did not stop'); }, /after the weight step of epoch \d+, step \d+ \(global step \d+\); the run stopped without saving this state .*Lower lr \(now 1000000000000\)/);
});

// The state constraints and Pareto searches add (multipliers; the preference hypernetwork) survives a crash.
for (const [name, extra] of [
  ['constrained', { constraints: ['params <= 185k'], constraint_lr: 5 }],
  ['pareto', { pareto: true, pareto_points: 5 }],
] as const) {
  test(`a ${name} search killed after step 5 and resumed is bit-identical to an uninterrupted one`, async () => {
    const full = (await startRun('search', search(`${name}-A`, extra), 'toy-cell/tanglenas', { progress: quiet })).dir;
    const b = join(tmp.dir, `${name}-B`);
    await assert.rejects(startRun('search', search(`${name}-B`, extra), 'toy-cell/tanglenas', { progress: new CrashAt(5) }), /simulated crash after step 5/);
    const r = await resumeRun(b, {}, { progress: quiet });
    assert.equal(r.status, 'done');
    assertSameRun(b, full);
    if (name === 'pareto') assert.deepEqual(JSON.parse(readFileSync(join(b, 'pareto.json'), 'utf8')), JSON.parse(readFileSync(join(full, 'pareto.json'), 'utf8')));
  });
}
