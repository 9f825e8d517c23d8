// A Pareto search end to end on tiny synthetic data with a stand-in toy-cell
// table: pareto.json's sweep, front and hypervolume are consistent with each
// other and with the table; the run's architecture is the t = 0 one; the
// learned base is checkpointed; config errors for the combinations that make no sense.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dominates, hypervolume, paretoFront } from '../nas/pareto.js';
import { loadCheckpoint } from './checkpoint.js';
import { startRun } from './pipeline.js';
import { Progress } from './progress.js';
import { testFolder, tinyConfig } from './test-util.js';
import type { ParetoFile } from './pareto.js';
import { nsgaOrder, type BlackBoxState, type Candidate } from './blackbox.js';

const quiet = new Progress({ quiet: true });
const t = testFolder('tanglenas-pareto-');

test('pareto search: a sweep through every switch point, at most pareto_points distinct architectures, a consistent front, the true front and hypervolume ratio; the result is the t = 0 architecture', async () => {
  const dir = join(t.dir, 'p');
  const r = await startRun('search', tinyConfig('toy-cell/tanglenas', dir, { benchmark_dir: t.bench, pareto: true, pareto_points: 4, pareto_strength: 5 }), 'toy-cell/tanglenas', { progress: quiet });
  assert.equal(r.status, 'done');
  const f = JSON.parse(readFileSync(join(dir, 'pareto.json'), 'utf8')) as ParetoFile;
  assert.equal(f.format, 'tanglenas.pareto/1');
  assert.equal(f.metric, 'params');
  // The sweep starts at t = 0; each t belongs to one architecture; the architectures are distinct; at most 4 scored, the cheapest among them.
  const ts = f.points.flatMap((p) => p.t!);
  assert.equal(new Set(ts).size, ts.length);
  assert.ok(ts.includes(0));
  assert.ok(f.points.length >= 2 && f.points.length <= 4, String(f.points.length));
  assert.equal(new Set(f.points.map((p) => p.benchmark_key)).size, f.points.length);
  const last = f.points.find((p) => p.t!.includes(Math.max(...ts)))!;
  assert.equal(last.params, Math.min(...f.points.map((p) => p.params)), 'the largest t gives the cheapest architecture');
  // front == the non-dominated points by (params, valid_acc).
  const pts = f.points.map((p) => ({ cost: p.params, acc: p.valid_acc }));
  f.points.forEach((p, i) => assert.equal(p.front, !pts.some((q) => dominates(q, pts[i])) && pts.findIndex((q) => q.cost === pts[i].cost && q.acc === pts[i].acc) === i, p.benchmark_key));
  for (const p of f.points) assert.equal(typeof p.benchmark_test_acc, 'number');
  // The true front: non-dominated, sorted by cost, and the reference point bounds it.
  const tf = f.true_front!;
  assert.deepEqual(paretoFront(tf), tf);
  assert.ok(tf.every((p) => p.cost <= f.reference_point!.cost && p.acc >= f.reference_point!.acc));
  assert.equal(f.true_hypervolume, hypervolume(tf, f.reference_point!));
  const found = f.points.filter((p) => p.front).map((p) => ({ cost: p.params, acc: p.benchmark_test_acc! }));
  assert.equal(f.hypervolume, hypervolume(found, f.reference_point!));
  assert.ok(f.hypervolume_ratio! >= 0 && f.hypervolume_ratio! <= 1 + 1e-12, String(f.hypervolume_ratio));
  // architecture.json: the t = 0 architecture and a summary of the front.
  const a = r.result as Record<string, any>;
  const atZero = f.points.find((p) => p.t!.includes(0))!;
  assert.deepEqual(a.architecture, atZero.architecture);
  assert.deepEqual(a.pareto, { file: 'pareto.json', architectures: f.points.length, front: f.points.filter((p) => p.front).length, hypervolume_ratio: f.hypervolume_ratio });
  // The learned base of alpha(t) is in the checkpoint (a resume continues it).
  const ck = loadCheckpoint(join(dir, 'checkpoints'))!;
  assert.equal([...ck.tensors.keys()].filter((k) => k.startsWith('pareto.base.')).length, 6);
});

test('nsgaOrder: rank 0 first (by crowding: boundary points, then the less crowded), then rank 1; ties by evaluation order', () => {
  const c = (key: string, cost: number, fitness: number, order: number): Candidate => ({ key, cost, fitness, benchmark: null, order });
  const pool = [
    c('d1', 3, 0.5, 0), // dominated by b (2, 0.6)
    c('a', 1, 0.4, 1),
    c('b', 2, 0.6, 2),
    c('m', 2.2, 0.65, 3),
    c('e', 4, 0.9, 4),
    c('d2', 5, 0.85, 5), // dominated by e
  ];
  const order = nsgaOrder(pool).map((x) => x.key);
  assert.deepEqual(order.slice(0, 2).sort(), ['a', 'e'], 'boundary points of rank 0');
  // Crowding (spans: cost 3, fitness 0.5): m (4 - 2) / 3 + (0.9 - 0.6) / 0.5 = 1.27 > b (2.2 - 1) / 3 + (0.65 - 0.4) / 0.5 = 0.9.
  assert.deepEqual(order.slice(2, 4), ['m', 'b']);
  assert.deepEqual(order.slice(4).sort(), ['d1', 'd2']);
});

test('two-stage SPOS + NSGA-II: pareto.json of every scored candidate, its front; the kept list is select unique candidates', async () => {
  const dir = join(t.dir, 'nsga');
  const r = await startRun('two-stage', tinyConfig('toy-cell/spos-nsga2', dir, { benchmark_dir: t.bench, generations: 3, fitness_samples: 16 }), 'toy-cell/spos-nsga2', { progress: quiet });
  assert.equal(r.status, 'done');
  const a = r.result as Record<string, any>;
  assert.equal(a.black_box, 'nsga2');
  const st = JSON.parse(readFileSync(join(dir, 'checkpoints', 'black-box.json'), 'utf8')) as BlackBoxState;
  const visited = Object.values(st.visited);
  assert.ok(visited.every((v) => typeof v.cost === 'number'));
  assert.equal(new Set(st.topk).size, Math.min(10, visited.length));
  assert.ok(st.topk.every((k) => st.visited[k]));
  const f = JSON.parse(readFileSync(join(dir, 'pareto.json'), 'utf8')) as ParetoFile;
  assert.equal(f.points.length, visited.length);
  const pts = f.points.map((p) => ({ cost: p.params, acc: p.valid_acc }));
  for (const [i, p] of f.points.entries()) if (p.front) assert.ok(!pts.some((q) => dominates(q, pts[i])));
  assert.ok(f.points.some((p) => p.front));
  assert.equal(typeof f.hypervolume_ratio, 'number');
  assert.deepEqual(a.pareto.file, 'pareto.json');
});

test('pareto: refused for two-stage methods and together with constraints', () => {
  assert.throws(() => tinyConfig('toy-cell/spos-es', join(t.dir, 'x'), { pareto: true }), /pareto: true needs a single-stage method/);
  assert.throws(() => tinyConfig('toy-cell/tanglenas', join(t.dir, 'x'), { pareto: true, constraints: ['params <= 200k'] }), /pareto: true and constraints do not combine/);
});
