// Device choice and in-place moves on the machine at hand: 'auto' follows the
// build and the GPUs, a CUDA request on a CPU-only build says how to build
// with CUDA, setData_ keeps a parameter's identity; Module.to and
// SearchSpace.to move everything (a GPU test, skipped without one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtWithCuda, cudaIsAvailable, gpuMemory, resolveDevice, tensor, withDefaultDevice, getDefaultDevice } from './index.js';
import { createSpace } from '../spaces/index.js';
import { createSampler } from '../nas/samplers/index.js';
import { Linear } from '../nn/linear.js';

const gpu = cudaIsAvailable();

test("resolveDevice: 'auto' is a GPU only when there is one; 'cpu'; malformed names are refused", () => {
  assert.equal(resolveDevice('auto'), gpu ? 'cuda:0' : 'cpu');
  assert.equal(resolveDevice('cpu'), 'cpu');
  assert.throws(() => resolveDevice('tpu'), /device 'tpu' is not one of auto, cpu, cuda, cuda:N/);
  assert.throws(() => resolveDevice('cuda:x'), /not one of/);
});

test('resolveDevice: CUDA on a CPU-only build names the fix (LIBTORCH, docs/gpu.md, --device cpu)', { skip: builtWithCuda() ? 'this addon has CUDA' : false }, () => {
  for (const d of ['cuda', 'cuda:0', 'cuda:3']) assert.throws(() => resolveDevice(d), /built against a libtorch without CUDA; build the addon against a libtorch with CUDA: LIBTORCH=.*scripts\/setup\.sh.*docs\/gpu\.md.*--device cpu/);
  assert.equal(gpuMemory(), null);
});

test('resolveDevice: a GPU index past the visible ones names how many there are', { skip: gpu ? false : 'no GPU visible' }, () => {
  assert.equal(resolveDevice('cuda'), 'cuda:0');
  assert.throws(() => resolveDevice('cuda:99'), /only \d+ GPUs? visible/);
  const m = gpuMemory();
  assert.ok(m && m.usedMb > 0 && m.totalMb >= m.usedMb);
});

test('setData_: the same tensor object takes new data (dtype here), keeping requiresGrad; withDefaultDevice restores', () => {
  const p = tensor([1, 2, 3]).requiresGrad_(true);
  const src = tensor([4, 5, 6], { dtype: 'float64' });
  assert.equal(p.setData_(src), p);
  assert.equal(p.dtype, 'float64');
  assert.ok(p.requiresGrad);
  assert.deepEqual(p.toArray(), [4, 5, 6]);
  assert.equal(withDefaultDevice('cpu', () => getDefaultDevice()), 'cpu');
  assert.throws(() => withDefaultDevice('cpu', () => { throw new Error('x'); }), /x/);
  assert.equal(getDefaultDevice(), 'cpu');
});

test('Module.to(cpu) keeps every parameter object', () => {
  const l = new Linear(3, 2);
  const before = l.parameters();
  l.to('cpu');
  assert.deepEqual(l.parameters(), before);
  l.dispose();
});

test('SearchSpace.to(cuda): weights, buffers, alphas and masks on the GPU, the same tensor objects, a step runs there and matches the CPU', { skip: gpu ? false : 'no GPU visible' }, () => {
  const space = createSpace('toy-conv-macro');
  const params = space.supernet.parameters();
  const { x, y } = space.exampleBatch(4);
  const sampler = createSampler('darts');
  const cpuLoss = space.loss(space.supernet.forward(x, sampler.sample(space.choices)), y).item();
  space.to('cuda:0');
  assert.deepEqual(space.supernet.parameters(), params);
  for (const t of [...space.supernet.parameters(), ...space.supernet.namedBuffers().map(([, b]) => b), ...space.alphas()]) assert.equal(t.device, 'cuda:0');
  const gpuLoss = withDefaultDevice('cuda:0', () => space.loss(space.supernet.forward(x.toDevice('cuda:0'), sampler.sample(space.choices)), y.toDevice('cuda:0')).item());
  assert.ok(Math.abs(gpuLoss - cpuLoss) < 1e-3 * Math.max(1, Math.abs(cpuLoss)), `${gpuLoss} vs ${cpuLoss}`);
  space.supernet.dispose();
});
