import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { summaryCsv, runsCsv } from './csv.js';
import { findRunDirs, loadRuns, parseMetrics, ReportInputError } from './runs.js';
import { band } from './series.js';
import { mean, sampleStd, spread } from './stats.js';
import { summarize } from './summary.js';
import { runsTable, summaryTable, toMarkdown } from './tables.js';
import { withTempDir, writeCompareFixture, writeRun } from './test-util.js';

test('stats: mean, sample std (n - 1) and standard error, spread skips nulls', () => {
  assert.equal(mean([1, 2, 3, 6]), 3);
  assert.equal(sampleStd([2, 4, 6]), 2);
  assert.equal(sampleStd([5]), 0);
  assert.deepEqual(spread([null, 1, undefined, 3]), { n: 2, mean: 2, std: Math.SQRT2, se: 1, min: 1, max: 3 });
  assert.equal(spread([null]), null);
});

test('parseMetrics: a torn last line and junk are skipped and counted; a repeated record keeps the last copy', () => {
  const text = [
    JSON.stringify({ kind: 'epoch', phase: 'search', epoch: 0, v: 1 }),
    'not json',
    JSON.stringify({ kind: 'epoch', phase: 'search', epoch: 1, v: 2 }),
    JSON.stringify({ kind: 'epoch', phase: 'search', epoch: 0, v: 3 }),
    '[1, 2]',
    '{"kind":"epoch","epo',
  ].join('\n');
  const p = parseMetrics(text);
  assert.equal(p.skipped, 3);
  assert.deepEqual(
    p.records.map((r) => [r.epoch, r.v]),
    [
      [1, 2],
      [0, 3],
    ],
  );
});

test('findRunDirs: a run directory, a compare folder, and clear errors for bad paths', () =>
  withTempDir(async (dir) => {
    writeCompareFixture(dir);
    assert.equal(findRunDirs(dir).length, 7);
    assert.deepEqual(findRunDirs(join(dir, 'spos-es-seed1')), [join(dir, 'spos-es-seed1')]);
    assert.throws(() => findRunDirs(join(dir, 'nope')), (e: Error) => e instanceof ReportInputError && /does not exist; pass a run directory/.test(e.message));
    assert.throws(() => findRunDirs(join(dir, 'tanglenas-seed0', 'config.json')), /is a file; pass the run directory or compare folder that holds it/);
    assert.throws(() => findRunDirs(join(dir, 'tanglenas-seed0', 'checkpoints')), /holds no run directories/);
  }));

test('summary: mean ± standard error per method over seeds with a result; running and killed runs are listed, not counted', () =>
  withTempDir(async (dir) => {
    writeCompareFixture(dir);
    const s = summarize(loadRuns(dir));
    assert.deepEqual(
      s.groups.map((g) => [g.label, g.runs.length, g.withResult.length]),
      [
        ['DrNAS (WS)', 2, 0],
        ['TangleNAS (WE)', 3, 3],
        ['SPOS+ES (WE)', 2, 2],
      ],
    );
    const [ws, tangle, spos] = s.groups;
    assert.equal(ws.accuracy, null);
    assert.deepEqual(tangle.accuracy, { n: 3, mean: 91, std: 0.5, se: 0.5 / Math.sqrt(3), min: 90.5, max: 91.5 });
    assert.equal(tangle.source, 'benchmark');
    assert.deepEqual(tangle.time, { n: 3, mean: 240, std: 120, se: 120 / Math.sqrt(3), min: 120, max: 360 });
    assert.deepEqual(tangle.rss, { n: 3, mean: 640, std: 128, se: 128 / Math.sqrt(3), min: 512, max: 768 });
    assert.equal(tangle.params, null);
    assert.equal(tangle.flops, null);
    assert.deepEqual(spos.accuracy, { n: 2, mean: 90.5, std: Math.SQRT1_2, se: Math.SQRT1_2 / Math.SQRT2, min: 90, max: 91 });
    assert.equal(s.optimum, 91.63);
    const byName = new Map(s.runs.map((r) => [r.run.name, r]));
    assert.equal(byName.get('drnas-ws-seed0')!.status, 'running');
    assert.equal(byName.get('drnas-ws-seed0')!.run.skippedLines, 1);
    assert.deepEqual(byName.get('drnas-ws-seed0')!.current, { value: 88, source: 'benchmark' });
    assert.equal(byName.get('drnas-ws-seed1')!.status, 'interrupted');
    assert.ok(s.notes.some((n) => /Params and FLOPs: the run directories do not record them/.test(n)));
  }));

test('tables: Markdown in the layout of the paper (type once per block, best in bold, optimum row) and CSV with raw numbers', () =>
  withTempDir(async (dir) => {
    writeCompareFixture(dir);
    const s = summarize(loadRuns(dir));
    const md = toMarkdown(summaryTable(s)).split('\n');
    assert.equal(md[0], '| Search type | Optimizer | Supernet | Test acc (%) | per seed | measured as | Search time (min) | Peak memory (MB) | Params | FLOPs | Epochs | Runs with a result |');
    assert.equal(md[2], '| Single-Stage | DrNAS | WS | — | — | — | — | — | — | — | — | 0/2 |');
    assert.equal(md[3], '|  | TangleNAS | WE | **91.00 ± 0.29** | 90.50, 91.00, 91.50 | benchmark | 4.0 ± 1.2 | 640 ± 74 | — | — | 3, 3, 3 | 3/3 |');
    assert.equal(md[4], '| Two-Stage | SPOS+ES | WE | 90.50 ± 0.50 | 90.00, 91.00 | benchmark | 3.3 ± 0.0 | 420 ± 0 | — | — | 1, 1 | 2/2 |');
    assert.equal(md[5], '| Optimum | - | - | 91.63 |  | benchmark | - | - | - | - | - |  |');
    const runs = toMarkdown(runsTable(s));
    assert.match(runs, /\| drnas-ws-seed0 \| DrNAS \(WS\) \| 0 \| running \| 88\.00 \(so far\) \| benchmark, any-time \|/);
    assert.match(runs, /\| drnas-ws-seed1 \| DrNAS \(WS\) \| 1 \| interrupted \| 86\.00 \(so far\) \|/);
    const csv = summaryCsv(s).split('\n');
    assert.equal(csv[0], 'search_type,optimizer,supernet,train_portion,runs,runs_with_result,acc_source,acc_n,acc_mean,acc_std,acc_se,acc_per_seed,test_loss_mean,test_loss_std,time_s_mean,time_s_std,peak_rss_mb_mean,peak_rss_mb_std,params_mean,params_std,flops_mean,flops_std,epochs');
    assert.equal(csv[2], 'Single-Stage,TangleNAS,WE,0.5,3,3,benchmark,3,91,0.5,0.2886751345948129,90.5;91;91.5,,,240,120,640,128,,,,,3;3;3');
    assert.equal(csv[4], 'Optimum,,,,,,benchmark,,91.63,,,,,,,,,,,,,,');
    assert.match(runsCsv(s), /^tanglenas-seed1,Single-Stage,TangleNAS,WE,0\.5,1,done,1,91,,25,/m);
  }));

test('summary: a train-portion column appears when the runs use two portions; one seed shows no ± std', () =>
  withTempDir(async (dir) => {
    for (const [name, tp, acc] of [['a', 0.5, 90], ['b', 0.8, 91]] as const) {
      writeRun(dir, name, {
        config: { space: 'toy-cell', method: 'drnas', form: 'we', seed: 0, train_portion: tp },
        command: 'search',
        status: { status: 'done' },
        architecture: { architecture: { a: 1 }, benchmark: { testAcc: acc, optimum: 92 }, time_s: 60 },
      });
    }
    const md = toMarkdown(summaryTable(summarize(loadRuns(dir)))).split('\n');
    assert.equal(md[0].split(' | ')[3], 'Train portion');
    assert.equal(md[2], '| Single-Stage | TangleNAS | WE | 50% | 90.00 | 90.00 | benchmark | 1.0 | — | — | — | — | 1/1 |');
    assert.equal(md[3], '|  | TangleNAS | WE | 80% | **91.00** | 91.00 | benchmark | 1.0 | — | — | — | — | 1/1 |');
  }));

test('summary: without a benchmark the inherited accuracy is used and named; a damaged architecture.json is a warning', () =>
  withTempDir(async (dir) => {
    writeRun(dir, 'x-seed0', { config: { space: 'toy-cell', method: 'gdas', form: 'we', seed: 0 }, command: 'search', status: { status: 'done' }, architecture: { architecture: { a: 1 }, benchmark: null, inherited_test_acc: 0.75, time_s: 30 } });
    const bad = writeRun(dir, 'x-seed1', { config: { space: 'toy-cell', method: 'gdas', form: 'we', seed: 1 }, command: 'search', status: { status: 'done' } });
    writeFileSync(join(bad, 'architecture.json'), '{"architecture": {');
    const runs = loadRuns(dir);
    const s = summarize(runs);
    assert.equal(s.groups[0].source, 'inherited');
    assert.deepEqual(s.groups[0].perSeed, [{ seed: 0, value: 75 }]);
    assert.match(runs[1].warnings[0], /architecture file '.*x-seed1\/architecture.json' is not valid JSON.*left out of the report/);
    assert.match(toMarkdown(summaryTable(s)), /inherited: test accuracy with the supernet's weights/);
  }));

test('band: epochs align by number; on the time axis each seed holds its last value (incumbent)', () => {
  const seeds = [
    [
      { x: 1, y: 10 },
      { x: 3, y: 30 },
    ],
    [
      { x: 2, y: 20 },
      { x: 3, y: 40 },
    ],
  ];
  assert.deepEqual(
    band('g', seeds, 'epoch').map((p) => [p.x, p.mean, p.min, p.max, p.n]),
    [
      [1, 10, 10, 10, 1],
      [2, 20, 20, 20, 1],
      [3, 35, 30, 40, 2],
    ],
  );
  assert.deepEqual(
    band('g', seeds, 'time').map((p) => [p.x, p.mean, p.n]),
    [
      [1, 10, 1],
      [2, 15, 2],
      [3, 35, 2],
    ],
  );
});

test('summary: retrain runs of a compare grid are rows of their own, named after the method that found the architecture; losses get a column', () =>
  withTempDir(async (dir) => {
    const search = writeRun(dir, 'tanglenas-seed0', {
      config: { space: 'lm-tiny', method: 'drnas', form: 'we', seed: 0 },
      command: 'search',
      status: { status: 'done' },
      architecture: { architecture: { a: 1 }, benchmark: null, inherited_test_acc: 0.25, inherited_test_loss: 2.5, time_s: 60 },
    });
    for (const [seed, loss] of [[0, 1.5], [1, 2]]) {
      writeRun(dir, `tanglenas-seed${seed}-retrain`, {
        config: { space: 'lm-tiny', seed, arch: join(search, 'architecture.json') },
        command: 'train',
        status: { status: 'done' },
        metrics: [{ kind: 'epoch', phase: 'train', epoch: 0, test_acc: 0.5, time_s: 30, rss_mb: 100 }],
      });
      writeFileSync(join(dir, `tanglenas-seed${seed}-retrain`, 'result.json'), JSON.stringify({ command: 'train', architecture: { a: 1 }, benchmark: null, test_acc: 0.5, test_loss: loss, epochs: 1, time_s: 30 }));
    }
    const s = summarize(loadRuns(dir));
    assert.deepEqual(
      s.groups.map((g) => [g.label, g.source, g.accuracy?.mean, g.loss?.mean]),
      [
        ['TangleNAS (WE)', 'inherited', 25, 2.5],
        ['TangleNAS (WE), retrained', 'retrained', 50, 1.75],
      ],
    );
    const md = toMarkdown(summaryTable(s)).split('\n');
    assert.equal(md[0].split(' | ')[6], 'Test loss');
    assert.equal(md[3], '| Retrain | TangleNAS | WE | 50.00 ± 0.00 | 50.00, 50.00 | retrained | 1.7500 ± 0.2500 | 0.5 ± 0.0 | 100 ± 0 | — | — | 1, 1 | 2/2 |');
  }));

test("summary: a retrain started with 'train --from RUN' (the architecture inline in its config) is linked to RUN by compare's <run>-retrain folder name", () =>
  withTempDir(async (dir) => {
    writeRun(dir, 'spos-es-seed0', {
      config: { space: 'toy-cell', method: 'spos', form: 'we', black_box: 'es', seed: 0 },
      command: 'two-stage',
      status: { status: 'done' },
      architecture: { architecture: { a: 1 }, benchmark: null, supernet_valid_acc: 0.3, inherited_test_acc: 0.25, time_s: 60 },
    });
    writeRun(dir, 'spos-es-seed0-retrain', {
      config: { space: 'toy-cell', seed: 0, arch: '{"a": 1}' },
      command: 'train',
      status: { status: 'done' },
      metrics: [{ kind: 'epoch', phase: 'train', epoch: 0, test_acc: 0.5, time_s: 30, rss_mb: 100 }],
    });
    writeFileSync(join(dir, 'spos-es-seed0-retrain', 'result.json'), JSON.stringify({ command: 'train', architecture: { a: 1 }, benchmark: null, test_acc: 0.5, epochs: 1, time_s: 30 }));
    const s = summarize(loadRuns(dir));
    assert.deepEqual(s.groups.map((g) => g.label), ['SPOS+ES (WE)', 'SPOS+ES (WE), retrained']);
  }));

test('summary: image spaces get no loss column, even where results record a loss', () =>
  withTempDir(async (dir) => {
    writeRun(dir, 'tanglenas-seed0', {
      config: { space: 'toy-cell', method: 'drnas', form: 'we', seed: 0 },
      command: 'search',
      status: { status: 'done' },
      architecture: { architecture: { a: 1 }, benchmark: { testAcc: 91 }, inherited_test_acc: 0.6, inherited_test_loss: 0.9, time_s: 60 },
    });
    const header = toMarkdown(summaryTable(summarize(loadRuns(dir)))).split('\n')[0];
    assert.ok(!header.includes('Test loss'), header);
  }));

test('summary table: a benchmark with other test accuracies (nb201: CIFAR-100, ImageNet16-120) gets a column for each; the toy train_acc does not', () =>
  withTempDir(async (dir) => {
    const columns = (c10: number, c100: number, in16: number) => ({ cifar10_test_200ep: c10, cifar100_test_200ep: c100, imagenet16_120_test_200ep: in16 });
    const runs: [number, string, ReturnType<typeof columns>][] = [
      [0, 'k0', columns(94.37, 73.25, 46.5)],
      [1, 'k1', columns(93.5, 71.75, 45.5)],
    ];
    for (const [seed, key, cols] of runs) {
      writeRun(dir, `tanglenas-seed${seed}`, {
        config: { space: 'nb201', method: 'drnas', form: 'we', seed, budget_minutes: 4, budget_clock: 'wall', train_portion: 0.5 },
        command: 'search',
        preset: 'nb201/tanglenas',
        status: { status: 'done' },
        architecture: { command: 'search', architecture: { edge_1_0: 'nor_conv_3x3' }, benchmark_key: key, benchmark: { key, testAcc: cols.cifar10_test_200ep, trainAcc: null, columns: cols, rank: 1, size: 15625, optimum: 94.37, percentile: 99.9 }, epochs: 1, time_s: 60 },
      });
    }
    writeRun(dir, 'toy', {
      config: { space: 'toy-cell', method: 'drnas', form: 'ws', seed: 0, budget_minutes: 4, budget_clock: 'wall', train_portion: 0.5 },
      command: 'search',
      preset: 'toy-cell/drnas-ws',
      status: { status: 'done' },
      architecture: { command: 'search', architecture: { a: 'x' }, benchmark_key: 't', benchmark: { key: 't', testAcc: 90, trainAcc: 95, columns: { test_acc: 90, train_acc: 95 }, rank: 1, size: 4096, optimum: 91.63, percentile: 99 }, epochs: 1, time_s: 60 },
    });
    const s = summarize(loadRuns(dir));
    const toy = s.runs.find((r) => r.run.name === 'toy')!;
    assert.deepEqual(toy.benchmarkColumns, {});
    const md = toMarkdown(summaryTable(s)).split('\n');
    assert.match(md[0], /\| Test acc \(%\) \| per seed \| measured as \| cifar100_test_200ep \(%\) \| imagenet16_120_test_200ep \(%\) \| Search time/);
    const row = md.find((l) => l.includes('TangleNAS'))!.split('|').map((c) => c.trim());
    assert.deepEqual(row.slice(4, 9), ['**93.94 ± 0.44**', '94.37, 93.50', 'benchmark', '72.50 ± 0.75', '46.00 ± 0.50']);
    assert.ok(md.some((l) => l.includes('cifar100_test_200ep, imagenet16_120_test_200ep: the benchmark')));
  }));
