// Finiteness checks of training state: one reduction for the common case,
// the first bad tensor named (with its counts) otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, zeros, type Tensor } from '../tensor/index.js';
import { firstNonFinite, isBatchNormStatistic, NonFiniteError } from './finite.js';

test('firstNonFinite: null when finite (integers skipped, huge finite values not mistaken), else the first bad tensor with its counts', () => {
  tidy(() => {
    const ok: [string, Tensor][] = [
      ['a', tensor([1, 2, 3])],
      ['empty', zeros([0])],
      ['steps', tensor([5], { dtype: 'int64' })],
      ['f64', tensor([1e300, 1e300], { dtype: 'float64' })],
      ['huge', tensor([3e38, 3e38, 3e38])], // the float32 sum overflows; the values are finite
    ];
    assert.equal(firstNonFinite(ok), null);
    assert.equal(firstNonFinite([]), null);
    const bad: [string, Tensor][] = [...ok, ['nan', tensor([0, NaN, NaN, 1])], ['inf', tensor([Infinity])]];
    assert.deepEqual(firstNonFinite(bad), { name: 'nan', values: '2 NaN values (of 4)' });
    assert.deepEqual(firstNonFinite([['inf', tensor([1, -Infinity])], ['nan', tensor([NaN])]]), { name: 'inf', values: '1 inf value (of 2)' });
    assert.deepEqual(firstNonFinite([['both', tensor([NaN, Infinity, 0]).to('float16')]]), { name: 'both', values: '2 NaN or inf values (of 3)' });
    assert.deepEqual(firstNonFinite(new Map([['m', tensor([Infinity, -Infinity])]])), { name: 'm', values: '2 inf values (of 2)' });
  });
  assert.deepEqual(['cell.bn.running_var', 'running_mean', 'bn.num_batches_tracked', 'attn.mask', 'my_running_var'].map(isBatchNormStatistic), [true, true, false, false, false]);
  const e = new NonFiniteError('arch', "alpha 'x' holds 1 NaN value (of 4)");
  assert.ok(e instanceof Error && e.stage === 'arch' && e.message === e.what);
});
