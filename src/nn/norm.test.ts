import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, zeros } from '../tensor/index.js';
import { BatchNorm2d, LayerNorm } from './norm.js';
import { assertClose, pythonEarly, skipWithoutTorch } from './test-util.js';

// x[n, c, h, w] = deterministic values, 2 channels with different statistics
const xs = Array.from({ length: 3 * 2 * 2 * 2 }, (_, i) => Math.sin(i * 1.7) * (1 + (Math.floor(i / 4) % 2)) + (Math.floor(i / 4) % 2));
const X = (): ReturnType<typeof tensor> => tensor(xs, { shape: [3, 2, 2, 2] });

/** Per-channel [mean, biased var, unbiased var] of xs. */
function channelStats(c: number): [number, number, number] {
  const v: number[] = [];
  for (let n = 0; n < 3; n++) for (let k = 0; k < 4; k++) v.push(xs[n * 8 + c * 4 + k]);
  const m = v.reduce((a, b) => a + b) / v.length;
  const ss = v.reduce((a, b) => a + (b - m) ** 2, 0);
  return [m, ss / v.length, ss / (v.length - 1)];
}

test('BatchNorm2d registers PyTorch-named parameters and buffers', () => {
  const bn = new BatchNorm2d(4);
  assert.deepEqual([...bn.stateDict().keys()], ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
  assert.equal(bn.numBatchesTracked!.dtype, 'int64');
  assert.deepEqual(bn.numBatchesTracked!.shape, []);
  assert.deepEqual(bn.weight!.toArray(), [1, 1, 1, 1]);
  assert.deepEqual(bn.runningVar!.toArray(), [1, 1, 1, 1]);
  const plain = new BatchNorm2d(4, { affine: false, trackRunningStats: false });
  assert.equal(plain.stateDict().size, 0);
});

test('BatchNorm2d training normalises with batch statistics and updates running stats', () => {
  tidy(() => {
    const bn = new BatchNorm2d(2, { momentum: 0.25 });
    const y = bn.forward(X()).toArray();
    for (let c = 0; c < 2; c++) {
      const [m, vb] = channelStats(c);
      for (let n = 0; n < 3; n++) for (let k = 0; k < 4; k++) {
        const i = n * 8 + c * 4 + k;
        assertClose(y[i], (xs[i] - m) / Math.sqrt(vb + 1e-5), 1e-5, 0, `y${i}`);
      }
    }
    const s0 = channelStats(0), s1 = channelStats(1);
    assertClose(bn.runningMean!.toArray(), [0.25 * s0[0], 0.25 * s1[0]], 1e-6, 0, 'running_mean');
    // Running variance uses the unbiased batch variance, as in PyTorch.
    assertClose(bn.runningVar!.toArray(), [0.75 + 0.25 * s0[2], 0.75 + 0.25 * s1[2]], 1e-6, 0, 'running_var');
    bn.forward(X());
    assert.equal(bn.numBatchesTracked!.item(), 2);
    assertClose(bn.runningMean!.toArray(), [0.4375 * s0[0], 0.4375 * s1[0]], 1e-6, 0, 'running_mean after 2');
  });
});

test('BatchNorm2d eval uses running statistics and leaves them alone', () => {
  tidy(() => {
    const bn = new BatchNorm2d(2);
    bn.loadStateDict(new Map([
      ['weight', tensor([2, 3])], ['bias', tensor([0.5, -1])],
      ['running_mean', tensor([1, -2])], ['running_var', tensor([4, 0.25])], ['num_batches_tracked', tensor(7, { dtype: 'int64', shape: [] })],
    ]));
    bn.eval();
    const y = bn.forward(X()).toArray();
    const w = [2, 3], b = [0.5, -1], rm = [1, -2], rv = [4, 0.25];
    for (let i = 0; i < xs.length; i++) {
      const c = Math.floor(i / 4) % 2;
      assertClose(y[i], ((xs[i] - rm[c]) / Math.sqrt(rv[c] + 1e-5)) * w[c] + b[c], 1e-5, 0, `y${i}`);
    }
    assert.deepEqual(bn.runningMean!.toArray(), [1, -2]);
    assert.equal(bn.numBatchesTracked!.item(), 7);
  });
});

test('BatchNorm2d with momentum null keeps a cumulative average', () => {
  tidy(() => {
    const bn = new BatchNorm2d(2, { momentum: null });
    bn.forward(X());
    bn.forward(X().mul(2));
    const m0 = channelStats(0)[0], m1 = channelStats(1)[0];
    // mean of the two batch means: (m + 2m) / 2
    assertClose(bn.runningMean!.toArray(), [1.5 * m0, 1.5 * m1], 1e-6);
  });
});

test('BatchNorm2d without running stats uses batch statistics in eval mode', () => {
  tidy(() => {
    const bn = new BatchNorm2d(2, { trackRunningStats: false }).eval();
    const y = bn.forward(X()).toArray();
    const [m, vb] = channelStats(0);
    assertClose(y[0], (xs[0] - m) / Math.sqrt(vb + 1e-5), 1e-5);
  });
});

test('BatchNorm2d validates arguments and inputs', () => {
  assert.throws(() => new BatchNorm2d(0), /numFeatures must be a positive integer/);
  assert.throws(() => new BatchNorm2d(3, { momentum: 1.5 }), /momentum must be a number in \[0, 1\]/);
  const bn = new BatchNorm2d(3);
  assert.throws(() => bn.forward(zeros([3, 4, 4])), /BatchNorm2d\(3\)\.forward: expected a 4-D input \[N, 3, H, W\], got 3-D \[3, 4, 4\]; add a batch dim/);
  assert.throws(() => bn.forward(zeros([2, 4, 4, 4])), /got \[2, 4, 4, 4\] with 4 channels/);
  assert.throws(() => bn.forward(zeros([1, 3, 1, 1])), /more than 1 value per channel/);
  assert.equal(bn.numBatchesTracked!.item(), 0, 'a rejected input must not count as a batch');
  bn.eval();
  assert.deepEqual(bn.forward(zeros([1, 3, 1, 1])).shape, [1, 3, 1, 1]);
});

test('LayerNorm normalises the trailing dims', () => {
  tidy(() => {
    const ln = new LayerNorm([2, 2]);
    assert.deepEqual([...ln.stateDict().keys()], ['weight', 'bias']);
    const y = ln.forward(X()).toArray();
    for (let g = 0; g < 6; g++) {
      const v = xs.slice(g * 4, g * 4 + 4);
      const m = v.reduce((a, b) => a + b) / 4;
      const vb = v.reduce((a, b) => a + (b - m) ** 2, 0) / 4;
      v.forEach((x, k) => assertClose(y[g * 4 + k], (x - m) / Math.sqrt(vb + 1e-5), 1e-5, 0, `y${g * 4 + k}`));
    }
    assert.equal(new LayerNorm(4, { elementwiseAffine: false }).stateDict().size, 0);
  });
});

test('LayerNorm rejects inputs whose trailing dims differ', () => {
  const ln = new LayerNorm([3, 4]);
  assert.throws(() => ln.forward(zeros([2, 4, 3])), /LayerNorm\(\[3, 4\]\)\.forward: expected input \[\.\.\., 3, 4\].*got \[2, 4, 3\]/);
  assert.throws(() => ln.forward(zeros([4])), /got \[4\]/);
  assert.throws(() => new LayerNorm([]), /at least one dim/);
});

// Started early so Python's start-up overlaps the other tests.
const PY = pythonEarly(`
import json, sys, torch
xs = json.load(sys.stdin)
x = torch.tensor(xs, dtype=torch.float32).reshape(3, 2, 2, 2)
bn = torch.nn.BatchNorm2d(2, momentum=0.3)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.5, -0.5])); bn.bias.copy_(torch.tensor([0.1, 0.2]))
y1 = bn(x); y2 = bn(x * 3 + 1)
bn.eval(); y3 = bn(x)
ln = torch.nn.LayerNorm([2, 2], eps=1e-3)
with torch.no_grad():
    ln.weight.copy_(torch.tensor([[1., 2.], [3., 4.]])); ln.bias.fill_(0.5)
print(json.dumps({'y1': y1.flatten().tolist(), 'y2': y2.flatten().tolist(), 'y3': y3.flatten().tolist(),
  'rm': bn.running_mean.tolist(), 'rv': bn.running_var.tolist(), 'n': int(bn.num_batches_tracked), 'ln': ln(x).flatten().tolist()}))
`, xs);

test('BatchNorm2d and LayerNorm match torch.nn', { skip: skipWithoutTorch() }, async () => {
  const py = await PY;
  tidy(() => {
    const bn = new BatchNorm2d(2, { momentum: 0.3 });
    bn.loadStateDict(new Map([['weight', tensor([1.5, -0.5])], ['bias', tensor([0.1, 0.2])]]), { strict: false });
    assertClose(bn.forward(X()).toArray(), py.y1, 1e-5, 1e-5, 'train 1');
    assertClose(bn.forward(X().mul(3).add(1)).toArray(), py.y2, 1e-5, 1e-5, 'train 2');
    bn.eval();
    assertClose(bn.forward(X()).toArray(), py.y3, 1e-5, 1e-5, 'eval');
    assertClose(bn.runningMean!.toArray(), py.rm, 1e-6, 1e-6, 'running_mean');
    assertClose(bn.runningVar!.toArray(), py.rv, 1e-6, 1e-6, 'running_var');
    assert.equal(bn.numBatchesTracked!.item(), py.n);
    const ln = new LayerNorm([2, 2], { eps: 1e-3 });
    ln.loadStateDict(new Map([['weight', tensor([[1, 2], [3, 4]])], ['bias', tensor([[0.5, 0.5], [0.5, 0.5]])]]));
    assertClose(ln.forward(X()).toArray(), py.ln, 1e-5, 1e-5, 'layer norm');
  });
});
