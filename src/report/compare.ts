// The results table of 'tanglenas compare' (OUT/results.md and results.json):
// one row per method of the grid (the runs' folder names,
// <method>[-tp<P>]-seed<N>), from the runs as every report reads and
// summarizes them (runs.ts, summary.ts): mean ± standard error over the seeds with
// a result. Language models: the test loss of the architecture found after the
// retraining compare did (<run>-retrain), compared at the same budget.
import '../spaces/index.js'; // the built-in spaces' facts (metric)
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { metricOf } from '../nas/registry.js';
import { writeFileAtomic, writeJsonAtomic } from '../search/rundir.js';
import { isRunDir, loadRun, type LoadedRun } from './runs.js';
import { num, spread, type Spread } from './stats.js';
import { summarizeGroup, summarizeRun, type GroupSummary, type RunSummary } from './summary.js';
import { toMarkdown, type Table } from './tables.js';

/** One run of results.json: the fields, names and units compare has always written. */
export interface CompareRun {
  method: string;
  seed: number;
  /** Benchmark test accuracy (%) of the architecture found. */
  benchmark: number | null;
  /** Test accuracy (a fraction) with the supernet's weights. */
  inherited: number | null;
  /** Language models: test loss with the supernet's weights. */
  inheritedLoss: number | null;
  timeS: number | null;
  epochs: number | null;
  /** As the report says (done, stopped, failed, running, interrupted), or 'not started'. */
  status: string;
  hasResult: boolean;
  /** The <run>-retrain run's result, when compare retrained the architecture. */
  retrain: { testLoss: number | null; testAcc: number | null; params: number | null; epochs: number | null; timeS: number | null } | null;
  architecture: Record<string, unknown> | null;
}

/** A run of the grid and the retraining of its architecture, as the report summarizes them. */
interface GridRun {
  method: string;
  seed: number;
  search: RunSummary;
  retrain: RunSummary | null;
}

/** A folder of the grid without config.json: the run has not started. */
function notStarted(dir: string): LoadedRun {
  return { dir, name: basename(dir), config: {}, info: null, status: null, architecture: null, result: null, space: null, metrics: [], skippedLines: 0, warnings: [] };
}

function readGrid(root: string): GridRun[] {
  const runs: GridRun[] = [];
  for (const d of readdirSync(root).sort()) {
    const m = /^(.+)-seed(\d+)$/.exec(d);
    if (!m) continue;
    const dir = join(root, d);
    const retrain = `${dir}-retrain`;
    runs.push({
      method: m[1],
      seed: Number(m[2]),
      search: summarizeRun(isRunDir(dir) ? loadRun(dir) : notStarted(dir)),
      retrain: isRunDir(retrain) ? summarizeRun(loadRun(retrain)) : null,
    });
  }
  return runs;
}

function compareRun(g: GridRun): CompareRun {
  const s = g.search;
  const res = g.retrain?.run.result;
  return {
    method: g.method,
    seed: g.seed,
    benchmark: s.accuracy.benchmark ?? null,
    inherited: num(s.run.architecture?.inherited_test_acc),
    inheritedLoss: s.loss,
    timeS: s.timeS,
    epochs: s.epochs,
    status: s.run.status ? s.status : 'not started',
    hasResult: s.hasResult,
    retrain: res ? { testLoss: num(res.test_loss), testAcc: num(res.test_acc), params: num(res.params), epochs: num(res.epochs), timeS: num(res.time_s) } : null,
    architecture: s.architecture,
  };
}

/** 'mean ± standard error' (one seed: ± 0), '-' for none. */
function pm(s: Spread | null, digits = 2): string {
  return s ? `${s.mean.toFixed(digits)} ± ${s.se.toFixed(digits)}` : '-';
}

function list(v: number[], digits: number): string {
  return v.map((x) => x.toFixed(digits)).join(', ') || '-';
}

/** The grid's methods in the order of their folders, each with its seeds summarized as the report does. */
function methodGroups(runs: GridRun[]): { group: GroupSummary; retrain: Map<RunSummary, RunSummary | null> }[] {
  const methods = [...new Set(runs.map((r) => r.method))];
  return methods.map((name) => {
    const rs = runs.filter((r) => r.method === name);
    return { group: summarizeGroup(rs[0].search.method, name, rs.map((r) => r.search)), retrain: new Map(rs.map((r) => [r.search, r.retrain])) };
  });
}

const table = (header: string[], rows: string[][]): Table => ({ header, align: header.map((_, i) => (i === 0 ? 'l' : 'r')), rows: rows.map((r) => r.map((text) => ({ text }))), notes: [] });

/** Image spaces: the benchmark test accuracy of the architecture found. */
function accuracyTable(space: string, budgetMinutes: number | null, runs: GridRun[]): string[] {
  const rows = methodGroups(runs).map(({ group: g }) => {
    // A run stopped by the budget in its black-box stage still has a result (the incumbent).
    const acc = g.withResult.map((r) => r.accuracy.benchmark).filter((x): x is number => x !== undefined);
    return [g.label, `${g.withResult.length}/${g.runs.length}`, pm(spread(acc)), list(acc, 2), pm(spread(g.withResult.map((r) => r.accuracy.inherited))), g.epochs.length ? g.epochs.join(', ') : '-', g.time ? (g.time.mean / 60).toFixed(1) : '-'];
  });
  return [
    `Space ${space}${budgetMinutes ? `, budget ${budgetMinutes} min per run` : ''}; benchmark test accuracy of the architecture found (mean ± standard error over seeds).`,
    '',
    toMarkdown(table(['method', 'runs with a result', 'benchmark test acc (%)', 'per seed', 'inherited-weight test acc (%)', 'epochs', 'search time per run (min; CPU time with budget_clock=cpu)'], rows)).trimEnd(),
  ];
}

/** Language models: test loss of the found architecture after the same retraining budget. */
function lossTable(space: string, budgetMinutes: number | null, runs: GridRun[]): string[] {
  const archLines: string[] = ['', 'Architectures found:', ''];
  const rows = methodGroups(runs).map(({ group: g, retrain }) => {
    const rt = g.withResult.map((r) => retrain.get(r)).filter((x): x is RunSummary => Boolean(x?.run.result));
    const loss = rt.map((r) => r.loss).filter((x): x is number => x !== null);
    for (const r of g.withResult) archLines.push(`- ${g.label} seed ${r.seed}: \`${JSON.stringify(r.architecture)}\``);
    return [
      g.label,
      `${g.withResult.length}/${g.runs.length} (${rt.length} retrained)`,
      pm(spread(loss), 4),
      list(loss, 4),
      pm(spread(loss.map(Math.exp))),
      pm(spread(rt.map((r) => (r.params === null ? null : r.params / 1e6))), 3),
      pm(g.loss, 4),
      g.withResult.map((r) => r.epochs ?? '-').join(', ') || '-',
    ];
  });
  return [
    `Space ${space}${budgetMinutes ? `, search budget ${budgetMinutes} min per run` : ''}; test loss (nats per token) and perplexity of the architecture found after retraining it from scratch with the same budget (mean ± standard error over seeds).`,
    '',
    toMarkdown(table(['method', 'runs with a result', 'retrained test loss', 'per seed', 'perplexity', 'params (M)', 'test loss, supernet weights', 'search epochs'], rows)).trimEnd(),
    ...archLines,
  ];
}

/** Reads every run of the compare folder `out` and writes results.md and results.json there. */
export function summarizeCompare(out: string, space: string, budgetMinutes: number | null): { markdown: string; runs: CompareRun[] } {
  const root = resolve(out);
  if (!existsSync(root)) throw new Error(`compare folder '${root}' does not exist`);
  const grid = readGrid(root);
  const lines = metricOf(space) === 'loss' ? lossTable(space, budgetMinutes, grid) : accuracyTable(space, budgetMinutes, grid);
  const markdown = lines.join('\n') + '\n';
  const runs = grid.map(compareRun);
  writeFileAtomic(join(root, 'results.md'), markdown);
  writeJsonAtomic(join(root, 'results.json'), { space, budget_minutes: budgetMinutes, runs });
  return { markdown, runs };
}
