// Autograd semantics: flags, backward with and without an explicit gradient,
// accumulation and zeroing, retained graphs, noGrad, detach, grad() w.r.t.
// chosen inputs, higher-order derivatives, allowUnused; plus gradchecks of the
// shape/indexing/reduction ops.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, cat, enableGrad, grad, isGradEnabled, noGrad, ones, stack, tensor, tidy, where } from './index.js';
import { assertClose, gradcheck, randomTensor } from './testing.js';

const f64 = (v: number[] | number, requiresGrad = false) => tensor(v, { dtype: 'float64', requiresGrad });

describe('autograd basics', () => {
  test('requiresGrad, isLeaf, gradFn', () => tidy(() => {
    const x = f64([1, 2], true);
    const c = f64([3, 4]);
    assert.equal(x.requiresGrad, true);
    assert.equal(c.requiresGrad, false);
    assert.equal(x.isLeaf, true);
    const y = x.mul(c);
    assert.equal(y.requiresGrad, true);
    assert.equal(y.isLeaf, false);
    assert.match(y.gradFn!, /Mul/);
    assert.equal(x.gradFn, null);
    assert.equal(c.mul(2).requiresGrad, false);
    const z = f64([1]).requiresGrad_();
    assert.equal(z.requiresGrad, true);
    z.requiresGrad_(false);
    assert.equal(z.requiresGrad, false);
  }));

  test('backward of a scalar fills .grad of leaves', () => tidy(() => {
    const x = f64([1, 2, 3], true);
    const w = f64([0.5, -1, 2], true);
    x.mul(w).sum().add(x.square().sum()).backward();
    assert.deepEqual(x.grad!.toArray(), [0.5 + 2, -1 + 4, 2 + 6]);
    assert.deepEqual(w.grad!.toArray(), [1, 2, 3]);
  }));

  test('backward with an explicit gradient for a non-scalar output', () => tidy(() => {
    const x = f64([1, 2, 3], true);
    const y = x.square(); // dy/dx = 2x
    y.backward(f64([1, 0.5, -2]));
    assert.deepEqual(x.grad!.toArray(), [2, 2, -12]);
    const x2 = f64([1, 2], true);
    assert.throws(() => x2.mul(2).backward(), /scalar|backward/);
  }));

  test('gradients accumulate until cleared with t.grad = null', () => tidy(() => {
    const x = f64([1, -1], true);
    x.mul(3).sum().backward();
    x.mul(3).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [6, 6]);
    x.grad = null;
    assert.equal(x.grad, null);
    x.square().sum().backward();
    assert.deepEqual(x.grad!.toArray(), [2, -2]);
    // Setting a gradient explicitly, then accumulating into it.
    x.grad = f64([10, 10]);
    x.sum().backward();
    assert.deepEqual(x.grad!.toArray(), [11, 11]);
    // zero_ on the returned handle zeroes the stored gradient (same tensor).
    x.grad!.zero_();
    assert.deepEqual(x.grad!.toArray(), [0, 0]);
  }));

  test('a graph is freed after backward unless retainGraph', () => tidy(() => {
    // exp and mul save tensors for backward, which a non-retained backward frees.
    const x2 = f64([2], true);
    const y2 = x2.exp().mul(x2).sum();
    y2.backward(undefined, { retainGraph: true });
    y2.backward();
    assertClose(x2.grad!, [2 * (Math.exp(2) + 2 * Math.exp(2))], { rtol: 1e-12 });
    const x3 = f64([2], true);
    const y3 = x3.exp().mul(x3).sum();
    y3.backward();
    assert.throws(() => y3.backward(), /second time|freed/);
  }));

  test('noGrad builds no graph and restores the mode, also after a throw', () => tidy(() => {
    const x = f64([1, 2], true);
    assert.equal(isGradEnabled(), true);
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      return x.mul(2);
    });
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.equal(isGradEnabled(), true);
    assert.throws(() => noGrad(() => {
      throw new Error('boom');
    }), /boom/);
    assert.equal(isGradEnabled(), true);
    // enableGrad inside noGrad records again; both restore.
    noGrad(() => {
      const z = enableGrad(() => x.mul(2));
      assert.equal(z.requiresGrad, true);
      assert.equal(isGradEnabled(), false);
      assert.throws(() => enableGrad(() => {
        throw new Error('inner');
      }));
      assert.equal(isGradEnabled(), false);
    });
    assert.equal(isGradEnabled(), true);
    // In-place updates of parameters under noGrad (the optimizer pattern) are allowed.
    const p = f64([1, 1], true);
    noGrad(() => p.add_(f64([0.5, 0.5]), -1));
    assert.deepEqual(p.toArray(), [0.5, 0.5]);
    assert.equal(p.isLeaf, true);
    assert.throws(() => p.add_(1), /leaf|in-place/);
  }));

  test('detach stops gradients and shares storage', () => tidy(() => {
    const x = f64([1, 2], true);
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.ok(d.sharesStorageWith(x));
    // d(x * detach(x))/dx = detach(x): the detached factor is a constant.
    x.mul(x.detach()).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [1, 2]);
  }));
});

describe('grad()', () => {
  test('w.r.t. chosen inputs, without touching .grad', () => tidy(() => {
    const a = f64([1, 2], true);
    const b = f64([3, 4], true);
    const y = a.mul(b).sum();
    const [gb] = grad(y, [b]);
    assert.deepEqual(gb!.toArray(), [1, 2]);
    assert.equal(a.grad, null);
    assert.equal(b.grad, null);
    const [ga2, gb2] = grad(a.square().mul(b).sum(), [a, b]);
    assert.deepEqual(ga2!.toArray(), [6, 16]);
    assert.deepEqual(gb2!.toArray(), [1, 4]);
  }));

  test('several outputs and gradOutputs', () => tidy(() => {
    const x = f64([1, 2, 3], true);
    const [g] = grad([x.mul(2), x.square()], [x], { gradOutputs: [f64([1, 1, 1]), f64([1, 0, -1])] });
    assert.deepEqual(g!.toArray(), [2 + 2, 2, 2 - 6]);
  }));

  test('createGraph: d2/dx2 x^3 = 6x, d3/dx3 = 6', () => tidy(() => {
    const x = f64([-1, 0.5, 2], true);
    const y = x.pow(3).sum();
    const [d1] = grad(y, [x], { createGraph: true });
    assertClose(d1!, [3, 0.75, 12], { atol: 1e-12 });
    assert.equal(d1!.requiresGrad, true);
    const [d2] = grad(d1!.sum(), [x], { createGraph: true });
    assertClose(d2!, [-6, 3, 12], { atol: 1e-12 });
    const [d3] = grad(d2!.sum(), [x]);
    assertClose(d3!, [6, 6, 6], { atol: 1e-12 });
  }));

  test('createGraph: a Hessian-vector product through tanh and matmul (second-order DARTS pattern)', () => tidy(() => {
    const w = randomTensor([3, 2], 1, -1, 1, true);
    const x = randomTensor([4, 3], 2);
    const loss = (wt: typeof w) => F.tanh(x.matmul(wt)).square().sum();
    const v = randomTensor([3, 2], 3);
    const [gw] = grad(loss(w), [w], { createGraph: true });
    const [hv] = grad(gw!.mul(v).sum(), [w]);
    // Finite-difference of the gradient along v.
    const eps = 1e-6;
    const gAt = (s: number) => {
      const ws = w.detach().add(v.mul(s)).requiresGrad_(true);
      return grad(loss(ws), [ws])[0]!.toArray();
    };
    const up = gAt(eps), down = gAt(-eps);
    assertClose(hv!, up.map((u, i) => (u - down[i]) / (2 * eps)), { atol: 1e-6, rtol: 1e-5 });
  }));

  test('gradcheck of gradients (double backward) for conv2d, log_softmax, gelu, layer_norm', () => tidy(() => {
    const w = randomTensor([2, 1, 2, 2], 4);
    gradcheck((x) => grad(F.conv2d(x, w).square().sum(), [x], { createGraph: true })[0]!, [randomTensor([1, 1, 3, 3], 5)]);
    gradcheck((x) => grad(F.logSoftmax(x).select(1, 0).sum(), [x], { createGraph: true })[0]!, [randomTensor([2, 3], 6)]);
    gradcheck((x) => grad(F.gelu(x).sum(), [x], { createGraph: true })[0]!, [randomTensor([5], 7, -2, 2)]);
    gradcheck((x) => grad(F.layerNorm(x, [3]).mul(x).sum(), [x], { createGraph: true })[0]!, [randomTensor([2, 3], 8)]);
  }));

  test('allowUnused returns null for inputs the output does not depend on', () => tidy(() => {
    const a = f64([1], true);
    const b = f64([2], true);
    const y = a.mul(3).sum();
    assert.throws(() => grad(y, [a, b], { retainGraph: true }), /not have been used|allow_unused/);
    const [ga, gb] = grad(y, [a, b], { allowUnused: true });
    assert.deepEqual(ga!.toArray(), [3]);
    assert.equal(gb, null);
  }));
});

describe('gradients of shape, indexing and reduction ops (float64 finite differences)', () => {
  test('gather, indexSelect, narrow/slice/select, permute, expand', () => tidy(() => {
    const idx = tensor([[2, 0], [1, 1], [0, 2]], { dtype: 'int64' });
    gradcheck((x) => x.gather(1, idx), [randomTensor([3, 3], 11)]);
    gradcheck((x) => x.indexSelect(0, tensor([1, 1, 0], { dtype: 'int64' })), [randomTensor([2, 3], 12)]);
    gradcheck((x) => x.narrow(1, 1, 2).mul(x.slice(0, 1).sum()).add(x.select(1, 0).sum()), [randomTensor([3, 4], 13)]);
    gradcheck((x) => x.permute(2, 0, 1).reshape(4, 6).transpose(0, 1), [randomTensor([2, 3, 4], 14)]);
    gradcheck((x) => x.expand(3, 2, 4).mul(randomTensor([3, 2, 4], 15)), [randomTensor([2, 1], 16)]);
  }));

  test('cat, stack, split, chunk, pad', () => tidy(() => {
    gradcheck((a, b) => cat([a, b.square()], 1), [randomTensor([2, 2], 17), randomTensor([2, 3], 18)]);
    gradcheck((a, b) => stack([a, b], 1), [randomTensor([3], 19), randomTensor([3], 20)]);
    gradcheck((a) => { const [p, q] = a.split([1, 3], 1); return p.mul(q.sum(1, true)); }, [randomTensor([2, 4], 21)]);
    gradcheck((a) => { const [p, q] = a.chunk(2, 0); return p.mul(q); }, [randomTensor([4, 3], 22)]);
    gradcheck((a) => a.pad([1, 2, 0, 1], 'constant', 0.5), [randomTensor([1, 2, 3], 23)]);
    gradcheck((a) => a.pad([2, 1], 'reflect'), [randomTensor([1, 2, 4], 24)]);
    gradcheck((a) => a.pad([1, 1, 1, 1], 'replicate'), [randomTensor([1, 1, 2, 3], 25)]);
  }));

  test('where, maskedFill, clamp, maximum, abs', () => tidy(() => {
    const m = tensor([[true, false, true], [false, false, true]]);
    gradcheck((a, b) => where(m, a, b), [randomTensor([2, 3], 26), randomTensor([2, 3], 27)]);
    gradcheck((a) => a.maskedFill(m, 0), [randomTensor([2, 3], 28)]);
    gradcheck((a) => a.clamp(-0.5, 0.5), [tensor([-0.9, -0.3, 0.1, 0.7], { dtype: 'float64' })]);
    gradcheck((a, b) => a.maximum(b), [tensor([1, -1, 0.3], { dtype: 'float64' }), tensor([0, 0.5, -0.2], { dtype: 'float64' })]);
    gradcheck((a) => a.abs().add(a.sign()), [tensor([-2, 0.5], { dtype: 'float64' })]);
  }));

  test('sum, mean, max, var, std, norm, logsumexp, cumsum, prod, pow, div', () => tidy(() => {
    gradcheck((a) => a.sum(1).add(a.mean(0, true).sum()), [randomTensor([3, 4], 29)]);
    gradcheck((a) => a.max(1), [randomTensor([3, 4], 30)]);
    gradcheck((a) => a.max(), [randomTensor([2, 3], 31)]);
    gradcheck((a) => a.var(1).add(a.var(undefined, { unbiased: false })), [randomTensor([3, 4], 32)]);
    gradcheck((a) => a.std(), [randomTensor([5], 33)]);
    gradcheck((a) => a.norm(2, 1).add(a.norm(1)), [randomTensor([2, 3], 34)]);
    gradcheck((a) => a.logsumexp(-1), [randomTensor([2, 5], 35)]);
    gradcheck((a) => a.cumsum(1), [randomTensor([2, 4], 36)]);
    gradcheck((a) => a.prod(), [randomTensor([4], 37, 0.5, 1.5)]);
    gradcheck((a, b) => a.pow(b).div(b.add(2)), [randomTensor([3], 38, 0.5, 2), randomTensor([3], 39)]);
    gradcheck((a) => a.sqrt().add(a.log()).add(a.reciprocal()).add(a.exp()), [randomTensor([4], 40, 0.5, 2)]);
  }));

  test('gradcheck itself catches a wrong gradient', () => tidy(() => {
    // x * detach(x) has autograd gradient x but true derivative 2x.
    assert.throws(() => gradcheck((x) => x.mul(x.detach()), [randomTensor([3], 41, 0.5, 1)]), /gradcheck/);
    // float32 inputs are refused: finite differences are too noisy.
    assert.throws(() => gradcheck((x) => x.mul(2), [ones([2])]), /float64/);
  }));
});
