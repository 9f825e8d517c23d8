// Benchmark lookup: the released toy tables (when the shared data is there),
// keyed by the spaces' own benchmarkKey(), and the table logic on a small
// hand-made table: ranks with ties, where the table is found, bad files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSpace } from '../spaces/index.js';
import { findBenchmark, loadBenchmark, ToyBenchmark, benchmarkFile } from './benchmark.js';

const SHARED = process.env.TANGLENAS_BENCH_DIR ?? resolve('..', 'shared', 'data', 'toy-bench');

test('toy benchmarks: the optimum of each space is found through the space key (reference-facts 8)', { skip: !existsSync(join(SHARED, benchmarkFile('toy-cell')!)) && 'shared toy-bench data not present' }, () => {
  const cell = createSpace('toy-cell');
  const cellBench = loadBenchmark('toy-cell', join(SHARED, benchmarkFile('toy-cell')!));
  assert.equal(cellBench.size, 4096);
  // Optimum: normal [0, 0, 2], reduce [0, 2, 0] (op indices).
  const best = cellBench.lookup(cell.benchmarkKey({ normal_0: 0, normal_1: 0, normal_2: 2, reduce_0: 0, reduce_1: 2, reduce_2: 0 }))!;
  assert.deepEqual([best.testAcc, best.rank, best.optimum, best.trainAcc], [91.63, 1, 91.63, 96.315]);
  // Every architecture of the space has an entry.
  for (let n = 0; n < 4096; n += 97) {
    const arch = Object.fromEntries(cell.choices.map((c, i) => [c.name, Math.floor(n / 4 ** (5 - i)) % 4]));
    assert.ok(cellBench.lookup(cell.benchmarkKey(arch)), cell.benchmarkKey(arch));
  }
  cell.supernet.dispose();
  const macro = createSpace('toy-conv-macro');
  const macroBench = loadBenchmark('toy-conv-macro', join(SHARED, benchmarkFile('toy-conv-macro')!));
  assert.equal(macroBench.size, 6561);
  const arch = macro.fromBenchmarkKey('[[32, 64, 128, 128], [3, 7, 5, 7]]');
  const top = macroBench.lookup(macro.benchmarkKey(arch))!;
  assert.deepEqual([top.testAcc, top.rank, top.percentile > 99.9], [84.41, 1, true]);
  const diverged = macroBench.lookup('[[8, 16, 32, 64], [3, 3, 3, 3]]')!;
  assert.equal(diverged.testAcc, 10);
  assert.ok(diverged.rank > 6500);
  assert.equal(macroBench.top(2)[1].test_acc, 84.13);
  macro.supernet.dispose();
  assert.throws(() => loadBenchmark('toy-conv-macro', join(SHARED, benchmarkFile('toy-cell')!)), /is for space 'toy_cell', not 'toy-conv-macro'/);
});

test('benchmark table: ranks with ties, percentiles, top-n; damaged tables are refused', () => {
  const t = new ToyBenchmark('toy-cell', 'mem', {
    num_entries: 4,
    optimum: { key: 'a', test_acc: 90 },
    entries: [
      { key: 'a', test_acc: 90, train_acc: 95 },
      { key: 'b', test_acc: 80, train_acc: 85 },
      { key: 'c', test_acc: 80, train_acc: 86 },
      { key: 'd', test_acc: 70, train_acc: 75 },
    ],
  });
  assert.deepEqual([t.lookup('a')!.rank, t.lookup('b')!.rank, t.lookup('c')!.rank, t.lookup('d')!.rank], [1, 2, 2, 4]);
  assert.deepEqual([t.lookup('a')!.percentile, t.lookup('b')!.percentile, t.lookup('d')!.percentile], [75, 25, 0]);
  assert.equal(t.lookup('zz'), null);
  assert.deepEqual(t.top(2).map((e) => e.key), ['a', 'b']);
  assert.throws(() => new ToyBenchmark('toy-cell', 'f.json', { entries: 3 }), /benchmark 'f.json' is not a toy benchmark table/);
  assert.throws(() => new ToyBenchmark('toy-cell', 'f.json', { optimum: { test_acc: 1 }, entries: [{ key: 1 }] }), /an entry has no string 'key'/);
  assert.throws(() => new ToyBenchmark('toy-cell', 'f.json', { num_entries: 5, optimum: { test_acc: 1 }, entries: [{ key: 'a', test_acc: 1 }] }), /declares 5 entries but holds 1/);
});

test('benchmark location: explicit folder or file, TANGLENAS_BENCH_DIR, missing paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-bench-'));
  const saved = process.env.TANGLENAS_BENCH_DIR;
  try {
    const f = join(dir, 'toy_cell_bench.json');
    writeFileSync(f, JSON.stringify({ space: 'toy_cell', optimum: { key: 'a', test_acc: 1 }, entries: [{ key: 'a', test_acc: 1, train_acc: 1 }] }));
    assert.equal(findBenchmark('toy-cell', dir), f);
    assert.equal(findBenchmark('toy-cell', f), f);
    assert.throws(() => findBenchmark('toy-cell', join(dir, 'nope')), /benchmark path '.*nope' does not exist/);
    mkdirSync(join(dir, 'empty'));
    assert.throws(() => findBenchmark('toy-cell', join(dir, 'empty')), /benchmark folder '.*empty' has no toy_cell_bench.json/);
    process.env.TANGLENAS_BENCH_DIR = dir;
    assert.equal(findBenchmark('toy-cell'), f);
    assert.throws(() => findBenchmark('toy-conv-macro'), /TANGLENAS_BENCH_DIR='.*' has no conv_macro_bench.json/);
    assert.throws(() => findBenchmark('nb201'), /unknown space 'nb201'/);
    writeFileSync(join(dir, 'bad.json'), '{"entries": [');
    assert.throws(() => loadBenchmark('toy-cell', join(dir, 'bad.json')), /benchmark '.*bad.json' cannot be read as JSON/);
  } finally {
    if (saved === undefined) delete process.env.TANGLENAS_BENCH_DIR;
    else process.env.TANGLENAS_BENCH_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
