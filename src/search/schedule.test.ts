// Budget-aware schedule keys: arch_warmup freezes alpha for the first share of
// the planned steps (the weights train, the arch loss is not reported), then
// the bi-level steps move it; 0 leaves the paper's schedule unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRun } from './pipeline.js';
import { Progress } from './progress.js';
import { testFolder, tinyConfig } from './test-util.js';
import { parseOverride } from './config.js';
import { planCompare } from './compare.js';
import { basename } from 'node:path';

const quiet = new Progress({ quiet: true });
const t = testFolder('tanglenas-schedule-');
const steps = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((m) => m.kind === 'step');

test('arch_warmup 0.5 of 6 steps: alpha frozen through step 3 (no arch loss), moving after; 0 moves it from step 1', async () => {
  for (const warm of [0.5, 0]) {
    const dir = join(t.dir, `w${warm}`);
    const r = await startRun('search', tinyConfig('toy-cell/tanglenas', dir, { arch_warmup: warm, epochs: 2, steps_per_epoch: 3, log_every: 1 }), 'toy-cell/tanglenas', { progress: quiet });
    assert.equal(r.status, 'done');
    const s = steps(dir);
    assert.equal(s.length, 6);
    if (warm > 0) {
      assert.deepEqual(s[0].alpha, s[2].alpha, 'alpha frozen during the warm-up');
      assert.equal(s[2].arch_loss, null);
      assert.notDeepEqual(s[3].alpha, s[2].alpha, 'alpha moves after it');
      assert.equal(typeof s[3].arch_loss, 'number');
    } else {
      assert.notDeepEqual(s[0].alpha, s[1].alpha);
      assert.equal(typeof s[0].arch_loss, 'number');
    }
  }
  assert.throws(() => parseOverride('arch_warmup', '1', '--set arch_warmup=1'), /arch_warmup.*a number >= 0 and < 1/);
});

test('compare --budgets: every method x seed at each budget, named <method>-b<M>-seed<s>, small budgets first; bad budgets refused', () => {
  const plan = planCompare({ space: 'toy-cell', methods: ['tanglenas', 'spos-es'], seeds: [0, 1], budgetMinutes: 5, budgets: [5, 10], out: join(t.dir, 'grid'), sets: [] });
  assert.deepEqual(plan.map((p) => basename(p.dir)), ['tanglenas-b5-seed0', 'spos-es-b5-seed0', 'tanglenas-b10-seed0', 'spos-es-b10-seed0', 'tanglenas-b5-seed1', 'spos-es-b5-seed1', 'tanglenas-b10-seed1', 'spos-es-b10-seed1']);
  for (const p of plan) assert.equal(p.args[p.args.indexOf('--budget-minutes') + 1], /-b10-/.test(p.dir) ? '10' : '5');
  assert.throws(() => planCompare({ space: 'toy-cell', methods: ['tanglenas'], seeds: [0], budgetMinutes: 5, budgets: [0], out: join(t.dir, 'g2'), sets: [] }), /budget 0 must be a positive number/);
});

test('arch_update simultaneous: one backward per step moves alpha and the weights (arch loss = train loss); refused with second order', async () => {
  const dir = join(t.dir, 'simul');
  const r = await startRun('search', tinyConfig('toy-cell/tanglenas', dir, { arch_update: 'simultaneous', epochs: 1, steps_per_epoch: 3, log_every: 1 }), 'toy-cell/tanglenas', { progress: quiet });
  assert.equal(r.status, 'done');
  const s = steps(dir);
  assert.equal(s.length, 3);
  assert.notDeepEqual(s[0].alpha, s[2].alpha, 'alpha moves');
  for (const m of s) assert.equal(m.arch_loss, m.train_loss, 'alpha and weights share the batch and the loss');
  assert.throws(() => parseOverride('arch_update', 'both', '--set arch_update=both'), /one of "alternating", "simultaneous"/);
  assert.throws(() => tinyConfig('toy-cell/darts-v2', join(t.dir, 'simul2'), { arch_update: 'simultaneous' }), /arch_update: simultaneous .* second-order/);
});
