// The tables as CSV with raw numbers (seconds, MB, percent; empty = not
// recorded), for spreadsheets and plotting scripts: one row per method and
// one per run.
import type { MethodInfo } from './methods.js';
import type { Spread } from './stats.js';
import type { Summary } from './summary.js';

type Value = string | number | null | undefined;

function field(v: Value): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? String(v) : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: Value[][]): string {
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\n') + '\n';
}

/** Mean and sample std; no std for one seed. */
function stats(s: Spread | null): Value[] {
  return [s?.mean, s && s.n > 1 ? s.std : null];
}

const METHOD_HEADER = ['search_type', 'optimizer', 'supernet', 'train_portion'];

function methodFields(m: MethodInfo): Value[] {
  return [m.searchType, m.optimizer, m.supernet, m.trainPortion];
}

export function summaryCsv(s: Summary): string {
  const header = [...METHOD_HEADER, 'runs', 'runs_with_result', 'acc_source', 'acc_n', 'acc_mean', 'acc_std', 'acc_se', 'acc_per_seed', 'test_loss_mean', 'test_loss_std', 'time_s_mean', 'time_s_std', 'peak_rss_mb_mean', 'peak_rss_mb_std', 'params_mean', 'params_std', 'flops_mean', 'flops_std', 'epochs'];
  const rows = s.groups.map((g) => [
    ...methodFields(g.method),
    g.runs.length,
    g.withResult.length,
    g.source,
    g.accuracy?.n ?? 0,
    ...stats(g.accuracy),
    g.accuracy && g.accuracy.n > 1 ? g.accuracy.se : null,
    g.perSeed.map((p) => p.value).join(';'),
    ...stats(g.loss),
    ...stats(g.time),
    ...stats(g.rss),
    ...stats(g.params),
    ...stats(g.flops),
    g.epochs.join(';'),
  ]);
  if (s.optimum !== null) rows.push(header.map((h, i) => (i === 0 ? 'Optimum' : h === 'acc_source' ? 'benchmark' : h === 'acc_mean' ? s.optimum : '')));
  return toCsv(header, rows);
}

export function runsCsv(s: Summary): string {
  const header = ['run', ...METHOD_HEADER, 'seed', 'status', 'has_result', 'benchmark_test_acc', 'retrained_test_acc', 'inherited_test_acc', 'validation_acc', 'test_loss', 'time_s', 'clock', 'peak_rss_mb', 'params', 'flops', 'epochs', 'architecture', 'benchmark_key'];
  const rows = s.runs.map((r) => [
    r.run.name,
    ...methodFields(r.method),
    r.seed,
    r.status,
    r.hasResult ? 1 : 0,
    r.accuracy.benchmark,
    r.accuracy.retrained,
    r.accuracy.inherited,
    r.accuracy.validation,
    r.loss,
    r.timeS,
    r.clock,
    r.peakRssMb,
    r.params,
    r.flops,
    r.epochs,
    r.architecture ? JSON.stringify(r.architecture) : null,
    r.benchmarkKey,
  ]);
  return toCsv(header, rows);
}
