// Forward values of the Tensor class: creation, dtypes, arithmetic, shape and
// indexing ops, reductions. Expected values are written out by hand or computed
// by plain JS loops.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor, arange, cat, eye, full, ones, oneHot, scalar, scalarPow, stack, tensor, tidy, where, zeros, zerosLike, onesLike,
} from './index.js';
import { assertClose, randomArray, randomTensor, stridesOf } from './testing.js';

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('creation and dtypes', () => {
  test('zeros, ones, full, eye, zerosLike, onesLike', () => tidy(() => {
    const z = zeros([2, 3]);
    assert.deepEqual(z.shape, [2, 3]);
    assert.equal(z.dtype, 'float32');
    assert.deepEqual(z.toArray(), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(ones([3], { dtype: 'int64' }).toArray(), [1, 1, 1]);
    assert.equal(ones([3], { dtype: 'int64' }).dtype, 'int64');
    assert.deepEqual(full([2, 2], 2.5, { dtype: 'float64' }).toArray(), [2.5, 2.5, 2.5, 2.5]);
    assert.deepEqual(full([2], -3, { dtype: 'int64' }).toArray(), [-3, -3]);
    assert.deepEqual(eye(3).toArray(), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const like = zerosLike(ones([2, 2], { dtype: 'float64' }));
    assert.equal(like.dtype, 'float64');
    assert.deepEqual(onesLike(like).toArray(), [1, 1, 1, 1]);
    assert.deepEqual(zeros([0, 4]).shape, [0, 4]);
    assert.equal(zeros([0, 4]).numel, 0);
    assert.equal(zeros([2, 3], { requiresGrad: true }).requiresGrad, true);
  }));

  test('arange: integer args give int64, fractional float32, explicit dtype wins', () => tidy(() => {
    const a = arange(5);
    assert.equal(a.dtype, 'int64');
    assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4]);
    assert.deepEqual(arange(2, 11, 3).toArray(), [2, 5, 8]);
    assert.deepEqual(arange(5, 0, -2).toArray(), [5, 3, 1]);
    const f = arange(0, 1, 0.25);
    assert.equal(f.dtype, 'float32');
    assert.deepEqual(f.toArray(), [0, 0.25, 0.5, 0.75]);
    const d = arange(3, undefined, 1, { dtype: 'float64' });
    assert.equal(d.dtype, 'float64');
    assert.deepEqual(d.toArray(), [0, 1, 2]);
  }));

  test('tensor() infers shape from nested arrays and dtype from the data', () => tidy(() => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.toArray(), [1, 2, 3, 4, 5, 6]);
    const b = tensor([true, false, true]);
    assert.equal(b.dtype, 'bool');
    assert.deepEqual(b.toArray(), [1, 0, 1]);
    const s = scalar(3.5);
    assert.deepEqual(s.shape, []);
    assert.equal(s.item(), 3.5);
    assert.deepEqual(tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] }).shape, [3, 2]);
    assert.throws(() => tensor([[1, 2], [3]]), /ragged|needs/);
    assert.throws(() => tensor([1.5], { dtype: 'int64' }), /integers/);
  }));

  test('typed arrays round-trip bit-exactly for every dtype', () => tidy(() => {
    const f32 = new Float32Array([1.5, -2.25, 3.1415927, 1e-30, -0]);
    const r32 = tensor(f32).dataSync();
    assert.ok(r32 instanceof Float32Array);
    assert.deepEqual(Array.from(r32 as Float32Array), Array.from(f32));
    const f64 = new Float64Array([Math.PI, -1e300, 5e-324, 0.1]);
    const t64 = tensor(f64, { shape: [2, 2] });
    assert.equal(t64.dtype, 'float64');
    assert.deepEqual(Array.from(t64.dataSync() as Float64Array), Array.from(f64));
    const i64 = new BigInt64Array([0n, -1n, 9007199254740993n, -(2n ** 62n)]);
    const ti = tensor(i64);
    assert.equal(ti.dtype, 'int64');
    assert.deepEqual(Array.from(ti.dataSync() as BigInt64Array), Array.from(i64));
    const i32 = new Int32Array([-2147483648, 2147483647, 7]);
    assert.equal(tensor(i32).dtype, 'int32');
    assert.deepEqual(Array.from(tensor(i32).dataSync() as Int32Array), Array.from(i32));
    const u8 = new Uint8Array([0, 1, 127, 255]);
    const tu = tensor(u8);
    assert.equal(tu.dtype, 'uint8');
    assert.deepEqual(Array.from(tu.dataSync() as Uint8Array), [0, 1, 127, 255]);
    const tb = tensor(new Uint8Array([0, 1, 1, 0]), { dtype: 'bool' });
    assert.equal(tb.dtype, 'bool');
    assert.deepEqual(tb.toArray(), [0, 1, 1, 0]);
    // A subarray view starts at a byte offset: only its own bytes are copied.
    const sub = new Float32Array([9, 8, 7, 6]).subarray(1, 3);
    assert.deepEqual(tensor(sub).toArray(), [8, 7]);
    assert.throws(() => tensor(new Float32Array(5), { shape: [2, 2] }), /bytes|needs/);
  }));

  test('bool tensors from non-0/1 numbers are normalised to 0/1', () => tidy(() => {
    const b = tensor([0, 2, -1, 0.5], { dtype: 'bool' });
    assert.deepEqual(b.toArray(), [0, 1, 1, 1]);
    assert.equal(b.sum().item(), 3);
    assert.deepEqual(b.eq(tensor([true, true, true, true])).toArray(), [0, 1, 1, 1]);
    const fromBytes = tensor(new Uint8Array([0, 7, 1]), { dtype: 'bool' });
    assert.deepEqual(fromBytes.toArray(), [0, 1, 1]);
    assert.equal(fromBytes.sum().item(), 2);
  }));

  test('dtype conversions', () => tidy(() => {
    const x = tensor([-1.7, -0.5, 0, 0.5, 2.9]);
    assert.deepEqual(x.to('int64').toArray(), [-1, 0, 0, 0, 2]); // truncation toward zero
    assert.deepEqual(x.to('bool').toArray(), [1, 1, 0, 1, 1]);
    assert.deepEqual(tensor([300, -1], { dtype: 'int64' }).to('uint8').toArray(), [44, 255]); // wraps mod 256
    assert.equal(x.to('float64').dtype, 'float64');
    assert.equal(x.long().dtype, 'int64');
    assert.equal(x.to('int64').float().dtype, 'float32');
    // float16 toArray decodes values (not raw bit patterns).
    assertClose(tensor([1, 0.5, -2, 65504]).to('float16').toArray(), [1, 0.5, -2, 65504], { atol: 0 });
    assert.equal(tensor([1.25]).to('float16').item(), 1.25);
  }));
});

describe('arithmetic', () => {
  const a = (): Tensor => tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
  const row = (): Tensor => tensor([10, 20, 30], { dtype: 'float64' });
  const col = (): Tensor => tensor([[2], [3]], { dtype: 'float64' });

  test('broadcasting tensor-tensor', () => tidy(() => {
    assert.deepEqual(a().add(row()).toArray(), [11, 22, 33, 14, 25, 36]);
    assert.deepEqual(a().sub(row()).toArray(), [-9, -18, -27, -6, -15, -24]);
    assert.deepEqual(a().mul(col()).toArray(), [2, 4, 6, 12, 15, 18]);
    assert.deepEqual(a().div(col()).toArray(), [0.5, 1, 1.5, 4 / 3, 5 / 3, 2]);
    // [2,1] op [3] -> [2,3]
    const outer = col().mul(row());
    assert.deepEqual(outer.shape, [2, 3]);
    assert.deepEqual(outer.toArray(), [20, 40, 60, 30, 60, 90]);
    assert.deepEqual(a().pow(col()).toArray(), [1, 4, 9, 64, 125, 216]);
    assert.deepEqual(a().maximum(tensor([3, 0, 7], { dtype: 'float64' })).toArray(), [3, 2, 7, 4, 5, 7]);
    assert.deepEqual(a().minimum(tensor([3, 0, 7], { dtype: 'float64' })).toArray(), [1, 0, 3, 3, 0, 6]);
    assert.throws(() => a().add(tensor([1, 2], { dtype: 'float64' })), /add/);
  }));

  test('tensor-scalar', () => tidy(() => {
    assert.deepEqual(a().add(1).toArray(), [2, 3, 4, 5, 6, 7]);
    assert.deepEqual(a().sub(0.5).toArray(), [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
    assert.deepEqual(a().mul(-2).toArray(), [-2, -4, -6, -8, -10, -12]);
    assert.deepEqual(a().div(4).toArray(), [0.25, 0.5, 0.75, 1, 1.25, 1.5]);
    assert.deepEqual(a().rsub(10).toArray(), [9, 8, 7, 6, 5, 4]);
    assert.deepEqual(a().pow(2).toArray(), [1, 4, 9, 16, 25, 36]);
    // pow(x, 0.5) may go through a vectorised sqrt (MKL in PyTorch's own builds): within 1 ulp of Math.sqrt.
    assertClose(a().pow(0.5), [1, 2, 3, 4, 5, 6].map(Math.sqrt), { atol: 0, rtol: 2 ** -52 });
    assert.deepEqual(scalarPow(2, a()).toArray(), [2, 4, 8, 16, 32, 64]);
    assert.deepEqual(tensor([-7, -1, 5, 7], { dtype: 'float64' }).remainder(3).toArray(), [2, 2, 2, 1]); // Python-style sign
    assert.equal(a().add(1).dtype, 'float64');
  }));

  test('integer dtypes: int op int stays int, true division and float scalars promote', () => tidy(() => {
    const i = arange(-3, 4); // int64
    assert.equal(i.add(2).dtype, 'int64');
    assert.deepEqual(i.mul(3).toArray(), [-9, -6, -3, 0, 3, 6, 9]);
    const fd = i.floorDiv(2);
    assert.equal(fd.dtype, 'int64');
    assert.deepEqual(fd.toArray(), [-2, -1, -1, 0, 0, 1, 1]);
    assert.deepEqual(i.floorDiv(tensor([2], { dtype: 'int64' })).toArray(), [-2, -1, -1, 0, 0, 1, 1]);
    assert.deepEqual(tensor([-3.5, 3.5]).floorDiv(2).toArray(), [-2, 1]);
    assert.equal(i.div(2).dtype, 'float32');
    assert.deepEqual(i.div(2).toArray(), [-1.5, -1, -0.5, 0, 0.5, 1, 1.5]);
    assert.equal(i.add(0.5).dtype, 'float32');
    assert.equal(i.add(tensor([0.5], { dtype: 'float64' })).dtype, 'float64');
    assert.equal(tensor([true, false]).add(tensor([true, true])).dtype, 'bool');
  }));

  test('unary math against Math.*', () => tidy(() => {
    const xs = [0.1, 0.5, 1, 2.5, 7];
    const x = tensor(xs, { dtype: 'float64' });
    const check = (t: Tensor, f: (v: number) => number): void => assertClose(t, xs.map(f), { atol: 1e-12, rtol: 1e-12 });
    check(x.exp(), Math.exp);
    check(x.log(), Math.log);
    check(x.log1p(), Math.log1p);
    check(x.expm1(), Math.expm1);
    check(x.sqrt(), Math.sqrt);
    check(x.rsqrt(), (v) => 1 / Math.sqrt(v));
    check(x.reciprocal(), (v) => 1 / v);
    check(x.sin(), Math.sin);
    check(x.cos(), Math.cos);
    check(x.neg(), (v) => -v);
    check(x.square(), (v) => v * v);
    // lgamma(n) = log((n-1)!), digamma(1) = -Euler-Mascheroni, digamma(x+1) = digamma(x) + 1/x
    assertClose(tensor([1, 2, 5, 0.5], { dtype: 'float64' }).lgamma(), [0, 0, Math.log(24), Math.log(Math.sqrt(Math.PI))], { atol: 1e-12 });
    assertClose(tensor([1, 2], { dtype: 'float64' }).digamma(), [-0.5772156649015329, 1 - 0.5772156649015329], { atol: 1e-12 });
    const m = tensor([-2.5, -0.5, 0, 0.5, 1.5, 2.5], { dtype: 'float64' });
    assert.deepEqual(m.abs().toArray(), [2.5, 0.5, 0, 0.5, 1.5, 2.5]);
    assert.deepEqual(m.sign().toArray(), [-1, -1, 0, 1, 1, 1]);
    assert.deepEqual(m.floor().toArray(), [-3, -1, 0, 0, 1, 2]);
    assert.deepEqual(m.ceil().toArray(), [-2, -0, 0, 1, 2, 3]);
    assert.deepEqual(m.round().toArray(), [-2, -0, 0, 0, 2, 2]); // half to even
  }));

  test('in-place ops mutate and return this', () => tidy(() => {
    const x = tensor([1, 2, 3], { dtype: 'float64' });
    assert.equal(x.add_(tensor([1, 1, 1], { dtype: 'float64' }), 2), x);
    assert.deepEqual(x.toArray(), [3, 4, 5]);
    x.add_(3, 2); // a number operand honours alpha too: += 6
    assert.deepEqual(x.toArray(), [9, 10, 11]);
    x.mul_(2).div_(4);
    assert.deepEqual(x.toArray(), [4.5, 5, 5.5]);
    x.mul_(tensor([2, 0, 1], { dtype: 'float64' }));
    assert.deepEqual(x.toArray(), [9, 0, 5.5]);
    const y = zeros([3], { dtype: 'float64' });
    y.addcmul_(tensor([1, 2, 3], { dtype: 'float64' }), tensor([4, 5, 6], { dtype: 'float64' }), 0.5);
    assert.deepEqual(y.toArray(), [2, 5, 9]);
    y.addcdiv_(tensor([1, 2, 3], { dtype: 'float64' }), tensor([2, 4, 6], { dtype: 'float64' }), 2);
    assert.deepEqual(y.toArray(), [3, 6, 10]);
    y.lerp_(tensor([5, 6, 0], { dtype: 'float64' }), 0.5);
    assert.deepEqual(y.toArray(), [4, 6, 5]);
    y.clamp_(4.5, 5.5);
    assert.deepEqual(y.toArray(), [4.5, 5.5, 5]);
    y.copy_(tensor([7, 8, 9])); // copy_ converts float32 -> float64
    assert.deepEqual(y.toArray(), [7, 8, 9]);
    y.fill_(-1);
    assert.deepEqual(y.toArray(), [-1, -1, -1]);
    y.zero_();
    assert.deepEqual(y.toArray(), [0, 0, 0]);
    // An in-place op on a view writes through to the base.
    const base = zeros([2, 3]);
    base.select(0, 1).fill_(5);
    assert.deepEqual(base.toArray(), [0, 0, 0, 5, 5, 5]);
  }));

  test('comparisons and logic give bool tensors', () => tidy(() => {
    const x = tensor([1, 2, 3, 4]);
    const y = tensor([4, 2, 1, 4]);
    const r = x.lt(y);
    assert.equal(r.dtype, 'bool');
    assert.deepEqual(r.toArray(), [1, 0, 0, 0]);
    assert.deepEqual(x.le(y).toArray(), [1, 1, 0, 1]);
    assert.deepEqual(x.gt(y).toArray(), [0, 0, 1, 0]);
    assert.deepEqual(x.ge(y).toArray(), [0, 1, 1, 1]);
    assert.deepEqual(x.eq(y).toArray(), [0, 1, 0, 1]);
    assert.deepEqual(x.ne(y).toArray(), [1, 0, 1, 0]);
    assert.deepEqual(x.gt(2.5).toArray(), [0, 0, 1, 1]);
    assert.deepEqual(x.eq(2).toArray(), [0, 1, 0, 0]);
    assert.deepEqual(x.gt(tensor([[0], [3]])).toArray(), [1, 1, 1, 1, 0, 0, 0, 1]); // broadcast [2,1] vs [4]
    const p = tensor([true, true, false, false]);
    const q = tensor([true, false, true, false]);
    assert.deepEqual(p.logicalAnd(q).toArray(), [1, 0, 0, 0]);
    assert.deepEqual(p.logicalOr(q).toArray(), [1, 1, 1, 0]);
    assert.deepEqual(p.logicalNot().toArray(), [0, 0, 1, 1]);
    assert.equal(p.all().item(), 0);
    assert.equal(p.any().item(), 1);
    const nanInf = tensor([0, NaN, Infinity, -1]);
    assert.deepEqual(nanInf.isnan().toArray(), [0, 1, 0, 0]);
    assert.deepEqual(nanInf.isfinite().toArray(), [1, 0, 0, 1]);
  }));

  test('clamp, where, maskedFill, oneHot, outer, tril/triu', () => tidy(() => {
    const x = tensor([-2, -0.5, 0.5, 3]);
    assert.deepEqual(x.clamp(-1, 1).toArray(), [-1, -0.5, 0.5, 1]);
    assert.deepEqual(x.clamp(0).toArray(), [0, 0, 0.5, 3]);
    assert.deepEqual(x.clamp(null, 0).toArray(), [-2, -0.5, 0, 0]);
    assert.deepEqual(where(x.gt(0), x, tensor([10])).toArray(), [10, 10, 0.5, 3]);
    const m = tensor([[true, false], [false, true]]);
    assert.deepEqual(ones([2, 2]).maskedFill(m, -Infinity).toArray(), [-Infinity, 1, 1, -Infinity]);
    // A [2] mask broadcasts over rows.
    assert.deepEqual(zeros([2, 2]).maskedFill(tensor([false, true]), 7).toArray(), [0, 7, 0, 7]);
    const oh = oneHot(tensor([0, 2, 1], { dtype: 'int64' }), 4);
    assert.equal(oh.dtype, 'int64');
    assert.deepEqual(oh.shape, [3, 4]);
    assert.deepEqual(oh.toArray(), [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
    assert.deepEqual(tensor([1, 2]).outer(tensor([3, 4, 5])).toArray(), [3, 4, 5, 6, 8, 10]);
    const sq = arange(1, 10).reshape(3, 3);
    assert.deepEqual(sq.tril().toArray(), [1, 0, 0, 4, 5, 0, 7, 8, 9]);
    assert.deepEqual(sq.tril(-1).toArray(), [0, 0, 0, 4, 0, 0, 7, 8, 0]);
    assert.deepEqual(sq.triu(1).toArray(), [0, 2, 3, 0, 0, 6, 0, 0, 0]);
    // Causal mask as attention uses it: tril of ones, rectangular.
    assert.deepEqual(ones([2, 3]).tril().toArray(), [1, 0, 0, 1, 1, 0]);
  }));
});

/** Plain JS matrix product of row-major [n,k] x [k,m]. */
function refMatmul(a: number[], b: number[], n: number, k: number, m: number): number[] {
  const out = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let p = 0; p < k; p++) out[i * m + j] += a[i * k + p] * b[p * m + j];
  return out;
}

describe('linear algebra', () => {
  test('matmul, mm against a JS loop', () => tidy(() => {
    const A = randomArray(12, 1);
    const B = randomArray(20, 2);
    const expected = refMatmul(A, B, 3, 4, 5);
    const a = tensor(A, { shape: [3, 4], dtype: 'float64' });
    const b = tensor(B, { shape: [4, 5], dtype: 'float64' });
    assertClose(a.matmul(b), expected, { shape: [3, 5], atol: 1e-12 });
    assertClose(a.mm(b), expected, { atol: 1e-12 });
    // float32 agrees to float32 precision
    assertClose(a.float().matmul(b.float()), expected, { atol: 1e-5 });
    // matrix-vector and vector-vector
    assertClose(a.matmul(tensor([1, 0, 0, 0], { dtype: 'float64' })), [A[0], A[4], A[8]], { shape: [3], atol: 1e-12 });
    assertClose(tensor([1, 2, 3]).matmul(tensor([4, 5, 6])), [32], { shape: [] });
  }));

  test('bmm and broadcast batched matmul', () => tidy(() => {
    const A = randomArray(2 * 3 * 4, 3);
    const B = randomArray(2 * 4 * 2, 4);
    const exp: number[] = [];
    for (let b = 0; b < 2; b++) exp.push(...refMatmul(A.slice(b * 12, b * 12 + 12), B.slice(b * 8, b * 8 + 8), 3, 4, 2));
    const a = tensor(A, { shape: [2, 3, 4], dtype: 'float64' });
    const b = tensor(B, { shape: [2, 4, 2], dtype: 'float64' });
    assertClose(a.bmm(b), exp, { shape: [2, 3, 2], atol: 1e-12 });
    assertClose(a.matmul(b), exp, { atol: 1e-12 });
    // [2,3,4] @ [4,2] broadcasts the matrix over the batch.
    const w = tensor(B.slice(0, 8), { shape: [4, 2], dtype: 'float64' });
    const exp2: number[] = [];
    for (let k = 0; k < 2; k++) exp2.push(...refMatmul(A.slice(k * 12, k * 12 + 12), B.slice(0, 8), 3, 4, 2));
    assertClose(a.matmul(w), exp2, { shape: [2, 3, 2], atol: 1e-12 });
    // Transposed (non-contiguous) operands.
    assertClose(b.transpose(1, 2).matmul(a.transpose(1, 2)), a.matmul(b).transpose(1, 2).contiguous(), { atol: 1e-12 });
  }));
});

describe('shape and indexing', () => {
  const x = (): Tensor => arange(24).reshape(2, 3, 4);

  test('reshape, view, flatten, squeeze, unsqueeze, expand, contiguous', () => tidy(() => {
    assert.deepEqual(x().reshape(6, -1).shape, [6, 4]);
    assert.deepEqual(x().view(4, 6).toArray(), ids(24));
    assert.ok(x().view(24).sharesStorageWith(x().view(24)) === false); // two separate arange calls
    const base = x();
    assert.ok(base.view(6, 4).sharesStorageWith(base));
    assert.deepEqual(x().flatten().shape, [24]);
    assert.deepEqual(x().flatten(1).shape, [2, 12]);
    assert.deepEqual(x().flatten(0, 1).shape, [6, 4]);
    assert.deepEqual(zeros([1, 3, 1]).squeeze().shape, [3]);
    assert.deepEqual(zeros([1, 3, 1]).squeeze(0).shape, [3, 1]);
    assert.deepEqual(zeros([3]).unsqueeze(1).shape, [3, 1]);
    assert.deepEqual(zeros([3]).unsqueeze(-1).shape, [3, 1]);
    const e = tensor([[1], [2]]).expand(2, 3);
    assert.deepEqual(e.toArray(), [1, 1, 1, 2, 2, 2]);
    assert.equal(e.isContiguous, false);
    const t = base.transpose(0, 2);
    assert.equal(t.isContiguous, false);
    assert.throws(() => t.view(24), /view/);
    const c = t.contiguous();
    assert.equal(c.isContiguous, true);
    assert.deepEqual(c.view(24).toArray(), t.reshape(24).toArray());
  }));

  test('permute and transpose against index arithmetic', () => tidy(() => {
    const p = x().permute(2, 0, 1);
    assert.deepEqual(p.shape, [4, 2, 3]);
    const got = p.toArray();
    const exp: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) exp.push(i * 12 + j * 4 + k);
    assert.deepEqual(got, exp);
    const m = arange(6).reshape(2, 3);
    assert.deepEqual(m.T.toArray(), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(m.transpose(0, 1).shape, [3, 2]);
  }));

  test('narrow, slice, select', () => tidy(() => {
    const m = arange(12).reshape(3, 4);
    assert.deepEqual(m.narrow(1, 1, 2).toArray(), [1, 2, 5, 6, 9, 10]);
    assert.deepEqual(m.narrow(0, 2, 1).toArray(), [8, 9, 10, 11]);
    assert.deepEqual(m.slice(1, 1).toArray(), [1, 2, 3, 5, 6, 7, 9, 10, 11]);
    assert.deepEqual(m.slice(1, undefined, -1).toArray(), [0, 1, 2, 4, 5, 6, 8, 9, 10]);
    assert.deepEqual(m.slice(1, 0, 4, 2).toArray(), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(m.slice(0, -1).toArray(), [8, 9, 10, 11]);
    assert.deepEqual(m.select(1, 3).toArray(), [3, 7, 11]);
    assert.deepEqual(m.select(0, -1).toArray(), [8, 9, 10, 11]);
    assert.ok(m.narrow(1, 1, 2).sharesStorageWith(m));
  }));

  test('indexSelect, gather, scatter', () => tidy(() => {
    const m = arange(12).reshape(3, 4);
    const idx = tensor([2, 0, 2], { dtype: 'int64' });
    assert.deepEqual(m.indexSelect(0, idx).toArray(), [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
    assert.deepEqual(m.indexSelect(1, idx).toArray(), [2, 0, 2, 6, 4, 6, 10, 8, 10]);
    // gather(1): out[i][j] = m[i][index[i][j]]
    const gi = tensor([[3, 0], [1, 1], [0, 2]], { dtype: 'int64' });
    assert.deepEqual(m.gather(1, gi).toArray(), [3, 0, 5, 5, 8, 10]);
    // gather(0): out[i][j] = m[index[i][j]][j]
    const g0 = tensor([[2, 1, 0, 0]], { dtype: 'int64' });
    assert.deepEqual(m.gather(0, g0).toArray(), [8, 5, 2, 3]);
    const s = zeros([2, 3]).scatter(1, tensor([[2], [0]], { dtype: 'int64' }), tensor([[5], [7]]));
    assert.deepEqual(s.toArray(), [0, 0, 5, 7, 0, 0]);
  }));

  test('cat, stack, split, chunk', () => tidy(() => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6]]);
    assert.deepEqual(cat([a, b]).toArray(), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(cat([a, b]).shape, [3, 2]);
    assert.deepEqual(cat([a, a], 1).toArray(), [1, 2, 1, 2, 3, 4, 3, 4]);
    assert.deepEqual(cat([a, a], -1).shape, [2, 4]);
    const s = stack([a, a.mul(10)], 0);
    assert.deepEqual(s.shape, [2, 2, 2]);
    assert.deepEqual(s.toArray(), [1, 2, 3, 4, 10, 20, 30, 40]);
    assert.deepEqual(stack([a, a.mul(10)], 2).toArray(), [1, 10, 2, 20, 3, 30, 4, 40]);
    const parts = arange(7).split(3);
    assert.deepEqual(parts.map((p) => p.toArray()), [[0, 1, 2], [3, 4, 5], [6]]);
    const sized = arange(7).split([1, 4, 2]);
    assert.deepEqual(sized.map((p) => p.toArray()), [[0], [1, 2, 3, 4], [5, 6]]);
    const ch = arange(12).reshape(2, 6).chunk(3, 1);
    assert.deepEqual(ch.map((p) => p.toArray()), [[0, 1, 6, 7], [2, 3, 8, 9], [4, 5, 10, 11]]);
    assert.deepEqual(arange(5).chunk(2).map((p) => p.shape), [[3], [2]]);
  }));

  test('pad: constant, reflect, replicate, circular; negative pads crop', () => tidy(() => {
    const v = tensor([[[1, 2, 3]]]); // [1,1,3]
    assert.deepEqual(v.pad([1, 2]).toArray(), [0, 1, 2, 3, 0, 0]);
    assert.deepEqual(v.pad([1, 0], 'constant', -5).toArray(), [-5, 1, 2, 3]);
    assert.deepEqual(v.pad([2, 1], 'reflect').toArray(), [3, 2, 1, 2, 3, 2]);
    assert.deepEqual(v.pad([2, 1], 'replicate').toArray(), [1, 1, 1, 2, 3, 3]);
    assert.deepEqual(v.pad([1, 1], 'circular').toArray(), [3, 1, 2, 3, 1]);
    assert.deepEqual(v.pad([-1, 0]).toArray(), [2, 3]);
    // 2-D: [left, right, top, bottom]
    const m = tensor([[1, 2], [3, 4]]);
    const p = m.pad([1, 0, 0, 1]);
    assert.deepEqual(p.shape, [3, 3]);
    assert.deepEqual(p.toArray(), [0, 1, 2, 0, 3, 4, 0, 0, 0]);
  }));

  test('flip and roll', () => tidy(() => {
    const m = arange(6).reshape(2, 3);
    assert.deepEqual(m.flip(1).toArray(), [2, 1, 0, 5, 4, 3]);
    assert.deepEqual(m.flip(0, 1).toArray(), [5, 4, 3, 2, 1, 0]);
    assert.deepEqual(m.roll([1], [1]).toArray(), [2, 0, 1, 5, 3, 4]);
  }));

  test('size(), ndim, numel, item', () => tidy(() => {
    const t = zeros([2, 3, 4]);
    assert.equal(t.size(-1), 4);
    assert.equal(t.ndim, 3);
    assert.equal(t.numel, 24);
    assert.throws(() => t.size(3), RangeError);
    assert.equal(tensor([[7]]).item(), 7);
    assert.throws(() => tensor([1, 2]).item(), /one element/);
    assert.match(t.toString(), /shape=\[2, 3, 4\].*float32/);
  }));
});

describe('reductions', () => {
  const vals = [3, -1, 4, 1, -5, 9, 2, 6, -5, 3, 5, 8];
  const m = (): Tensor => tensor(vals, { shape: [3, 4], dtype: 'float64' });
  const rows = [vals.slice(0, 4), vals.slice(4, 8), vals.slice(8, 12)];
  const cols = [0, 1, 2, 3].map((j) => rows.map((r) => r[j]));
  const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);
  const mean = (a: number[]): number => sum(a) / a.length;
  const variance = (a: number[], unbiased: boolean): number => {
    const mu = mean(a);
    return sum(a.map((v) => (v - mu) ** 2)) / (a.length - (unbiased ? 1 : 0));
  };

  test('sum and mean: all, over dims, keepdim', () => tidy(() => {
    assert.equal(m().sum().item(), sum(vals));
    assert.deepEqual(m().sum().shape, []);
    assertClose(m().mean(), mean(vals), { atol: 1e-12 });
    assert.deepEqual(m().sum(1).toArray(), rows.map(sum));
    assert.deepEqual(m().sum(0).toArray(), cols.map(sum));
    assert.deepEqual(m().sum(-1, true).shape, [3, 1]);
    assertClose(m().mean(0), cols.map(mean), { atol: 1e-12 });
    assert.deepEqual(m().sum([0, 1]).toArray(), [sum(vals)]);
    // keepdim applies to a full reduction too.
    assert.deepEqual(m().sum(undefined, true).shape, [1, 1]);
    assert.deepEqual(m().mean(undefined, true).shape, [1, 1]);
    assert.equal(tensor([true, true, false]).sum().item(), 2);
    assert.equal(tensor([true, true, false]).sum().dtype, 'int64');
    assert.equal(m().prod().item(), vals.reduce((p, v) => p * v, 1));
  }));

  test('max, min, argmax, argmin, maxWithIndices', () => tidy(() => {
    assert.equal(m().max().item(), 9);
    assert.equal(m().min().item(), -5);
    assert.deepEqual(m().max(1).toArray(), rows.map((r) => Math.max(...r)));
    assert.deepEqual(m().min(0).toArray(), cols.map((c) => Math.min(...c)));
    assert.deepEqual(m().max(0, true).shape, [1, 4]);
    assert.equal(m().argmax().item(), vals.indexOf(9));
    assert.deepEqual(m().argmax(1).toArray(), rows.map((r) => r.indexOf(Math.max(...r))));
    assert.deepEqual(m().argmin(0).toArray(), cols.map((c) => c.indexOf(Math.min(...c))));
    assert.equal(m().argmax(1).dtype, 'int64');
    const { values, indices } = m().maxWithIndices(1);
    assert.deepEqual(values.toArray(), [4, 9, 8]);
    assert.deepEqual(indices.toArray(), [2, 1, 3]);
  }));

  test('var, std: unbiased and biased, over dims, keepdim', () => tidy(() => {
    assertClose(m().var(), variance(vals, true), { atol: 1e-12 });
    assertClose(m().var(undefined, { unbiased: false }), variance(vals, false), { atol: 1e-12 });
    assertClose(m().var(1), rows.map((r) => variance(r, true)), { atol: 1e-12 });
    assertClose(m().var(0, { unbiased: false, keepdim: true }), cols.map((c) => variance(c, false)), { shape: [1, 4], atol: 1e-12 });
    assert.deepEqual(m().var(undefined, { keepdim: true }).shape, [1, 1]);
    assertClose(m().std(), Math.sqrt(variance(vals, true)), { atol: 1e-12 });
    assertClose(m().std(false), Math.sqrt(variance(vals, false)), { atol: 1e-12 });
  }));

  test('norm: p = 1, 2, inf, over dims', () => tidy(() => {
    assertClose(m().norm(), Math.sqrt(sum(vals.map((v) => v * v))), { atol: 1e-12 });
    assertClose(m().norm(1), sum(vals.map(Math.abs)), { atol: 1e-12 });
    assertClose(m().norm(Infinity), 9, { atol: 0 });
    assertClose(m().norm(2, 1), rows.map((r) => Math.sqrt(sum(r.map((v) => v * v)))), { atol: 1e-12 });
    assertClose(m().norm(2, 0, true), cols.map((c) => Math.hypot(...c)), { shape: [1, 4], atol: 1e-12 });
  }));

  test('logsumexp, cumsum', () => tidy(() => {
    const lse = (r: number[]): number => Math.log(sum(r.map(Math.exp)));
    assertClose(m().logsumexp(1), rows.map(lse), { atol: 1e-12 });
    // Stable for large inputs: would overflow if computed naively.
    assertClose(tensor([1000, 1000], { dtype: 'float64' }).logsumexp(0), 1000 + Math.log(2), { atol: 1e-9 });
    const cs = m().cumsum(1).toArray();
    const exp = rows.flatMap((r) => r.map((_, j) => sum(r.slice(0, j + 1))));
    assert.deepEqual(cs, exp);
    assert.deepEqual(arange(1, 5).cumsum(0).toArray(), [1, 3, 6, 10]);
  }));

  test('sort and topk', () => tidy(() => {
    const { values, indices } = m().sort(1);
    const srt = rows.map((r) => [...r].sort((a, b) => a - b));
    assert.deepEqual(values.toArray(), srt.flat());
    // indices point back at the sorted values
    const idx = indices.toArray();
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) assert.equal(rows[i][idx[i * 4 + j]], srt[i][j]);
    const desc = m().sort(0, true).values.toArray();
    const colsDesc = cols.map((c) => [...c].sort((a, b) => b - a));
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) assert.equal(desc[i * 4 + j], colsDesc[j][i]);
    const tk = tensor([1, 5, 3, 9, 7]).topk(2);
    assert.deepEqual(tk.values.toArray(), [9, 7]);
    assert.deepEqual(tk.indices.toArray(), [3, 4]);
    assert.deepEqual(tensor([1, 5, 3, 9, 7]).topk(2, -1, false).values.toArray(), [1, 3]);
  }));

  test('reductions of a random 4-D tensor over mixed dims match a JS loop', () => tidy(() => {
    const shape = [2, 3, 4, 5];
    const t = randomTensor(shape, 7);
    const data = t.toArray();
    const st = stridesOf(shape);
    // sum over dims 1 and 3 -> [2, 4]
    const exp = new Array<number>(8).fill(0);
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) for (let d = 0; d < 5; d++) {
      exp[a * 4 + c] += data[a * st[0] + b * st[1] + c * st[2] + d * st[3]];
    }
    assertClose(t.sum([1, 3]), exp, { shape: [2, 4], atol: 1e-12 });
    assertClose(t.mean([1, 3], true), exp.map((v) => v / 15), { shape: [2, 1, 4, 1], atol: 1e-12 });
  }));
});
