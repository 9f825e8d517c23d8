// The report as one self-contained HTML page: tables, the SVG plots inline,
// found architectures and configs. No script, no external reference (styles
// inline), so it opens offline, from a file, in any browser. In live mode a
// meta refresh reloads it while the runs are written.
import type { Figure, FigureSection } from './figures.js';
import type { RunSummary, Summary } from './summary.js';
import { DASH, type Table } from './tables.js';

export interface PageInput {
  title: string;
  /** The folder the report was made from. */
  source: string;
  generated: Date;
  summary: Summary;
  results: Table;
  runs: Table;
  figures: Figure[];
  missingFigures: string[];
  /** Seconds between reloads; null for a static page. */
  refreshSeconds: number | null;
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; } h3 { font-size: 1rem; }
.meta { color: #555; font-size: 0.9rem; }
.live { background: #fff4d6; border: 1px solid #e8c35a; padding: 0.4rem 0.7rem; border-radius: 4px; display: inline-block; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.88rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; vertical-align: top; }
th { background: #f3f3f3; text-align: left; } td.r { text-align: right; font-variant-numeric: tabular-nums; }
ul.notes { font-size: 0.85rem; color: #444; }
section.figs { display: flex; flex-wrap: wrap; gap: 0 2rem; } figure { margin: 1rem 0 2rem; } figure svg { max-width: 100%; height: auto; } figcaption { font-size: 0.85rem; color: #444; max-width: 40em; }
pre { background: #f7f7f7; padding: 0.5rem; overflow-x: auto; font-size: 0.8rem; }
details { margin: 0.3rem 0; } summary { cursor: pointer; }
.warn { color: #8a4b00; }
`;

export function htmlTable(t: Table, cls: string): string {
  const head = `<tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map((row) => `<tr>${row.map((c, i) => `<td${t.align[i] === 'r' ? ' class="r"' : ''}>${c.bold ? `<b>${esc(c.text)}</b>` : esc(c.text)}</td>`).join('')}</tr>`)
    .join('\n');
  const notes = t.notes.length ? `<ul class="notes">${t.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  return `<table class="${cls}">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>\n${notes}`;
}

function figureHtml(f: Figure): string {
  return `<figure id="${esc(f.file.replace(/\.svg$/, ''))}" class="chart">\n${f.svg}\n<figcaption><b>${esc(f.title)}.</b> ${esc(f.caption)} (plots/${esc(f.file)})</figcaption>\n</figure>`;
}

/** An optional section appears only when it has a plot (Pareto: runs with pareto: true; budget: compare --budgets). */
const SECTIONS: { id: FigureSection; title: string; optional?: boolean }[] = [
  { id: 'anytime', title: 'Any-time performance' },
  { id: 'alpha', title: 'Architecture-weight trajectories' },
  { id: 'cost', title: 'Search time and memory' },
  { id: 'pareto', title: 'Pareto fronts', optional: true },
  { id: 'budget', title: 'Accuracy against budget', optional: true },
];

function kv(rows: [string, string][]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function architectureHtml(r: RunSummary): string {
  const a = r.run.architecture ?? r.run.result;
  const parts: string[] = [];
  if (r.architecture) parts.push(kv(Object.entries(r.architecture).map(([k, v]) => [k, String(v)])));
  else parts.push(`<p>No architecture yet (status ${esc(r.status)}).</p>`);
  const b = a?.benchmark as { testAcc?: number; rank?: number; size?: number; percentile?: number; optimum?: number } | null | undefined;
  const facts: [string, string][] = [];
  if (r.benchmarkKey) facts.push(['benchmark key', r.benchmarkKey]);
  if (b && typeof b.testAcc === 'number') facts.push(['benchmark test accuracy', `${b.testAcc}% (rank ${b.rank} of ${b.size}, better than ${b.percentile?.toFixed(1)}%; optimum ${b.optimum}%)`]);
  for (const [k, v] of Object.entries(r.benchmarkColumns)) facts.push([`benchmark ${k}`, `${v}%`]);
  for (const [k, label] of [['inherited_test_acc', "test accuracy with the supernet's weights"], ['supernet_valid_acc', 'supernet validation accuracy'], ['test_acc', 'test accuracy (trained)']] as const) {
    if (typeof a?.[k] === 'number') facts.push([label, `${(100 * (a[k] as number)).toFixed(2)}%`]);
  }
  if (facts.length) parts.push(kv(facts));
  const top = a?.top;
  if (Array.isArray(top) && top.length) {
    const rows = top.map((t: { architecture?: unknown; fitness?: number; benchmark_test_acc?: number | null }, i: number) => `<tr><td class="r">${i + 1}</td><td>${esc(JSON.stringify(t.architecture))}</td><td class="r">${typeof t.fitness === 'number' ? (100 * t.fitness).toFixed(2) : DASH}</td><td class="r">${typeof t.benchmark_test_acc === 'number' ? t.benchmark_test_acc.toFixed(2) : DASH}</td></tr>`);
    parts.push(`<details><summary>top ${top.length} of the black-box search</summary><table><tr><th>#</th><th>architecture</th><th>supernet acc (%)</th><th>benchmark (%)</th></tr>${rows.join('')}</table></details>`);
  }
  return `<h4>${esc(r.run.name)}</h4>\n${parts.join('\n')}`;
}

function json(v: unknown): string {
  return JSON.stringify(v);
}

/** Config keys whose values differ between runs (run_dir aside), as a key x run table. */
function configsHtml(s: Summary): string {
  const runs = s.runs;
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.run.config)))].filter((k) => k !== 'run_dir').sort();
  const differ = keys.filter((k) => new Set(runs.map((r) => json(r.run.config[k]))).size > 1);
  const shared = Object.fromEntries(keys.filter((k) => !differ.includes(k)).map((k) => [k, runs[0].run.config[k]]));
  const parts: string[] = [];
  if (differ.length) {
    const head = `<tr><th>key</th>${runs.map((r) => `<th>${esc(r.run.name)}</th>`).join('')}</tr>`;
    const body = differ.map((k) => `<tr><th>${esc(k)}</th>${runs.map((r) => `<td>${esc(r.run.config[k] === undefined ? DASH : json(r.run.config[k]))}</td>`).join('')}</tr>`).join('\n');
    parts.push(`<p>Keys that differ between the runs:</p>\n<table class="config-diff">${head}\n${body}</table>`);
  } else if (runs.length > 1) parts.push('<p>All runs have the same config (apart from run_dir).</p>');
  parts.push(`<details${runs.length === 1 ? ' open' : ''}><summary>${runs.length > 1 ? 'shared config' : 'config'} (${Object.keys(shared).length} keys)</summary><pre>${esc(JSON.stringify(shared, null, 2))}</pre></details>`);
  for (const r of runs) {
    const info = r.run.info ? ` · ${r.run.info.command ?? '?'} preset ${r.run.info.preset ?? '?'}` : '';
    parts.push(`<details><summary>${esc(r.run.name)}${esc(info)}: config.json</summary><pre>${esc(JSON.stringify(r.run.config, null, 2))}</pre></details>`);
  }
  return parts.join('\n');
}

export function renderPage(p: PageInput): string {
  const s = p.summary;
  const counts = new Map<string, number>();
  for (const r of s.runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const status = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  const warnings = s.runs.flatMap((r) => r.run.warnings);
  const figures = SECTIONS.filter((sec) => !sec.optional || p.figures.some((f) => f.section === sec.id)).map((sec) => {
    const fs = p.figures.filter((f) => f.section === sec.id);
    return `<h2 id="${sec.id}">${esc(sec.title)}</h2>\n${fs.length ? `<section class="figs">\n${fs.map(figureHtml).join('\n')}\n</section>` : '<p>No plot (see below).</p>'}`;
  }).join('\n');
  const live = p.refreshSeconds !== null;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${live ? `<meta http-equiv="refresh" content="${p.refreshSeconds}">\n` : ''}<title>${esc(p.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(p.title)}</h1>
<p class="meta">From <code>${esc(p.source)}</code>: ${s.runs.length} run${s.runs.length === 1 ? '' : 's'} (${esc(status)}); space ${esc(s.spaces.join(', '))}${s.budgetMinutes.length ? `; budget ${esc(s.budgetMinutes.join(', '))} min per run` : ''}. Written ${esc(p.generated.toISOString())} by <code>tanglenas report</code>.</p>
${live ? `<p class="live" id="live">Live view: this page is rewritten when a run's files change and reloads every ${p.refreshSeconds} s.</p>\n` : ''}<h2 id="results">Results</h2>
${htmlTable(p.results, 'results')}
<h2 id="runs">Runs</h2>
${htmlTable(p.runs, 'runs')}
${figures}
${p.missingFigures.length ? `<ul class="notes">${p.missingFigures.map((m) => `<li>Not plotted: ${esc(m)}.</li>`).join('')}</ul>` : ''}
<h2 id="architectures">Architectures found</h2>
${s.groups.map((g) => `<h3>${esc(g.label)}</h3>\n${g.runs.map(architectureHtml).join('\n')}`).join('\n')}
<h2 id="configs">Configs</h2>
${configsHtml(s)}
${warnings.length ? `<h2 id="warnings">Warnings</h2>\n<ul class="warn">${warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}
</body>
</html>
`;
}
