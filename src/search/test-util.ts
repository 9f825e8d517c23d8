// Helpers for the search tests: tiny configs on the synthetic dataset and a
// complete stand-in benchmark table (every architecture of the space, made-up
// accuracies), so the tests do not depend on the shared data folder.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSpace } from '../spaces/index.js';
import type { Architecture } from '../nas/choice.js';
import { benchmarkFile } from './benchmark.js';
import type { Config, PartialConfig } from './config.js';
import { resolveConfig } from './presets.js';
import { Progress, type ProgressState } from './progress.js';
import { RunDir } from './rundir.js';

export function tempDir(prefix = 'tanglenas-search-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A temporary folder for a test file, made before its tests (with stand-in
 * benchmark tables of `spaces` in `bench`) and removed after them.
 */
export function testFolder(prefix: string, spaces: string[] = ['toy-cell']): { readonly dir: string; readonly bench: string } {
  let t: { dir: string; cleanup: () => void } | null = null;
  before(() => {
    t = tempDir(prefix);
    mkdirSync(join(t.dir, 'bench'));
    for (const s of spaces) writeFakeBenchmark(s, join(t.dir, 'bench'));
  });
  after(() => t?.cleanup());
  return {
    get dir() {
      return t!.dir;
    },
    get bench() {
      return join(t!.dir, 'bench');
    },
  };
}

/** Writes a full table for `space` into `dir`; accuracy = 80 + a hash of the key in [0, 10). */
export function writeFakeBenchmark(space: string, dir: string): void {
  const s = createSpace(space);
  const entries: { key: string; test_acc: number; train_acc: number }[] = [];
  const sizes = s.choices.map((c) => c.size);
  const total = sizes.reduce((a, b) => a * b, 1);
  for (let n = 0; n < total; n++) {
    let r = n;
    const arch: Architecture = {};
    for (let i = s.choices.length - 1; i >= 0; i--) {
      arch[s.choices[i].name] = r % sizes[i];
      r = Math.floor(r / sizes[i]);
    }
    const key = s.benchmarkKey(arch);
    let h = 2166136261;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
    const acc = 80 + (h % 1000) / 100;
    entries.push({ key, test_acc: acc, train_acc: acc + 5 });
  }
  const best = entries.reduce((a, b) => (b.test_acc > a.test_acc ? b : a));
  writeFileSync(join(dir, benchmarkFile(space)!), JSON.stringify({ num_entries: total, optimum: best, entries }));
  s.supernet.dispose();
}

/** A preset cut down to a few steps on a small synthetic dataset. */
export function tinyConfig(preset: string, runDir: string, o: PartialConfig = {}): Config {
  const overrides: PartialConfig = {
    dataset: 'synthetic',
    synthetic_train: 48,
    synthetic_test: 16,
    batch_size: 8,
    eval_batch_size: 16,
    epochs: 2,
    steps_per_epoch: 3,
    log_every: 2,
    loader_workers: 0,
    arch_lr: 0.03,
    threads: 1,
    // The suite's exact expectations (bit-identical resume, ...) are CPU facts; GPU tests ask for 'cuda'.
    device: 'cpu',
    bn_calibration_samples: 32,
    generations: 3,
    rs_iters: 12,
    run_dir: runDir,
    ...o,
  };
  return resolveConfig({ preset, overrides, defaultPreset: preset }).config;
}

/** A crash at a chosen step: the progress update after step `at` throws (its checkpoint is never written). */
export class CrashAt extends Progress {
  constructor(readonly at: number) {
    super({ quiet: true });
  }
  override update(p: ProgressState): void {
    if (p.done >= this.at) throw new Error(`simulated crash after step ${this.at}`);
  }
}

/** A run's metric records without their clock fields (time, memory), which no two runs share. */
export function withoutClock(dir: string): string[] {
  return new RunDir(dir).readMetrics().map(({ time_s: _t, rss_mb: _r, epoch_s: _e, ...rest }) => JSON.stringify(rest));
}

/** Two runs with the same result, supernet and metrics (clock fields aside); `what` says which pair failed. */
export function assertSameRun(got: string, want: string, what = ''): void {
  const arch = (d: string) => {
    const { time_s: _t, ...rest } = JSON.parse(readFileSync(join(d, 'architecture.json'), 'utf8')) as Record<string, unknown>;
    return rest;
  };
  assert.deepEqual(arch(got), arch(want), what || undefined);
  assert.ok(readFileSync(join(got, 'supernet.safetensors')).equals(readFileSync(join(want, 'supernet.safetensors'))), `supernet weights differ ${what}`.trim());
  assert.deepEqual(withoutClock(got), withoutClock(want), what || undefined);
}
