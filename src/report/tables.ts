// The report's tables as plain data (header, cells, notes) in the layout of the
// paper's Tables 1-2 (9-12 with a train-portion column), and their Markdown
// form. The HTML page renders the same data, so the two never disagree.
import '../spaces/index.js'; // the built-in spaces' facts (metric)
import { metricOf } from '../nas/registry.js';
import type { Spread } from './stats.js';
import { ACC_SOURCE_TEXT, type AccSource, type GroupSummary, type RunSummary, type Summary } from './summary.js';

export interface Cell {
  text: string;
  bold?: boolean;
}

export interface Table {
  header: string[];
  /** 'r' for numeric columns. */
  align: ('l' | 'r')[];
  rows: Cell[][];
  notes: string[];
}

export const DASH = '—';

/** 'mean ± standard error'; one seed has none, so just its value. */
export function fmtSpread(s: Spread | null, digits: number, scale = 1): string {
  if (!s) return DASH;
  const m = (s.mean * scale).toFixed(digits);
  return s.n < 2 ? m : `${m} ± ${(s.se * scale).toFixed(digits)}`;
}

function fmtCount(s: Spread | null): string {
  if (!s) return DASH;
  return s.n < 2 ? Math.round(s.mean).toLocaleString('en') : `${Math.round(s.mean).toLocaleString('en')} ± ${Math.round(s.se).toLocaleString('en')}`;
}

function fmtPortion(p: number | null): string {
  return p === null ? DASH : `${Math.round(100 * p)}%`;
}

function c(text: string, bold = false): Cell {
  return bold ? { text, bold } : { text };
}

function sourceNotes(sources: (AccSource | null)[]): string[] {
  return [...new Set(sources.filter((s): s is AccSource => s !== null))].map((s) => `${s}: ${ACC_SOURCE_TEXT[s]}.`);
}

/** Per method, mean ± standard error over the seeds with a result; the best accuracy in bold. */
export function summaryTable(s: Summary): Table {
  const withPortion = new Set(s.groups.map((g) => g.method.trainPortion)).size > 1;
  // Language models: their loss is the result to compare.
  const withLoss = s.spaces.some((x) => metricOf(x) === 'loss') && s.groups.some((g) => g.loss !== null);
  const ranked = s.groups.filter((g) => g.accuracy && g.source === 'benchmark').map((g) => g.accuracy!.mean);
  const best = Math.max(...ranked);
  // The benchmark's other test accuracies (nb201: CIFAR-100, ImageNet16-120), as the paper's Table 4.
  const others = [...new Set(s.groups.flatMap((g) => Object.keys(g.benchmarkColumns)))];
  // Constrained runs: how many met every bound, and how many needed the final repair for it.
  const withBounds = s.groups.some((g) => g.withResult.some((r) => r.bounds !== null));
  const header = ['Search type', 'Optimizer', 'Supernet', ...(withPortion ? ['Train portion'] : []), 'Test acc (%)', 'per seed', 'measured as', ...others.map((k) => `${k} (%)`), ...(withLoss ? ['Test loss'] : []), 'Search time (min)', 'Peak memory (MB)', 'Params', 'FLOPs', ...(withBounds ? ['Bounds met (repaired)'] : []), 'Epochs', 'Runs with a result'];
  const align: Table['align'] = ['l', 'l', 'l', ...(withPortion ? (['r'] as const) : []), 'r', 'r', 'l', ...others.map(() => 'r' as const), ...(withLoss ? (['r'] as const) : []), 'r', 'r', 'r', 'r', ...(withBounds ? (['r'] as const) : []), 'r', 'r'];
  const rows: Cell[][] = [];
  let lastType = '';
  for (const g of s.groups) {
    const m = g.method;
    const isBest = ranked.length > 1 && g.source === 'benchmark' && g.accuracy !== null && g.accuracy.mean === best;
    rows.push([
      // Like the paper: the search type once per block of rows.
      c(m.searchType === lastType ? '' : m.searchType),
      c(m.optimizer),
      c(m.supernet),
      ...(withPortion ? [c(fmtPortion(m.trainPortion))] : []),
      c(fmtSpread(g.accuracy, 2), isBest),
      c(g.perSeed.map((p) => p.value.toFixed(2)).join(', ') || DASH),
      c(g.source ?? DASH),
      ...others.map((k) => c(fmtSpread(g.benchmarkColumns[k] ?? null, 2))),
      ...(withLoss ? [c(fmtSpread(g.loss, 4))] : []),
      c(fmtSpread(g.time, 1, 1 / 60)),
      c(fmtSpread(g.rss, 0)),
      c(fmtCount(g.params)),
      c(fmtCount(g.flops)),
      ...(withBounds ? [c(fmtBounds(g))] : []),
      c(g.epochs.length ? g.epochs.join(', ') : DASH),
      c(`${g.withResult.length}/${g.runs.length}`),
    ]);
    lastType = m.searchType;
  }
  if (s.optimum !== null) {
    rows.push([c('Optimum'), c('-'), c('-'), ...(withPortion ? [c('-')] : []), c(s.optimum.toFixed(2)), c(''), c('benchmark'), ...others.map(() => c('-')), ...(withLoss ? [c('-')] : []), c('-'), c('-'), c('-'), c('-'), ...(withBounds ? [c('-')] : []), c('-'), c('')]);
  }
  const notes = [
    'Mean ± standard error of the mean (sample standard deviation / √n) over the seeds with a result (finished, or stopped by the budget with an architecture); a single seed shows its value alone. Runs still running or failed are left out of these rows.',
    ...sourceNotes(s.groups.map((g) => g.source)),
    ...(others.length ? [`${others.join(', ')}: the benchmark's other test accuracies of the architecture found (the same runs as the benchmark test accuracy).`] : []),
    ...(withLoss ? ["Test loss: cross-entropy per token on the test split, after training for retrained rows, else with the supernet's weights."] : []),
    'Peak memory: the largest rss_mb (process peak resident memory) in metrics.jsonl.',
    ...(withBounds ? ["Bounds met (repaired): runs whose architecture meets every bound of `constraints`, of those with a result; in brackets, how many of them met it only after the final repair (the search's own architecture was over a bound)."] : []),
    ...(s.groups.some((g) => g.params !== null) ? ["Params and FLOPs: of the found architecture's standalone network; FLOPs are multiply-accumulates of one forward pass per image (per token for language models)."] : []),
    ...s.notes,
  ];
  return { header, align, rows, notes };
}

function fmtBounds(g: GroupSummary): string {
  const rs = g.withResult.filter((r) => r.bounds !== null);
  if (!rs.length) return DASH;
  return `${rs.filter((r) => r.bounds!.met).length}/${rs.length} (${rs.filter((r) => r.bounds!.repaired).length})`;
}

function fmtRunAcc(r: RunSummary, g: GroupSummary | undefined): { text: string; source: string } {
  const src = g?.source;
  if (r.hasResult && src && r.accuracy[src] !== undefined) return { text: r.accuracy[src]!.toFixed(2), source: src };
  if (r.current) return { text: `${r.current.value.toFixed(2)} (so far)`, source: `${r.current.source}, any-time` };
  return { text: DASH, source: DASH };
}

export function shortArchitecture(a: Record<string, unknown> | null): string {
  return a ? Object.values(a).map(String).join(', ') : DASH;
}

/** One row per run directory, unfinished ones with their latest any-time accuracy. */
export function runsTable(s: Summary): Table {
  const header = ['Run', 'Method', 'Seed', 'Status', 'Accuracy (%)', 'measured as', 'Epochs', 'Time (min)', 'Peak memory (MB)', 'Architecture'];
  const align: Table['align'] = ['l', 'l', 'r', 'l', 'r', 'l', 'r', 'r', 'r', 'l'];
  const rows: Cell[][] = [];
  for (const g of s.groups) {
    for (const r of [...g.runs].sort((x, y) => (x.seed ?? 0) - (y.seed ?? 0))) {
      const acc = fmtRunAcc(r, g);
      rows.push([
        c(r.run.name),
        c(g.label),
        c(r.seed === null ? DASH : String(r.seed)),
        c(r.status),
        c(acc.text),
        c(acc.source),
        c(r.epochs === null ? DASH : String(r.epochs)),
        c(r.timeS === null ? DASH : (r.timeS / 60).toFixed(1)),
        c(r.peakRssMb === null ? DASH : String(r.peakRssMb)),
        c(shortArchitecture(r.architecture)),
      ]);
    }
  }
  const notes = ["'so far': the run has no result yet; its latest any-time record (current architecture) is shown.", "'interrupted': status.json says running but its process is gone (killed); resume it with --resume."];
  return { header, align, rows, notes };
}

function mdEscape(t: string): string {
  return t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function toMarkdown(t: Table): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const out = [line(t.header.map(mdEscape)), line(t.align.map((a) => (a === 'r' ? '---:' : '---')))];
  for (const row of t.rows) out.push(line(row.map((x) => (x.bold && x.text ? `**${mdEscape(x.text)}**` : mdEscape(x.text)))));
  if (t.notes.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  return out.join('\n') + '\n';
}
