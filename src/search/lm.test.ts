// Language-model runs end to end on synthetic text, in process: a TangleNAS
// search on lm-tiny (alpha of all four choice kinds trained, loss recorded),
// SPOS + ES scored by validation loss, retraining the found architecture,
// resume equivalence after a budget stop, generation, and the text loader.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TextLoader } from '../data/text-loader.js';
import { createSpace } from '../spaces/index.js';
import { generateFromRun } from './generate.js';
import { resumeRun, startRun } from './pipeline.js';
import { Progress } from './progress.js';
import { RunDir } from './rundir.js';
import { tempDir, tinyConfig } from './test-util.js';
import type { PartialConfig } from './config.js';

const quiet = new Progress({ quiet: true });
let tmp: { dir: string; cleanup: () => void };
before(() => (tmp = tempDir('tanglenas-lm-test-')));
after(() => tmp.cleanup());

const LM: PartialConfig = { synthetic_train: 6000, synthetic_test: 1000, batch_size: 4, eval_batch_size: 8, eval_samples: 16, fitness_samples: 16, block_size: 16 };

test('TextLoader: random windows are x shifted by one; sequential windows cover the split in order; state resumes', () => {
  const tokens = Int32Array.from({ length: 100 }, (_, i) => i);
  const r = new TextLoader(tokens, { blockSize: 8, batchSize: 3, mode: 'random', seed: 5 });
  assert.equal(r.batchesPerEpoch, Math.ceil(Math.ceil(100 / 8) / 3));
  const b = r.next();
  const x = b.x.toArray().map(Number), y = b.y.toArray().map(Number);
  assert.deepEqual(b.x.shape, [3, 8]);
  for (let i = 0; i < x.length; i++) assert.equal(y[i], x[i] + 1);
  const st = r.state();
  const next = r.next().x.toArray().map(Number);
  const r2 = new TextLoader(tokens, { blockSize: 8, batchSize: 3, mode: 'random', seed: 5 });
  r2.restore(st);
  assert.deepEqual(r2.next().x.toArray().map(Number), next);
  const s = new TextLoader(tokens, { blockSize: 10, batchSize: 4, mode: 'sequential', limit: 6 });
  const batches = [...s.epochBatches()];
  assert.deepEqual(batches.map((q) => q.size), [4, 2]);
  assert.deepEqual(batches[1].x.toArray().map(Number).slice(0, 3), [40, 41, 42]);
  assert.equal(batches[1].last, true);
  assert.throws(() => new TextLoader(tokens.subarray(0, 8), { blockSize: 8, batchSize: 1, mode: 'random', name: 'tiny split' }), /tiny split: it has 8 tokens, but block size 8 needs at least 9/);
});

test('lm-tiny TangleNAS search: alpha of embed, heads, MLP ratio and depth trained; loss and perplexity recorded', async () => {
  const r = await startRun('search', tinyConfig('lm-tiny/tanglenas', join(tmp.dir, 'search'), LM), 'lm-tiny/tanglenas', { progress: quiet });
  assert.equal(r.status, 'done');
  const a = r.result as Record<string, any>;
  assert.deepEqual(Object.keys(a.architecture).sort(), ['embed_dim', 'mlp_ratio_1', 'mlp_ratio_2', 'num_heads_1', 'num_heads_2', 'num_layers']);
  assert.equal(a.benchmark, null);
  // Character-level loss starts near ln(vocab); a number, not NaN.
  assert.ok(a.inherited_test_loss > 0.5 && a.inherited_test_loss < 5, `test loss ${a.inherited_test_loss}`);
  for (const v of Object.values(a.alpha as Record<string, number[]>)) assert.ok(v.some((x) => Math.abs(x) > 5e-3), 'an alpha did not move');
  // space.json names the options of every choice (the metrics hold alpha as arrays).
  const sp = JSON.parse(readFileSync(join(r.dir, 'space.json'), 'utf8'));
  assert.deepEqual(sp.choices.embed_dim, [16, 32]);
  assert.deepEqual(sp.choices.num_layers, [1, 2]);
  const epochs = new RunDir(r.dir).readMetrics().filter((m) => m.kind === 'epoch');
  assert.equal(epochs.length, 2);
  assert.ok(typeof epochs[1].valid_loss === 'number' && Object.keys(epochs[1].alpha as object).length === 6);
});

test('lm-tiny SPOS + ES: fitness is minus the validation loss; retrain and generate from the result', async () => {
  const r = await startRun('two-stage', tinyConfig('lm-tiny/spos-es', join(tmp.dir, 'es'), { ...LM, population: 4, mutation: 2, crossover: 2, select: 2 }), 'lm-tiny/spos-es', { progress: quiet });
  const a = r.result as Record<string, any>;
  assert.ok(a.supernet_valid_loss > 0 && a.supernet_valid_acc === undefined);
  assert.ok(a.top.every((t: { fitness: number }) => t.fitness < 0), 'fitness is -loss');
  assert.ok(a.top[0].fitness >= a.top[a.top.length - 1].fitness);
  // Every scored candidate is keyed canonically: a depth-1 network with any layer-2 genes is one key.
  const space = createSpace('lm-tiny', { blockSize: LM.block_size as number });
  const visited = Object.keys((JSON.parse(readFileSync(join(r.dir, 'checkpoints', 'black-box.json'), 'utf8')) as { visited: Record<string, unknown> }).visited);
  assert.ok(visited.length >= 4);
  for (const k of visited) assert.equal(space.encode(space.canonical(space.decode(k))), k);
  space.supernet.dispose();
  const t = await startRun('train', tinyConfig('lm-tiny/retrain', join(tmp.dir, 'retrain'), { ...LM, arch: r.dir }), 'lm-tiny/retrain', { progress: quiet });
  const res = t.result as Record<string, any>;
  assert.ok(res.test_loss > 0 && res.params > 1000);
  // Exact cost of the architecture (per token) and its inference speed are recorded.
  assert.equal(res.params, a.params, 'the retrained network is the searched architecture');
  assert.ok(res.flops > 0 && res.inference_ms_per_token > 0);
  assert.ok(existsSync(join(t.dir, 'model.safetensors')));
  const g1 = await generateFromRun(t.dir, { prompt: 'the ', tokens: 30, seed: 3 });
  const g2 = await generateFromRun(t.dir, { prompt: 'the ', tokens: 30, seed: 3 });
  assert.equal(g1.source, 'model');
  assert.equal(g1.text.length, 30);
  assert.equal(g1.text, g2.text, 'same seed, same text');
  const gs = await generateFromRun(r.dir, { prompt: 'the', tokens: 5 });
  assert.equal(gs.source, 'supernet');
  await assert.rejects(generateFromRun(t.dir, { prompt: 'Q' }), /cannot be encoded with this run's vocabulary: .*"Q"/);
});

test('lm-tiny search stopped by its budget and resumed ends with the alpha of an uninterrupted run', async () => {
  const o = { ...LM, epochs: 3, steps_per_epoch: 2, checkpoint_every_steps: 1 };
  const full = await startRun('search', tinyConfig('lm-tiny/tanglenas', join(tmp.dir, 'full'), o), 'lm-tiny/tanglenas', { progress: quiet });
  // A budget of ~0: stops after the first step's checkpoint; then resumed without a budget.
  const cut = await startRun('search', tinyConfig('lm-tiny/tanglenas', join(tmp.dir, 'cut'), { ...o, budget_minutes: 1e-6 }), 'lm-tiny/tanglenas', { progress: quiet });
  assert.equal(cut.status, 'stopped');
  const resumed = await resumeRun(cut.dir, { budget_minutes: 0 }, { progress: quiet });
  assert.equal(resumed.status, 'done');
  assert.deepEqual((resumed.result as any).alpha, (full.result as any).alpha);
  assert.deepEqual((resumed.result as any).architecture, (full.result as any).architecture);
});
