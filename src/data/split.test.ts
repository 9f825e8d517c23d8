import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitContiguous, splitTrainIndices } from './split.js';

function check(n: number, portion: number, order: 'index' | 'shuffled', seed = 0): void {
  const s = splitTrainIndices(n, { trainPortion: portion, order, seed });
  assert.equal(s.weights.length, Math.floor(portion * n + 1e-9));
  assert.equal(s.weights.length + s.arch.length, n);
  const all = new Set([...s.weights, ...s.arch]);
  assert.equal(all.size, n, 'disjoint and complete');
  for (const i of all) assert.ok(i >= 0 && i < n);
}

test('trainPortion 0.5, 0.8, 0.3, 1 give disjoint parts covering the training set', () => {
  for (const order of ['index', 'shuffled'] as const) {
    for (const p of [0.5, 0.8, 0.3, 0.29, 1]) check(1000, p, order, 11);
    check(50_000, 0.5, order);
    check(7, 0.5, order);
  }
});

test("order 'index' is the reference's [:split] / [split:]", () => {
  const s = splitTrainIndices(10, { trainPortion: 0.8 });
  assert.deepEqual(Array.from(s.weights), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(Array.from(s.arch), [8, 9]);
  assert.equal(splitTrainIndices(10, { trainPortion: 1 }).arch.length, 0);
});

test("order 'shuffled' is deterministic by seed and differs across seeds", () => {
  const a = splitTrainIndices(1000, { trainPortion: 0.5, order: 'shuffled', seed: 3 });
  const b = splitTrainIndices(1000, { trainPortion: 0.5, order: 'shuffled', seed: 3 });
  const c = splitTrainIndices(1000, { trainPortion: 0.5, order: 'shuffled', seed: 4 });
  assert.deepEqual(Array.from(a.weights), Array.from(b.weights));
  assert.deepEqual(Array.from(a.arch), Array.from(b.arch));
  assert.notDeepEqual(Array.from(a.weights), Array.from(c.weights));
});

test('invalid portions are rejected', () => {
  for (const p of [0, -0.1, 1.01, NaN, 0.0001]) {
    assert.throws(() => splitTrainIndices(100, { trainPortion: p }), RangeError, `portion ${p}`);
  }
  assert.throws(() => splitTrainIndices(100, { trainPortion: 0.5, order: 'random' as never }), TypeError);
});

test('contiguous split of a token stream', () => {
  const t = Int32Array.from({ length: 11 }, (_, i) => i);
  const s = splitContiguous(t, 0.5);
  assert.deepEqual(Array.from(s.weights), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(s.arch), [5, 6, 7, 8, 9, 10]);
});
