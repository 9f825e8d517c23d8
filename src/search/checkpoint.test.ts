// Checkpoint files, run directories, the comparison plan and the progress
// output: the parts of a run that are not training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Linear } from '../nn/linear.js';
import { SGD } from '../nn/optim/sgd.js';
import { NonFiniteError } from '../nn/finite.js';
import { manualSeed, noGrad, rand, tensor, tidy } from '../tensor/index.js';
import { CheckpointBuilder, loadCheckpoint, restoreModule, restoreOptimizer, restoreRng } from './checkpoint.js';
import { planCompare } from './compare.js';
import { Progress } from './progress.js';
import { RunDir, writeJsonAtomic } from './rundir.js';
import { tempDir, testFolder } from './test-util.js';

const folder = testFolder('tanglenas-checkpoint-test-', []);

function trainOnce(net: Linear, opt: SGD): void {
  tidy(() => {
    const x = rand([4, 3]);
    opt.zeroGrad();
    net.forward(x).square().sum().backward();
    opt.step();
  });
}

test('checkpoints: one file restores weights, optimizer buffers and the RNG; a damaged newest file falls back to the previous one', () => {
  const t = tempDir();
  try {
    manualSeed(1);
    const net = new Linear(3, 2);
    const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
    trainOnce(net, opt);
    new CheckpointBuilder().module('model', net).optimizer('weights', opt).rng().set('loop', { step: 1 }).save(t.dir);
    trainOnce(net, opt);
    new CheckpointBuilder().module('model', net).optimizer('weights', opt).rng().set('loop', { step: 2 }).save(t.dir);
    const expected = noGrad(() => net.weight.toArray());
    const nextDraw = tidy(() => rand([3]).toArray());
    assert.ok(existsSync(join(t.dir, 'prev.safetensors')));
    assert.deepEqual(JSON.parse(readFileSync(join(t.dir, 'last.json'), 'utf8')).loop, { step: 2 });

    const net2 = new Linear(3, 2);
    const opt2 = new SGD(net2.parameters(), { lr: 0.1, momentum: 0.9 });
    const ck = loadCheckpoint(t.dir)!;
    restoreModule(ck, 'model', net2);
    restoreOptimizer(ck, 'weights', opt2);
    restoreRng(ck);
    ck.dispose();
    assert.deepEqual(noGrad(() => net2.weight.toArray()), expected);
    assert.deepEqual(tidy(() => rand([3]).toArray()), nextDraw);
    assert.ok(opt2.getState(net2.weight)?.buffers.has('momentum_buffer'));

    // A torn or foreign newest file: the previous checkpoint, with a note.
    writeFileSync(join(t.dir, 'last.safetensors'), 'garbage');
    const fallback = loadCheckpoint(t.dir)!;
    assert.deepEqual(fallback.state.loop, { step: 1 });
    assert.match(fallback.skipped[0], /last.safetensors: /);
    fallback.dispose();
    // Killed between the two renames: `next` is complete and newest.
    renameSync(join(t.dir, 'prev.safetensors'), join(t.dir, 'next.safetensors'));
    assert.deepEqual(loadCheckpoint(t.dir)!.state.loop, { step: 1 });
    writeFileSync(join(t.dir, 'next.safetensors'), 'x');
    assert.throws(() => loadCheckpoint(t.dir), /no readable checkpoint in '.*':\n {2}.*last.safetensors: .*\n {2}.*next.safetensors: .*\nthe run cannot continue from it/);
    // A checkpoint of another model is refused by name.
    new CheckpointBuilder().module('model', new Linear(5, 2)).save(t.dir);
    const other = loadCheckpoint(t.dir)!;
    assert.throws(() => restoreModule(other, 'model', net2), /does not fit this model .*weight.* has shape \[2, 5\] but the module expects \[2, 3\]/);
    assert.throws(() => restoreOptimizer(other, 'weights', opt2), /has no state for optimizer 'weights'/);
    other.dispose();
    // A state with a NaN or an infinity is never written.
    const before = readFileSync(join(t.dir, 'last.safetensors'));
    tidy(() => assert.throws(() => new CheckpointBuilder().tensor('w', tensor([1, NaN])).save(t.dir), (e: unknown) => e instanceof NonFiniteError && e.stage === 'checkpoint' && e.message === "tensor 'w' holds 1 NaN value (of 2)"));
    assert.ok(readFileSync(join(t.dir, 'last.safetensors')).equals(before));
    // Buffers other than BatchNorm statistics (a mask) may hold -inf: saved and loaded.
    class Masked extends Linear {
      readonly mask = this.buffer('mask', tensor([0, -Infinity]));
    }
    const masked = new Masked(3, 2);
    new CheckpointBuilder().module('model', masked).save(t.dir);
    const withMask = loadCheckpoint(t.dir)!;
    assert.deepEqual(withMask.tensors.get('model.mask')!.toArray(), [0, -Infinity]);
    assert.deepEqual(withMask.skipped, []);
    withMask.dispose();
    masked.dispose();
    assert.equal(loadCheckpoint(join(t.dir, 'empty-dir-that-is-missing')), null);
  } finally {
    t.cleanup();
  }
});

test('run directories: never reused by a new run; one writer at a time; leftovers of killed writes removed on resume; metrics cut back', () => {
  const t = tempDir();
  try {
    const run = new RunDir(join(t.dir, 'r'));
    assert.equal(run.create('search'), null);
    writeJsonAtomic(run.configPath, {});
    // Locked by this process until unlock().
    assert.throws(() => new RunDir(join(t.dir, 'r')).lock('search'), /run directory '.*r' is in use by pid \d+ on host .* \(this process\)/);
    run.unlock();
    assert.ok(!existsSync(run.lockPath));
    assert.throws(() => new RunDir(join(t.dir, 'r')).create(), /already holds a run; continue it with --resume/);
    assert.ok(!existsSync(run.lockPath), 'a refused create leaves no lock behind');
    assert.throws(() => new RunDir(join(t.dir, 'nope')).open(), /run directory '.*nope' does not exist; check the path/);
    mkdirSync(join(t.dir, 'plain'));
    assert.throws(() => new RunDir(join(t.dir, 'plain')).open(), /is not a run directory \(no config.json\)/);
    run.metric({ a: 1 });
    const bytes = run.metricsBytes();
    run.metric({ a: 2 });
    writeFileSync(join(run.checkpointDir, '.last.safetensors.1.2.tmp'), 'partial');
    run.open(); // reading only
    assert.ok(existsSync(join(run.checkpointDir, '.last.safetensors.1.2.tmp')));
    run.lock('search');
    run.prepare();
    assert.ok(!existsSync(join(run.checkpointDir, '.last.safetensors.1.2.tmp')));
    run.truncateMetrics(bytes);
    assert.deepEqual(run.readMetrics(), [{ a: 1 }]);
    run.unlock();
  } finally {
    t.cleanup();
  }
});

test('run lock: a dead holder\'s lock is taken over with a note, a live or foreign one refused by pid and host; status tells interrupted from running', () => {
  const run = new RunDir(join(folder.dir, 'locked'));
  run.create('search');
  writeJsonAtomic(run.configPath, {});
  run.setStatus({ command: 'search', status: 'running', phase: 'search' });
  assert.equal(run.status()!.host, hostname());
  assert.equal(run.state(), 'running');
  run.checkLock();
  // Someone else's lock while this one runs: the writer stops before writing more.
  const mine = readFileSync(run.lockPath, 'utf8');
  writeFileSync(run.lockPath, JSON.stringify({ pid: 1, host: 'elsewhere', command: 'search', since: 'then' }));
  assert.throws(() => run.checkLock(), /the lock '.*run\.lock' of this run was taken by pid 1 on host elsewhere/);
  assert.throws(() => new RunDir(run.dir).lock('search'), /is locked by pid 1 on host elsewhere \('tanglenas search', since then\), another host \(this is .*\); if that process no longer runs, delete '.*run\.lock'/);
  writeFileSync(run.lockPath, mine);
  run.unlock();
  assert.ok(!existsSync(run.lockPath));
  // Killed: status says running, its lock names a process that is gone.
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  writeFileSync(run.lockPath, JSON.stringify({ pid: dead, host: hostname(), command: 'search', since: 'then' }));
  assert.equal(run.state(), 'interrupted');
  const other = new RunDir(run.dir);
  assert.match(other.lock('search')!, new RegExp(`^took over the lock of pid ${dead} on host .*, which no longer runs$`));
  assert.equal(run.state(), 'running');
  assert.match(readFileSync(run.lockPath, 'utf8'), new RegExp(`"pid": ${process.pid}`));
  other.unlock();
  // A reused pid (alive, but started at another time) is no holder.
  if (existsSync('/proc/self/stat')) {
    writeFileSync(run.lockPath, JSON.stringify({ pid: process.pid, host: hostname(), command: 'search', since: 'then', start: '1' }));
    assert.match(other.lock('search')!, /took over the lock of pid \d+/);
    other.unlock();
  }
  // A damaged lock file: refused while it may be fresh, replaced when old.
  writeFileSync(run.lockPath, 'garbage');
  assert.throws(() => other.lock('search'), /has an unreadable lock file '.*run\.lock' written \d+ s ago; if no tanglenas process writes this run, delete the file/);
  utimesSync(run.lockPath, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
  assert.match(other.lock('search')!, /replaced the unreadable lock file/);
  other.unlock();
  // Without a lock (a run of an older version): the pid in status.json.
  writeJsonAtomic(run.statusPath, { command: 'search', status: 'running', phase: 'x', updated: 'then', pid: dead });
  assert.equal(run.state(), 'interrupted');
  writeJsonAtomic(run.statusPath, { command: 'search', status: 'stopped', phase: 'x', updated: 'then', pid: dead });
  assert.equal(run.state(), 'stopped');
});

test('compare: plan starts, resumes or skips each method x seed (the table: report/compare.test.ts)', () => {
  const t = tempDir();
  try {
    const out = join(t.dir, 'cmp');
    const mk = (name: string, status: string, acc: number | null, budget = 1) => {
      const d = join(out, name);
      mkdirSync(d, { recursive: true });
      writeJsonAtomic(join(d, 'config.json'), { budget_minutes: budget });
      writeJsonAtomic(join(d, 'status.json'), { status });
      if (acc !== null) writeJsonAtomic(join(d, 'architecture.json'), { architecture: { a: 1 }, benchmark: { testAcc: acc }, inherited_test_acc: 0.5, time_s: 60, epochs: 3 });
    };
    mk('tanglenas-seed0', 'done', 91);
    mk('tanglenas-seed1', 'done', 90);
    mk('spos-es-seed0', 'stopped', 89.5);
    mk('spos-es-seed1', 'running', null);
    const plan = planCompare({ space: 'toy-cell', methods: ['tanglenas', 'spos-es'], seeds: [0, 1, 2], budgetMinutes: 1, out, sets: ['threads=1'] });
    assert.deepEqual(plan.map((p) => `${p.method}/${p.seed}:${p.action}`), ['tanglenas/0:done', 'spos-es/0:done', 'tanglenas/1:done', 'spos-es/1:resume', 'tanglenas/2:start', 'spos-es/2:start']);
    assert.deepEqual(plan[4].args.slice(0, 3), ['search', '--preset', 'toy-cell/tanglenas']);
    assert.ok(plan[4].args.includes('budget_fit=true') && plan[4].args.includes('threads=1'));
    assert.deepEqual(plan[3].args.slice(0, 3), ['two-stage', '--resume', join(out, 'spos-es-seed1')]);
    // --retrain-minutes: each search is followed by training its architecture from scratch.
    const rp = planCompare({ space: 'toy-cell', methods: ['tanglenas'], seeds: [0, 2], budgetMinutes: 1, out, sets: ['threads=1'], retrainMinutes: 0.5 });
    assert.deepEqual(rp.map((p) => `${p.kind}/${p.seed}:${p.action}`), ['search/0:done', 'retrain/0:start', 'search/2:start', 'retrain/2:start']);
    assert.deepEqual(rp[1].args.slice(0, 5), ['train', '--preset', 'toy-cell/retrain', '--from', join(out, 'tanglenas-seed0')]);
    assert.equal(rp[1].dir, join(out, 'tanglenas-seed0-retrain'));
    assert.ok(rp[1].args.includes('threads=1') && rp[1].args.includes('0.5'));
    // --train-portions: a third axis, named in the run folders.
    const tp = planCompare({ space: 'toy-cell', methods: ['tanglenas'], seeds: [3], budgetMinutes: 1, out, sets: [], trainPortions: [0.5, 0.8] });
    assert.deepEqual(tp.map((p) => p.dir), [join(out, 'tanglenas-tp0.5-seed3'), join(out, 'tanglenas-tp0.8-seed3')]);
    assert.ok(tp[1].args.join(' ').includes('--set train_portion=0.8'));
    assert.throws(() => planCompare({ space: 'toy-cell', methods: ['tanglenas'], seeds: [0], budgetMinutes: 1, out, sets: [], trainPortions: [1.5] }), /train portion 1.5 must be in \(0, 1\]/);
    // A larger budget continues a run the smaller one stopped.
    assert.equal(planCompare({ space: 'toy-cell', methods: ['spos-es'], seeds: [0], budgetMinutes: 2, out, sets: [] })[0].action, 'resume');
    assert.throws(() => planCompare({ space: 'toy-cell', methods: ['retrain'], seeds: [0], budgetMinutes: 1, out, sets: [] }), /'retrain' is not a search preset of toy-cell/);
  } finally {
    t.cleanup();
  }
});

test('progress: a redrawn status line with bar and ETA on a terminal, log lines otherwise, nothing when quiet', () => {
  const out: string[] = [];
  const status: string[] = [];
  const tty = new Progress({ tty: true, write: (s) => out.push(s), writeStatus: (s) => status.push(s) });
  tty.update({ phase: 'search 1/4', done: 10, total: 40, rate: 2, fields: { loss: 1.2345, 'arch loss': null }, genotype: 'sep3,dil5' });
  assert.match(status[0], /^\r\x1b\[Ksearch 1\/4 \[######\.{18}\]  25% ETA 1m00s {2}loss 1\.234 {2}sep3,dil5$/);
  tty.log('epoch 1');
  assert.deepEqual(out, ['epoch 1\n']);
  assert.equal(status[1], '\r\x1b[K'); // the status line is cleared before a log line
  const plain: string[] = [];
  const p = new Progress({ tty: false, write: (s) => plain.push(s), writeStatus: (s) => plain.push(`STATUS ${s}`) });
  p.update({ phase: 'x', done: 1, total: 2 });
  p.log('line');
  assert.deepEqual(plain, ['line\n']);
  const q: string[] = [];
  const quiet = new Progress({ quiet: true, tty: true, write: (s) => q.push(s), writeStatus: (s) => q.push(s) });
  quiet.update({ phase: 'x', done: 1, total: 2 });
  quiet.log('line');
  assert.deepEqual(q, []);
});
