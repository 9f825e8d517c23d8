// Equal-budget comparisons (docs/search.md, "The results table"): every
// method x seed as its own run directory under one folder, each with the same
// budget (wall or CPU time) (epochs fitted to it), run one after the other in child
// processes; finished runs are skipped and interrupted ones resumed, so the
// command can simply be started again. Then one table of benchmark accuracies.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mean, sampleStd as std } from '../report/stats.js';
import { getSpace, metricOf } from '../nas/registry.js';
import { getPreset } from './presets.js';
import { readJson, writeFileAtomic, writeJsonAtomic, type StatusFile } from './rundir.js';

/** The methods compare runs on a space when none are given: a fact of its registry entry. */
export function defaultMethods(space: string): string[] {
  return [...getSpace(space).recipes.compare];
}

export interface ComparePlan {
  space: string;
  methods: string[];
  seeds: number[];
  budgetMinutes: number;
  out: string;
  /** Extra --set KEY=VALUE for every run. */
  sets: string[];
  /** Also train each found architecture from scratch for this budget (0 = no), in <run>-retrain. */
  retrainMinutes?: number;
  /** A third grid axis: train_portion values (runs named <method>-tp<P>-seed<seed>); default the presets'. */
  trainPortions?: number[];
}

export interface PlannedRun {
  method: string;
  seed: number;
  dir: string;
  command: string;
  /** The search itself, or retraining its architecture from scratch. */
  kind: 'search' | 'retrain';
  /** 'done' (skip), 'resume' or 'start'. */
  action: 'done' | 'resume' | 'start';
  args: string[];
}

/** done: finished, or stopped by the same budget with a result; resume: started; start: new. */
function runAction(dir: string, resultFile: string, budgetMinutes: number): PlannedRun['action'] {
  if (!existsSync(join(dir, 'config.json'))) return 'start';
  const st = existsSync(join(dir, 'status.json')) ? readJson<StatusFile>(join(dir, 'status.json'), 'status file') : null;
  const cfg = readJson<{ budget_minutes?: number }>(join(dir, 'config.json'), 'run config');
  // Stopped by the same budget: that is its result; a larger budget continues it.
  const spent = st?.status === 'stopped' && existsSync(join(dir, resultFile)) && (cfg.budget_minutes ?? 0) >= budgetMinutes;
  return st?.status === 'done' || spent ? 'done' : 'resume';
}

/**
 * A run of the grid: skipped when it has its result, resumed when started,
 * else started as `command ...start` with the budget, then the --set keys (last, so they win).
 */
function plannedRun(method: string, seed: number, dir: string, command: string, kind: PlannedRun['kind'], budgetMinutes: number, start: string[], sets: string[]): PlannedRun {
  const action = runAction(dir, kind === 'search' ? 'architecture.json' : 'result.json', budgetMinutes);
  const budget = ['--budget-minutes', String(budgetMinutes)];
  const args = action === 'resume' ? [command, '--resume', dir, ...budget] : [command, ...start, ...budget, '--set', 'budget_fit=true', '--run-dir', dir, ...sets.flatMap((x) => ['--set', x])];
  return { method, seed, dir, command, kind, action, args };
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
  for (const tp of p.trainPortions ?? []) {
    if (!(tp > 0 && tp <= 1)) throw new Error(`compare: train portion ${tp} must be in (0, 1]`);
  }
  const portions: (number | null)[] = p.trainPortions?.length ? p.trainPortions : [null];
  // Seed-major: an interrupted grid has every method for its first seeds.
  const cells = portions.flatMap((tp) => p.methods.map((m, mi) => ({ tp, m, preset: presets[mi] })));
  for (const seed of p.seeds) {
    for (const { tp, m, preset } of cells) {
      const name = tp === null ? m : `${m}-tp${tp}`;
      const sets = tp === null ? p.sets : [`train_portion=${tp}`, ...p.sets];
      const dir = resolve(p.out, `${name}-seed${seed}`);
      out.push(plannedRun(m, seed, dir, preset.command, 'search', p.budgetMinutes, ['--preset', preset.name, '--seed', String(seed)], sets));
      const rm = p.retrainMinutes ?? 0;
      // Same budget and recipe for every method's architecture: the LM table compares test loss after it.
      if (rm > 0) out.push(plannedRun(m, seed, `${dir}-retrain`, 'train', 'retrain', rm, ['--preset', `${p.space}/retrain`, '--from', dir, '--seed', String(seed)], p.sets));
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
  /** Language models: test loss with the supernet's weights. */
  inheritedLoss: number | null;
  /** The <run>-retrain run, when compare retrained the architecture. */
  retrain: { testLoss: number; testAcc: number; params: number | null; epochs: number; timeS: number } | null;
  architecture: Record<string, unknown> | null;
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
    const rfile = join(`${dir}-retrain`, 'result.json');
    const rr = existsSync(rfile) ? readJson<Record<string, number>>(rfile, 'retrain result') : null;
    runs.push({
      method: m[1],
      seed: Number(m[2]),
      benchmark: b?.testAcc ?? null,
      inherited: typeof a?.inherited_test_acc === 'number' ? a.inherited_test_acc : null,
      inheritedLoss: typeof a?.inherited_test_loss === 'number' ? a.inherited_test_loss : null,
      timeS: typeof a?.time_s === 'number' ? a.time_s : null,
      epochs: typeof a?.epochs === 'number' ? a.epochs : null,
      status: st?.status ?? 'not started',
      hasResult: Boolean(a?.architecture) && st?.status !== 'running' && st?.status !== 'failed',
      retrain: rr ? { testLoss: rr.test_loss, testAcc: rr.test_acc, params: rr.params ?? null, epochs: rr.epochs, timeS: rr.time_s } : null,
      architecture: (a?.architecture as Record<string, unknown> | undefined) ?? null,
    });
  }
  const methods = [...new Set(runs.map((r) => r.method))];
  if (metricOf(space) === 'loss') return writeSummary(root, space, budgetMinutes, runs, lmTable(space, budgetMinutes, methods, runs));
  const lines = [
    `Space ${space}${budgetMinutes ? `, budget ${budgetMinutes} min per run` : ''}; benchmark test accuracy of the architecture found (mean ± sample std over seeds).`,
    '',
    '| method | runs with a result | benchmark test acc (%) | per seed | inherited-weight test acc (%) | epochs | search time per run (min; CPU time with budget_clock=cpu) |',
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
      `| ${meth} | ${done.length}/${rs.length} | ${pm(acc)} | ${acc.map((x) => x.toFixed(2)).join(', ') || '-'} | ${pm(inh)} | ${ep.length ? ep.join(', ') : '-'} | ${t.length ? (mean(t) / 60).toFixed(1) : '-'} |`,
    );
  }
  return writeSummary(root, space, budgetMinutes, runs, lines);
}

function writeSummary(root: string, space: string, budgetMinutes: number | null, runs: RunSummary[], lines: string[]): { markdown: string; runs: RunSummary[] } {
  const markdown = lines.join('\n') + '\n';
  writeFileAtomic(join(root, 'results.md'), markdown);
  writeJsonAtomic(join(root, 'results.json'), { space, budget_minutes: budgetMinutes, runs });
  return { markdown, runs };
}

const pm = (v: number[], d = 2): string => (v.length ? `${mean(v).toFixed(d)} ± ${std(v).toFixed(d)}` : '-');

/** Language models: test loss of the found architecture after the same retraining budget. */
function lmTable(space: string, budgetMinutes: number | null, methods: string[], runs: RunSummary[]): string[] {
  const lines = [
    `Space ${space}${budgetMinutes ? `, search budget ${budgetMinutes} min per run` : ''}; test loss (nats per token) and perplexity of the architecture found after retraining it from scratch with the same budget (mean ± sample std over seeds).`,
    '',
    '| method | runs with a result | retrained test loss | per seed | perplexity | params (M) | test loss, supernet weights | search epochs |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const archLines: string[] = ['', 'Architectures found:', ''];
  for (const meth of methods) {
    const done = runs.filter((r) => r.method === meth && r.hasResult);
    const all = runs.filter((r) => r.method === meth);
    const rt = done.map((r) => r.retrain).filter((x): x is NonNullable<RunSummary['retrain']> => x !== null);
    const loss = rt.map((r) => r.testLoss);
    const params = rt.map((r) => r.params).filter((x): x is number => x !== null).map((x) => x / 1e6);
    const inh = done.map((r) => r.inheritedLoss).filter((x): x is number => x !== null);
    lines.push(`| ${meth} | ${done.length}/${all.length} (${rt.length} retrained) | ${pm(loss, 4)} | ${loss.map((x) => x.toFixed(4)).join(', ') || '-'} | ${pm(loss.map(Math.exp))} | ${pm(params, 3)} | ${pm(inh, 4)} | ${done.map((r) => r.epochs ?? '-').join(', ') || '-'} |`);
    for (const r of done) archLines.push(`- ${meth} seed ${r.seed}: \`${JSON.stringify(r.architecture)}\``);
  }
  return [...lines, ...archLines];
}
