// The npm package as a user gets it: `npm pack`, install the tarball into a new
// project (its install step builds the addon), import the API, run a 20-second
// search with `npx tanglenas`. About two minutes (the addon build); skipped with
// TANGLENAS_SKIP_PACK_TEST=1 or TANGLENAS_OFFLINE=1 (the install needs the npm registry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const skip = process.env.TANGLENAS_SKIP_PACK_TEST === '1' || process.env.TANGLENAS_OFFLINE === '1' ? 'TANGLENAS_SKIP_PACK_TEST or TANGLENAS_OFFLINE set' : false;

test('package: npm pack ships dist, native sources, docs and licence, and no tests; installed, it builds the addon, imports, and searches', { skip, timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-pack-'));
  const sh = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) => {
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, TANGLENAS_THREADS: '1', ...env }, timeout: 480_000 });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
    return r.stdout;
  };
  try {
    const listing = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', dir], ROOT)) as { filename: string; files: { path: string }[] }[];
    const files = listing[0].files.map((f) => f.path);
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'native/binding.gyp', 'native/install.cjs', 'native/src/ops.cc', 'README.md', 'LICENSE', 'docs/api.md', 'examples/tiny-cnn-plugin.js']) assert.ok(files.includes(f), `${f} is not in the package`);
    const unwanted = files.filter((f) => /\.test\.|test-util|^test\/|^bench\/|^src\/|native\/build\//.test(f));
    assert.deepEqual(unwanted, [], 'tests, benches, sources or build outputs in the package');

    const proj = join(dir, 'proj');
    mkdirSync(proj);
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', type: 'module', private: true }));
    sh('npm', ['install', join(dir, listing[0].filename), '--no-audit', '--no-fund', '--loglevel=error'], proj);
    assert.ok(existsSync(join(proj, 'node_modules', 'tanglenas', 'native', 'build', 'Release', 'tanglenas.node')), 'the install step built no addon');

    writeFileSync(join(proj, 'use.js'), "import { createSpace, listSpaces, engineLoaded } from 'tanglenas';\nconst before = engineLoaded();\nconst s = createSpace('toy-conv-macro');\nconsole.log(JSON.stringify({ spaces: listSpaces().map((x) => x.name), before, size: s.size() }));\n");
    const used = JSON.parse(sh(process.execPath, ['use.js'], proj).trim());
    assert.deepEqual([used.before, used.size, used.spaces.includes('toy-cell')], [false, 6561, true]);

    assert.match(sh('npx', ['--no-install', 'tanglenas', '--help'], proj), /usage: tanglenas <command>/);
    sh('npx', ['--no-install', 'tanglenas', 'search', '--space', 'toy-cell', '--dataset', 'synthetic', '--budget-minutes', '0.33', '--set', 'budget_fit=true', '--set', 'steps_per_epoch=5', '--set', 'synthetic_train=256', '--set', 'synthetic_test=64', '--set', 'eval_samples=64', '--set', 'bn_calibration_samples=64', '--run-dir', 'run', '--quiet'], proj);
    const arch = JSON.parse(readFileSync(join(proj, 'run', 'architecture.json'), 'utf8'));
    assert.equal(Object.keys(arch.architecture).length, 6);
    assert.ok(readdirSync(join(proj, 'run')).includes('supernet.safetensors'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
