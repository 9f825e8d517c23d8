// Precision: bf16 autocast only inside withPrecision (convolutions in
// bfloat16 there, float32 outside, the loss and gradients float32), nesting
// keeps it on until the outermost exit, fp32 and tf32 leave the CPU's
// arithmetic unchanged, unknown names are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPrecision, manualSeed, randn, randint, setPrecision, tidy, withPrecision } from './index.js';
import { crossEntropy } from './ops/loss.js';
import { Conv2d } from '../nn/conv.js';

test('bf16: autocast inside withPrecision only, nested scopes, float32 loss and gradients; back to fp32', () => {
  manualSeed(0);
  const conv = new Conv2d(3, 4, 3);
  const x = randn([2, 3, 8, 8]);
  try {
    setPrecision('bf16', 'cpu');
    assert.equal(getPrecision(), 'bf16');
    tidy(() => {
      assert.equal(withPrecision(() => conv.forward(x).dtype), 'BFloat16');
      assert.equal(conv.forward(x).dtype, 'float32', 'off outside the scope');
      withPrecision(() => {
        withPrecision(() => conv.forward(x));
        assert.equal(conv.forward(x).dtype, 'BFloat16', 'still on after an inner scope ends');
      });
      const loss = withPrecision(() => crossEntropy(conv.forward(x).flatten(1), randint(0, 4, [2])));
      assert.equal(loss.dtype, 'float32');
      loss.backward();
      assert.equal(conv.weight.grad!.dtype, 'float32');
      assert.equal(conv.weight.dtype, 'float32');
    });
    for (const p of ['fp32', 'tf32'] as const) {
      setPrecision(p, 'cpu');
      assert.equal(tidy(() => withPrecision(() => conv.forward(x).dtype)), 'float32');
    }
    assert.throws(() => setPrecision('fp16' as never), /precision 'fp16' is not one of fp32, tf32, bf16/);
  } finally {
    setPrecision('fp32');
    conv.dispose();
  }
});
