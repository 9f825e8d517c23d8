import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Architect } from './architect.js';
import { bilevelStep, weightStep } from './bilevel.js';
import { createSampler } from './samplers/index.js';
import { createSpace, type SearchSpace } from '../spaces/index.js';
import { SGD } from '../nn/optim/sgd.js';
import { grad, manualSeed, noGrad, randint, randn, tidy, type Tensor } from '../tensor/index.js';
import { crossEntropy } from '../tensor/ops/loss.js';

function batch(space: SearchSpace, n: number): { x: Tensor; y: Tensor } {
  return { x: randn([n, ...space.inputShape]), y: randint(0, space.numClasses, [n]) };
}
const snapshot = (ts: Tensor[]) => noGrad(() => ts.map((t) => t.toArray()));

test('first-order step: alpha moves by Adam on the validation loss; weights and their grads untouched', () => {
  manualSeed(0);
  const space = createSpace('toy-cell');
  space.supernet.eval(); // deterministic BN for the comparison below
  const sampler = createSampler('darts');
  const arch = new Architect(space, sampler, { lr: 0.1, weightDecay: 0 });
  const val = batch(space, 4);
  const w0 = snapshot(space.supernet.parameters());
  const a0 = snapshot(space.alphas());
  // Expected first Adam step: alpha - lr * g / (|g| + eps) (bias-corrected m = g, sqrt(v) = |g|).
  const g = tidy(() => grad(crossEntropy(space.supernet.forward(val.x, sampler.sample(space.choices)), val.y), space.alphas()).map((t) => t!.toArray()));
  arch.step(val);
  const a1 = snapshot(space.alphas());
  a1.forEach((row, i) => row.forEach((v, j) => {
    const expect = a0[i][j] - (0.1 * g[i][j]) / (Math.abs(g[i][j]) + 1e-8);
    assert.ok(Math.abs(v - expect) < 1e-5, `alpha ${i},${j}: ${v} vs ${expect}`);
  }));
  assert.deepEqual(snapshot(space.supernet.parameters()), w0);
  assert.ok(space.supernet.parameters().every((p) => p.grad === null));
  assert.ok(space.alphas().every((a) => a.grad === null));
  space.supernet.dispose();
});

test('SPOS: the architect never changes alpha', () => {
  manualSeed(1);
  const space = createSpace('toy-cell');
  const arch = new Architect(space, createSampler('spos'));
  assert.equal(arch.optimizer, null);
  const a0 = snapshot(space.alphas());
  assert.ok(Number.isNaN(arch.step(batch(space, 2))));
  assert.deepEqual(snapshot(space.alphas()), a0);
  space.supernet.dispose();
});

test('second order: with xi = 0 it equals first order; the weights and BN statistics are restored', () => {
  manualSeed(2);
  const val = { x: randn([2, 1, 28, 28]), y: randint(0, 10, [2]) };
  const train = { x: randn([2, 1, 28, 28]), y: randint(0, 10, [2]) };
  const run = (order: 1 | 2, lr: number) => {
    manualSeed(3);
    const space = createSpace('toy-cell');
    space.supernet.eval();
    const arch = new Architect(space, createSampler('darts'), { order, lr: 0.01, weightDecay: 0 });
    const w0 = snapshot(space.supernet.parameters());
    const b0 = noGrad(() => space.supernet.namedBuffers().map(([, b]) => b.toArray()));
    arch.step(val, { train, lr, momentum: 0.9, weightDecay: 5e-4 });
    assert.deepEqual(snapshot(space.supernet.parameters()), w0, 'weights restored');
    assert.deepEqual(noGrad(() => space.supernet.namedBuffers().map(([, b]) => b.toArray())), b0, 'buffers restored');
    const a = snapshot(space.alphas());
    space.supernet.dispose();
    return a;
  };
  const first = run(1, 0);
  const secondZero = run(2, 0);
  secondZero.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - first[i][j]) < 1e-6)));
  const second = run(2, 0.5);
  assert.ok(second.some((row, i) => row.some((v, j) => Math.abs(v - first[i][j]) > 1e-7)), 'the unrolled term changes the update');
});

test('bilevelStep: both levels update; the weight step leaves alpha grads alone and reports loss and accuracy', () => {
  manualSeed(4);
  const space = createSpace('toy-cell');
  const sampler = createSampler('drnas');
  const architect = new Architect(space, sampler);
  const opt = new SGD(space.supernet.parameters(), { lr: 0.025, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const a0 = snapshot(space.alphas());
  const w0 = snapshot(space.supernet.parameters().slice(0, 1));
  const r = bilevelStep(space, sampler, architect, opt, batch(space, 8), batch(space, 8));
  assert.ok(Number.isFinite(r.archLoss) && Number.isFinite(r.trainLoss));
  assert.ok(r.trainAcc >= 0 && r.trainAcc <= 1);
  assert.notDeepEqual(snapshot(space.alphas()), a0);
  assert.notDeepEqual(snapshot(space.supernet.parameters().slice(0, 1)), w0);
  assert.ok(space.alphas().every((a) => a.grad === null && a.requiresGrad));
  const r2 = weightStep(space, sampler, opt, batch(space, 8));
  assert.ok(Number.isFinite(r2.loss));
  space.supernet.dispose();
});
