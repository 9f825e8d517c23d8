import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveTensorCount, manualSeed, randn, tensor, tidy, zeros } from '../tensor/index.js';
import { Flatten, GELU, Identity, ReLU, SiLU, Sigmoid, Tanh } from './activation.js';
import { Conv2d } from './conv.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { BatchNorm2d } from './norm.js';
import { Sequential } from './sequential.js';
import { assertClose } from './test-util.js';

test('Sequential chains layers and names children 0, 1, ... like PyTorch', () => {
  manualSeed(0);
  const net = new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new Flatten(), new Linear(4 * 5 * 5, 2));
  assert.equal(net.length, 5);
  assert.deepEqual([...net.stateDict().keys()], [
    '0.weight', '0.bias', '1.weight', '1.bias', '4.weight', '4.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked',
  ]);
  const y = tidy(() => net.forward(randn([2, 3, 5, 5])).shape);
  assert.deepEqual(y, [2, 2]);
  net.eval();
  assert.equal(net.at(1).training, false);
  assert.ok(net.at(-1) instanceof Linear);
});

test('Sequential prefixes errors with the failing position, also when nested', () => {
  const net = new Sequential(new Linear(4, 3), new Sequential(new ReLU(), new Linear(5, 2)));
  assert.throws(() => net.forward(zeros([1, 4])), /^Error: Sequential\[1\]\[1\] Linear\(5, 2\)\.forward: expected input \[\.\.\., 5\]/);
  assert.throws(() => new Sequential({} as never), /item 0 is not a layer/);
  assert.throws(() => net.at(5), /holds 2 layers/);
});

test('activation modules compute their functions', () => {
  tidy(() => {
    const xs = [-2, -0.5, 0, 0.5, 3];
    const x = tensor(xs);
    assertClose(new ReLU().forward(x).toArray(), xs.map((v) => Math.max(0, v)), 0);
    assertClose(new Sigmoid().forward(x).toArray(), xs.map((v) => 1 / (1 + Math.exp(-v))), 1e-6);
    assertClose(new Tanh().forward(x).toArray(), xs.map(Math.tanh), 1e-6);
    assertClose(new SiLU().forward(x).toArray(), xs.map((v) => v / (1 + Math.exp(-v))), 1e-6);
    const tanhGelu = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    assertClose(new GELU('tanh').forward(x).toArray(), xs.map(tanhGelu), 1e-6);
    // exact GELU: x * Phi(x); Phi(-0.5) = 0.3085375, Phi(0.5) = 0.6914625, Phi(3) = 0.9986501, Phi(-2) = 0.0227501
    assertClose(new GELU().forward(x).toArray(), [-2 * 0.0227501, -0.5 * 0.3085375, 0, 0.5 * 0.6914625, 3 * 0.9986501], 1e-6);
    assert.equal(new Identity().forward(x), x);
    assert.throws(() => new GELU('fast' as never), /approximate must be 'none' or 'tanh'/);
  });
});

test('train() and eval() reach every layer; Dropout follows', () => {
  tidy(() => {
    const net = new Sequential(new Dropout(0.5), new Identity());
    net.eval();
    const x = randn([64]);
    assert.deepEqual(net.forward(x).toArray(), x.toArray());
    net.train();
    assert.notDeepEqual(net.forward(x).toArray(), x.toArray());
  });
});

test('a forward and backward pass inside tidy leaves no tensors behind', () => {
  manualSeed(2);
  const net = new Sequential(
    new Conv2d(3, 4, 4, { padding: 'same' }), new BatchNorm2d(4, { momentum: null }), new GELU(), new Dropout(0.1), new Flatten(), new Linear(4 * 5 * 5, 2),
  );
  const step = (): void => tidy(() => {
    net.forward(randn([2, 3, 5, 5])).sum().backward();
  });
  step();
  const before = liveTensorCount();
  for (let i = 0; i < 3; i++) step();
  net.zeroGrad();
  step();
  assert.equal(liveTensorCount(), before);
});
