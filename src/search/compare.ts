// Equal-budget comparisons (docs/search.md, "Equal-budget comparisons"): every
// method x seed as its own run directory under one folder, each with the same
// budget (wall or CPU time) (epochs fitted to it), run one after the other in child
// processes; finished runs are skipped and interrupted ones resumed, so the
// command can simply be started again. The results table of the runs is the
// report's (report/compare.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getSpace } from '../nas/registry.js';
import { getPreset } from './presets.js';
import { readJson, type StatusFile } from './rundir.js';

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
  /** A budget axis: each method x seed at each of these budgets (runs named <method>-b<M>-seed<seed>); default budgetMinutes alone. */
  budgets?: number[];
  /**
   * The paper's protocol beside the equal-budget one: two-stage methods get this
   * many times the budget (runs named <method>-x<F>...; the reference gave SPOS
   * 250 epochs to DrNAS's 100: 2.5). Default 1.
   */
  twoStageFactor?: number;
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
  const factor = p.twoStageFactor ?? 1;
  if (!(factor >= 1)) throw new Error(`compare: the two-stage budget factor ${factor} must be a number >= 1`);
  for (const b of p.budgets ?? []) {
    if (!(b > 0)) throw new Error(`compare: budget ${b} must be a positive number of minutes`);
  }
  const portions: (number | null)[] = p.trainPortions?.length ? p.trainPortions : [null];
  const budgets: (number | null)[] = p.budgets?.length ? p.budgets : [null];
  // Seed-major (an interrupted grid has every method for its first seeds), small budgets first.
  const cells = budgets.flatMap((b) => portions.flatMap((tp) => p.methods.map((m, mi) => ({ b, tp, m, preset: presets[mi] }))));
  for (const seed of p.seeds) {
    for (const { b, tp, m, preset } of cells) {
      const scaled = preset.command === 'two-stage' && factor !== 1;
      const name = `${m}${scaled ? `-x${factor}` : ''}${tp === null ? '' : `-tp${tp}`}${b === null ? '' : `-b${b}`}`;
      const sets = tp === null ? p.sets : [`train_portion=${tp}`, ...p.sets];
      const dir = resolve(p.out, `${name}-seed${seed}`);
      const budget = (b ?? p.budgetMinutes) * (scaled ? factor : 1);
      out.push(plannedRun(m, seed, dir, preset.command, 'search', budget, ['--preset', preset.name, '--seed', String(seed)], sets));
      const rm = p.retrainMinutes ?? 0;
      // Same budget and recipe for every method's architecture: the LM table compares test loss after it.
      if (rm > 0) out.push(plannedRun(m, seed, `${dir}-retrain`, 'train', 'retrain', rm, ['--preset', `${p.space}/retrain`, '--from', dir, '--seed', String(seed)], p.sets));
    }
  }
  return out;
}

export interface GridOptions {
  /** The CLI's entry file: each run is `node <cliEntry> [--plugin FILE ...] <args>` in its own process. */
  cliEntry: string;
  /** Plugins (absolute paths) every run loads first. */
  plugins?: readonly string[];
  /** Pass --quiet to every run. */
  quiet?: boolean;
  /** Print the commands (finished runs as '# done: ...') and start nothing. */
  dryRun?: boolean;
  /** Where the progress lines go (default console.log). */
  log?: (line: string) => void;
}

/**
 * Runs the planned runs one after the other, each in a child process with the
 * terminal as its output, skipping those already done. A run that fails does
 * not stop the grid (a budget stop, exit code 3, is no failure); the retraining
 * of a failed search is left out. Returns the failures, one line each:
 * 'METHOD seed N[ retrain] (exit CODE; files in DIR)'.
 */
export function runCompareGrid(plan: readonly PlannedRun[], o: GridOptions): string[] {
  const log = o.log ?? ((line: string) => console.log(line));
  const failed: string[] = [];
  const failedSearches = new Set<string>();
  for (const r of plan) {
    if (r.kind === 'retrain' && failedSearches.has(r.dir.replace(/-retrain$/, ''))) continue; // its search failed
    const line = `tanglenas ${r.args.join(' ')}`;
    if (o.dryRun) {
      log(`${r.action === 'done' ? '# done: ' : ''}${line}`);
      continue;
    }
    const name = `${r.method} seed ${r.seed}${r.kind === 'retrain' ? ' retrain' : ''}`;
    if (r.action === 'done') {
      log(`[compare] ${name}: done, skipped`);
      continue;
    }
    log(`[compare] ${name}: ${line}`);
    const res = spawnSync(process.execPath, [o.cliEntry, ...(o.plugins ?? []).flatMap((f) => ['--plugin', f]), ...r.args, ...(o.quiet ? ['--quiet'] : [])], { stdio: 'inherit' });
    if (res.status !== 0 && res.status !== 3) {
      failed.push(`${name} (exit ${res.status ?? res.signal}; files in ${r.dir})`);
      if (r.kind === 'search') failedSearches.add(r.dir);
    }
  }
  return failed;
}
