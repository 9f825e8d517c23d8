// MobileNetV3 beyond the registry's invariant tests: OFA's channel rounding,
// the training-mode invariant (batch statistics), the ImageNet layout's 7 x 7
// map, the canonical form, and the errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSpace } from './index.js';
import { makeDivisible, Mbv3Space } from './mobilenetv3.js';
import { manualSeed, noGrad, randn, tidy, type Tensor } from '../tensor/index.js';
import { Rng } from '../data/rng.js';

const seeded = (seed: number) => { const r = new Rng(seed); return () => r.float(); };
const maxDiff = (a: Tensor, b: Tensor) => tidy(() => a.sub(b).abs().max().item());

test('makeDivisible: OFA’s widths (multiples of 8, never below 90%)', () => {
  assert.deepEqual([16 * 3, 16 * 4, 16 * 6, 24 * 3, 40 * 3, 112 * 6, 160 * 6].map((v) => makeDivisible(v)), [48, 64, 96, 72, 120, 672, 960]);
  assert.equal(makeDivisible(18), 24); // SE of 72: 16 would be below 90% of 18
  assert.equal(makeDivisible(3), 8);
  assert.equal(makeDivisible(30), 32);
});

test('mobilenetv3: one-hot superposition == discrete == sub-network in training mode (batch statistics, same dropout draws)', () => {
  manualSeed(3);
  const space = createSpace('mobilenetv3', { imageSize: 24 }) as Mbv3Space;
  const x = space.exampleBatch(3).x;
  space.supernet.train();
  const rnd = seeded(12);
  for (let i = 0; i < 2; i++) {
    const arch = space.randomArchitecture(rnd);
    tidy(() => {
      const net = space.subnet(arch, { inherit: true }).train();
      const run = (f: () => Tensor) => { manualSeed(99); return noGrad(f); };
      const sup = run(() => space.supernet.forward(x, space.fixed(arch, 'superposition')));
      const disc = run(() => space.supernet.forward(x, space.fixed(arch, 'discrete')));
      const sub = run(() => net.forward(x));
      net.dispose();
      assert.ok(maxDiff(sup, disc) <= 1e-4 && maxDiff(sup, sub) <= 1e-4, `${maxDiff(sup, disc)}, ${maxDiff(sup, sub)} for ${space.benchmarkKey(arch)}`);
    });
  }
  space.supernet.dispose();
});

test('mobilenetv3: the ImageNet layout ends on a 7 x 7 map of 224 x 224 images, 1000 classes; canonical form; errors', () => {
  manualSeed(4);
  const space = createSpace('mobilenetv3', { layout: 'imagenet', numClasses: 1000 }) as Mbv3Space;
  assert.deepEqual(space.inputShape, [3, 224, 224]);
  const smallest = Object.fromEntries(space.choices.map((c) => [c.name, 0]));
  const net = space.subnet(smallest, { inherit: false }).eval();
  tidy(() => {
    let map: number[] = [];
    const fe = net.final_expand;
    const original = fe.forward.bind(fe);
    fe.forward = (h: Tensor) => { map = h.shape.slice(2); return original(h); };
    assert.deepEqual(noGrad(() => net.forward(randn([1, 3, 224, 224]))).shape, [1, 1000]);
    assert.deepEqual(map, [7, 7]);
  });
  net.dispose();
  const arch = { ...smallest, kernel_1_4: 2, expand_1_3: 1 }; // blocks beyond stage 1's depth of 2
  assert.deepEqual(space.canonical(arch), smallest);
  assert.deepEqual(space.archConfig(arch), space.archConfig(smallest));
  assert.throws(() => space.fromBenchmarkKey('{"ks": [3], "e": [3], "d": [2]}'), /'ks' must list 20 values/);
  assert.throws(() => createSpace('mobilenetv3', { form: 'ws' }), /has no 'ws' form/);
  space.supernet.dispose();
});
