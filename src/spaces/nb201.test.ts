// NAS-Bench-201: the space's own facts (parameter counts, the NB201 string and
// its errors, exactness of one-hot superposition in train and eval mode with
// 'none' edges and absent nodes, which edges get a gradient), the lookup in the
// released CSV (five cells checked by hand, every key), and a short search and
// lookup from the CLI. The invariant tests every space gets are in spaces.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSpace, getSpace } from './index.js';
import { NB201_OPS, Nb201Space } from './nb201.js';
import { oneHotOutputs } from './test-util.js';
import { ArchSample } from '../nas/arch.js';
import type { Architecture } from '../nas/choice.js';
import { createSampler } from '../nas/samplers/index.js';
import { loadBenchmark } from '../search/benchmark.js';
import { resolveConfig } from '../search/presets.js';
import { F, manualSeed, noGrad, oneHot, randint, randn, tensor, tidy, type Tensor } from '../tensor/index.js';

const CSV = resolve('..', 'shared', 'data', 'nasbench201', 'nb201_merged.csv');
const noCsv = !existsSync(CSV) && 'shared NAS-Bench-201 CSV not present';
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
const NB201_JS = join(dirname(fileURLToPath(import.meta.url)), 'nb201.js');

const space = (form: 'we' | 'ws' = 'we', numClasses?: number) => createSpace('nb201', { form, numClasses }) as Nb201Space;
const maxDiff = (a: Tensor, b: Tensor) => tidy(() => a.sub(b).abs().max().item());

// Cells named by their NB201 strings.
const OPTIMUM_C10 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const OPTIMUM_C100 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|';
const OPTIMUM_IN16 = '|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|';
const ALL_SKIP = '|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|';
const ALL_NONE = '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|';
/** Node 1 receives nothing (so its edges out are not run); node 2 reaches the output only through a pool. */
const NODE1_ABSENT = '|none~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|none~0|skip_connect~1|avg_pool_3x3~2|';
/** Node 3 receives nothing: the cell outputs zeros (the CSV gives such cells 10%). */
const OUTPUT_ABSENT = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|';
/** Node 2 is computed but reaches no output. */
const NODE2_UNUSED = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_3x3~0|nor_conv_1x1~1|none~2|';

test('nb201: parameter counts (WE 1,528,186, WS 1,692,826), 15,625 architectures, classes from the dataset', () => {
  manualSeed(0);
  // stem 432 + 32; per WE edge 9C^2 + C (3x3 conv with bias, BN affine=False), 6 edges x 5 cells per stage;
  // ResNet blocks 14,464 and 57,600; last BN 128; classifier 650. WS: a separate 1x1 conv per edge (+ C^2 + C).
  const we = space('we');
  const ws = space('ws');
  assert.equal(we.supernet.numParameters(), 1_528_186);
  assert.equal(ws.supernet.numParameters(), 1_692_826);
  assert.equal(we.size(), 15_625);
  assert.deepEqual(we.choices.map((c) => c.name), ['edge_1_0', 'edge_2_0', 'edge_2_1', 'edge_3_0', 'edge_3_1', 'edge_3_2']);
  assert.deepEqual(we.choices[0].values, NB201_OPS);
  // The sub-network of a cell with three 3x3 convs (a conv with bias and BN affine=False has as many weights as NB201's conv + affine BN).
  const arch = we.fromBenchmarkKey('|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|');
  assert.equal(we.subnet(arch, { inherit: false }).numParameters(), 800_746);
  assert.equal(we.subnet(we.fromBenchmarkKey(ALL_NONE), { inherit: false }).numParameters(), 73_306);
  const c100 = space('we', 100);
  assert.equal(c100.numClasses, 100);
  assert.equal(c100.supernet.numParameters(), 1_528_186 + 90 * 65);
  const logits = noGrad(() => c100.supernet.forward(randn([2, 3, 32, 32]), createSampler('drnas').sample(c100.choices)));
  assert.deepEqual(logits.shape, [2, 100]);
  for (const s of [we, ws, c100]) s.supernet.dispose();
});

test('nb201: the benchmark key is the NB201 string; malformed strings and unknown ops are refused clearly', () => {
  const s = space();
  const zero = Object.fromEntries(s.choices.map((c) => [c.name, 0]));
  assert.equal(s.benchmarkKey(zero), '|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|');
  const arch = s.fromBenchmarkKey(` ${OPTIMUM_C10}\n`);
  assert.deepEqual(JSON.parse(s.encode(arch)), { edge_1_0: 'nor_conv_3x3', edge_2_0: 'nor_conv_3x3', edge_2_1: 'nor_conv_3x3', edge_3_0: 'skip_connect', edge_3_1: 'nor_conv_3x3', edge_3_2: 'nor_conv_1x1' });
  assert.equal(s.benchmarkKey(arch), OPTIMUM_C10);
  const bad: [string, RegExp][] = [
    ['|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|', /'\|nor_conv_3x3~0\|\+.*' is not an NB201 cell string: 2 node groups joined by '\+', not 3; expected \|op~0\|\+\|op~0\|op~1\|\+\|op~0\|op~1\|op~2\| with ops from avg_pool_3x3, nor_conv_3x3, nor_conv_1x1, skip_connect, none/],
    ['', /1 node group joined by '\+', not 3/],
    ['nor_conv_3x3~0+|none~0|none~1|+|none~0|none~1|none~2|', /node 1's group 'nor_conv_3x3~0' does not start and end with '\|'/],
    ['|none~0|none~1|+|none~0|none~1|+|none~0|none~1|none~2|', /node 1 lists 2 edges, not 1/],
    ['|none~0|+|none~0|+|none~0|none~1|none~2|', /node 2 lists 1 edge, not 2/],
    ['|none~1|+|none~0|none~1|+|none~0|none~1|none~2|', /edge 'none~1' of node 1 must come from node 0/],
    ['|none|+|none~0|none~1|+|none~0|none~1|none~2|', /edge 'none' of node 1 is not op~source/],
    ['|none~0|+|none~0|conv_5x5~1|+|none~0|none~1|none~2|', /^Error: nb201: unknown op 'conv_5x5' in '\|none~0\|\+.*' \(ops: avg_pool_3x3, nor_conv_3x3, nor_conv_1x1, skip_connect, none\)$/],
  ];
  for (const [key, re] of bad) assert.throws(() => s.fromBenchmarkKey(key), (e: Error) => re.test(String(e)), key);
  s.supernet.dispose();
});

test('nb201: the 15,625 architectures are exactly the CSV\'s keys, each round-tripping', { skip: noCsv }, () => {
  const s = space();
  const keys = readFileSync(CSV, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]);
  assert.equal(keys.length, 15_625);
  const fromSpace = new Set<string>();
  for (let n = 0; n < 15_625; n++) {
    const arch: Architecture = Object.fromEntries(s.choices.map((c, i) => [c.name, Math.floor(n / 5 ** (5 - i)) % 5]));
    const key = s.benchmarkKey(arch);
    fromSpace.add(key);
    assert.deepEqual(s.fromBenchmarkKey(key), arch);
  }
  assert.equal(fromSpace.size, 15_625);
  for (const k of keys) assert.ok(fromSpace.has(k), k);
  s.supernet.dispose();
});

test('nb201 lookup: five cells checked by hand against nb201_merged.csv (grep of their rows)', { skip: noCsv }, () => {
  const b = loadBenchmark('nb201', CSV);
  assert.equal(b.size, 15_625);
  assert.deepEqual(b.best, { cifar10_test_200ep: 94.373333, cifar100_test_200ep: 73.513333, imagenet16_120_test_200ep: 47.311111 });
  const row = (key: string) => {
    const h = b.lookup(key)!;
    return [h.columns.cifar10_test_200ep, h.columns.cifar100_test_200ep, h.columns.imagenet16_120_test_200ep, h.rank, Number(h.percentile.toFixed(4))];
  };
  // CSV rows 6111, 9930, 857, 1835, 1651; ranks and percentiles by CIFAR-10 counted with awk.
  assert.deepEqual(row(OPTIMUM_C10), [94.373333, 73.22, 46.711111, 1, 99.9872]); // tied with row 13714
  assert.deepEqual(row(OPTIMUM_C100), [94.363333, 73.513333, 46.344444, 3, 99.9808]);
  assert.deepEqual(row(OPTIMUM_IN16), [93.986667, 72.88, 47.311111, 44, 99.7184]);
  assert.deepEqual(row(ALL_SKIP), [54.296667, 15.606667, 16.322222, 15_231, 2.5216]);
  assert.deepEqual(row(ALL_NONE), [10, 1, 0.833333, 15_285, 0]); // one of 341 cells at 10%
  const hit = b.lookup(OPTIMUM_C10)!;
  assert.deepEqual([hit.testAcc, hit.trainAcc, hit.optimum, hit.size], [94.373333, null, 94.373333, 15_625]);
  assert.deepEqual(b.top(2).map((e) => e.key).sort(), [OPTIMUM_C10, '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|'].sort());
});

test('nb201: one-hot superposition == discrete == sub-network, train and eval mode, with none edges and absent nodes', () => {
  manualSeed(5);
  for (const form of ['we', 'ws'] as const) {
    const s = space(form);
    const x = randn([4, 3, 32, 32]);
    const drnas = createSampler('drnas');
    noGrad(() => { for (let i = 0; i < 2; i++) tidy(() => s.supernet.forward(x, drnas.sample(s.choices))); });
    for (const mode of ['train', 'eval'] as const) {
      if (mode === 'eval') s.supernet.eval();
      for (const key of [OPTIMUM_C10, NODE1_ABSENT, OUTPUT_ABSENT, NODE2_UNUSED, ALL_SKIP, '|avg_pool_3x3~0|+|nor_conv_1x1~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|']) {
        const arch = s.fromBenchmarkKey(key);
        tidy(() => {
          const sup = noGrad(() => s.supernet.forward(x, s.fixed(arch, 'superposition')));
          const disc = noGrad(() => s.supernet.forward(x, s.fixed(arch, 'discrete')));
          const net = s.subnet(arch, { inherit: true });
          if (mode === 'eval') net.eval();
          const sub = noGrad(() => net.forward(x));
          net.dispose();
          const scale = Math.max(1, sup.abs().max().item());
          for (const [what, y] of [['discrete', disc], ['sub-network', sub]] as const) {
            assert.ok(maxDiff(sup, y) <= 1e-5 * scale, `${form} ${mode} ${key}: superposition vs ${what} differ by ${maxDiff(sup, y)}`);
          }
        });
      }
    }
    // Eval mode through the shared helper too, and the sub-network drops 'none' edges and those out of absent nodes.
    tidy(() => {
      const { sup, sub } = oneHotOutputs(s, s.fromBenchmarkKey(NODE1_ABSENT), x);
      assert.ok(maxDiff(sup, sub) <= 1e-5 * Math.max(1, sup.abs().max().item()));
    });
    const net = s.subnet(s.fromBenchmarkKey(NODE1_ABSENT), { inherit: false });
    assert.deepEqual(net.cells[0].edges.map((e) => (e === null || typeof e === 'string' ? e : `conv${e.k}`)), [null, 'conv1', null, null, null, 'pool']);
    net.dispose();
    s.supernet.dispose();
  }
});

test('nb201: the edges a straight-through discrete forward (GDAS) gives a gradient are activeChoices', () => {
  manualSeed(6);
  const s = space('we');
  const x = randn([2, 3, 32, 32]);
  const y = randint(0, 10, [2]);
  const cases: [string, string[]][] = [
    [OPTIMUM_C10, ['edge_1_0', 'edge_2_0', 'edge_2_1', 'edge_3_0', 'edge_3_1', 'edge_3_2']],
    [NODE1_ABSENT, ['edge_2_0', 'edge_3_2']],
    [OUTPUT_ABSENT, []],
    [NODE2_UNUSED, ['edge_1_0', 'edge_3_0', 'edge_3_1']],
    [ALL_NONE, []],
  ];
  for (const [key, expected] of cases) {
    const arch = s.fromBenchmarkKey(key);
    assert.deepEqual(s.activeChoices(arch).map((c) => c.name), expected, key);
    tidy(() => {
      // w = onehot - sg(h) + h: GDAS's straight-through weights at a chosen architecture.
      const weights = new Map(s.choices.map((c) => {
        const h = F.softmax(c.alpha, -1);
        return [c, oneHot(tensor([arch[c.name]], { dtype: 'int64' }), c.size).float().reshape(c.size).sub(h.detach()).add(h)];
      }));
      const sample = new ArchSample('discrete', weights, { straightThrough: true, indices: new Map(s.choices.map((c) => [c, arch[c.name]])) });
      s.loss(s.supernet.forward(x, sample), y).backward();
    });
    const withGrad = s.choices.filter((c) => tidy(() => (c.alpha.grad?.abs().sum().item() ?? 0) > 0)).map((c) => c.name);
    assert.deepEqual(withGrad, expected, key);
    for (const c of s.choices) c.alpha.grad = null;
    s.supernet.zeroGrad();
  }
  s.supernet.dispose();
});

test('nb201: expected cost at one-hot == exact cost of the sub-network, absent nodes included', () => {
  manualSeed(7);
  for (const form of ['we', 'ws'] as const) {
    const s = space(form);
    noGrad(() => tidy(() => s.supernet.forward(randn([1, 3, 32, 32]), createSampler('darts').sample(s.choices))));
    for (const key of [OPTIMUM_C10, NODE1_ABSENT, OUTPUT_ABSENT, ALL_NONE]) {
      const arch = s.fromBenchmarkKey(key);
      tidy(() => {
        const net = s.subnet(arch, { inherit: false }).eval();
        const exact = s.measureSubnetCost(net, randn([1, 3, 32, 32]));
        net.dispose();
        const c = s.expectedCost(s.fixed(arch, 'superposition'));
        assert.deepEqual([Math.round(c.params.item()), Math.round(c.flops.item())], [exact.params, exact.flops], `${form} ${key}`);
      });
    }
    s.supernet.dispose();
  }
});

test('nb201: registry facts and the reference recipes (reference-facts 6.3)', () => {
  const info = getSpace('nb201');
  assert.deepEqual([info.task, info.datasets, info.inputShape, info.metric, info.forms], ['classification', ['cifar10', 'cifar100'], [3, 32, 32], 'accuracy', ['we', 'ws']]);
  assert.deepEqual(info.benchmark, { file: 'nb201_merged.csv', format: 'csv', dir: 'nasbench201', id: 'nb201', metric: 'accuracy', columns: ['cifar10_test_200ep', 'cifar100_test_200ep', 'imagenet16_120_test_200ep'] });
  assert.deepEqual(info.recipes.compare, ['tanglenas', 'drnas-ws', 'spos-rs', 'spos-es']);
  const cfg = (preset: string) => resolveConfig({ preset: `nb201/${preset}`, defaultPreset: 'nb201/tanglenas' }).config;
  const t = cfg('tanglenas');
  assert.deepEqual([t.method, t.form, t.optimizer, t.lr, t.momentum, t.nesterov, t.weight_decay, t.epochs, t.batch_size, t.lr_schedule, t.lr_min, t.train_portion, t.dataset], ['drnas', 'we', 'sgd', 0.025, 0.9, false, 3e-4, 100, 64, 'cosine', 1e-3, 0.5, 'cifar10']);
  assert.deepEqual([cfg('drnas-ws').form, cfg('drnas-ws').epochs], ['ws', 100]);
  assert.deepEqual([cfg('darts').epochs, cfg('gdas').epochs, cfg('gdas').lr], [50, 250, 0.025]);
  for (const p of ['spos-es', 'spos-rs']) assert.deepEqual([cfg(p).epochs, cfg(p).train_portion, cfg(p).lr, cfg(p).nesterov], [250, 0.8, 0.025, false], p);
  assert.equal(resolveConfig({ preset: 'nb201/tanglenas', overrides: { dataset: 'cifar100' }, defaultPreset: 'nb201/tanglenas' }).config.dataset, 'cifar100');
});

// ---------------------------------------------------------------- the CLI

let plugin: string[] | null = null;
const cli = (args: string[]) => {
  // Until spaces/index.ts registers nb201, the CLI gets it as a plugin (the compiled space file).
  plugin ??= /\bnb201\b/.test(spawnSync(process.execPath, [MAIN, 'spaces'], { encoding: 'utf8' }).stdout) ? [] : ['--plugin', NB201_JS];
  return spawnSync(process.execPath, [MAIN, ...args, ...plugin], { encoding: 'utf8', env: { ...process.env, TANGLENAS_THREADS: '1', TANGLENAS_BENCH_DIR: '' } });
};

test('nb201 CLI: a short search on synthetic data records the three benchmark accuracies', { skip: noCsv }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-nb201-'));
  try {
    const run = join(dir, 'run');
    const r = cli(['search', '--space', 'nb201', '--dataset', 'synthetic', '--epochs', '1', '--set', 'steps_per_epoch=2', '--batch-size', '8', '--set', 'synthetic_train=32', '--set', 'synthetic_test=8', '--set', 'eval_batch_size=16', '--set', 'bn_calibration_samples=0', '--set', 'loader_workers=0', '--benchmark-dir', dirname(CSV), '--run-dir', run, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const a = JSON.parse(readFileSync(join(run, 'architecture.json'), 'utf8'));
    assert.equal(a.space, 'nb201');
    const s = space();
    assert.equal(a.benchmark_key, s.benchmarkKey(s.decode(JSON.stringify(a.architecture))));
    s.supernet.dispose();
    const row = readFileSync(CSV, 'utf8').split('\n').find((l) => l.split(',')[1] === a.benchmark_key)!.split(',');
    assert.deepEqual(a.benchmark.columns, { cifar10_test_200ep: Number(row[2]), cifar100_test_200ep: Number(row[3]), imagenet16_120_test_200ep: Number(row[4]) });
    assert.equal(a.benchmark.testAcc, Number(row[2]));
    const epoch = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((m) => m.kind === 'epoch');
    assert.deepEqual(Object.keys(epoch.benchmark_columns), ['cifar10_test_200ep', 'cifar100_test_200ep', 'imagenet16_120_test_200ep']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nb201 CLI: lookup by NB201 string or JSON prints all three columns; --top; bad strings and tables fail clearly', { skip: noCsv }, () => {
  const bench = ['--benchmark-dir', dirname(CSV)];
  const byKey = cli(['lookup', '--space', 'nb201', '--arch', OPTIMUM_C100, ...bench]);
  assert.equal(byKey.status, 0, byKey.stderr);
  assert.match(byKey.stdout, /cifar10_test_200ep 94\.36%  cifar100_test_200ep 73\.51%  imagenet16_120_test_200ep 46\.34%  rank 3 of 15625 by cifar10_test_200ep/);
  const json = JSON.stringify({ edge_1_0: 'skip_connect', edge_2_0: 'skip_connect', edge_2_1: 'skip_connect', edge_3_0: 'skip_connect', edge_3_1: 'skip_connect', edge_3_2: 'skip_connect' });
  const byJson = cli(['lookup', '--space', 'nb201', '--arch', json, '--json', ...bench]);
  assert.equal(byJson.status, 0, byJson.stderr);
  assert.deepEqual(JSON.parse(byJson.stdout).columns, { cifar10_test_200ep: 54.296667, cifar100_test_200ep: 15.606667, imagenet16_120_test_200ep: 16.322222 });
  const top = cli(['lookup', '--space', 'nb201', '--top', '3', ...bench]);
  assert.equal(top.status, 0, top.stderr);
  const lines = top.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[2], /^ {3}3 {2}cifar10_test_200ep 94\.36% {2}cifar100_test_200ep 73\.51% {2}imagenet16_120_test_200ep 46\.34% {2}\|nor_conv_3x3~0\|/);
  const unknownOp = cli(['lookup', '--space', 'nb201', '--arch', '|none~0|+|none~0|conv_5x5~1|+|none~0|none~1|none~2|', ...bench]);
  assert.notEqual(unknownOp.status, 0);
  assert.match(unknownOp.stderr, /unknown op 'conv_5x5' in '\|none~0\|\+\|none~0\|conv_5x5~1\|\+\|none~0\|none~1\|none~2\|' \(ops: avg_pool_3x3, nor_conv_3x3, nor_conv_1x1, skip_connect, none\)/);
  assert.equal(unknownOp.stderr.trim().split('\n').length, 1, unknownOp.stderr);
  const malformed = cli(['lookup', '--space', 'nb201', '--arch', '|none~0|+|none~0|none~1|', ...bench]);
  assert.match(malformed.stderr, /'\|none~0\|\+\|none~0\|none~1\|' is not an NB201 cell string: 2 node groups/);
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-nb201-'));
  try {
    writeFileSync(join(dir, 'nb201_merged.csv'), 'index,arch,cifar10_test_200ep\n0,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,10\n');
    const missing = cli(['lookup', '--space', 'nb201', '--top', '1', '--benchmark-dir', dir]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /benchmark '.*nb201_merged\.csv' has no columns 'cifar100_test_200ep', 'imagenet16_120_test_200ep'; expected a CSV whose header names arch, cifar10_test_200ep, cifar100_test_200ep, imagenet16_120_test_200ep/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
