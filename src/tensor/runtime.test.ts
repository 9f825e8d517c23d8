// Runtime queries: thread count, CUDA presence, build info, live-tensor count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInfo, configuredThreads, cudaDeviceCount, cudaIsAvailable, getNumThreads, liveTensorCount, ones, setNumThreads, tidy } from './index.js';

test('thread count follows TANGLENAS_THREADS/OMP_NUM_THREADS at load; setNumThreads validates', () => {
  assert.ok(Number.isInteger(configuredThreads()) && configuredThreads() >= 1);
  assert.equal(getNumThreads(), configuredThreads());
  assert.throws(() => setNumThreads(0), TypeError);
  assert.throws(() => setNumThreads(1.5), TypeError);
  setNumThreads(configuredThreads()); // same value: a no-op that must not throw
  assert.equal(getNumThreads(), configuredThreads());
});

test('CUDA queries are consistent; build info names the parallel backend', () => {
  const n = cudaDeviceCount();
  assert.equal(cudaIsAvailable(), n > 0);
  const info = buildInfo();
  assert.match(info.parallel, /ATen\/Parallel/);
  assert.match(info.parallel, /OpenMP/);
  assert.ok(info.config.length > 0);
});

test('liveTensorCount tracks creation, dispose and scope exit', () => {
  const before = liveTensorCount();
  const a = ones([2]);
  assert.equal(liveTensorCount(), before + 1);
  tidy(() => {
    ones([3]).mul(2);
    assert.equal(liveTensorCount(), before + 3);
  });
  assert.equal(liveTensorCount(), before + 1);
  a.dispose();
  assert.equal(liveTensorCount(), before);
});
