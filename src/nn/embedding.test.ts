import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, tensor, tidy, zeros } from '../tensor/index.js';
import { Embedding } from './embedding.js';
import { assertClose, pythonEarly, skipWithoutTorch } from './test-util.js';

test('Embedding looks up rows for indices of any shape', () => {
  tidy(() => {
    manualSeed(0);
    const e = new Embedding(5, 3);
    const w = e.weight.toArray();
    const idx = tensor([[4, 0], [2, 2]], { dtype: 'int64' });
    const y = e.forward(idx);
    assert.deepEqual(y.shape, [2, 2, 3]);
    const want = [4, 0, 2, 2].flatMap((r) => w.slice(r * 3, r * 3 + 3));
    assert.deepEqual(y.toArray(), want);
    assert.deepEqual(e.forward(tensor([1], { dtype: 'int32' })).toArray(), w.slice(3, 6));
  });
});

test('Embedding weights are N(0, 1)', () => {
  manualSeed(1);
  const e = new Embedding(200, 50);
  assertClose(e.weight.mean().item(), 0, 0.03);
  assertClose(e.weight.std().item(), 1, 0.03);
});

test('Embedding rejects float and out-of-range indices', () => {
  const e = new Embedding(5, 3);
  assert.throws(() => e.forward(zeros([2])), /Embedding\(5, 3\)\.forward: indices must be int64 or int32, got float32.*x\.long\(\)/);
  assert.throws(() => e.forward(tensor([0, 5], { dtype: 'int64' })), /indices must lie in \[0, 4\], got values in \[0, 5\]/);
  assert.throws(() => e.forward(tensor([-1], { dtype: 'int64' })), /got values in \[-1, -1\]/);
  assert.throws(() => new Embedding(5, 0), /embeddingDim must be a positive integer/);
});

// Started early so Python's start-up overlaps the other tests.
const PY = pythonEarly(`
import json, torch
torch.manual_seed(9)
print(json.dumps(torch.nn.Embedding(6, 4).weight.flatten().tolist()))
`);

test('Embedding matches torch.nn.Embedding init with the same seed', { skip: skipWithoutTorch() }, async () => {
  const py = await PY;
  manualSeed(9);
  assertClose(new Embedding(6, 4).weight.toArray(), py, 0, 0, 'weight');
});
