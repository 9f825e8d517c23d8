import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, zeros } from '../tensor/index.js';
import {
  calculateGain, fanInAndFanOut, kaimingNormal_, kaimingUniform_, normal_, truncNormal_, uniform_, xavierNormal_, xavierUniform_,
} from './init.js';
import { assertClose, pythonEarly, skipWithoutTorch } from './test-util.js';

test('calculateGain matches torch.nn.init.calculate_gain', () => {
  assert.equal(calculateGain('linear'), 1);
  assert.equal(calculateGain('conv2d'), 1);
  assert.equal(calculateGain('relu'), Math.sqrt(2));
  assertClose(calculateGain('tanh'), 5 / 3, 1e-15);
  assertClose(calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)), 1e-15);
  assertClose(calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(1 / 3), 1e-15);
  assert.equal(calculateGain('leaky_relu', 0), Math.sqrt(2));
  assert.equal(calculateGain('selu'), 0.75);
});

test('fan in/out use [out, in, ...kernel]', () => {
  assert.deepEqual(fanInAndFanOut(zeros([8, 3, 5, 5])), [75, 200]);
  assert.deepEqual(fanInAndFanOut(zeros([4, 6])), [6, 4]);
  assert.throws(() => fanInAndFanOut(zeros([4])), /at least 2 dims/);
});

test('kaimingUniform_ and xavierUniform_ respect their bounds', () => {
  manualSeed(1);
  const w = kaimingUniform_(zeros([64, 32, 3, 3]), { a: Math.sqrt(5) });
  const bound = 1 / Math.sqrt(32 * 9); // gain sqrt(1/3) * sqrt(3 / fanIn)
  const v = w.toArray();
  assert.ok(v.every((x) => Math.abs(x) <= bound));
  assert.ok(Math.max(...v.map(Math.abs)) > 0.99 * bound, 'the draws should fill the interval');
  const x = xavierUniform_(zeros([50, 70]), 2);
  const xb = 2 * Math.sqrt(6 / 120);
  assert.ok(x.toArray().every((t) => Math.abs(t) <= xb));
});

test('normal initialisers have the requested spread', () => {
  manualSeed(2);
  const w = kaimingNormal_(zeros([256, 128]), { nonlinearity: 'relu' });
  assertClose(w.std().item(), Math.sqrt(2 / 128), 0.005, 0, 'kaiming std');
  const x = xavierNormal_(zeros([256, 128]));
  assertClose(x.std().item(), Math.sqrt(2 / 384), 0.003, 0, 'xavier std');
  const n = normal_(zeros([20000]), 3, 0.5);
  assertClose(n.mean().item(), 3, 0.02, 0, 'normal mean');
  assertClose(n.std().item(), 0.5, 0.02, 0, 'normal std');
});

test('truncNormal_ stays inside [a, b] with the right centre', () => {
  manualSeed(3);
  const t = truncNormal_(zeros([10000]), 0.5, 1, -0.5, 1);
  const v = t.toArray();
  assert.ok(v.every((x) => x >= -0.5 && x <= 1));
  // Mean of N(0.5, 1) cut to [mu - 1, mu + 0.5]: mu + (phi(-1) - phi(0.5)) / (Phi(0.5) - Phi(-1)).
  assertClose(t.mean().item(), 0.5 + (0.2419707 - 0.3520653) / (0.6914625 - 0.1586553), 0.01, 0, 'mean');
  assert.throws(() => truncNormal_(zeros([3]), 0, 1, 1, 0), /a < b/);
});

test('initialisers are reproducible under manualSeed', () => {
  manualSeed(7);
  const a = kaimingUniform_(zeros([5, 4])).toArray();
  manualSeed(7);
  const b = kaimingUniform_(zeros([5, 4])).toArray();
  assert.deepEqual(a, b);
  assert.throws(() => uniform_(zeros([2]), 1, 0), /low=1/);
});

// Started early so Python's start-up overlaps the other tests.
const PY = pythonEarly(`
import json, math, torch
from torch.nn import init
torch.manual_seed(11)
out = {}
out['ku'] = init.kaiming_uniform_(torch.empty(6, 4, 3, 3), a=math.sqrt(5)).flatten().tolist()
out['kn'] = init.kaiming_normal_(torch.empty(5, 7), mode='fan_out', nonlinearity='relu').flatten().tolist()
out['xu'] = init.xavier_uniform_(torch.empty(3, 8), gain=1.5).flatten().tolist()
out['xn'] = init.xavier_normal_(torch.empty(4, 2, 2)).flatten().tolist()
out['u'] = init.uniform_(torch.empty(10), -0.3, 0.7).tolist()
print(json.dumps(out))
`);

test('same draws as torch.nn.init with the same seed', { skip: skipWithoutTorch() }, async () => {
  const py = await PY;
  manualSeed(11);
  assertClose(kaimingUniform_(zeros([6, 4, 3, 3]), { a: Math.sqrt(5) }).toArray(), py.ku, 0, 0, 'kaiming_uniform_');
  assertClose(kaimingNormal_(zeros([5, 7]), { mode: 'fan_out', nonlinearity: 'relu' }).toArray(), py.kn, 0, 0, 'kaiming_normal_');
  assertClose(xavierUniform_(zeros([3, 8]), 1.5).toArray(), py.xu, 0, 0, 'xavier_uniform_');
  assertClose(xavierNormal_(zeros([4, 2, 2])).toArray(), py.xn, 0, 0, 'xavier_normal_');
  assertClose(uniform_(zeros([10]), -0.3, 0.7).toArray(), py.u, 0, 0, 'uniform_');
});
