// The plugin path end to end (docs/api.md): the documented example is the file
// the CLI loads; its space and sampler work in search, resume, compare and
// report; bad plugins fail with one line naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadPlugins } from '../src/search/plugins.js';
import { createSpace, getSpace, listSpaces } from '../src/spaces/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PLUGIN = join(ROOT, 'examples', 'tiny-cnn-plugin.js');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, TANGLENAS_THREADS: '1' }, timeout: 240_000 });
const SMALL = ['--dataset', 'synthetic', '--set', 'synthetic_train=96', '--set', 'synthetic_test=32', '--set', 'eval_samples=32', '--set', 'bn_calibration_samples=0', '--set', 'steps_per_epoch=3', '--set', 'batch_size=16'];

test('plugin: the example in docs/api.md is examples/tiny-cnn-plugin.js, verbatim', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
  const m = /<!-- example:tiny-cnn-plugin\.js -->\n```js\n([\s\S]*?)```\n<!-- \/example -->/.exec(doc);
  assert.ok(m, 'docs/api.md has no example block');
  assert.equal(m[1], readFileSync(PLUGIN, 'utf8'));
});

test('plugin: its space and sampler work in search, resume (run records the plugin), compare with 2 methods, and report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-plugin-'));
  try {
    const listed = run('spaces', '--plugin', PLUGIN);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^tiny-cnn /m);
    assert.match(run('samplers', '--plugin', PLUGIN).stdout, /^softmax-tau /m);
    assert.match(run('presets', '--plugin', PLUGIN, '--space', 'tiny-cnn').stdout, /^tiny-cnn\/softmax-tau +search/m);

    // A run stopped by its budget, then resumed without --plugin: the run's config names it.
    const s = join(dir, 's');
    const first = run('search', '--plugin', PLUGIN, '--space', 'tiny-cnn', '--method', 'softmax-tau', '--set', 'softmax_tau=0.5', '--epochs', '3', ...SMALL, '--budget-minutes', '0.0001', '--run-dir', s, '--quiet');
    assert.equal(first.status, 3, `expected a budget stop (exit 3): ${first.stderr}`);
    const cfg = JSON.parse(readFileSync(join(s, 'config.json'), 'utf8'));
    assert.deepEqual([cfg.space, cfg.method, cfg.softmax_tau, cfg.plugins], ['tiny-cnn', 'softmax-tau', 0.5, [PLUGIN]]);
    const resumed = run('search', '--resume', s, '--budget-minutes', '0', '--quiet');
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(JSON.parse(readFileSync(join(s, 'status.json'), 'utf8')).status, 'done');
    const arch = JSON.parse(readFileSync(join(s, 'architecture.json'), 'utf8'));
    assert.ok([8, 16].includes(arch.architecture.width) && [3, 5].includes(arch.architecture.kernel), JSON.stringify(arch));
    const ev = run('evaluate', s, '--json');
    assert.equal(ev.status, 0, ev.stderr);
    assert.equal(JSON.parse(ev.stdout).space, 'tiny-cnn');

    const c = join(dir, 'c');
    const cmp = run('compare', '--plugin', PLUGIN, '--space', 'tiny-cnn', '--methods', 'tanglenas,softmax-tau', '--seeds', '0', '--budget-minutes', '0.03', '--out', c, '--quiet', ...SMALL.filter((a) => a !== '--dataset' && a !== 'synthetic').flatMap((a) => (a === '--set' ? [] : ['--set', a])), '--set', 'dataset=synthetic', '--set', 'epochs=2');
    assert.equal(cmp.status, 0, cmp.stderr);
    for (const m of ['tanglenas', 'softmax-tau']) assert.ok(existsSync(join(c, `${m}-seed0`, 'architecture.json')), `${m}: no architecture`);
    assert.match(readFileSync(join(c, 'results.md'), 'utf8'), /softmax-tau/);
    const rep = run('report', '--plugin', PLUGIN, c);
    assert.equal(rep.status, 0, rep.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plugin: a missing file, one that throws, and one that registers a taken name each give one line naming the file (exit 2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-plugin-bad-'));
  try {
    const throwing = join(dir, 'throws.js');
    writeFileSync(throwing, "throw new Error('boom at import');\n");
    const dup = join(dir, 'dup.js');
    writeFileSync(dup, `import { registerSpace, getSpace } from '${pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href}';\nregisterSpace({ ...getSpace('toy-cell'), create: () => { throw new Error('never'); } });\n`);
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.js'), /plugin '.*missing\.js' does not exist/],
      [throwing, /plugin '.*throws\.js' failed to load: boom at import/],
      [dup, /plugin '.*dup\.js' failed to load: space 'toy-cell' is already registered/],
    ];
    for (const [file, re] of cases) {
      const r = run('search', '--plugin', file, '--epochs', '1');
      assert.equal(r.status, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.match(run('search', '--plugin').stderr, /--plugin needs a file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plugin: a failing plugin leaves the registries as they were', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-plugin-inproc-'));
  try {
    const dup = join(dir, 'dup.js');
    writeFileSync(dup, `import { registerSpace, getSpace } from '${pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href}';\nregisterSpace({ ...getSpace('toy-cell'), create: () => { throw new Error('never'); } });\n`);
    const before = listSpaces().map((s) => s.name);
    await assert.rejects(loadPlugins([dup]), /plugin '.*dup\.js' failed to load: space 'toy-cell' is already registered/);
    assert.deepEqual(listSpaces().map((s) => s.name), before);
    assert.equal(getSpace('toy-cell').task, 'classification');
    const space = createSpace('toy-cell');
    assert.equal(space.name, 'toy-cell');
    space.supernet.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
