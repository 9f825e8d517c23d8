// tanglenas compare through the CLI on tiny synthetic data: a grid with one
// broken run keeps going (the other method still runs and is tabulated), exits
// non-zero naming the failed run, and a second invocation skips finished runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../src/search/test-util.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

test('compare: a failed run does not stop the grid; the error names it; finished runs are skipped on the next call', () => {
  const t = tempDir('tanglenas-e2e-compare-');
  try {
    const out = join(t.dir, 'cmp');
    // A damaged run directory for tanglenas seed 0: its resume fails.
    mkdirSync(join(out, 'tanglenas-seed0'), { recursive: true });
    writeFileSync(join(out, 'tanglenas-seed0', 'config.json'), '{"budget_minutes": 5}'); // no run.json: the resume fails
    const sets = ['dataset=synthetic', 'synthetic_train=48', 'synthetic_test=16', 'batch_size=8', 'eval_batch_size=16', 'steps_per_epoch=2', 'epochs=1', 'generations=1', 'rs_iters=4', 'population=2', 'bn_calibration_samples=16', 'threads=1'];
    const args = [MAIN, 'compare', '--space', 'toy-cell', '--methods', 'tanglenas,spos-rs', '--seeds', '0', '--budget-minutes', '5', '--out', out, '--quiet', ...sets.flatMap((s) => ['--set', s])];
    const env = { ...process.env, TANGLENAS_THREADS: '1', TANGLENAS_BENCH_DIR: '' };
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /compare: 1 run failed: tanglenas seed 0 \(exit 1; files in .*tanglenas-seed0\)\. Fix the cause and run the same compare command again/);
    assert.ok(existsSync(join(out, 'spos-rs-seed0', 'architecture.json')), 'the other method ran');
    assert.match(readFileSync(join(out, 'results.md'), 'utf8'), /\| spos-rs \| 1\/1 \|/);
    const again = spawnSync(process.execPath, args.filter((a) => a !== '--quiet'), { encoding: 'utf8', env });
    assert.match(again.stdout, /\[compare\] spos-rs seed 0: done, skipped/);
  } finally {
    t.cleanup();
  }
});
