// Equal-budget comparisons (docs/search.md, "The results table"): every
// method x seed as its own run directory under one folder, each with the same
// wall-clock budget (epochs fitted to it), run one after the other in child
// processes; finished runs are skipped and interrupted ones resumed, so the
// command can simply be started again. Then one table of benchmark accuracies.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mean, sampleStd as std } from '../report/stats.js';
import { getPreset } from './presets.js';
import { readJson, writeFileAtomic, writeJsonAtomic, type StatusFile } from './rundir.js';

export const DEFAULT_METHODS = ['tanglenas', 'drnas-ws', 'spos-rs', 'spos-es'];

export interface ComparePlan {
  space: string;
  methods: string[];
  seeds: number[];
  budgetMinutes: number;
  out: string;
  /** Extra --set KEY=VALUE for every run. */
  sets: string[];
}

export interface PlannedRun {
  method: string;
  seed: number;
  dir: string;
  command: string;
  /** 'done' (skip), 'resume' or 'start'. */
  action: 'done' | 'resume' | 'start';
  args: string[];
}

export function planCompare(p: ComparePlan): PlannedRun[] {
  const out: PlannedRun[] = [];
  const presets = p.methods.map((m) => {
    const preset = getPreset(`${p.space}/${m}`);
    if (!preset || (preset.command !== 'search' && preset.command !== 'two-stage')) {
      throw new Error(`compare: '${m}' is not a search preset of ${p.space}; use search or two-stage presets (tanglenas, drnas-ws, darts, darts-v2, darts-ws, gdas, gdas-ws, spos-es, spos-rs)`);
    }
    return preset;
  });
  // Seed-major: an interrupted grid has every method for its first seeds.
  for (const seed of p.seeds) {
    for (const [mi, m] of p.methods.entries()) {
      const preset = presets[mi];
      const dir = resolve(p.out, `${m}-seed${seed}`);
      let action: PlannedRun['action'] = 'start';
      if (existsSync(join(dir, 'config.json'))) {
        const st = existsSync(join(dir, 'status.json')) ? readJson<StatusFile>(join(dir, 'status.json'), 'status file') : null;
        const cfg = readJson<{ budget_minutes?: number }>(join(dir, 'config.json'), 'run config');
        // Stopped by the same budget: that is its result; a larger budget continues it.
        const spent = st?.status === 'stopped' && existsSync(join(dir, 'architecture.json')) && (cfg.budget_minutes ?? 0) >= p.budgetMinutes;
        action = st?.status === 'done' || spent ? 'done' : 'resume';
      }
      const budget = ['--budget-minutes', String(p.budgetMinutes)];
      const args =
        action === 'resume'
          ? [preset.command, '--resume', dir, ...budget]
          : [preset.command, '--preset', preset.name, '--seed', String(seed), ...budget, '--set', 'budget_fit=true', '--run-dir', dir, ...p.sets.flatMap((s) => ['--set', s])];
      out.push({ method: m, seed, dir, command: preset.command, action, args });
    }
  }
  return out;
}

interface RunSummary {
  method: string;
  seed: number;
  benchmark: number | null;
  inherited: number | null;
  timeS: number | null;
  epochs: number | null;
  status: string;
  hasResult: boolean;
}

/** Reads every run under `out` and writes results.json and results.md there. */
export function summarizeCompare(out: string, space: string, budgetMinutes: number | null): { markdown: string; runs: RunSummary[] } {
  const root = resolve(out);
  if (!existsSync(root)) throw new Error(`compare folder '${root}' does not exist`);
  const runs: RunSummary[] = [];
  for (const d of readdirSync(root).sort()) {
    const m = /^(.+)-seed(\d+)$/.exec(d);
    if (!m) continue;
    const dir = join(root, d);
    const st = existsSync(join(dir, 'status.json')) ? readJson<StatusFile>(join(dir, 'status.json'), 'status file') : null;
    const a = existsSync(join(dir, 'architecture.json')) ? readJson<Record<string, unknown>>(join(dir, 'architecture.json'), 'architecture file') : null;
    const b = a?.benchmark as { testAcc: number } | null | undefined;
    runs.push({ method: m[1], seed: Number(m[2]), benchmark: b?.testAcc ?? null, inherited: typeof a?.inherited_test_acc === 'number' ? a.inherited_test_acc : null, timeS: typeof a?.time_s === 'number' ? a.time_s : null, epochs: typeof a?.epochs === 'number' ? a.epochs : null, status: st?.status ?? 'not started', hasResult: Boolean(a?.architecture) && st?.status !== 'running' && st?.status !== 'failed' });
  }
  const methods = [...new Set(runs.map((r) => r.method))];
  const lines = [
    `Space ${space}${budgetMinutes ? `, budget ${budgetMinutes} min per run` : ''}; benchmark test accuracy of the architecture found (mean ± sample std over seeds).`,
    '',
    '| method | runs with a result | benchmark test acc (%) | per seed | inherited-weight test acc (%) | epochs | wall time per run (min) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const meth of methods) {
    const rs = runs.filter((r) => r.method === meth);
    // A run stopped by the budget in its black-box stage still has a result (the incumbent).
    const done = rs.filter((r) => r.hasResult);
    const acc = done.map((r) => r.benchmark).filter((x): x is number => x !== null);
    const inh = done.map((r) => r.inherited).filter((x): x is number => x !== null).map((x) => 100 * x);
    const t = done.map((r) => r.timeS).filter((x): x is number => x !== null);
    const ep = done.map((r) => r.epochs).filter((x): x is number => x !== null);
    lines.push(
      `| ${meth} | ${done.length}/${rs.length} | ${acc.length ? `${mean(acc).toFixed(2)} ± ${std(acc).toFixed(2)}` : '-'} | ${acc.map((x) => x.toFixed(2)).join(', ') || '-'} | ${inh.length ? `${mean(inh).toFixed(2)} ± ${std(inh).toFixed(2)}` : '-'} | ${ep.length ? ep.join(', ') : '-'} | ${t.length ? (mean(t) / 60).toFixed(1) : '-'} |`,
    );
  }
  const markdown = lines.join('\n') + '\n';
  writeFileAtomic(join(root, 'results.md'), markdown);
  writeJsonAtomic(join(root, 'results.json'), { space, budget_minutes: budgetMinutes, runs });
  return { markdown, runs };
}
