// The run's device: the config key is checked, a CUDA run on a CPU-only build
// fails before training with the fix in the message (status failed, nothing
// aborts), a CPU run has no GPU memory in its metrics; on a GPU a search runs
// there and its checkpoint evaluates and resumes on the CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtWithCuda, cudaIsAvailable, getPrecision } from '../tensor/index.js';
import { checkFullConfig, parseOverride } from './config.js';
import { resolveConfig } from './presets.js';
import { evaluateRun, resumeRun, startRun } from './pipeline.js';
import { Progress } from './progress.js';
import { testFolder, tinyConfig } from './test-util.js';

const quiet = new Progress({ quiet: true });
const t = testFolder('tanglenas-device-');
const metrics = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

test("device: 'auto' by default; a malformed value is a config error naming the choices", () => {
  assert.equal(resolveConfig({ preset: 'toy-cell/tanglenas', overrides: {}, defaultPreset: 'toy-cell/tanglenas' }).config.device, 'auto');
  assert.throws(() => parseOverride('device', 'gpu', '--device'), /config key 'device' .* must be 'auto', 'cpu', 'cuda' or 'cuda:N', got "gpu"/);
  assert.throws(() => checkFullConfig({ ...tinyConfig('toy-cell/tanglenas', join(t.dir, 'x')), device: 'cuda:-1' }, 'in the test config'), /'device'.*'auto', 'cpu', 'cuda' or 'cuda:N'/);
});

test('device cuda on a CPU-only build: the run fails before training, naming LIBTORCH; status failed', { skip: builtWithCuda() ? 'this addon has CUDA' : false }, async () => {
  const dir = join(t.dir, 'nocuda');
  await assert.rejects(startRun('search', tinyConfig('toy-cell/tanglenas', dir, { device: 'cuda' }), 'toy-cell/tanglenas', { progress: quiet }), /without CUDA.*LIBTORCH=/);
  const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'));
  assert.equal(status.status, 'failed');
  assert.match(status.message, /--device cpu/);
});

test('device cpu: every record without gpu_mem_mb; the run ends on the CPU default device', async () => {
  const dir = join(t.dir, 'cpu');
  const r = await startRun('search', tinyConfig('toy-cell/tanglenas', dir, { device: 'cpu', epochs: 1 }), 'toy-cell/tanglenas', { progress: quiet });
  assert.equal(r.status, 'done');
  assert.ok(metrics(dir).every((m) => !('gpu_mem_mb' in m)));
});

test('data_on_device: the same search, bit for bit (same alphas, same metrics but time)', async () => {
  const alphas: unknown[] = [];
  for (const held of [false, true]) {
    const dir = join(t.dir, `held-${held}`);
    const r = await startRun('search', tinyConfig('toy-cell/tanglenas', dir, { device: 'cpu', data_on_device: held, epochs: 1, cutout_length: 4 }), 'toy-cell/tanglenas', { progress: quiet });
    assert.equal(r.status, 'done');
    alphas.push({ alpha: (r.result as unknown as Record<string, unknown>).alpha, losses: metrics(dir).map((m) => [m.train_loss, m.valid_acc]) });
  }
  assert.deepEqual(alphas[1], alphas[0]);
});

test('precision bf16 on the CPU: a search runs (autocast), weights and alphas stay float32, losses finite; fp32 after the run', async () => {
  const dir = join(t.dir, 'bf16');
  const r = await startRun('search', tinyConfig('toy-cell/tanglenas', dir, { device: 'cpu', precision: 'bf16', epochs: 1 }), 'toy-cell/tanglenas', { progress: quiet });
  assert.equal(r.status, 'done');
  const steps = metrics(dir).filter((m) => m.kind === 'step' || m.kind === 'epoch');
  assert.ok(steps.length > 0 && steps.every((m) => Number.isFinite(m.train_loss as number)));
  assert.equal(getPrecision(), 'fp32');
  assert.throws(() => parseOverride('precision', 'fp16', '--set precision=fp16'), /one of "fp32", "tf32", "bf16"/);
});

test('device cuda: a search runs on the GPU (gpu_mem_mb recorded), then evaluates and resumes on the CPU', { skip: cudaIsAvailable() ? false : 'no GPU visible' }, async () => {
  const dir = join(t.dir, 'gpu');
  const r = await startRun('search', tinyConfig('toy-cell/tanglenas', dir, { device: 'cuda', epochs: 1 }), 'toy-cell/tanglenas', { progress: quiet });
  assert.equal(r.status, 'done');
  assert.ok(metrics(dir).some((m) => typeof m.gpu_mem_mb === 'number' && m.gpu_mem_mb > 0));
  const onGpu = await evaluateRun(dir, { progress: quiet });
  const onCpu = await evaluateRun(dir, { progress: quiet, overrides: { device: 'cpu' } });
  assert.ok(Math.abs(onGpu.acc - onCpu.acc) <= 1 / onCpu.n + 1e-9, `${onGpu.acc} vs ${onCpu.acc}`);
  const more = await resumeRun(dir, { device: 'cpu', epochs: 2 }, { progress: quiet });
  assert.equal(more.status, 'done');
});
