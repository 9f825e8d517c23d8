// The DARTS space: registry facts and recipes, parameter counts against
// DARTS's own, the genotype derivation and its string form, one-hot
// superposition == discrete == sub-network on any architecture (also ones that
// are no DARTS cell), the evaluation network (auxiliary head, drop-path) and
// the CLI path search -> train --from. The shared invariant tests
// (spaces.test.ts) cover darts once it is imported by spaces/index.ts; they run
// at its testOptions (4 cells of 4 channels).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropPath } from '../tensor/ops/dropout.js';
import { cellShapes, DARTS_EDGES, DARTS_PRIMITIVES, DartsNetwork, DartsSpace, deriveCell, genotypeString, parseGenotype } from './darts.js';
import { oneHotOutputs } from './test-util.js';
import { createSpace, getSpace } from '../nas/registry.js';
import { ArchSample } from '../nas/arch.js';
import type { Architecture, Choice } from '../nas/choice.js';
import { createSampler } from '../nas/samplers/index.js';
import { crossEntropy } from '../tensor/ops/loss.js';
import { softmax } from '../tensor/ops/activation.js';
import { manualSeed, noGrad, ones, randint, randn, tensor, tidy, type Tensor } from '../tensor/index.js';
import { Rng } from '../data/rng.js';
import { parseArchitecture } from '../search/common.js';
import { checkConsistency, checkFullConfig, checkLayer, configKeys } from '../search/config.js';
import { spaceOptionsFor, syntheticDataset } from '../search/data.js';
import { getPreset } from '../search/presets.js';
import { runPython, skipWithoutTorch } from '../nn/test-util.js';

const seeded = (seed: number) => {
  const r = new Rng(seed);
  return () => r.float();
};
const maxDiff = (a: Tensor, b: Tensor) => tidy(() => a.sub(b).abs().max().item());
const SMALL = { searchLayers: 5, searchChannels: 4 };
const SLOW = process.env.TANGLENAS_TEST_SLOW ? false : 'set TANGLENAS_TEST_SLOW=1 for gradients and costs at full size (8 cells, C = 16: seconds on an idle machine, minutes on a busy one)';

/** DARTS's published DARTS_V2 genotype (genotypes.py), concat written as a list. */
const DARTS_V2 =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], " +
  "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

/** An architecture from per-edge primitives (14 normal, 14 reduce). */
function archOf(space: DartsSpace, normal: string[], reduce: string[]): Architecture {
  const a: Architecture = {};
  space.normal.forEach((c, k) => (a[c.name] = c.indexOf(normal[k] as never)));
  space.reduce.forEach((c, k) => (a[c.name] = c.indexOf(reduce[k] as never)));
  return a;
}

/** Architectures that are no DARTS cell: node 2 without an input (a zero node), node 3 with 3 edges, a reduction cell almost all 'none', and all 'none'. */
function oddArchitectures(space: DartsSpace): Architecture[] {
  const none = Array<string>(14).fill('none');
  const normal = [...none];
  // node 2 (edges 0, 1): nothing; node 3 (edges 2-4): three edges, one from the zero node 2;
  // node 4 (edges 5-8): a pool and skip; node 5 (edges 9-13): a dil conv from node 4.
  [normal[2], normal[3], normal[4]] = ['sep_conv_5x5', 'dil_conv_3x3', 'avg_pool_3x3'];
  [normal[6], normal[8]] = ['max_pool_3x3', 'skip_connect'];
  normal[13] = 'dil_conv_5x5';
  const reduce = [...none];
  reduce[1] = 'skip_connect'; // FactorizedReduce from state 1
  reduce[9] = 'sep_conv_3x3';
  return [archOf(space, normal, reduce), archOf(space, none, none), archOf(space, normal, none)];
}

test('darts: registry facts, option keys and the recipes of reference-facts 6.4', () => {
  const info = getSpace('darts');
  assert.deepEqual([info.task, info.datasets, info.inputShape, info.metric, info.forms, info.benchmark], ['classification', ['cifar10'], [3, 32, 32], 'accuracy', ['we', 'ws'], undefined]);
  assert.deepEqual(Object.values(info.options).map((o) => [o.key, o.default]), [['search_layers', 8], ['search_channels', 16], ['eval_layers', 20], ['eval_channels', 36], ['auxiliary_weight', 0.4], ['drop_path_prob', 0.2]]);
  for (const k of ['search_layers', 'eval_layers', 'auxiliary_weight', 'drop_path_prob', 'cutout_length']) assert.ok(configKeys().includes(k), k);
  const v = (n: string) => getPreset(n)!.values as unknown as Record<string, unknown>;
  const pick = (n: string, keys: string[]) => keys.map((k) => v(n)[k]);
  const search = ['method', 'form', 'optimizer', 'lr', 'lr_min', 'momentum', 'nesterov', 'weight_decay', 'batch_size', 'train_portion', 'epochs', 'cutout_length'];
  assert.deepEqual(pick('darts/tanglenas', search), ['drnas', 'we', 'sgd', 0.025, 0, 0.9, true, 3e-4, 64, 0.5, 50, 0]);
  assert.deepEqual(pick('darts/drnas-ws', ['form', 'epochs']), ['ws', 50]);
  assert.deepEqual(pick('darts/darts', ['method', 'form', 'arch_preprocess', 'epochs']), ['darts', 'we', 'sparsemax', 50]);
  assert.deepEqual(pick('darts/darts-ws', ['form', 'arch_preprocess']), ['ws', 'softmax']);
  assert.deepEqual(pick('darts/gdas', ['epochs', 'batch_size', 'train_portion']), [250, 256, 0.5]);
  assert.deepEqual(pick('darts/spos-es', ['method', 'epochs', 'batch_size', 'train_portion']), ['spos', 250, 256, 0.8]);
  assert.deepEqual(pick('darts/spos-rs', ['epochs', 'batch_size', 'train_portion']), [250, 256, 0.8]);
  const retrain = ['epochs', 'batch_size', 'optimizer', 'lr', 'lr_min', 'lr_schedule', 'momentum', 'weight_decay', 'grad_clip', 'cutout_length', 'train_portion', 'eval_layers', 'eval_channels', 'auxiliary_weight', 'drop_path_prob'];
  assert.deepEqual(pick('darts/retrain', retrain), [600, 96, 'sgd', 0.025, 0, 'cosine', 0.9, 3e-4, 5, 16, 1, 20, 36, 0.4, 0.2]);
  // Every config holds every key; the other spaces keep cutout off.
  assert.equal(v('toy-cell/retrain').cutout_length, 0);
  assert.equal(v('toy-cell/tanglenas').eval_layers, 20);
  // Bad values name the key; odd channels are refused before a run starts.
  assert.throws(() => checkLayer({ eval_layers: 1 } as never, 'in test'), /'eval_layers' in test must be an integer >= 2/);
  assert.throws(() => checkLayer({ drop_path_prob: 1 } as never, 'in test'), /'drop_path_prob' in test must be a number >= 0 and < 1/);
  assert.throws(() => checkConsistency({ ...getPreset('darts/retrain')!.values, eval_channels: 9 } as never), /eval_channels \(9\) must be even/);
  assert.throws(() => checkConsistency({ ...getPreset('lm-tiny/tanglenas')!.values, cutout_length: 16 }), /cutout_length applies to image datasets/);
  // A run's config reaches the space by option name; runs written before these keys existed read back.
  const c = getPreset('darts/retrain')!.values;
  assert.deepEqual(spaceOptionsFor({ ...c, eval_layers: 3 } as never, syntheticDataset('cifar10', 4, 2)), { form: 'we', numClasses: 10, searchLayers: 8, searchChannels: 16, evalLayers: 3, evalChannels: 36, auxiliaryWeight: 0.4, dropPathProb: 0.2 });
  const old = { ...getPreset('toy-cell/tanglenas')!.values } as Record<string, unknown>;
  for (const k of ['cutout_length', ...Object.values(info.options).map((o) => o.key)]) delete old[k];
  const back = checkFullConfig(old, 'in an old run') as unknown as Record<string, unknown>;
  assert.deepEqual([back.cutout_length, back.eval_layers, back.drop_path_prob], [0, 20, 0.2]);
  // createSpace checks a space's options by name and type.
  assert.throws(() => createSpace('darts', { evalLayer: 3 }), /space 'darts': unknown option 'evalLayer' \(its options: searchLayers, searchChannels/);
  assert.throws(() => createSpace('darts', { searchLayers: 'eight' }), /option 'searchLayers' \(config key search_layers\) must be an integer >= 2, got "eight"/);
});

test('darts: choices (28 edges x 8 primitives), cell plan and parameter counts equal DARTS', () => {
  manualSeed(0);
  const ws = createSpace('darts', { form: 'ws' }) as DartsSpace;
  assert.equal(ws.choices.length, 28);
  assert.deepEqual(ws.choices[0].values, DARTS_PRIMITIVES);
  assert.deepEqual([ws.choices[0].name, ws.choices[4].name, ws.choices[13].name, ws.choices[14].name], ['normal_n2_s0', 'normal_n3_s2', 'normal_n5_s4', 'reduce_n2_s0']);
  assert.deepEqual(cellShapes(16, 8).map((s) => [s.reduce, s.c]), [[false, 16], [false, 16], [true, 32], [false, 32], [false, 32], [true, 64], [false, 64], [false, 64]]);
  // DARTS's search model (model_search.Network(16, 10, 8)): its log prints "param size = 1.930618MB".
  assert.equal(ws.supernet.numParameters(), 1_930_618);
  // WE shares the pointwise convs and BNs of 3x3 and 5x5: per edge one sep 3x3 (2 x (9C + C^2)) and
  // one dil 3x3 (9C + C^2) fewer.
  const saved = cellShapes(16, 8).reduce((a, s) => a + 14 * 3 * (9 * s.c + s.c * s.c), 0);
  const we = createSpace('darts', { form: 'we' });
  assert.equal(we.supernet.numParameters(), 1_930_618 - saved);
  assert.equal(we.supernet.numParameters(), 1_143_034);
  ws.supernet.dispose();
  we.supernet.dispose();
});

test("darts: the evaluation network of DARTS_V2 has DARTS's 3,349,342 weights (20 cells, C = 36), logits and auxiliary logits", () => {
  manualSeed(0);
  const space = createSpace('darts', { searchLayers: 2, searchChannels: 2 }) as DartsSpace;
  const net = space.evaluationNetwork(space.fromBenchmarkKey(DARTS_V2));
  // DARTS's train.py prints "param size = 3.349342MB" for DARTS_V2 (auxiliary head excluded, as its
  // count_parameters_in_MB does); the paper's Table 1 rounds it to 3.3M. Exact: same modules, same shapes.
  assert.equal(net.numParametersWithoutAux(), 3_349_342);
  // The head: 1x1 conv 576 -> 128, BN, 2x2 conv 128 -> 768, BN, linear 768 -> 10.
  assert.equal(net.numParameters() - net.numParametersWithoutAux(), 576 * 128 + 256 + 128 * 768 * 4 + 1536 + 7690);
  assert.equal(net.cells.length, 20);
  tidy(() => {
    const x = randn([2, 3, 32, 32]);
    const { logits, aux } = net.forwardWithAux(x);
    assert.deepEqual([logits.shape, aux?.shape], [[2, 10], [2, 10]]);
    net.eval();
    assert.equal(net.forwardWithAux(x).aux, null);
  });
  net.dispose();
  space.supernet.dispose();
});

test('darts: genotype derivation: top-2 edges per node by their best non-none weight, then the best non-none primitive', () => {
  const P = (p: string) => DARTS_PRIMITIVES.indexOf(p as never);
  const row = (entries: Record<string, number>) => {
    const r = Array<number>(8).fill(0.01);
    for (const [p, w] of Object.entries(entries)) r[P(p)] = w;
    return r;
  };
  const w = [
    // node 2: edge 0's best is 'none' (0.5) but it still has sep_conv_3x3 (0.3); both edges kept
    row({ none: 0.5, sep_conv_3x3: 0.3 }),
    row({ skip_connect: 0.2 }),
    // node 3: edges 2 and 3 tie at 0.4 (the lower source wins the order), edge 3's avg and dil 5x5 tie
    // (the first primitive wins); edge 4 is nearly all 'none'
    row({ max_pool_3x3: 0.4 }),
    row({ avg_pool_3x3: 0.4, dil_conv_5x5: 0.4 }),
    row({ none: 0.9 }),
    // node 4: 'none' ties with sep_conv_5x5 on edge 6 (0.35): sep_conv_5x5; edge 7 is strongest
    row({ sep_conv_3x3: 0.1 }),
    row({ none: 0.35, sep_conv_5x5: 0.35 }),
    row({ dil_conv_3x3: 0.5 }),
    row({ max_pool_3x3: 0.2 }),
    // node 5: edge 13 strongest; edges 9 and 10 tie at 0.3: source 0
    row({ sep_conv_3x3: 0.3 }),
    row({ skip_connect: 0.3 }),
    row({ avg_pool_3x3: 0.1 }),
    row({ none: 0.8, dil_conv_3x3: 0.05 }),
    row({ sep_conv_5x5: 0.6 }),
  ];
  assert.deepEqual(deriveCell(w), [
    ['sep_conv_3x3', 0], ['skip_connect', 1],
    ['max_pool_3x3', 0], ['avg_pool_3x3', 1],
    ['dil_conv_3x3', 2], ['sep_conv_5x5', 1],
    ['sep_conv_5x5', 4], ['sep_conv_3x3', 0],
  ]);
  assert.throws(() => deriveCell(w.slice(1)), /13 edges, a DARTS cell has 14/);
});

test("darts: discretize() is the genotype of softmax(alpha) with the other edges 'none'; genotype() stays the plain argmax", () => {
  manualSeed(0);
  const space = createSpace('darts', SMALL) as DartsSpace;
  const set = (c: Choice, a: number[]) => noGrad(() => c.alpha.copy_(tensor(a)));
  // Normal: equal rows (argmax 'none', then sep_conv_3x3) tie everywhere: the lower sources win.
  space.normal.forEach((c) => set(c, DARTS_PRIMITIVES.map((_, p) => (p === 0 ? 2 : p === 4 ? 1 : 0))));
  // Node 5: edge 12 (from node 3) is strongest with sep_conv_5x5; edge 11 (from node 2) ties 'none'
  // with dil_conv_3x3 (softmax 0.30, above the others' 0.17).
  set(space.normal[12], [0, 0, 0, 0, 0, 3, 0, 0]);
  set(space.normal[11], [1.5, 0, 0, 0, 0, 0, 1.5, 0]);
  // Reduce: every edge prefers max_pool_3x3; edge 5 (node 4, source 0) has 'none' as its argmax.
  space.reduce.forEach((c) => set(c, [0, 1, 0, 0, 0, 0, 0, 0]));
  set(space.reduce[5], [5, 0.5, 0, 0, 0, 0, 0, 0]);
  const g = space.derivedGenotype();
  // Nodes 2-4 keep sources 0 and 1; node 5 its two strongest, strongest first.
  assert.deepEqual(g.normal, [['sep_conv_3x3', 0], ['sep_conv_3x3', 1], ['sep_conv_3x3', 0], ['sep_conv_3x3', 1], ['sep_conv_3x3', 0], ['sep_conv_3x3', 1], ['sep_conv_5x5', 3], ['dil_conv_3x3', 2]]);
  // Reduce edge 5's softmax: its max_pool weight is below the others', so node 4 keeps sources 1 and 2.
  assert.deepEqual(g.reduce.slice(4, 6), [['max_pool_3x3', 1], ['max_pool_3x3', 2]]);
  const arch = space.discretize();
  const ops = space.normal.map((c) => c.values[arch[c.name]]);
  assert.equal(ops.filter((o) => o !== 'none').length, 8);
  assert.deepEqual(edgesOf(5).map((k) => ops[k]), ['none', 'none', 'dil_conv_3x3', 'sep_conv_5x5', 'none']);
  assert.equal(space.benchmarkKey(arch).startsWith("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1),"), true);
  // The per-choice argmax keeps every edge (and 'none' where it wins): not a DARTS cell.
  const plain = space.genotype();
  assert.equal(plain[space.normal[0].name], 0);
  assert.equal(plain[space.reduce[5].name], 0);
  assert.notDeepEqual(plain, arch);
  space.supernet.dispose();
});

function edgesOf(node: number): number[] {
  return DARTS_EDGES.flatMap((e, k) => (e.node === node ? [k] : []));
}

test("darts: genotype strings round-trip (DARTS's list concat accepted, source order written); clear errors", () => {
  const space = createSpace('darts', SMALL) as DartsSpace;
  const v2 = space.fromBenchmarkKey(DARTS_V2);
  const key = space.benchmarkKey(v2);
  assert.equal(key, genotypeString(parseGenotype(key)));
  assert.match(key, /^Genotype\(normal=\[\('sep_conv_3x3', 0\), \('sep_conv_3x3', 1\), .*\], normal_concat=range\(2, 6\), reduce=\[\('max_pool_3x3', 0\), .*reduce_concat=range\(2, 6\)\)$/);
  // Node 4 of the normal cell: DARTS lists (sep 1), (skip 0); written in source order.
  assert.match(key, /\('sep_conv_3x3', 1\), \('skip_connect', 0\), \('sep_conv_3x3', 1\)/);
  assert.deepEqual(space.fromBenchmarkKey(key), v2);
  assert.equal(Object.values(v2).filter((i) => i !== 0).length, 16);
  const rnd = seeded(5);
  for (let i = 0; i < 20; i++) {
    const a = space.randomArchitecture(rnd);
    assert.deepEqual(space.fromBenchmarkKey(space.benchmarkKey(a)), a);
    assert.ok(space.toGenotype(a), 'random architectures are DARTS cells');
  }
  // An architecture that is no DARTS cell is keyed by its JSON.
  for (const a of oddArchitectures(space)) {
    assert.match(space.benchmarkKey(a), /^\{/);
    assert.deepEqual(space.fromBenchmarkKey(space.benchmarkKey(a)), a);
  }
  // train --arch "Genotype(...)": the CLI's architecture parser takes it.
  assert.deepEqual(parseArchitecture(space, DARTS_V2), v2);
  const bad: [string, RegExp][] = [
    ['Genotype(normal=[', /is not a genotype; expected Genotype\(normal=\[/],
    [DARTS_V2.replace("('sep_conv_3x3', 0)", "('sep_conv_7x7', 0)"), /unknown primitive 'sep_conv_7x7' in normal \(primitives: max_pool_3x3, /],
    [DARTS_V2.replace("('max_pool_3x3', 0)", "('none', 0)"), /'none' in reduce: a genotype lists the edges a node keeps/],
    [DARTS_V2.replace("('sep_conv_3x3', 0), ", ''), /normal has 7 edges; a DARTS genotype has 8 \(2 per node, nodes 2-5\)/],
    [DARTS_V2.replace("('sep_conv_3x3', 1)", "('sep_conv_3x3', 2)"), /normal edge 1 \('sep_conv_3x3', 2\) belongs to node 2, which takes states 0-1/],
    [DARTS_V2.replace("('max_pool_3x3', 1)", "('max_pool_3x3', 0)"), /reduce node 2 lists state 0 twice/],
    [DARTS_V2.replace('normal_concat=[2, 3, 4, 5]', 'normal_concat=range(1, 3)'), /normal_concat is 'range\(1, 3\)'; DARTS cells concatenate nodes 2-5/],
    [DARTS_V2.replace("('sep_conv_3x3', 0)", "(sep_conv_3x3, 0)"), /the normal list .* is not a list of \('primitive', source\) pairs/],
  ];
  for (const [k, re] of bad) assert.throws(() => space.fromBenchmarkKey(k), re, k);
  assert.throws(() => parseArchitecture(space, 'Genotype(normal=[)'), /neither JSON .* nor a benchmark key of 'darts': darts: 'Genotype\(normal=\[\)' is not a genotype/);
  space.supernet.dispose();
});

for (const form of ['we', 'ws'] as const) {
  test(`darts (${form}): one-hot superposition == discrete == sub-network, train and eval mode, also for cells that are no DARTS cell`, () => {
    manualSeed(11);
    const space = createSpace('darts', { ...SMALL, form }) as DartsSpace;
    const x = space.exampleBatch(3).x;
    const archs = [space.randomArchitecture(seeded(1)), ...oddArchitectures(space)];
    for (const mode of ['train', 'eval'] as const) {
      if (mode === 'eval') {
        const drnas = createSampler('drnas');
        space.supernet.train();
        noGrad(() => { for (let i = 0; i < 2; i++) tidy(() => space.supernet.forward(x, drnas.sample(space.choices))); });
        space.supernet.eval();
      }
      for (const arch of archs) {
        tidy(() => {
          const { sup, disc, sub } = oneHotOutputs(space, arch, x, mode);
          const scale = Math.max(1, sup.abs().max().item());
          assert.ok(maxDiff(sup, disc) <= 1e-5 * scale, `${mode}: superposition vs discrete differ by ${maxDiff(sup, disc)} for ${space.benchmarkKey(arch)}`);
          assert.ok(maxDiff(disc, sub) <= 1e-5 * scale, `${mode}: discrete vs sub-network differ by ${maxDiff(disc, sub)} for ${space.benchmarkKey(arch)}`);
        });
      }
    }
    space.supernet.dispose();
  });
}

test('darts: activeChoices is exactly the choices a straight-through sample gives a gradient (dead nodes, none edges)', () => {
  manualSeed(12);
  for (const form of ['we', 'ws'] as const) {
    const space = createSpace('darts', { ...SMALL, form }) as DartsSpace;
    const { x, y } = space.exampleBatch(2);
    for (const arch of [...oddArchitectures(space).slice(0, 1), oddArchitectures(space)[2], space.randomArchitecture(seeded(3))]) {
      tidy(() => {
        // GDAS's path: the chosen candidate scaled by its (differentiable) weight.
        const weights = new Map(space.choices.map((c) => [c, softmax(c.alpha, -1)]));
        const sample = new ArchSample('discrete', weights, { straightThrough: true, indices: new Map(space.choices.map((c) => [c, arch[c.name]])) });
        space.loss(space.supernet.forward(x, sample), y).backward();
      });
      const withGrad = space.choices.filter((c) => tidy(() => (c.alpha.grad?.abs().sum().item() ?? 0) > 0)).map((c) => c.name);
      for (const c of space.choices) c.alpha.grad = null;
      assert.deepEqual(withGrad, space.activeChoices(arch).map((c) => c.name), `${form}: ${space.benchmarkKey(arch)}`);
    }
    space.supernet.zeroGrad();
    space.supernet.dispose();
  }
  // The odd cell: node 2 is zero, so edge normal_n3_s2 (from it) is inactive; so is every 'none'.
  const space = createSpace('darts', SMALL) as DartsSpace;
  const active = new Set(space.activeChoices(oddArchitectures(space)[0]).map((c) => c.name));
  assert.ok(!active.has('normal_n3_s2') && active.has('normal_n3_s0') && !active.has('normal_n2_s0'));
  space.supernet.dispose();
});

test('darts: expected cost at one-hot == exact cost of the sub-network, also with none edges and zero nodes', () => {
  manualSeed(13);
  for (const form of ['we', 'ws'] as const) {
    const space = createSpace('darts', { ...SMALL, form }) as DartsSpace;
    noGrad(() => tidy(() => space.supernet.forward(space.exampleBatch(1).x, createSampler('darts').sample(space.choices))));
    for (const arch of oddArchitectures(space)) {
      tidy(() => {
        const net = space.subnet(arch, { inherit: false }).eval();
        const exact = space.measureSubnetCost(net, space.exampleBatch(1).x);
        net.dispose();
        const c = space.expectedCost(space.fixed(arch, 'superposition'));
        assert.deepEqual([Math.round(c.params.item()), Math.round(c.flops.item())], [exact.params, exact.flops], `${form}: ${space.benchmarkKey(arch)}`);
      });
    }
    space.supernet.dispose();
  }
});

test('darts: the auxiliary head adds auxiliary_weight x its loss, in training mode only', () => {
  manualSeed(14);
  const space = createSpace('darts', { ...SMALL, evalLayers: 3, evalChannels: 8, auxiliaryWeight: 0.4, dropPathProb: 0 }) as DartsSpace;
  const net = space.evaluationNetwork(space.randomArchitecture(seeded(2)));
  const x = randn([4, 3, 32, 32]);
  const y = randint(0, 10, [4]);
  tidy(() => {
    // Training mode: BN uses batch statistics, so repeated forwards agree exactly.
    const { loss, logits } = space.trainingLoss(net, x, y);
    const { logits: l2, aux } = net.forwardWithAux(x);
    const expected = crossEntropy(l2, y).add(crossEntropy(aux!, y).mul(0.4)).item();
    assert.ok(Math.abs(loss.item() - expected) < 1e-6, `${loss.item()} vs ${expected}`);
    assert.ok(crossEntropy(aux!, y).item() > 0.1, 'the auxiliary loss is not negligible');
    assert.equal(maxDiff(logits, l2), 0);
    assert.equal(maxDiff(net.forward(x), l2), 0);
    net.eval();
    const ev = space.trainingLoss(net, x, y);
    assert.equal(ev.loss.item(), crossEntropy(net.forward(x), y).item());
  });
  net.dispose();
  // No head at weight 0: the plain loss.
  const plain = createSpace('darts', { ...SMALL, evalLayers: 2, evalChannels: 4, auxiliaryWeight: 0 }) as DartsSpace;
  const n0 = plain.evaluationNetwork(plain.randomArchitecture(seeded(2)));
  assert.equal(n0.auxHead, null);
  tidy(() => assert.equal(plain.trainingLoss(n0, x, y).loss.item(), crossEntropy(n0.forward(x), y).item()));
  n0.dispose();
  space.supernet.dispose();
  plain.supernet.dispose();
});

test('darts: drop-path is scheduled linearly over the epochs and drops whole samples of non-identity edges in training mode', () => {
  manualSeed(15);
  const space = createSpace('darts', { ...SMALL, evalLayers: 2, evalChannels: 4, dropPathProb: 0.2 }) as DartsSpace;
  const net = space.evaluationNetwork(space.randomArchitecture(seeded(4)));
  assert.equal(net.dropPathProb, 0);
  for (const [e, p] of [[0, 0], [300, 0.1], [599, (0.2 * 599) / 600]]) {
    space.beforeTrainingEpoch(net, e, 600);
    assert.equal(net.dropPathProb, p);
  }
  // A search sub-network (no drop-path) stays at 0.
  const sub = space.subnet(space.randomArchitecture(seeded(4)), { inherit: false });
  space.beforeTrainingEpoch(sub, 300, 600);
  assert.equal(sub.dropPathProb, 0);
  sub.dispose();
  tidy(() => {
    const t = dropPath(ones([4000, 2, 1, 1]), 0.2);
    const v = t.toArray();
    assert.ok(v.every((a) => a === 0 || Math.abs(a - 1.25) < 1e-6), 'kept samples are scaled by 1/(1-p)');
    const zero = t.select(1, 0).eq(0).float().mean().item();
    assert.ok(zero > 0.17 && zero < 0.23, `dropped share ${zero}`);
    assert.equal(maxDiff(t.select(1, 0), t.select(1, 1)), 0, 'a sample is dropped as a whole');
    const x = randn([3, 3, 32, 32]);
    net.train();
    space.beforeTrainingEpoch(net, 0, 10);
    assert.equal(maxDiff(net.forward(x), net.forward(x)), 0, 'no drop-path at epoch 0');
    space.beforeTrainingEpoch(net, 9, 10);
    assert.ok(maxDiff(net.forward(x), net.forward(x)) > 0, 'drop-path at epoch 9');
    net.eval();
    assert.equal(maxDiff(net.forward(x), net.forward(x)), 0, 'no drop-path in eval mode');
  });
  net.dispose();
  space.supernet.dispose();
});

// ---------------------------------------------------------------- parity with DARTS's PyTorch code

/** DARTS's operations.py and model.py (NetworkCIFAR, AuxiliaryHeadCIFAR, Cell), abridged to what the evaluation network uses. */
const DARTS_PY = String.raw`
import json, sys, torch, torch.nn as nn
from collections import namedtuple
Genotype = namedtuple('Genotype', 'normal normal_concat reduce reduce_concat')
class ReLUConvBN(nn.Module):
  def __init__(s, ci, co, k, st, p, affine=True):
    super().__init__(); s.op = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(ci, co, k, stride=st, padding=p, bias=False), nn.BatchNorm2d(co, affine=affine))
  def forward(s, x): return s.op(x)
class DilConv(nn.Module):
  def __init__(s, ci, co, k, st, p, d, affine=True):
    super().__init__(); s.op = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(ci, ci, k, stride=st, padding=p, dilation=d, groups=ci, bias=False), nn.Conv2d(ci, co, 1, padding=0, bias=False), nn.BatchNorm2d(co, affine=affine))
  def forward(s, x): return s.op(x)
class SepConv(nn.Module):
  def __init__(s, ci, co, k, st, p, affine=True):
    super().__init__(); s.op = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(ci, ci, k, stride=st, padding=p, groups=ci, bias=False), nn.Conv2d(ci, ci, 1, padding=0, bias=False), nn.BatchNorm2d(ci, affine=affine),
      nn.ReLU(inplace=False), nn.Conv2d(ci, ci, k, stride=1, padding=p, groups=ci, bias=False), nn.Conv2d(ci, co, 1, padding=0, bias=False), nn.BatchNorm2d(co, affine=affine))
  def forward(s, x): return s.op(x)
class Identity(nn.Module):
  def forward(s, x): return x
class FactorizedReduce(nn.Module):
  def __init__(s, ci, co, affine=True):
    super().__init__(); s.relu = nn.ReLU(inplace=False); s.conv_1 = nn.Conv2d(ci, co // 2, 1, stride=2, padding=0, bias=False); s.conv_2 = nn.Conv2d(ci, co // 2, 1, stride=2, padding=0, bias=False); s.bn = nn.BatchNorm2d(co, affine=affine)
  def forward(s, x):
    x = s.relu(x); return s.bn(torch.cat([s.conv_1(x), s.conv_2(x[:, :, 1:, 1:])], dim=1))
OPS = {
  'avg_pool_3x3': lambda C, st, a: nn.AvgPool2d(3, stride=st, padding=1, count_include_pad=False),
  'max_pool_3x3': lambda C, st, a: nn.MaxPool2d(3, stride=st, padding=1),
  'skip_connect': lambda C, st, a: Identity() if st == 1 else FactorizedReduce(C, C, affine=a),
  'sep_conv_3x3': lambda C, st, a: SepConv(C, C, 3, st, 1, affine=a),
  'sep_conv_5x5': lambda C, st, a: SepConv(C, C, 5, st, 2, affine=a),
  'dil_conv_3x3': lambda C, st, a: DilConv(C, C, 3, st, 2, 2, affine=a),
  'dil_conv_5x5': lambda C, st, a: DilConv(C, C, 5, st, 4, 2, affine=a),
}
class Cell(nn.Module):
  def __init__(s, genotype, cpp, cp, C, reduction, reduction_prev):
    super().__init__()
    s.preprocess0 = FactorizedReduce(cpp, C) if reduction_prev else ReLUConvBN(cpp, C, 1, 1, 0)
    s.preprocess1 = ReLUConvBN(cp, C, 1, 1, 0)
    names, idx = zip(*(genotype.reduce if reduction else genotype.normal)); s._concat = genotype.reduce_concat if reduction else genotype.normal_concat
    s._steps = len(names) // 2; s.multiplier = len(s._concat); s.reduction = reduction
    s._ops = nn.ModuleList([OPS[n](C, 2 if reduction and i < 2 else 1, True) for n, i in zip(names, idx)]); s._indices = idx
  def forward(s, s0, s1):
    st = [s.preprocess0(s0), s.preprocess1(s1)]
    for i in range(s._steps):
      st.append(s._ops[2 * i](st[s._indices[2 * i]]) + s._ops[2 * i + 1](st[s._indices[2 * i + 1]]))
    return torch.cat([st[i] for i in s._concat], dim=1)
class AuxiliaryHeadCIFAR(nn.Module):
  def __init__(s, C, n):
    super().__init__()
    s.features = nn.Sequential(nn.ReLU(inplace=True), nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False), nn.Conv2d(C, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True), nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU(inplace=True))
    s.classifier = nn.Linear(768, n)
  def forward(s, x): x = s.features(x); return s.classifier(x.view(x.size(0), -1))
class NetworkCIFAR(nn.Module):
  def __init__(s, C, n, layers, auxiliary, genotype):
    super().__init__(); s._layers = layers; s._auxiliary = auxiliary
    cc = 3 * C; s.stem = nn.Sequential(nn.Conv2d(3, cc, 3, padding=1, bias=False), nn.BatchNorm2d(cc))
    cpp, cp, cc = cc, cc, C; s.cells = nn.ModuleList(); rp = False
    for i in range(layers):
      if i in [layers // 3, 2 * layers // 3]: cc *= 2; r = True
      else: r = False
      cell = Cell(genotype, cpp, cp, cc, r, rp); rp = r; s.cells += [cell]; cpp, cp = cp, cell.multiplier * cc
      if i == 2 * layers // 3: caux = cp
    if auxiliary: s.auxiliary_head = AuxiliaryHeadCIFAR(caux, n)
    s.global_pooling = nn.AdaptiveAvgPool2d(1); s.classifier = nn.Linear(cp, n)
  def forward(s, x):
    aux = None; s0 = s1 = s.stem(x)
    for i, cell in enumerate(s.cells):
      s0, s1 = s1, cell(s0, s1)
      if i == 2 * s._layers // 3 and s._auxiliary and s.training: aux = s.auxiliary_head(s1)
    out = s.global_pooling(s1); return s.classifier(out.view(out.size(0), -1)), aux
out = []
for inp in json.load(sys.stdin):
  g = inp['genotype']; genotype = Genotype([tuple(e) for e in g['normal']], [2, 3, 4, 5], [tuple(e) for e in g['reduce']], [2, 3, 4, 5])
  net = NetworkCIFAR(inp['C'], 10, inp['layers'], True, genotype)
  sd = {k: torch.tensor(v['data'], dtype=torch.int64 if v['int'] else torch.float32).reshape(v['shape']) for k, v in inp['state'].items()}
  net.load_state_dict(sd, strict=True)
  x = torch.tensor(inp['x']).reshape(inp['xshape'])
  with torch.no_grad():
    net.train(); lt, at = net(x)
    net.eval(); le, _ = net(x)
  out.append({'params': sum(p.numel() for n, p in net.named_parameters() if 'auxiliary' not in n), 'train': lt.flatten().tolist(), 'aux': at.flatten().tolist(), 'eval': le.flatten().tolist()})
print(json.dumps(out))
`;

/** Our parameter and buffer names -> DARTS's (the genotype's edges in source order = DARTS's op indices). */
function dartsName(name: string, net: DartsNetwork): string {
  const SEP = { dw1: 1, pw1: 2, bn1: 3, dw2: 5, pw2: 6, bn2: 7 } as Record<string, number>;
  let m: RegExpExecArray | null;
  if ((m = /^stem_(conv|bn)\.(.*)$/.exec(name))) return `stem.${m[1] === 'conv' ? 0 : 1}.${m[2]}`;
  if ((m = /^aux_head\.(conv1|bn1|conv2|bn2|classifier)\.(.*)$/.exec(name))) return m[1] === 'classifier' ? `auxiliary_head.classifier.${m[2]}` : `auxiliary_head.features.${{ conv1: 2, bn1: 3, conv2: 5, bn2: 6 }[m[1]]}.${m[2]}`;
  if ((m = /^cell(\d+)\.pre([01])\.(conv|bn|conv_1|conv_2)\.(.*)$/.exec(name))) {
    const cell = net.cells[Number(m[1])];
    const fr = Number(m[2]) === 0 && cell.shape.reducePrev;
    return `cells.${m[1]}.preprocess${m[2]}.${fr ? `${m[3]}.${m[4]}` : `op.${m[3] === 'conv' ? 1 : 2}.${m[4]}`}`;
  }
  if ((m = /^cell(\d+)\.edge(\d+)\.(\w+)\.(.*)$/.exec(name))) {
    const k = Number(m[2]);
    const { node, source } = DARTS_EDGES[k];
    const cell = net.cells[Number(m[1])];
    const kept = edgesOf(node).filter((j) => cell.ops[j] !== null);
    const op = 2 * (node - 2) + kept.findIndex((j) => DARTS_EDGES[j].source === source);
    return `cells.${m[1]}._ops.${op}.${m[3] in SEP ? `op.${SEP[m[3]]}` : m[3]}.${m[4]}`;
  }
  return name;
}

test("darts: the evaluation network equals DARTS's NetworkCIFAR in PyTorch (same weights: logits in train and eval mode, auxiliary logits)", { skip: skipWithoutTorch() }, () => {
  manualSeed(16);
  const space = createSpace('darts', { ...SMALL, evalLayers: 5, evalChannels: 8, auxiliaryWeight: 0.4, dropPathProb: 0 }) as DartsSpace;
  // DARTS_V2 has skip (FactorizedReduce) and pools in its reduction cells; a random cell adds sep/dil 5x5.
  const nets = [space.fromBenchmarkKey(DARTS_V2), space.randomArchitecture(seeded(6))].map((arch) => ({ arch, net: space.evaluationNetwork(arch) }));
  const x = randn([2, 3, 32, 32]);
  const cases = nets.map(({ arch, net }) => {
    // Non-trivial BN statistics and affine parameters.
    noGrad(() => {
      for (const [n, t] of net.stateDict()) if (/bn.*\.(weight|bias|running_mean)$/.test(n)) t.copy_(randn(t.shape).mul(0.1).add(n.endsWith('weight') ? 1 : 0));
      for (const [n, t] of net.stateDict()) if (n.endsWith('running_var')) t.copy_(randn(t.shape).abs().add(0.5));
    });
    const state = Object.fromEntries([...net.stateDict()].map(([n, t]) => [dartsName(n, net), { shape: t.shape, data: t.toArray(), int: t.dtype === 'int64' }]));
    return { genotype: space.toGenotype(arch)!, C: 8, layers: 5, state, x: x.toArray(), xshape: x.shape };
  });
  const py = runPython(DARTS_PY, cases) as { params: number; train: number[]; aux: number[]; eval: number[] }[];
  nets.forEach(({ net }, i) => {
    assert.equal(py[i].params, net.numParametersWithoutAux());
    tidy(() => {
      net.train();
      const { logits, aux } = net.forwardWithAux(x);
      net.eval();
      const ev = net.forward(x);
      const close = (a: number[], b: number[], what: string) => assert.ok(a.every((v, j) => Math.abs(v - b[j]) <= 1e-4 * Math.max(1, Math.abs(b[j]))), `${what}: ${a.slice(0, 4)} vs ${b.slice(0, 4)}`);
      close(logits.toArray(), py[i].train, 'train-mode logits');
      close(aux!.toArray(), py[i].aux, 'auxiliary logits');
      close(ev.toArray(), py[i].eval, 'eval-mode logits');
    });
    net.dispose();
  });
  space.supernet.dispose();
});

// ---------------------------------------------------------------- full size and the CLI

test('darts (full size, 8 cells, C = 16): one-hot superposition == discrete == sub-network in eval mode', () => {
  for (const form of ['we', 'ws'] as const) {
    manualSeed(17);
    const space = createSpace('darts', { form }) as DartsSpace;
    const x = space.exampleBatch(2).x;
    noGrad(() => tidy(() => space.supernet.forward(x, createSampler('drnas').sample(space.choices))));
    space.supernet.eval();
    for (const arch of [space.randomArchitecture(seeded(8)), oddArchitectures(space)[0]]) {
      tidy(() => {
        const { sup, disc, sub } = oneHotOutputs(space, arch, x);
        const scale = Math.max(1, sup.abs().max().item());
        assert.ok(maxDiff(sup, disc) <= 1e-5 * scale && maxDiff(sup, sub) <= 1e-5 * scale, `${form}: ${maxDiff(sup, disc)} / ${maxDiff(sup, sub)}`);
      });
    }
    space.supernet.dispose();
  }
});

test('darts (full size): DrNAS and GDAS gradients reach exactly the active choices; expected cost == exact cost', { skip: SLOW, timeout: 900_000 }, () => {
  for (const form of ['we', 'ws'] as const) {
    manualSeed(18);
    const space = createSpace('darts', { form }) as DartsSpace;
    for (const name of ['drnas', 'gdas']) {
      const sampler = createSampler(name);
      const used = tidy(() => {
        const { x, y } = space.exampleBatch(2);
        const sample = sampler.sample(space.choices);
        space.loss(space.supernet.forward(x, sample), y).backward();
        return sample.mode === 'discrete' ? space.activeChoices(sample.architecture()) : [...space.choices];
      });
      const withGrad = space.choices.filter((c) => tidy(() => (c.alpha.grad?.abs().sum().item() ?? 0) > 0));
      assert.deepEqual(withGrad.map((c) => c.name), used.map((c) => c.name), `${form} ${name}`);
      for (const c of space.choices) c.alpha.grad = null;
      space.supernet.zeroGrad();
    }
    for (const arch of [space.randomArchitecture(seeded(9)), oddArchitectures(space)[0]]) {
      tidy(() => {
        const net = space.subnet(arch, { inherit: false }).eval();
        const exact = space.measureSubnetCost(net, space.exampleBatch(1).x);
        net.dispose();
        const c = space.expectedCost(space.fixed(arch, 'superposition'));
        assert.deepEqual([Math.round(c.params.item()), Math.round(c.flops.item())], [exact.params, exact.flops], form);
      });
    }
    space.supernet.dispose();
  }
});

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
// Until spaces/index.ts imports darts, the CLI gets it as a plugin (the same module: loaded once either way).
const PLUGIN = join(ROOT, 'dist', 'src', 'spaces', 'darts.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, TANGLENAS_THREADS: '1' }, timeout: 300_000 });

test('darts CLI: a short search writes a Genotype; train --from it trains the evaluation network (aux head, drop-path, cutout); evaluate reads it back; finetune --from it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-darts-'));
  try {
    const s = join(dir, 's');
    const small = ['--dataset', 'synthetic', '--set', 'synthetic_train=48', '--set', 'synthetic_test=16', '--set', 'batch_size=8', '--set', 'eval_batch_size=16', '--set', 'eval_samples=16', '--set', 'bn_calibration_samples=0', '--set', 'loader_workers=0'];
    const r = cli('search', '--plugin', PLUGIN, '--space', 'darts', '--epochs', '1', '--set', 'steps_per_epoch=2', '--set', 'search_layers=4', '--set', 'search_channels=4', ...small, '--run-dir', s, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    const a = JSON.parse(readFileSync(join(s, 'architecture.json'), 'utf8'));
    assert.match(a.benchmark_key, /^Genotype\(normal=\[\('\w+', [01]\), \('\w+', [01]\), .*\], normal_concat=range\(2, 6\), reduce=\[.*\], reduce_concat=range\(2, 6\)\)$/);
    assert.equal(Object.values(a.architecture).filter((v) => v !== 'none').length, 16, 'two edges per node in both cells');
    const epoch = readFileSync(join(s, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((m) => m.kind === 'epoch');
    assert.equal(epoch.benchmark_key, a.benchmark_key, 'the any-time record is the genotype too');

    const t = join(dir, 't');
    const tr = cli('train', '--plugin', PLUGIN, '--from', s, '--epochs', '2', '--set', 'steps_per_epoch=2', '--set', 'eval_layers=2', '--set', 'eval_channels=8', '--set', 'batch_size=8', '--set', 'eval_batch_size=16', '--set', 'loader_workers=0', '--run-dir', t, '--quiet');
    assert.equal(tr.status, 0, tr.stderr);
    const cfg = JSON.parse(readFileSync(join(t, 'config.json'), 'utf8'));
    assert.deepEqual([cfg.space, cfg.cutout_length, cfg.auxiliary_weight, cfg.drop_path_prob, cfg.eval_layers, cfg.epochs], ['darts', 16, 0.4, 0.2, 2, 2]);
    const res = JSON.parse(readFileSync(join(t, 'result.json'), 'utf8'));
    assert.equal(res.benchmark_key, a.benchmark_key);
    assert.ok(res.test_acc >= 0 && res.test_acc <= 1 && res.epochs === 2);
    // The cost is the trained evaluation network's (2 cells of 8 channels here), auxiliary head left out.
    const evalSpace = createSpace('darts', { searchLayers: 2, searchChannels: 2, evalLayers: 2, evalChannels: 8, auxiliaryWeight: 0.4 }) as DartsSpace;
    const evalNet = evalSpace.evaluationNetwork(evalSpace.fromBenchmarkKey(a.benchmark_key));
    assert.ok(evalNet.auxHead !== null);
    assert.equal(res.params, evalNet.numParametersWithoutAux());
    assert.notEqual(res.params, a.params, 'not the searched sub-network (4 cells of 4 channels)');
    assert.ok(res.flops > 0);
    evalNet.dispose();
    evalSpace.supernet.dispose();
    assert.ok(existsSync(join(t, 'model.safetensors')));
    const ev = cli('evaluate', t, '--json');
    assert.equal(ev.status, 0, ev.stderr);
    assert.equal(JSON.parse(ev.stdout).acc, res.test_acc, 'the saved evaluation network scores what training reported');
    // finetune --from: the search network's sub-network, built at the search run's size (search_layers 4).
    const f = join(dir, 'f');
    const ft = cli('finetune', '--plugin', PLUGIN, '--from', s, '--epochs', '1', '--set', 'steps_per_epoch=1', '--set', 'batch_size=8', '--set', 'eval_batch_size=16', '--set', 'loader_workers=0', '--run-dir', f, '--quiet');
    assert.equal(ft.status, 0, ft.stderr);
    assert.equal(JSON.parse(readFileSync(join(f, 'config.json'), 'utf8')).search_layers, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
