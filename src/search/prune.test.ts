// prune_below in a search: options leave at epoch ends after the arch warm-up,
// the metrics say which, the result is live, a crash and resume with options
// pruned ends bit-identical to the uninterrupted run; methods it would change
// are refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type PartialConfig } from './config.js';
import { resumeRun, startRun } from './pipeline.js';
import { Progress } from './progress.js';
import { RunDir } from './rundir.js';
import { assertSameRun, CrashAt, testFolder, tinyConfig } from './test-util.js';

const quiet = new Progress({ quiet: true });
const tmp = testFolder('tanglenas-prune-');
const search = (name: string, o: PartialConfig = {}) =>
  tinyConfig('toy-cell/tanglenas', join(tmp.dir, name), { benchmark_dir: tmp.bench, epochs: 3, steps_per_epoch: 4, checkpoint_every_steps: 1, prune_below: 0.95, ...o });

test('prune_below: options pruned at epoch ends, the result live, crash + resume bit-identical to the uninterrupted run', async () => {
  const a = (await startRun('search', search('A'), 'toy-cell/tanglenas', { progress: quiet })).dir;
  const epochs = new RunDir(a).readMetrics().filter((m) => m.kind === 'epoch');
  assert.equal(epochs.length, 3);
  const live = epochs.map((m) => m.live_options as number);
  const gone = epochs.flatMap((m) => m.pruned as string[]);
  assert.ok(gone.length > 0, 'prune_below 0.95 prunes some option of 24 after 4 arch steps at lr 0.03');
  assert.equal(live[live.length - 1], 24 - gone.length);
  for (let i = 1; i < live.length; i++) assert.ok(live[i] <= live[i - 1]);
  const arch = JSON.parse(readFileSync(join(a, 'architecture.json'), 'utf8')) as { architecture: Record<string, string> };
  for (const [k, v] of Object.entries(arch.architecture)) assert.ok(!gone.includes(`${k}=${v}`), `the result's ${k}=${v} was pruned`);
  // Crash in epoch 2 (after epoch 1's pruning), resume from its checkpoint.
  const b = join(tmp.dir, 'B');
  await assert.rejects(startRun('search', search('B'), 'toy-cell/tanglenas', { progress: new CrashAt(6) }), /simulated crash after step 6/);
  assert.equal((await resumeRun(b, {}, { progress: quiet })).status, 'done');
  assertSameRun(b, a);
});

test('prune_below is refused, by name and with the fix, where it would change the method', () => {
  const refused = (preset: string, o: PartialConfig, re: RegExp) =>
    assert.throws(() => tinyConfig(preset, join(tmp.dir, 'x'), { prune_below: 0.5, ...o }), (e: Error) => e instanceof ConfigError && re.test(e.message), preset);
  refused('toy-cell/darts', {}, /prune_below does not apply to method 'darts': sparsemax .* set arch_preprocess: softmax/);
  refused('toy-cell/gdas', {}, /prune_below does not apply to method 'gdas': it is not one of 'darts', 'drnas'.*set prune_below: 0/);
  refused('toy-cell/spos-es', {}, /prune_below does not apply to method 'spos'/);
  refused('toy-cell/tanglenas', { pareto: true }, /prune_below and pareto: true do not combine/);
  assert.equal(tinyConfig('toy-cell/darts', join(tmp.dir, 'x'), { prune_below: 0.5, arch_preprocess: 'softmax' }).prune_below, 0.5);
});
