import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, ones, tidy, zeros } from '../tensor/index.js';
import { Dropout, Dropout2d } from './dropout.js';

test('Dropout zeroes about p of the elements and rescales the rest in training', () => {
  tidy(() => {
    manualSeed(0);
    const d = new Dropout(0.25);
    const y = d.forward(ones([20000])).toArray();
    const kept = y.filter((v) => v !== 0);
    assert.ok(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6), 'survivors scaled by 1/(1-p)');
    const frac = 1 - kept.length / y.length;
    assert.ok(Math.abs(frac - 0.25) < 0.02, `dropped fraction ${frac}`);
  });
});

test('Dropout is the identity in eval mode and with p = 0', () => {
  tidy(() => {
    const x = ones([100]);
    assert.deepEqual(new Dropout(0.9).eval().forward(x).toArray(), x.toArray());
    assert.deepEqual(new Dropout(0).forward(x).toArray(), x.toArray());
    assert.ok(new Dropout(1).forward(x).toArray().every((v) => v === 0));
  });
});

test('Dropout2d drops whole channels', () => {
  tidy(() => {
    manualSeed(1);
    const y = new Dropout2d(0.5).forward(ones([8, 16, 3, 3]));
    const perChannel = y.reshape(8 * 16, 9).toArray();
    for (let c = 0; c < 8 * 16; c++) {
      const v = perChannel.slice(c * 9, c * 9 + 9);
      assert.ok(v.every((x) => x === v[0]) && (v[0] === 0 || Math.abs(v[0] - 2) < 1e-6), `channel ${c}: ${v}`);
    }
    assert.deepEqual(new Dropout2d(0.5).forward(ones([4, 3, 3])).shape, [4, 3, 3]);
  });
});

test('Dropout validates p and Dropout2d the input rank', () => {
  assert.throws(() => new Dropout(1.5), /Dropout: p must be a number in \[0, 1\], got 1.5/);
  assert.throws(() => new Dropout2d(-0.1), /Dropout2d: p must be a number in \[0, 1\]/);
  assert.throws(() => new Dropout2d().forward(zeros([2, 3])), /expected a 4-D \[N, C, H, W\] or 3-D \[C, H, W\] input, got \[2, 3\]/);
});
