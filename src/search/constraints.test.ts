// Constrained runs end to end on tiny synthetic data: single-stage searches
// with every sampler kind meet the bound and record it, the multipliers are
// logged and checkpointed, the two-stage search only scores candidates within
// the bound, and a bound nothing meets or a malformed one is refused before
// any training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { architectureCostOf, checkConstraints, parseConstraint, smallestArchitecture } from '../nas/constraint.js';
import { setNumThreads } from '../tensor/runtime.js';
import { latencyCacheFile, latencyTableFor, predictLatency } from '../nas/latency.js';
import { createSpace } from '../spaces/index.js';
import { startRun } from './pipeline.js';
import { Progress } from './progress.js';
import { RunDir } from './rundir.js';
import { testFolder, tinyConfig } from './test-util.js';
import type { BlackBoxState } from './blackbox.js';
import type { PartialConfig } from './config.js';

const quiet = new Progress({ quiet: true });
const t = testFolder('tanglenas-constraints-');

/** The toy cell's smallest params count and a bound just above it (only a few architectures meet it). */
function tightBound(): { min: number; bound: number } {
  const space = createSpace('toy-cell');
  const min = smallestArchitecture(space, 'params').cost.params;
  space.supernet.dispose();
  return { min, bound: min + 2000 };
}

function run(name: string, preset: string, o: PartialConfig, command: 'search' | 'two-stage' = 'search') {
  return startRun(command, tinyConfig(preset, join(t.dir, name), { benchmark_dir: t.bench, ...o }), preset, { progress: quiet });
}

for (const preset of ['toy-cell/tanglenas', 'toy-cell/gdas', 'toy-cell/darts-v2']) {
  test(`constrained ${preset}: the architecture found meets 'params <= bound', the result records it, the multipliers are logged and checkpointed`, async () => {
    const { bound } = tightBound();
    const r = await run(preset.replace('/', '-'), preset, { constraints: [`params <= ${bound}`], constraint_lr: 5 });
    assert.equal(r.status, 'done');
    const a = r.result as Record<string, any>;
    assert.deepEqual(a.constraints.map((k: any) => [k.constraint, k.metric, k.bound, k.met]), [[`params <= ${bound}`, 'params', bound, true]]);
    assert.equal(a.constraints[0].value, a.params, 'the recorded value is the exact params of the sub-network');
    assert.ok(a.params <= bound);
    assert.equal(typeof a.constraint_repaired, 'boolean');
    const epochs = new RunDir(r.dir).readMetrics().filter((x) => x.kind === 'epoch') as Record<string, any>[];
    assert.equal(epochs.length, 2);
    for (const e of epochs) assert.ok(Array.isArray(e.constraint_multipliers) && e.constraint_multipliers.length === 1 && e.constraint_multipliers[0] >= 0);
    assert.ok(epochs.some((e) => e.constraint_multipliers[0] > 0), 'a tight bound raised the multiplier');
    const ck = JSON.parse(readFileSync(join(r.dir, 'checkpoints', 'last.json'), 'utf8'));
    assert.deepEqual(ck.constraint.multipliers, epochs[1].constraint_multipliers);
  });
}

test('constrained two-stage SPOS + ES: every candidate scored is within the bound', async () => {
  const { bound } = tightBound();
  const r = await run('spos-es', 'toy-cell/spos-es', { constraints: [`params <= ${bound}`], generations: 2, fitness_samples: 16 }, 'two-stage');
  const a = r.result as Record<string, any>;
  assert.equal(a.constraints[0].met, true);
  assert.equal(a.constraint_repaired, false);
  const st = JSON.parse(readFileSync(join(r.dir, 'checkpoints', 'black-box.json'), 'utf8')) as BlackBoxState;
  const space = createSpace('toy-cell');
  smallestArchitecture(space, 'params');
  const k = [parseConstraint(`params <= ${bound}`)];
  assert.ok(Object.keys(st.visited).length > 0);
  for (const key of Object.keys(st.visited)) assert.ok(checkConstraints(architectureCostOf(space, space.decode(key)), k)[0].met, key);
  space.supernet.dispose();
});

test("a latency bound: the run uses this machine's cached table, the result records the predicted latency; an impossible one names the smallest", async () => {
  const cache = join(t.dir, 'cache');
  const before = process.env.TANGLENAS_CACHE;
  process.env.TANGLENAS_CACHE = cache;
  try {
    // A measured table in the cache, then made exactly additive (timings here are noise): base 1 ms, option i of choice k adds 0.1 (k + 1) i ms.
    setNumThreads(1); // the runs' thread count (tinyConfig): tables are per thread count
    const space = createSpace('toy-cell');
    const table = latencyTableFor(space, { subnets: 30, checkSubnets: 3, warmup: 1, repeats: 1 });
    table.base = 1;
    space.choices.forEach((c, k) => (table.table[c.name] = Array.from({ length: c.size }, (_, i) => 0.1 * (k + 1) * i)));
    writeFileSync(latencyCacheFile(space), JSON.stringify(table));
    const r = await run('latency', 'toy-cell/tanglenas', { constraints: ['latency_ms <= 1000'] });
    const a = r.result as Record<string, any>;
    const k = a.constraints[0];
    assert.deepEqual([k.metric, k.bound, k.met], ['latency_ms', 1000, true]);
    assert.ok(Math.abs(k.value - predictLatency(table, space.decode(JSON.stringify(a.architecture)))) < 1e-9, String(k.value));
    assert.equal(readdirSync(join(cache, 'latency')).length, 1, 'no second table');
    await assert.rejects(run('latency-tight', 'toy-cell/tanglenas', { constraints: ['latency_ms <= 0.5'] }), /constraint 'latency_ms <= 0.5' cannot be met in space 'toy-cell': its smallest architecture has 1.00 latency_ms/);
    space.supernet.dispose();
  } finally {
    if (before === undefined) delete process.env.TANGLENAS_CACHE;
    else process.env.TANGLENAS_CACHE = before;
  }
});

test('a bound below the smallest architecture is refused before training, naming that cost; a malformed one by the config check', async () => {
  const { min } = tightBound();
  await assert.rejects(run('infeasible', 'toy-cell/tanglenas', { constraints: [`params <= ${min - 1}`] }), new RegExp(`constraint 'params <= ${min - 1}' cannot be met in space 'toy-cell': its smallest architecture has ${min.toLocaleString('en')} params`));
  assert.ok(!existsSync(join(t.dir, 'infeasible', 'checkpoints', 'last.json')), 'nothing was trained');
  assert.throws(() => tinyConfig('toy-cell/tanglenas', join(t.dir, 'bad'), { constraints: ['params < 5'] }), /constraint 'params < 5': only upper bounds/);
  assert.throws(() => tinyConfig('toy-cell/tanglenas', join(t.dir, 'bad'), { constraints: ['memory <= 5'] }), /unknown metric 'memory'; the metrics are params, flops, latency_ms/);
});
