import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, tensor, tidy, zeros } from '../tensor/index.js';
import { Linear } from './linear.js';
import { assertClose, pythonEarly, skipWithoutTorch } from './test-util.js';

test('Linear computes x W^T + b over any leading dims', () => {
  manualSeed(0);
  const l = new Linear(3, 2);
  assert.deepEqual(l.weight.shape, [2, 3]);
  assert.deepEqual(l.namedParameters().map(([n]) => n), ['weight', 'bias']);
  const W = l.weight.toArray(), b = l.bias!.toArray();
  const xs = [0.5, -1, 2, 3, 0.25, -0.75, 1, 1, 1, -2, 0, 4];
  const y = tidy(() => l.forward(tensor(xs, { shape: [2, 2, 3] })).toArray());
  const want: number[] = [];
  for (let r = 0; r < 4; r++) for (let o = 0; o < 2; o++) want.push(b[o] + W[o * 3] * xs[r * 3] + W[o * 3 + 1] * xs[r * 3 + 1] + W[o * 3 + 2] * xs[r * 3 + 2]);
  assertClose(y, want, 1e-6, 0, 'y');
});

test('Linear init bounds: weight and bias in +-1/sqrt(inFeatures)', () => {
  manualSeed(1);
  const l = new Linear(100, 50);
  const bound = 1 / Math.sqrt(100);
  assert.ok(l.weight.toArray().every((v) => Math.abs(v) <= bound));
  assert.ok(l.bias!.toArray().every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...l.weight.toArray().map(Math.abs)) > 0.98 * bound);
});

test('Linear without bias, float64', () => {
  const l = new Linear(2, 2, { bias: false, dtype: 'float64' });
  assert.equal(l.bias, null);
  assert.deepEqual(l.namedParameters().map(([n]) => n), ['weight']);
  assert.equal(l.forward(zeros([1, 2], { dtype: 'float64' })).dtype, 'float64');
});

test('Linear rejects bad arguments and inputs with a useful message', () => {
  assert.throws(() => new Linear(0, 2), /Linear\(0, 2\): inFeatures must be a positive integer, got 0/);
  assert.throws(() => new Linear(2, 1.5), /outFeatures must be a positive integer/);
  assert.throws(() => new Linear(2, 2, { dtype: 'int64' }), /dtype must be one of/);
  const l = new Linear(4, 3);
  assert.throws(() => l.forward(zeros([2, 5])), (e: Error) => {
    assert.match(e.message, /^Linear\(4, 3\)\.forward: expected input \[\.\.\., 4\]/);
    assert.match(e.message, /got \[2, 5\]/);
    assert.match(e.message, /flatten/);
    return true;
  });
  assert.throws(() => l.forward(zeros([2, 4], { dtype: 'float64' })), /input dtype is float64 but the parameters are float32; convert with x\.to\('float32'\)/);
  assert.throws(() => l.forward('x' as never), /expected a Tensor/);
});

// Started early so Python's start-up overlaps the other tests.
const PY = pythonEarly(`
import json, torch
torch.manual_seed(5)
l = torch.nn.Linear(7, 3)
x = torch.arange(14, dtype=torch.float32).reshape(2, 7) / 10 - 0.5
print(json.dumps({'w': l.weight.flatten().tolist(), 'b': l.bias.tolist(), 'y': l(x).flatten().tolist()}))
`);

test('Linear matches torch.nn.Linear (init and forward) with the same seed', { skip: skipWithoutTorch() }, async () => {
  const py = await PY;
  manualSeed(5);
  const l = new Linear(7, 3);
  assertClose(l.weight.toArray(), py.w, 0, 0, 'weight');
  assertClose(l.bias!.toArray(), py.b, 0, 0, 'bias');
  const x = tensor(Array.from({ length: 14 }, (_, i) => i / 10 - 0.5), { shape: [2, 7] });
  assertClose(l.forward(x).toArray(), py.y, 1e-6, 0, 'output');
});
