// Invariant tests parametrised over the space registry: a new space gets them for free.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oneHotOutputs } from './test-util.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSpace, listSpaces } from './index.js';
import { fileURLToPath } from 'node:url';
import { createSampler, listSamplers } from '../nas/samplers/index.js';
import { loadPlugins } from '../search/plugins.js';
import { ArchSample } from '../nas/arch.js';
import { architectureCostOf, checkFeasible, parseConstraint, repairArchitecture, smallestArchitecture } from '../nas/constraint.js';
import { dirichlet, manualSeed, noGrad, ones, randn, tidy, type Tensor } from '../tensor/index.js';
import { Rng } from '../data/rng.js';

// The example plugin's space (docs/api.md) gets every invariant test too, as a user's space would.
await loadPlugins([fileURLToPath(new URL('../../../examples/tiny-cnn-plugin.js', import.meta.url))]);

const seeded = (seed: number) => { const r = new Rng(seed); return () => r.float(); };

const SHARED = join(process.cwd(), '..', 'shared', 'data', 'toy-bench');
/** Reference facts: weight parameters of the supernets, and the benchmark file per space. */
const KNOWN: Record<string, { we: number; ws: number; bench?: string }> = {
  'toy-conv-macro': { we: 7_725_450, ws: 7_725_450, bench: 'conv_macro_bench.json' },
  'toy-cell': { we: 239_146, ws: 304_810, bench: 'toy_cell_bench.json' },
  nb201: { we: 1_528_186, ws: 1_692_826 },
};

function maxDiff(a: Tensor, b: Tensor): number {
  return tidy(() => a.sub(b).abs().max().item());
}


for (const { name, forms, heavy, testOptions } of listSpaces()) {
  // Heavy spaces (a 100M-weight LM) are only built, at their test options.
  const skip = heavy ? 'heavy space: construction test only' : false;
  for (const form of forms) {
    test(`${name} (${form}): parameter count, size, encoding`, () => {
      manualSeed(0);
      const space = createSpace(name, { ...testOptions, form });
      const known = KNOWN[name];
      if (known) assert.equal(space.supernet.numParameters(), known[form]);
      assert.equal(space.size(), space.choices.reduce((a, c) => a * c.size, 1));
      const rnd = seeded(3);
      for (let i = 0; i < 5; i++) {
        const arch = space.randomArchitecture(rnd);
        assert.deepEqual(space.decode(space.encode(arch)), arch);
        assert.deepEqual(space.fromBenchmarkKey(space.benchmarkKey(arch)), arch);
      }
      assert.throws(() => space.decode('{"nope": 1}'), /unknown choice 'nope'/);
      space.supernet.dispose();
    });

    test(`${name} (${form}): one-hot superposition == discrete == extracted sub-network (eval mode)`, { skip }, () => {
      manualSeed(1);
      const space = createSpace(name, { ...testOptions, form });
      const x = space.exampleBatch(3).x;
      // A few training-mode forwards give the BatchNorms non-trivial running statistics.
      const drnas = createSampler('drnas');
      noGrad(() => { for (let i = 0; i < 2; i++) tidy(() => space.supernet.forward(x, drnas.sample(space.choices))); });
      space.supernet.eval();
      const rnd = seeded(7);
      // WS supernets run every candidate: fewer architectures keep the suite fast.
      for (let i = 0; i < (form === 'ws' ? 2 : 3); i++) {
        const arch = space.randomArchitecture(rnd);
        tidy(() => {
          const { sup, disc, sub } = oneHotOutputs(space, arch, x);
          const scale = sup.abs().max().item();
          assert.ok(scale > 0, 'outputs are not all zero');
          assert.ok(maxDiff(sup, disc) <= 1e-5 * Math.max(1, scale), `superposition vs discrete differ by ${maxDiff(sup, disc)} for ${space.encode(arch)}`);
          assert.ok(maxDiff(sup, sub) <= 1e-5 * Math.max(1, scale), `superposition vs sub-network differ by ${maxDiff(sup, sub)} for ${space.encode(arch)}`);
        });
      }
      space.supernet.dispose();
    });

    test(`${name} (${form}): expected cost at one-hot == exact cost of the sub-network; differentiable`, { skip }, () => {
      manualSeed(2);
      const space = createSpace(name, { ...testOptions, form });
      noGrad(() => tidy(() => space.supernet.forward(space.exampleBatch(1).x, createSampler('darts').sample(space.choices))));
      const rnd = seeded(11);
      for (let i = 0; i < 3; i++) {
        const arch = space.randomArchitecture(rnd);
        tidy(() => {
          const net = space.subnet(arch, { inherit: false }).eval();
          const exact = space.measureSubnetCost(net, space.exampleBatch(1).x);
          net.dispose();
          const c = space.expectedCost(space.fixed(arch, 'superposition'));
          assert.equal(Math.round(c.params.item()), exact.params);
          assert.equal(Math.round(c.flops.item()), exact.flops);
        });
      }
      // Under soft weights the cost is a differentiable function of alpha; a choice
      // without a gradient must be one the cost does not depend on (attention heads).
      const oneHotCost = (arch: Record<string, number>) => tidy(() => { const c = space.expectedCost(space.fixed(arch, 'superposition')); return [c.params.item(), c.flops.item()]; });
      tidy(() => {
        const c = space.expectedCost(createSampler('darts').sample(space.choices));
        c.flops.add(c.params).backward();
        for (const ch of space.choices) {
          const g = ch.alpha.grad;
          if (g === null || g.abs().sum().item() === 0) {
            const base = space.randomArchitecture(rnd);
            for (let v = 1; v < ch.size; v++) assert.deepEqual(oneHotCost({ ...base, [ch.name]: v }), oneHotCost({ ...base, [ch.name]: 0 }), `no cost gradient for ${ch.name}, but the cost depends on it`);
          }
          ch.alpha.grad = null;
        }
      });
      space.supernet.dispose();
    });

    // Every registered sampler (plugins' too) on every space and form.
    for (const { name: sampler } of listSamplers()) {
      test(`${name} (${form}): ${sampler} gradients reach alpha and the weights`, { skip }, () => {
        manualSeed(3);
        const space = createSpace(name, { ...testOptions, form });
        const s = createSampler(sampler);
        let discrete = false;
        const used = tidy(() => {
          const { x, y } = space.exampleBatch(2);
          const sample = s.sample(space.choices);
          space.loss(space.supernet.forward(x, sample), y).backward();
          // A sampler that does not train alpha (SPOS) must leave it without gradient.
          if (!s.trainsAlpha) return [];
          // GDAS runs one candidate per choice, so every choice used in the forward gets a
          // gradient too; layers beyond a sampled depth are not used.
          discrete = sample.mode === 'discrete';
          return discrete ? space.activeChoices(sample.architecture()) : [...space.choices];
        });
        // A straight-through weight behind a training-mode BatchNorm has no gradient (scale invariance).
        const blind = discrete ? space.scaleInvariantChoices() : [];
        used.splice(0, used.length, ...used.filter((c) => !blind.includes(c)));
        const withGrad = space.choices.filter((c) => !blind.includes(c) && tidy(() => (c.alpha.grad?.abs().sum().item() ?? 0) > 0));
        assert.deepEqual(withGrad.map((c) => c.name).sort(), used.map((c) => c.name).sort(), `alpha without gradient: ${used.filter((c) => !withGrad.includes(c)).map((c) => c.name).join(', ')}`);
        const weightGrads = space.supernet.parameters().filter((p) => tidy(() => (p.grad?.abs().sum().item() ?? 0) > 0));
        assert.ok(weightGrads.length > 0);
        space.supernet.dispose();
      });
    }
  }

  test(`${name}: constraints: the smallest architecture bounds feasibility; a bound just under a random architecture's cost is met by the repair`, { skip }, (t) => {
    manualSeed(2);
    const space = createSpace(name, testOptions);
    // Every single-choice move costs one exact-cost evaluation: spaces with many (DARTS: 196) run with TANGLENAS_TEST_SLOW=1.
    const moves = space.choices.reduce((a, c) => a + c.size - 1, 0);
    if (moves > 100 && !process.env.TANGLENAS_TEST_SLOW) {
      space.supernet.dispose();
      t.skip(`${moves} single-choice moves per search step: set TANGLENAS_TEST_SLOW=1`);
      return;
    }
    const small = smallestArchitecture(space, 'params');
    const rnd = seeded(5);
    let big = { arch: space.randomArchitecture(rnd), cost: small.cost };
    for (let i = 0; i < 20 && big.cost.params <= small.cost.params; i++) {
      const arch = space.randomArchitecture(rnd);
      big = { arch, cost: architectureCostOf(space, arch) };
    }
    assert.ok(small.cost.params < big.cost.params);
    assert.throws(() => checkFeasible(space, [parseConstraint(`params <= ${small.cost.params - 1}`)]), /cannot be met/);
    checkFeasible(space, [parseConstraint(`params <= ${small.cost.params}`)]);
    // Just under it, so the repair needs few moves (each scores every single-choice change).
    const bound = Math.floor(big.cost.params - (big.cost.params - small.cost.params) / 10);
    const fixed = repairArchitecture(space, big.arch, [parseConstraint(`params <= ${bound}`)]);
    assert.ok(fixed && architectureCostOf(space, fixed).params <= bound);
    space.supernet.dispose();
  });

  const bench = KNOWN[name]?.bench;
  test(`${name}: every benchmark key parses to an architecture and back`, { skip: !bench || !existsSync(join(SHARED, bench)) }, () => {
    const space = createSpace(name);
    const data = JSON.parse(readFileSync(join(SHARED, bench!), 'utf8')) as { entries: { key: string }[]; num_entries: number };
    assert.equal(data.entries.length, space.size());
    const seen = new Set<string>();
    for (const e of data.entries) {
      const arch = space.fromBenchmarkKey(e.key);
      assert.equal(space.benchmarkKey(arch), e.key);
      seen.add(space.encode(arch));
    }
    assert.equal(seen.size, space.size(), 'keys cover every architecture once');
    space.supernet.dispose();
  });
}

test('toy-conv-macro: WS (output mixture) == WE (superposition) for shared weights under Dirichlet weights', () => {
  manualSeed(4);
  const we = createSpace('toy-conv-macro', { form: 'we' });
  const ws = createSpace('toy-conv-macro', { form: 'ws' });
  ws.supernet.loadStateDict(we.supernet.stateDict());
  we.supernet.eval();
  ws.supernet.eval();
  tidy(() => {
    const x = randn([2, 3, 32, 32]);
    const weights = new Map(we.choices.map((c) => [c, dirichlet(ones([c.size]))]));
    const a = noGrad(() => we.supernet.forward(x, new ArchSample('superposition', weights)));
    const b = noGrad(() => ws.supernet.forward(x, new ArchSample('superposition', new Map(ws.choices.map((c, i) => [c, weights.get(we.choices[i] as never)!])))));
    assert.ok(maxDiff(a, b) < 1e-4 * Math.max(1, a.abs().max().item()), `WS vs WE differ by ${maxDiff(a, b)}`);
  });
  we.supernet.dispose();
  ws.supernet.dispose();
});

test('createSpace: unknown names and forms are rejected with the available list', () => {
  assert.throws(() => createSpace('nope'), /unknown space 'nope' \(available: .*toy-cell/);
  assert.throws(() => createSpace('toy-cell', { form: 'xx' as never }), /form must be 'we' or 'ws'/);
});
