import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';

test('same seed and stream give the same sequence; streams and seeds differ', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const seqA = Array.from({ length: 100 }, () => a.nextU32());
  assert.deepEqual(Array.from({ length: 100 }, () => b.nextU32()), seqA);
  const c = new Rng(42, 1);
  assert.notDeepEqual(Array.from({ length: 100 }, () => c.nextU32()), seqA);
  const d = new Rng(43);
  assert.notDeepEqual(Array.from({ length: 100 }, () => d.nextU32()), seqA);
  // Seeds above 2^32 use their high bits.
  assert.notDeepEqual(new Rng(2 ** 32 + 42).getState(), new Rng(42).getState());
});

test('state round-trips through JSON and continues the sequence exactly', () => {
  const r = new Rng(7);
  for (let i = 0; i < 10; i++) r.nextU32();
  const saved = JSON.parse(JSON.stringify(r.getState()));
  const next = Array.from({ length: 20 }, () => r.float());
  const r2 = Rng.fromState(saved);
  assert.deepEqual(Array.from({ length: 20 }, () => r2.float()), next);
  assert.throws(() => r2.setState([0, 0, 0, 0]), /all-zero/);
  assert.throws(() => r2.setState([1, 2, 3]), /4 uint32/);
});

test('int(n) stays in range and is roughly uniform; float in [0, 1)', () => {
  const r = new Rng(3);
  const counts = new Array(9).fill(0);
  for (let i = 0; i < 90_000; i++) counts[r.int(9)]++;
  for (const c of counts) assert.ok(c > 9_000 && c < 11_000, `counts ${counts}`);
  for (let i = 0; i < 10_000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
  }
  assert.throws(() => r.int(0), RangeError);
  assert.throws(() => new Rng(-1), TypeError);
});

test('permutation is a permutation and depends on the seed', () => {
  const p = new Rng(5).permutation(1000);
  assert.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(Array.from(new Rng(5).permutation(1000)), Array.from(p));
  assert.notDeepEqual(Array.from(new Rng(6).permutation(1000)), Array.from(p));
});
