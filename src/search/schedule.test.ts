// Budget-aware schedule keys: arch_warmup freezes alpha for the first share of
// the planned steps (the weights train, the arch loss is not reported), then
// the bi-level steps move it; 0 leaves the paper's schedule unchanged. lr_fit
// scales every learning rate by sqrt(reference steps / planned steps) after epoch 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRun } from './pipeline.js';
import { Progress } from './progress.js';
import { testFolder, tinyConfig } from './test-util.js';
import { parseOverride } from './config.js';
import { lrAt } from './common.js';
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
  // The paper's protocol: two-stage runs at 2.5x the budget, named apart; single-stage runs unchanged.
  const paper = planCompare({ space: 'toy-cell', methods: ['tanglenas', 'spos-es'], seeds: [0], budgetMinutes: 4, out: join(t.dir, 'g3'), sets: [], twoStageFactor: 2.5 });
  assert.deepEqual(paper.map((p) => [basename(p.dir), p.args[p.args.indexOf('--budget-minutes') + 1]]), [['tanglenas-seed0', '4'], ['spos-es-x2.5-seed0', '10']]);
  assert.throws(() => planCompare({ space: 'toy-cell', methods: ['tanglenas'], seeds: [0], budgetMinutes: 5, out: join(t.dir, 'g4'), sets: [], twoStageFactor: 0.5 }), /two-stage budget factor 0.5 must be a number >= 1/);
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

test('lr_fit sqrt: epoch 0 at the preset rates, then lr and arch_lr x min(lr_fit_max, sqrt(reference / planned)); off leaves them', async () => {
  const records = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  for (const [fit, max] of [['sqrt', 10], ['sqrt', 1.5], ['off', 10]] as const) {
    const dir = join(t.dir, `fit-${fit}-${max}`);
    const c = tinyConfig('toy-cell/tanglenas', dir, { lr_fit: fit, lr_fit_max: max, epochs: 4, steps_per_epoch: 1, log_every: 1 });
    const r = await startRun('search', c, 'toy-cell/tanglenas', { progress: quiet });
    assert.equal(r.status, 'done');
    const all = records(dir);
    const s = all.filter((m) => (m.kind as unknown) === 'step');
    const fitRec = all.find((m) => (m.kind as unknown) === 'lr_fit');
    assert.equal(s[0].lr, lrAt(c, 0, 4));
    assert.equal(s[0].arch_lr, c.arch_lr);
    if (fit === 'off') {
      assert.equal(fitRec, undefined);
      assert.equal(s[1].lr, lrAt(c, 1, 4));
      assert.equal(s[3].arch_lr, c.arch_lr);
      continue;
    }
    // 24 weight images in batches of 8: the schedule's 4 epochs are 12 steps, the run plans 4.
    assert.equal(fitRec!.reference_steps, 12);
    assert.equal(fitRec!.planned_steps, 4);
    const scale = Math.min(max, Math.sqrt(3));
    assert.equal(fitRec!.lr_scale, scale);
    for (const e of [1, 2, 3]) {
      assert.ok(Math.abs(s[e].lr - lrAt(c, e, 4) * scale) < 1e-12, `epoch ${e} lr`);
      assert.ok(Math.abs(s[e].arch_lr - c.arch_lr * scale) < 1e-12, `epoch ${e} arch lr`);
    }
  }
  assert.throws(() => parseOverride('lr_fit_max', '0.5', '--set lr_fit_max=0.5'), /lr_fit_max.*>= 1/);
  assert.throws(() => parseOverride('lr_fit', 'linear', '--set lr_fit=linear'), /one of "off", "sqrt"/);
});

test('weight_init he: every supernet conv and linear ~ N(0, 2 / fan_in) with zero biases, BatchNorm untouched; torch keeps the default uniform', async () => {
  const { spaceOnDevice, endRunDevice } = await import('./lifecycle.js');
  const { isWeightLayer } = await import('../nas/entangled/layers.js');
  const { fanInAndFanOut } = await import('../nn/init.js');
  for (const init of ['he', 'torch'] as const) {
    const c = tinyConfig('toy-conv-macro/tanglenas', join(t.dir, `init-${init}`), { weight_init: init });
    const { space } = spaceOnDevice(c, { numClasses: 10 } as never);
    try {
      let layers = 0;
      for (const [name, m] of space.supernet.namedModules()) {
        if (!isWeightLayer(m)) continue;
        layers++;
        const { weight, bias } = m as unknown as { weight: import('../tensor/tensor.js').Tensor; bias: import('../tensor/tensor.js').Tensor | null };
        const [fanIn] = fanInAndFanOut(weight);
        const v = weight.dataSync() as Float32Array;
        const sd = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
        const max = v.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
        if (init === 'he') {
          if (v.length > 1000) assert.ok(Math.abs(sd / Math.sqrt(2 / fanIn) - 1) < 0.05, `${name}: sd ${sd}`);
          if (bias) assert.ok((bias.dataSync() as Float32Array).every((x) => x === 0), `${name}: zero bias`);
        } else {
          // PyTorch's default: U(-b, b), b = 1 / sqrt(fan_in).
          assert.ok(max <= 1 / Math.sqrt(fanIn) + 1e-7, `${name}: inside the default bound`);
        }
      }
      assert.equal(layers, 9, 'conv-macro: five convolutions and four linear layers');
    } finally {
      space.supernet.dispose();
      endRunDevice();
    }
  }
  assert.throws(() => parseOverride('weight_init', 'xavier', '--set weight_init=xavier'), /one of "torch", "he"/);
  assert.throws(() => tinyConfig('toy-cell/tanglenas', join(t.dir, 'sbn'), { sync_bn: true, precision: 'bf16' }), /sync_bn .* bf16/);
});
