// The AutoFormer recipe's keys in a run: batch augmentations of the weight
// batches (RandAugment, random erasing, mixup / cutmix, label smoothing) run in
// a search, train on the mixed labels and resume bit-identically; the warm-up
// of the learning rate; configs that cannot apply are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resumeRun, startRun } from './pipeline.js';
import { Progress } from './progress.js';
import { testFolder, tinyConfig } from './test-util.js';
import { checkFullConfig } from './config.js';
import { resolveConfig } from './presets.js';
import { lrAt } from './common.js';

const quiet = new Progress({ quiet: true });
const t = testFolder('tanglenas-augment-');
const steps = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((m) => m.kind === 'step');

const RECIPE = { randaugment: 2, randaugment_magnitude: 9, randaugment_mstd: 0.5, random_erase: 0.25, mixup: 0.8, cutmix: 1, label_smoothing: 0.1, lr_schedule: 'constant', log_every: 1 } as const;

test('batch augmentations in a search: losses differ from the plain run, and a run stopped by its budget resumes bit-identically', async () => {
  const full = join(t.dir, 'full');
  const r = await startRun('search', tinyConfig('toy-cell/tanglenas', full, { ...RECIPE, epochs: 2 }), 'toy-cell/tanglenas', { progress: quiet });
  assert.equal(r.status, 'done');
  const plain = join(t.dir, 'plain');
  await startRun('search', tinyConfig('toy-cell/tanglenas', plain, { lr_schedule: 'constant', log_every: 1, epochs: 2 }), 'toy-cell/tanglenas', { progress: quiet });
  assert.notEqual(steps(full)[0].train_loss, steps(plain)[0].train_loss, 'the augmentations change the first batch');
  const cut = join(t.dir, 'cut');
  const stopped = await startRun('search', tinyConfig('toy-cell/tanglenas', cut, { ...RECIPE, epochs: 2, budget_minutes: 1e-5 }), 'toy-cell/tanglenas', { progress: quiet });
  assert.equal(stopped.status, 'stopped');
  await resumeRun(cut, { budget_minutes: 0 }, { progress: quiet });
  const [a, b] = [steps(full), steps(cut)];
  assert.equal(b.length, a.length);
  assert.deepEqual(b.at(-1)!.alpha, a.at(-1)!.alpha);
  assert.equal(b.at(-1)!.train_loss, a.at(-1)!.train_loss);
});

test('warmup_epochs: linear from 1e-6 to lr, then the cosine of the whole run; refused when it spans the run', () => {
  const { config: c } = resolveConfig({ defaultPreset: 'toy-cell/tanglenas', preset: 'toy-cell/tanglenas', overrides: { warmup_epochs: 4, lr: 0.1, lr_min: 0, epochs: 10 } });
  assert.equal(lrAt(c, 0, 10), 1e-6);
  assert.ok(Math.abs(lrAt(c, 2, 10) - (1e-6 + (0.1 - 1e-6) / 2)) < 1e-12);
  assert.ok(Math.abs(lrAt(c, 5, 10) - 0.05 * (1 + Math.cos((Math.PI * 5) / 10))) < 1e-12);
  assert.throws(() => checkFullConfig({ ...c, warmup_epochs: 10, epochs: 10 }, 'in the test'), /warmup_epochs \(10\) must be below epochs \(10\)/);
});

test('image augmentations on a language model are refused, naming the key', () => {
  const { config: c } = resolveConfig({ defaultPreset: 'lm-tiny/tanglenas', preset: 'lm-tiny/tanglenas' });
  for (const [k, v] of [['mixup', 0.8], ['randaugment', 2], ['label_smoothing', 0.1]] as const) {
    assert.throws(() => checkFullConfig({ ...c, [k]: v }, 'in the test'), new RegExp(`${k} applies to image classification`));
  }
});
