// End-to-end searches on tiny synthetic data, in process: every single-stage
// method on the toy cell, TangleNAS on the conv-macro space, the two-stage
// search with ES and RS, a black-box stage stopped by its budget and resumed,
// training and fine-tuning a found architecture, and evaluation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateRun, resumeRun, startRun, type BlackBoxRunResult, type RunOutcome } from './pipeline.js';
import { Progress } from './progress.js';
import { RunDir } from './rundir.js';
import { tempDir, tinyConfig, writeFakeBenchmark } from './test-util.js';
import type { PartialConfig } from './config.js';
import type { BlackBoxState } from './blackbox.js';

const quiet = new Progress({ quiet: true });
let tmp: { dir: string; cleanup: () => void };
let bench: string;

before(() => {
  tmp = tempDir();
  bench = join(tmp.dir, 'bench');
  mkdirSync(bench, { recursive: true });
  writeFakeBenchmark('toy-cell', bench);
  writeFakeBenchmark('toy-conv-macro', bench);
});
after(() => tmp.cleanup());

async function search(name: string, preset: string, o: PartialConfig = {}, command: 'search' | 'two-stage' = 'search'): Promise<RunOutcome> {
  const cfg = tinyConfig(preset, join(tmp.dir, name), { benchmark_dir: bench, ...o });
  return startRun(command, cfg, preset, { progress: quiet });
}

function metrics(dir: string): Record<string, unknown>[] {
  return new RunDir(dir).readMetrics();
}

for (const [preset, extra] of [
  ['toy-cell/tanglenas', {}],
  ['toy-cell/drnas-ws', {}],
  ['toy-cell/darts', {}],
  ['toy-cell/darts-v2', {}],
  ['toy-cell/gdas', {}],
] as const) {
  test(`single-stage ${preset}: trains alpha, writes metrics, checkpoints and the result`, async () => {
    const r = await search(preset.replace('/', '-'), preset, extra);
    assert.equal(r.status, 'done');
    const a = r.result as Record<string, any>;
    assert.equal(a.epochs, 2);
    assert.equal(a.steps, 6);
    assert.equal(Object.keys(a.architecture).length, 6);
    assert.match(a.benchmark_key, /^Genotype\(normal=\[\('/);
    assert.equal(typeof a.benchmark.testAcc, 'number');
    assert.ok(a.inherited_test_acc >= 0 && a.inherited_test_acc <= 1);
    // alpha moved away from its 1e-3 * N(0, 1) initialisation.
    const moved = Object.values(a.alpha as Record<string, number[]>).flat().some((v) => Math.abs(v) > 5e-3);
    assert.ok(moved, 'alpha did not move');
    for (const f of ['config.json', 'run.json', 'status.json', 'metrics.jsonl', 'architecture.json', 'supernet.safetensors', 'checkpoints/last.safetensors', 'checkpoints/last.json']) assert.ok(existsSync(join(r.dir, f)), f);
    assert.equal(JSON.parse(readFileSync(join(r.dir, 'status.json'), 'utf8')).status, 'done');
    const m = metrics(r.dir);
    const steps = m.filter((x) => x.kind === 'step');
    const epochs = m.filter((x) => x.kind === 'epoch') as Record<string, any>[];
    assert.equal(steps.length, 3); // every 2nd of 6 steps
    for (const s of steps as Record<string, any>[]) {
      for (const k of ['train_loss', 'train_acc', 'arch_loss', 'lr', 'arch_lr', 'time_s', 'rss_mb']) assert.equal(typeof s[k], 'number', k);
      assert.equal(Object.keys(s.alpha).length, 6);
      for (const row of Object.values(s.alpha) as number[][]) assert.ok(Math.abs(row.reduce((x, y) => x + y) - 1) < 1e-3);
    }
    assert.equal(epochs.length, 2);
    // The any-time record: the argmax architecture's benchmark accuracy after every epoch.
    for (const e of epochs) {
      assert.equal(typeof e.benchmark_test_acc, 'number');
      assert.equal(typeof e.valid_acc, 'number');
      assert.equal(typeof e.genotype, 'object');
    }
    // Cosine per epoch: epoch 0 at lr, epoch 1 halfway to lr_min (T_max = 2 epochs).
    assert.equal(epochs[0].lr, 0.025);
    assert.ok(Math.abs(epochs[1].lr - (0.001 + 0.024 / 2)) < 1e-12);
    if (preset.endsWith('gdas')) {
      assert.equal(epochs[0].tau, 10);
      assert.ok(Math.abs(epochs[1].tau - 0.1) < 1e-12);
    }
  });
}

test('single-stage toy-conv-macro/tanglenas: Adam weights, combi-superposed convs, benchmark lookup', async () => {
  const r = await search('macro', 'toy-conv-macro/tanglenas', { batch_size: 2, synthetic_train: 8, synthetic_test: 4, epochs: 1, steps_per_epoch: 2, eval_batch_size: 4, log_every: 1 });
  const a = r.result as Record<string, any>;
  assert.equal(r.status, 'done');
  assert.match(a.benchmark_key, /^\[\[\d+, \d+, \d+, \d+\], \[\d, \d, \d, \d\]\]$/);
  assert.equal(typeof a.benchmark.testAcc, 'number');
  assert.equal(Object.keys(a.alpha).length, 8);
  const m = metrics(r.dir);
  assert.equal(m.filter((x) => x.kind === 'step').length, 2);
  assert.equal((m.find((x) => x.kind === 'epoch') as any).lr, 3e-4);
});

let sposDir = '';

test('two-stage SPOS + evolutionary search: unique candidates, top-k across generations, any-time record', async () => {
  const r = await search('spos-es', 'toy-cell/spos-es', { generations: 3, fitness_samples: 16 }, 'two-stage');
  sposDir = r.dir;
  assert.equal(r.status, 'done');
  const a = r.result as Record<string, any>;
  assert.equal(a.black_box, 'es');
  assert.equal(a.generations, 3);
  const st = JSON.parse(readFileSync(join(r.dir, 'checkpoints', 'black-box.json'), 'utf8')) as BlackBoxState;
  const visited = Object.values(st.visited);
  // Population 5 in generation 0, then 2 mutants + 2 crossovers + random fill to 5: 15 unique architectures.
  assert.equal(visited.length, 15);
  assert.equal(new Set(visited.map((v) => v.key)).size, 15);
  assert.equal(a.evaluated, 15);
  // top-k (select 10) sorted by fitness; the result is its head.
  const fit = st.topk.map((k) => st.visited[k].fitness);
  assert.equal(fit.length, 10);
  for (let i = 1; i < fit.length; i++) assert.ok(fit[i - 1] >= fit[i]);
  assert.equal(a.supernet_valid_acc, fit[0]);
  assert.deepEqual(a.architecture, JSON.parse(st.topk[0]));
  const gens = metrics(r.dir).filter((x) => x.kind === 'generation') as Record<string, any>[];
  assert.equal(gens.length, 3);
  for (let i = 1; i < gens.length; i++) assert.ok(gens[i].best_fitness >= gens[i - 1].best_fitness);
  for (const g of gens) assert.equal(typeof g.best_benchmark_test_acc, 'number');
  // SPOS never trains alpha: its epochs record no genotype.
  const ep = metrics(r.dir).filter((x) => x.kind === 'epoch') as Record<string, any>[];
  assert.equal(ep.length, 2);
  assert.equal(ep[0].genotype, undefined);
});

test('two-stage SPOS + random search: rs_iters draws, repeats not re-evaluated', async () => {
  const r = await search('spos-rs', 'toy-cell/spos-rs', { rs_iters: 12, population: 5, fitness_samples: 16 }, 'two-stage');
  const a = r.result as Record<string, any>;
  assert.equal(a.black_box, 'rs');
  assert.equal(a.generations, 3); // 5 + 5 + 2 draws
  const st = JSON.parse(readFileSync(join(r.dir, 'checkpoints', 'black-box.json'), 'utf8')) as BlackBoxState;
  assert.equal(st.draws, 12);
  assert.ok(Object.keys(st.visited).length <= 12);
});

test('two-stage: a supernet phase cut short by its share of the budget still hands over to the black-box stage', async () => {
  // 200 planned epochs cannot fit 1.2 s of supernet training (80% of 1.5 s): the
  // supernet phase stops early, the black-box stage scores at least one architecture.
  // CPU time, not wall time: a loaded machine must not change what fits.
  const r = await search('spos-short', 'toy-cell/spos-rs', { epochs: 200, budget_minutes: 1.5 / 60, budget_clock: 'cpu' }, 'two-stage');
  const a = r.result as Record<string, any>;
  assert.equal(a.supernet_stopped_by_budget, true);
  assert.ok(a.epochs < 200);
  assert.ok(a.evaluated >= 1 && Object.keys(a.architecture).length === 6, 'an architecture was found');
  assert.equal(typeof a.benchmark.testAcc, 'number');
});

test('black-box stage on a trained supernet: stopped by its budget anywhere, resumed, same result as uninterrupted', async () => {
  assert.ok(sposDir, 'needs the SPOS supernet of the ES test');
  const base = { supernet: sposDir, benchmark_dir: bench, generations: 4, fitness_samples: 16, checkpoint_minutes: 0 } as PartialConfig;
  const full = await startRun('black-box', tinyConfig('toy-cell/spos-es', join(tmp.dir, 'bb-a'), base), 'toy-cell/spos-es', { progress: quiet });
  // A tiny budget stops the stage after an unpredictable number of evaluations.
  const cut = await startRun('black-box', tinyConfig('toy-cell/spos-es', join(tmp.dir, 'bb-b'), { ...base, budget_minutes: 0.3 / 60 }), 'toy-cell/spos-es', { progress: quiet });
  const resumed = cut.status === 'stopped' ? await resumeRun(cut.dir, { budget_minutes: 0 }, { progress: quiet }) : cut;
  assert.equal(resumed.status, 'done');
  const pick = (x: RunOutcome) => {
    const { time_s: _t, supernet: _s, stopped: _st, ...rest } = x.result as BlackBoxRunResult;
    return rest;
  };
  assert.deepEqual(pick(resumed), pick(full));
  const gens = (d: string) => metrics(d).filter((x) => x.kind === 'generation').map(({ time_s: _t, rss_mb: _r, ...x }) => x);
  assert.deepEqual(gens(resumed.dir), gens(full.dir));
  // evaluate finds the supernet the black-box run searched.
  const ev = await evaluateRun(full.dir, { progress: quiet });
  assert.equal(ev.acc, (full.result as BlackBoxRunResult).inherited_test_acc);
});

test('train from scratch and fine-tune a found architecture; evaluate the runs', async () => {
  const from = join(tmp.dir, 'toy-cell-tanglenas');
  const arch = join(from, 'architecture.json');
  const tr = await startRun('train', tinyConfig('toy-cell/retrain', join(tmp.dir, 'train'), { arch, benchmark_dir: bench }), 'toy-cell/retrain', { progress: quiet });
  const t = tr.result as Record<string, any>;
  assert.equal(tr.status, 'done');
  assert.equal(t.epochs, 2);
  assert.deepEqual(t.architecture, JSON.parse(readFileSync(arch, 'utf8')).architecture);
  assert.equal(typeof t.benchmark.testAcc, 'number');
  assert.ok(t.latency_ms > 0 && t.inference_ms_per_token === undefined, 'an image network records its batch-1 latency');
  const ev = await evaluateRun(tr.dir, { progress: quiet });
  assert.equal(ev.kind, 'model');
  assert.equal(ev.acc, t.test_acc);
  assert.equal(metrics(tr.dir).filter((x) => x.kind === 'epoch').length, 2);
  const ft = await startRun('finetune', tinyConfig('toy-cell/finetune', join(tmp.dir, 'finetune'), { arch, supernet: from, epochs: 1, benchmark_dir: bench }), 'toy-cell/finetune', { progress: quiet });
  assert.equal(ft.status, 'done');
  // Fine-tuning starts from the supernet's weights: before any step the sub-network's accuracy is the search's inherited one.
  const search = await evaluateRun(from, { progress: quiet });
  assert.equal(search.kind, 'supernet');
  assert.equal(search.acc, JSON.parse(readFileSync(arch, 'utf8')).inherited_test_acc);
  await assert.rejects(resumeRun(tr.dir, {}, { progress: quiet }), /has finished \(status done\); nothing to resume/);
});

test('BatchNorm calibration: statistics recomputed per architecture, independent of the shared ones, which are restored', async () => {
  const { createSpace } = await import('../spaces/index.js');
  const { createRunLoaders, syntheticDataset } = await import('./data.js');
  const { evaluateArchitecture } = await import('./evaluate.js');
  const { manualSeed, noGrad, tidy } = await import('../tensor/index.js');
  manualSeed(5);
  const c = tinyConfig('toy-cell/tanglenas', join(tmp.dir, 'unused'), { bn_calibration_samples: 32 });
  const space = createSpace('toy-cell');
  const loaders = createRunLoaders(syntheticDataset('fashion-mnist', 48, 16, 0), c);
  try {
    const arch = space.randomArchitecture(() => 0.7);
    const valid = loaders.validEval(0)!;
    const cal = loaders.calibration()!;
    assert.equal(cal.batches, 2);
    const buffers = () => space.supernet.namedBuffers().map(([, b]) => b.toArray());
    const before = buffers();
    const a = evaluateArchitecture(space, arch, valid, cal);
    assert.deepEqual(buffers(), before, 'shared statistics not restored');
    assert.deepEqual(evaluateArchitecture(space, arch, valid, cal), a);
    // Different shared statistics, same calibrated result.
    noGrad(() => space.supernet.namedBuffers().forEach(([n, b]) => n.endsWith('running_var') && tidy(() => b.mul_(3).add_(0.5))));
    assert.deepEqual(evaluateArchitecture(space, arch, valid, cal), a);
    assert.notDeepEqual(evaluateArchitecture(space, arch, valid, null), a);
    assert.equal(space.supernet.training, true);
  } finally {
    loaders.close();
    space.supernet.dispose();
  }
});
