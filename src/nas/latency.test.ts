// The latency table: the rank correlation, the least-squares fit recovering
// an exactly additive latency, the prediction and its differentiable
// expectation agreeing at one-hot weights, a measured table on the toy cell
// (shape, check fields) and the per-machine cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLatencyTable, expectedLatency, fitLatencyTable, latencyTableFor, predictLatency, spearman } from './latency.js';
import { createSpace } from '../spaces/index.js';
import { Rng } from '../data/rng.js';
import type { Architecture } from './choice.js';
import { grad, manualSeed, tidy } from '../tensor/index.js';
import { ArchSample } from './arch.js';
import { softmax } from '../tensor/ops/activation.js';

test('spearman: 1 for the same order, -1 reversed, ties get average ranks', () => {
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 0.9486832980505138) < 1e-12);
  assert.equal(spearman([1, 1, 1], [1, 2, 3]), 0);
});

test('fitLatencyTable: an exactly additive latency is recovered (option 0 of each choice is 0); prediction == expectation at one-hot weights; the expectation has a gradient', () => {
  manualSeed(0);
  const space = createSpace('toy-cell');
  const rng = new Rng(1);
  const truth = Object.fromEntries(space.choices.map((c, k) => [c.name, Array.from({ length: c.size }, (_, i) => (i === 0 ? 0 : 0.1 * (k + 1) * i))]));
  const latency = (a: Architecture) => 2 + space.choices.reduce((s, c) => s + truth[c.name][a[c.name]], 0);
  const archs = Array.from({ length: 80 }, () => space.randomArchitecture(() => rng.float()));
  const t = fitLatencyTable(space, archs, archs.map(latency), 1);
  assert.ok(Math.abs(t.base - 2) < 1e-6, String(t.base));
  for (const c of space.choices) t.table[c.name].forEach((v, i) => assert.ok(Math.abs(v - truth[c.name][i]) < 1e-6, `${c.name}[${i}] ${v}`));
  assert.ok(t.fit.rmseMs < 1e-6);
  const a = archs[3];
  tidy(() => {
    assert.ok(Math.abs(expectedLatency(t, space, space.fixed(a, 'superposition')).item() - predictLatency(t, a)) < 1e-4);
    const w = new Map(space.choices.map((c) => [c, softmax(c.alpha, 0)] as const));
    const g = grad(expectedLatency(t, space, new ArchSample('superposition', w)), space.alphas());
    assert.ok(g.some((x) => x !== null && x.abs().sum().item() > 0));
  });
  space.supernet.dispose();
});

test('buildLatencyTable on the toy cell: one row per choice, every option fitted, a check on other sub-networks; latencyTableFor caches it per machine', () => {
  manualSeed(0);
  const space = createSpace('toy-cell');
  const t = buildLatencyTable(space, { subnets: 30, checkSubnets: 6, warmup: 1, repeats: 2 });
  assert.deepEqual(Object.keys(t.table), space.choices.map((c) => c.name));
  for (const c of space.choices) {
    assert.equal(t.table[c.name].length, c.size);
    assert.equal(t.table[c.name][0], 0);
    assert.ok(t.table[c.name].every(Number.isFinite));
  }
  assert.ok(Number.isFinite(t.base) && Number.isFinite(t.fit.rmseMs)); // timings on a loaded machine: no sign asserted
  assert.equal(t.check.subnets, 6);
  assert.ok(t.check.spearman >= -1 && t.check.spearman <= 1 && t.check.meanAbsErrorMs >= 0);
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-latency-'));
  const before = process.env.TANGLENAS_CACHE;
  process.env.TANGLENAS_CACHE = dir;
  try {
    const lines: string[] = [];
    const a = latencyTableFor(space, { subnets: 30, checkSubnets: 3, warmup: 1, repeats: 1, log: (l) => lines.push(l) });
    assert.equal(lines.length, 1, 'measured once');
    assert.ok(existsSync(join(dir, 'latency')) && readdirSync(join(dir, 'latency')).length === 1);
    const b = latencyTableFor(space, { log: (l) => lines.push(l) });
    assert.equal(lines.length, 1, 'the second call reads the cache');
    assert.deepEqual(b, a);
  } finally {
    if (before === undefined) delete process.env.TANGLENAS_CACHE;
    else process.env.TANGLENAS_CACHE = before;
    rmSync(dir, { recursive: true, force: true });
  }
  space.supernet.dispose();
});
