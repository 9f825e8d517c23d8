// Benchmark lookup: the released toy tables (when the shared data is there),
// keyed by the spaces' own benchmarkKey(), and the table logic on a small
// hand-made table: ranks with ties, where the table is found, bad files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSpace } from '../spaces/index.js';
import '../spaces/nb201.js'; // registers nb201 until spaces/index.ts imports it
import { Benchmark, benchmarkFor, findBenchmark, loadBenchmark, benchmarkFile } from './benchmark.js';

const KEY_A = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';
const NB201_COLUMNS = ['cifar10_test_200ep', 'cifar100_test_200ep', 'imagenet16_120_test_200ep'];

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
  assert.equal(macroBench.top(2)[1].testAcc, 84.13);
  macro.supernet.dispose();
  assert.throws(() => loadBenchmark('toy-conv-macro', join(SHARED, benchmarkFile('toy-cell')!)), /is for space 'toy_cell', not 'toy-conv-macro'/);
});

test('benchmark table: ranks with ties, percentiles, top-n; damaged tables are refused', () => {
  const t = Benchmark.fromJson('toy-cell', 'mem', {
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
  assert.deepEqual(t.lookup('c')!.columns, { test_acc: 80, train_acc: 86 });
  assert.equal(t.lookup('c')!.trainAcc, 86);
  assert.throws(() => Benchmark.fromJson('toy-cell', 'f.json', { entries: 3 }), /benchmark 'f.json' is not a toy benchmark table/);
  assert.throws(() => Benchmark.fromJson('toy-cell', 'f.json', { optimum: { test_acc: 1 }, entries: [{ key: 1 }] }), /an entry has no string 'key'/);
  assert.throws(() => Benchmark.fromJson('toy-cell', 'f.json', { num_entries: 5, optimum: { test_acc: 1 }, entries: [{ key: 'a', test_acc: 1 }] }), /declares 5 entries but holds 1/);
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
    assert.throws(() => findBenchmark('no-such-space'), /unknown space 'no-such-space'/);
    assert.throws(() => findBenchmark('lm-tiny'), /no tabular benchmark for space 'lm-tiny' \(benchmarks exist for .*toy-cell/);
    // A CSV table (nb201) is looked for in the same places, under its own file name.
    assert.throws(() => findBenchmark('nb201'), /TANGLENAS_BENCH_DIR='.*' has no nb201_merged.csv/);
    writeFileSync(join(dir, 'nb201_merged.csv'), `arch,cifar10_test_200ep,cifar100_test_200ep,imagenet16_120_test_200ep\n${KEY_A},90,70,40\n`);
    assert.equal(benchmarkFor('nb201')!.lookup(KEY_A)!.testAcc, 90);
    // A table describes the space's default dataset: a run on another real dataset gets none, synthetic data keeps it.
    assert.equal(benchmarkFor('nb201', null, 'cifar10')!.lookup(KEY_A)!.testAcc, 90);
    assert.equal(benchmarkFor('nb201', null, 'synthetic')!.lookup(KEY_A)!.testAcc, 90);
    assert.equal(benchmarkFor('nb201', null, 'imagefolder-32'), null);
    writeFileSync(join(dir, 'bad.json'), '{"entries": [');
    assert.throws(() => loadBenchmark('toy-cell', join(dir, 'bad.json')), /benchmark '.*bad.json' cannot be read as JSON/);
    assert.throws(() => loadBenchmark('toy-cell', join(dir, 'missing.json')), /benchmark '.*missing.json' cannot be read \(ENOENT\)/);
  } finally {
    if (saved === undefined) delete process.env.TANGLENAS_BENCH_DIR;
    else process.env.TANGLENAS_BENCH_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('benchmark CSV (NAS-Bench-201 layout): header first, columns by name, damaged files refused with the file and line', () => {
  const header = 'index,arch,cifar10_test_200ep,cifar100_test_200ep,imagenet16_120_test_200ep,cifar10_test_12ep';
  const csv = `${header}\n0,a,90.5,70,40,1\n1,b,93.25,71,45,2\n2,c,90.5,73.5,41,3\n\n`;
  const t = Benchmark.fromCsv('nb201', 'mem.csv', csv, NB201_COLUMNS);
  assert.equal(t.size, 3);
  assert.equal(t.primary, 'cifar10_test_200ep');
  assert.deepEqual(t.lookup('c'), { key: 'c', testAcc: 90.5, trainAcc: null, columns: { cifar10_test_200ep: 90.5, cifar100_test_200ep: 73.5, imagenet16_120_test_200ep: 41 }, rank: 2, size: 3, optimum: 93.25, percentile: 0 });
  assert.deepEqual(t.best, { cifar10_test_200ep: 93.25, cifar100_test_200ep: 73.5, imagenet16_120_test_200ep: 45 });
  assert.deepEqual(t.top(3).map((e) => e.key), ['b', 'a', 'c']);
  // Columns in another order are found by name; CRLF line ends are fine.
  const swapped = 'imagenet16_120_test_200ep,arch,cifar100_test_200ep,cifar10_test_200ep\r\n40,a,70,90.5\r\n';
  assert.deepEqual(Benchmark.fromCsv('nb201', 's.csv', swapped, NB201_COLUMNS).lookup('a')!.columns, { cifar10_test_200ep: 90.5, cifar100_test_200ep: 70, imagenet16_120_test_200ep: 40 });
  assert.throws(() => Benchmark.fromCsv('nb201', 'x.csv', 'index,arch,cifar10_test_200ep\n0,a,1\n', NB201_COLUMNS), /benchmark 'x.csv' has no columns 'cifar100_test_200ep', 'imagenet16_120_test_200ep'; expected a CSV whose header names arch, cifar10_test_200ep, cifar100_test_200ep, imagenet16_120_test_200ep/);
  assert.throws(() => Benchmark.fromCsv('nb201', 'x.csv', 'key,cifar10_test_200ep,cifar100_test_200ep,imagenet16_120_test_200ep\n', NB201_COLUMNS), /has no column 'arch'/);
  assert.throws(() => Benchmark.fromCsv('nb201', 'x.csv', '', NB201_COLUMNS), /has no columns 'arch', /);
  assert.throws(() => Benchmark.fromCsv('nb201', 'x.csv', `${header}\n`, NB201_COLUMNS), /benchmark 'x.csv' holds no architectures/);
  assert.throws(() => Benchmark.fromCsv('nb201', 'x.csv', `${header}\n0,a,90,70,40\n`, NB201_COLUMNS), /benchmark 'x.csv' line 2: 5 fields, the header has 6/);
  assert.throws(() => Benchmark.fromCsv('nb201', 'x.csv', `${header}\n0,a,90,70,40,1\n1,b,n/a,70,40,1\n`, NB201_COLUMNS), /benchmark 'x.csv' line 3: column 'cifar10_test_200ep' holds 'n\/a', not a number/);
  assert.throws(() => Benchmark.fromCsv('nb201', 'x.csv', `${header}\n0,a,90,70,40,1\n1,a,91,70,40,1\n`, NB201_COLUMNS), /line 3: architecture 'a' appears twice/);
});
