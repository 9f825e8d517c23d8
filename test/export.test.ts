// `tanglenas export`: the exported model is the run's network (same logits as
// tanglenas computes with the supernet's weights), model.json describes it, and
// the plain-PyTorch loader of docs/export.md reproduces its logits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSpace } from '../src/spaces/index.js';
import { loadFile } from '../src/nn/safetensors.js';
import { manualSeed, noGrad, randn, tidy } from '../src/tensor/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const PY = '/usr/bin/python3'; // Debian's, with python3-torch (a pyenv python3 may come first on PATH)
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, TANGLENAS_THREADS: '1' }, timeout: 120_000 });
const hasTorch = existsSync(PY) && spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

test('export: the loader in docs/export.md is examples/load_conv_macro.py, verbatim', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'export.md'), 'utf8');
  const m = /<!-- example:load_conv_macro\.py -->\n```python\n([\s\S]*?)```\n<!-- \/example -->/.exec(doc);
  assert.ok(m, 'docs/export.md has no example block');
  assert.equal(m[1], readFileSync(join(ROOT, 'examples', 'load_conv_macro.py'), 'utf8'));
});

test('export: a search run exports its sub-network (same logits as the supernet at the found architecture), a described card, and plain PyTorch reproduces the logits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-export-'));
  try {
    const s = join(dir, 's');
    const r = run('search', '--space', 'toy-conv-macro', '--dataset', 'synthetic', '--epochs', '1', '--set', 'steps_per_epoch=2', '--set', 'synthetic_train=64', '--set', 'synthetic_test=32', '--set', 'eval_samples=32', '--set', 'bn_calibration_samples=0', '--run-dir', s, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    const e = run('export', s, '--out', join(dir, 'out'));
    assert.equal(e.status, 0, e.stderr);
    const card = JSON.parse(readFileSync(join(dir, 'out', 'model.json'), 'utf8'));
    const found = JSON.parse(readFileSync(join(s, 'architecture.json'), 'utf8'));
    assert.deepEqual(card.architecture, found.architecture);
    assert.equal(card.benchmark_key, found.benchmark_key);
    assert.deepEqual([card.format, card.space, card.task, card.input.shape, card.input.normalisation.mean.length, card.classes.length], ['tanglenas.export/1', 'toy-conv-macro', 'classification', [3, 32, 32], 3, 10]);
    const { tensors } = loadFile(join(dir, 'out', 'model.safetensors'));
    assert.deepEqual(card.tensors.map((t: { name: string }) => t.name).sort(), [...tensors.keys()].sort());
    assert.equal(card.params, [...tensors.values()].reduce((a, t) => a + t.numel, 0));
    // model.onnx only with --onnx (test/onnx.test.ts)
    assert.equal(card.onnx, undefined);
    assert.ok(!existsSync(join(dir, 'out', 'model.onnx')));

    // The exported weights in a fresh sub-network == the supernet at the found architecture.
    manualSeed(0);
    const space = createSpace('toy-conv-macro');
    const sup = loadFile(join(s, 'supernet.safetensors')).tensors;
    const arch = space.decode(JSON.stringify(found.architecture));
    const net = space.subnet(arch, { inherit: false });
    noGrad(() => {
      net.loadStateDict(tensors);
      for (const [k, t] of space.supernet.stateDict()) t.copy_(sup.get(`supernet.${k}`) ?? sup.get(k)!);
    });
    net.eval();
    space.supernet.eval();
    const x = randn([3, 3, 32, 32]);
    const [a, b] = tidy(() => noGrad(() => [net.forward(x).toArray(), space.supernet.forward(x, space.fixed(arch)).toArray()]));
    assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-4), 'exported network != supernet at the found architecture');

    if (hasTorch) {
      const inF = join(dir, 'x.f32');
      const outF = join(dir, 'y.f32');
      writeFileSync(inF, Buffer.from(new Float32Array(x.toArray()).buffer));
      const py = spawnSync(PY, [join(ROOT, 'examples', 'load_conv_macro.py'), join(dir, 'out'), inF, outF], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
      assert.equal(py.status, 0, py.stderr);
      const raw = readFileSync(outF);
      const y = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      assert.equal(y.length, a.length);
      const diff = Math.max(...a.map((v, i) => Math.abs(v - y[i])));
      assert.ok(diff <= 1e-5, `PyTorch logits differ by ${diff}`);
    }
    net.dispose();
    space.supernet.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export: bad input names the run and the fix', () => {
  const r = run('export');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /export takes one run directory, got none/);
  const m = run('export', '/nonexistent/run');
  assert.notEqual(m.status, 0);
  assert.match(m.stderr, /nonexistent\/run/);
});
