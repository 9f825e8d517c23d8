// Fixture run directories for the report tests, written as the search writes
// them (config.json, run.json, status.json, metrics.jsonl, architecture.json),
// with numbers chosen so means and sample stds are exact in binary floating point.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'tanglenas-report-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `fn` in a fresh temporary folder and removes the folder afterwards. */
export async function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const { dir, cleanup } = tempDir();
  try {
    return await fn(dir);
  } finally {
    cleanup();
  }
}

export interface FixtureRun {
  config: Record<string, unknown>;
  command?: string;
  preset?: string;
  status?: { status: string; pid?: number } | null;
  metrics?: Record<string, unknown>[];
  /** Appended to metrics.jsonl after the records, without a newline (a torn write). */
  tail?: string;
  architecture?: Record<string, unknown>;
}

export function writeRun(root: string, name: string, r: FixtureRun): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...r.config, run_dir: dir }, null, 2));
  if (r.command) writeFileSync(join(dir, 'run.json'), JSON.stringify({ format: 'tanglenas.run/1', command: r.command, preset: r.preset ?? '', created: '2024-01-01T00:00:00.000Z' }));
  if (r.status) writeFileSync(join(dir, 'status.json'), JSON.stringify({ command: r.command ?? 'search', phase: 'end', updated: '2024-01-01T00:00:00.000Z', ...r.status }));
  writeFileSync(join(dir, 'metrics.jsonl'), (r.metrics ?? []).map((m) => JSON.stringify(m) + '\n').join('') + (r.tail ?? ''));
  if (r.architecture) writeFileSync(join(dir, 'architecture.json'), JSON.stringify(r.architecture, null, 2));
  return dir;
}

const CELL = { space: 'toy-cell', budget_minutes: 4, budget_clock: 'wall', train_portion: 0.5 };
const OPTIONS = ['sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3'];

/** Epoch records of a single-stage search on two choices with three options each. */
function searchEpochs(n: number, bench: number[], times: number[], rss: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let e = 0; e < n; e++) {
    // Option 0 of choice a and option 1 of choice b gain weight epoch by epoch.
    const a = [0.4 + 0.1 * e, 0.3 - 0.05 * e, 0.3 - 0.05 * e];
    const b = [0.3 - 0.05 * e, 0.4 + 0.1 * e, 0.3 - 0.05 * e];
    out.push({ kind: 'step', phase: 'search', epoch: e, global_step: 10 * (e + 1), train_loss: 1, time_s: times[e] - 1, rss_mb: rss - 10 });
    out.push({ kind: 'epoch', phase: 'search', epoch: e, global_step: 10 * (e + 1), valid_acc: 0.5 + 0.125 * e, genotype: { a: OPTIONS[0], b: OPTIONS[1] }, benchmark_test_acc: bench[e], alpha: { a, b }, time_s: times[e], rss_mb: rss });
  }
  return out;
}

/**
 * A compare folder: TangleNAS x 3 seeds (done; benchmark 90.5, 91, 91.5; time
 * 120, 240, 360 s; peak memory 512, 640, 768 MB), SPOS+ES x 2 (done; 90, 91),
 * DrNAS-WS x 2 without a result (one running with a torn last metrics line,
 * one killed: status running, process gone).
 */
export function writeCompareFixture(root: string): void {
  const tangle = [
    { seed: 0, acc: 90.5, time: 120, rss: 512 },
    { seed: 1, acc: 91, time: 240, rss: 640 },
    { seed: 2, acc: 91.5, time: 360, rss: 768 },
  ];
  for (const t of tangle) {
    writeRun(root, `tanglenas-seed${t.seed}`, {
      config: { ...CELL, method: 'drnas', form: 'we', seed: t.seed },
      command: 'search',
      preset: 'toy-cell/tanglenas',
      status: { status: 'done' },
      metrics: [...searchEpochs(3, [88, 89, t.acc], [t.time / 3, (2 * t.time) / 3, t.time - 1], t.rss), { kind: 'plan', phase: 'search', planned_epochs: 3 }],
      architecture: { command: 'search', architecture: { a: OPTIONS[0], b: OPTIONS[1] }, benchmark_key: 'key', benchmark: { key: 'key', testAcc: t.acc, trainAcc: 95, rank: 10, size: 4096, optimum: 91.63, percentile: 99 }, inherited_test_acc: 0.25, epochs: 3, time_s: t.time },
    });
  }
  for (const [seed, acc] of [[0, 90], [1, 91]]) {
    writeRun(root, `spos-es-seed${seed}`, {
      config: { ...CELL, method: 'spos', form: 'we', black_box: 'es', seed },
      command: 'two-stage',
      preset: 'toy-cell/spos-es',
      status: { status: 'done' },
      metrics: [
        { kind: 'epoch', phase: 'supernet', epoch: 0, train_loss: 1, time_s: 100, rss_mb: 400 },
        { kind: 'generation', phase: 'black-box', generation: 0, best_fitness: 0.5, best_benchmark_test_acc: acc - 1, time_s: 150, rss_mb: 410 },
        { kind: 'generation', phase: 'black-box', generation: 1, best_fitness: 0.625, best_benchmark_test_acc: acc, time_s: 200, rss_mb: 420 },
      ],
      architecture: { command: 'two-stage', architecture: { a: OPTIONS[2], b: OPTIONS[2] }, benchmark_key: 'key2', benchmark: { key: 'key2', testAcc: acc, trainAcc: 95, rank: 20, size: 4096, optimum: 91.63, percentile: 98 }, supernet_valid_acc: 0.625, inherited_test_acc: 0.5, epochs: 1, time_s: 200, top: [{ architecture: { a: OPTIONS[2], b: OPTIONS[2] }, fitness: 0.625, benchmark_test_acc: acc }] },
    });
  }
  writeRun(root, 'drnas-ws-seed0', {
    config: { ...CELL, method: 'drnas', form: 'ws', seed: 0 },
    command: 'search',
    preset: 'toy-cell/drnas-ws',
    status: { status: 'running', pid: process.pid },
    metrics: searchEpochs(2, [87, 88], [50, 100], 900),
    tail: '{"kind":"step","phase":"search","epoch":2,"time_s":1',
  });
  writeRun(root, 'drnas-ws-seed1', {
    config: { ...CELL, method: 'drnas', form: 'ws', seed: 1 },
    command: 'search',
    preset: 'toy-cell/drnas-ws',
    // No process has this id (above Linux's largest pid_max).
    status: { status: 'running', pid: 2 ** 22 + 1 },
    metrics: searchEpochs(1, [86], [60], 800),
  });
}
