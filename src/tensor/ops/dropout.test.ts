// Dropout statistics: zero fraction ~ p, survivors scaled by 1/(1-p), identity
// in eval; dropout2d drops whole channels. Bounds are ~5 standard deviations.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, grad, manualSeed, ones, randn, tensor, tidy } from '../index.js';
import { assertClose } from '../testing.js';

describe('dropout', () => {
  for (const p of [0.1, 0.5, 0.8]) {
    test(`p=${p}: zero fraction and scaling`, () => tidy(() => {
      manualSeed(1);
      const n = 200_000;
      const x = randn([n]).abs().add(0.1); // strictly positive so zeros come from dropout only
      const y = F.dropout(x, p, true);
      const xv = x.toArray(), yv = y.toArray();
      let zeros = 0;
      for (let i = 0; i < n; i++) {
        if (yv[i] === 0) zeros++;
        else assert.ok(Math.abs(yv[i] - xv[i] / (1 - p)) <= 1e-6 * Math.abs(yv[i]), `survivor ${i}: ${yv[i]} vs ${xv[i]}/(1-${p})`);
      }
      const sd = Math.sqrt((p * (1 - p)) / n);
      assert.ok(Math.abs(zeros / n - p) < 5 * sd, `zero fraction ${zeros / n} vs p=${p}`);
      // The scaling keeps the expectation: mean(y) ~ mean(x).
      const mx = x.mean().item(), my = y.mean().item();
      assert.ok(Math.abs(my - mx) < 0.02 * mx + 5 * Math.sqrt(p / (1 - p) / n) * 1.5, `mean ${my} vs ${mx}`);
    }));
  }

  test('eval mode and p=0 are the identity; p=1 zeroes everything', () => tidy(() => {
    const x = randn([1000]);
    assert.deepEqual(F.dropout(x, 0.5, false).toArray(), x.toArray());
    assert.deepEqual(F.dropout(x, 0, true).toArray(), x.toArray());
    assert.ok(F.dropout(x, 1, true).toArray().every((v) => v === 0)); // x * 0: -0 for negative x, as in PyTorch
    assert.throws(() => F.dropout(x, 1.5, true), RangeError);
    assert.throws(() => F.dropout(x, -0.1, true), RangeError);
  }));

  test('same seed, same mask', () => tidy(() => {
    const x = ones([500]);
    manualSeed(7);
    const a = F.dropout(x, 0.5, true).toArray();
    manualSeed(7);
    const b = F.dropout(x, 0.5, true).toArray();
    assert.deepEqual(a, b);
  }));

  test('gradient is the mask scaled by 1/(1-p)', () => tidy(() => {
    manualSeed(3);
    const x = ones([1000], { dtype: 'float64', requiresGrad: true });
    const y = F.dropout(x, 0.25, true);
    const [g] = grad(y.sum(), [x]);
    assertClose(g!, y.detach(), { atol: 1e-12 }); // x = 1, so y is exactly the scaled mask
    const gv = g!.toArray();
    assert.ok(gv.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-12));
  }));
});

describe('dropout2d', () => {
  test('zeroes whole channels with probability p and scales the others', () => tidy(() => {
    manualSeed(2);
    const [n, c, h, w] = [16, 64, 3, 3];
    const p = 0.3;
    const x = randn([n, c, h, w]).abs().add(0.1);
    const y = F.dropout2d(x, p, true);
    const xv = x.toArray(), yv = y.toArray();
    let dropped = 0;
    for (let ch = 0; ch < n * c; ch++) {
      const ys = yv.slice(ch * h * w, (ch + 1) * h * w);
      const xs = xv.slice(ch * h * w, (ch + 1) * h * w);
      const zeros = ys.filter((v) => v === 0).length;
      assert.ok(zeros === 0 || zeros === h * w, `channel ${ch} partly dropped (${zeros} zeros)`);
      if (zeros) dropped++;
      else ys.forEach((v, i) => assert.ok(Math.abs(v - xs[i] / (1 - p)) <= 1e-6 * v));
    }
    const frac = dropped / (n * c);
    assert.ok(Math.abs(frac - p) < 5 * Math.sqrt((p * (1 - p)) / (n * c)), `dropped fraction ${frac} vs p=${p}`);
  }));

  test('eval mode is the identity', () => tidy(() => {
    const x = randn([2, 3, 4, 4]);
    assert.deepEqual(F.dropout2d(x, 0.5, false).toArray(), x.toArray());
    assert.throws(() => F.dropout2d(x, 2, true), RangeError);
    assert.ok(F.dropout2d(tensor([[[[1]]]]), 1, true).toArray().every((v) => v === 0));
  }));
});
