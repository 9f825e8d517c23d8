import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, manualSeed, tensor, tidy, zeros } from '../tensor/index.js';
import { Conv2d } from './conv.js';
import { assertClose, pythonEarly, skipWithoutTorch } from './test-util.js';

test('Conv2d output shapes follow stride, padding, dilation', () => {
  tidy(() => {
    const x = zeros([2, 4, 9, 11]);
    assert.deepEqual(new Conv2d(4, 8, 3).forward(x).shape, [2, 8, 7, 9]);
    assert.deepEqual(new Conv2d(4, 8, 3, { stride: 2, padding: 1 }).forward(x).shape, [2, 8, 5, 6]);
    assert.deepEqual(new Conv2d(4, 8, [3, 5], { dilation: [2, 1], padding: [2, 0] }).forward(x).shape, [2, 8, 9, 7]);
    assert.deepEqual(new Conv2d(4, 8, 4, { padding: 'same', dilation: 1 }).forward(x).shape, [2, 8, 9, 11]);
    assert.deepEqual(new Conv2d(4, 8, 3, { padding: 'valid' }).forward(x).shape, [2, 8, 7, 9]);
    assert.deepEqual(new Conv2d(4, 4, 3, { groups: 4, padding: 1 }).forward(x).shape, [2, 4, 9, 11]);
  });
});

test('Conv2d registers weight [out, in/groups, kh, kw] and an optional bias', () => {
  const c = new Conv2d(6, 9, [3, 2], { groups: 3 });
  assert.deepEqual(c.weight.shape, [9, 2, 3, 2]);
  assert.deepEqual(c.bias!.shape, [9]);
  assert.equal(c.numParameters(), 9 * 2 * 3 * 2 + 9);
  const nb = new Conv2d(3, 3, 1, { bias: false });
  assert.equal(nb.bias, null);
  assert.deepEqual(nb.namedParameters().map(([n]) => n), ['weight']);
});

test('Conv2d computes a hand-checked 1x1 and 2x2 convolution', () => {
  tidy(() => {
    const c = new Conv2d(1, 1, 2, { bias: false });
    c.loadStateDict(new Map([['weight', tensor([[[[1, 2], [3, 4]]]])]]));
    const x = arange(0, 9, 1, { dtype: 'float32' }).reshape(1, 1, 3, 3);
    // [[0,1,2],[3,4,5],[6,7,8]] * [[1,2],[3,4]] valid: 0+2+9+16=27, 1+4+12+20=37, 3+8+18+28=57, 4+10+21+32=67
    assertClose(c.forward(x).toArray(), [27, 37, 57, 67], 1e-5);
  });
});

test('Conv2d validates its arguments', () => {
  assert.throws(() => new Conv2d(3, 8, 3, { groups: 2 }), /divisible by groups \(2\)/);
  assert.throws(() => new Conv2d(3, 8, 0), /kernelSize must be a positive integer/);
  assert.throws(() => new Conv2d(3, 8, [3, 3, 3] as never), /kernelSize must be an integer or a pair/);
  assert.throws(() => new Conv2d(3, 8, 3, { padding: -1 }), /padding must be a non-negative integer/);
  assert.throws(() => new Conv2d(3, 8, 3, { stride: 2, padding: 'same' }), /'same' needs stride 1/);
});

test('Conv2d names the module, the expected and actual shapes and the fix', () => {
  const c = new Conv2d(3, 16, 3);
  assert.throws(() => c.forward(zeros([3, 32, 32])), (e: Error) => {
    assert.equal(e.message, 'Conv2d(3, 16, kernel=[3, 3]).forward: expected a 4-D input [N, 3, H, W], got 3-D [3, 32, 32]; add a batch dim with x.unsqueeze(0)');
    return true;
  });
  assert.throws(() => c.forward(zeros([8, 4, 32, 32])), /expected input \[N, 3, H, W\], got \[8, 4, 32, 32\] with 4 channels; the previous layer must output 3 channels/);
  assert.throws(() => c.forward(zeros([1, 3, 2, 8])), /smaller than the \(dilated\) kernel 3x3/);
  assert.throws(() => c.forward(zeros([1, 3, 8, 8], { dtype: 'float64' })), /input dtype is float64/);
});

// Started early so Python's start-up overlaps the other tests.
const PY = pythonEarly(`
import json, torch
torch.manual_seed(3)
out = {}
x = torch.linspace(-1, 1, 2 * 4 * 7 * 6).reshape(2, 4, 7, 6)
cfgs = [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(3, 2), dilation=(2, 1), groups=2, padding=(1, 0)),
        dict(kernel_size=4, padding='same', bias=False), dict(kernel_size=3, padding='same', dilation=2)]
for i, c in enumerate(cfgs):
    m = torch.nn.Conv2d(4, 6, **c)
    out[str(i)] = {'w': m.weight.flatten().tolist(), 'b': None if m.bias is None else m.bias.tolist(), 'y': m(x).flatten().tolist(), 'shape': list(m(x).shape)}
print(json.dumps(out))
`);

test('Conv2d matches torch.nn.Conv2d (init and forward) with the same seed', { skip: skipWithoutTorch() }, async () => {
  const py = await PY;
  manualSeed(3);
  const x = tensor(Array.from({ length: 2 * 4 * 7 * 6 }, (_, i) => -1 + (2 * i) / (2 * 4 * 7 * 6 - 1)), { shape: [2, 4, 7, 6] });
  const mods = [
    new Conv2d(4, 6, 3, { stride: 2, padding: 1 }),
    new Conv2d(4, 6, [3, 2], { dilation: [2, 1], groups: 2, padding: [1, 0] }),
    new Conv2d(4, 6, 4, { padding: 'same', bias: false }),
    new Conv2d(4, 6, 3, { padding: 'same', dilation: 2 }),
  ];
  mods.forEach((m, i) => {
    const want = py[String(i)];
    assertClose(m.weight.toArray(), want.w, 0, 0, `conv ${i} weight`);
    if (want.b === null) assert.equal(m.bias, null);
    else assertClose(m.bias!.toArray(), want.b, 0, 0, `conv ${i} bias`);
    const y = m.forward(x);
    assert.deepEqual(y.shape, want.shape);
    assertClose(y.toArray(), want.y, 1e-5, 1e-5, `conv ${i} output`);
  });
});
