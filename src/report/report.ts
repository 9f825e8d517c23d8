// A report from a run directory or a compare folder: report.md (tables and
// links to the plots), report.csv (per method), runs.csv (per run),
// plots/*.svg and report.html (all of it in one page). Each file is written
// atomically, so a browser or a reader never sees half a file.
import { fillMissingCosts } from './costs.js';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../search/rundir.js';
import { runsCsv, summaryCsv } from './csv.js';
import { buildFigures, type Figure } from './figures.js';
import { renderPage } from './html.js';
import { loadRuns, ReportInputError } from './runs.js';
import { summarize, type Summary } from './summary.js';
import { runsTable, summaryTable, toMarkdown } from './tables.js';

export interface ReportOptions {
  /** Output folder (default: the folder reported on). */
  out?: string;
  title?: string;
  /** Seconds between page reloads; set for the live view only. */
  refreshSeconds?: number | null;
  /** Time stamp of the page (tests pass a fixed one). */
  now?: Date;
  /** Compute params and FLOPs of found architectures that older runs did not record (loads libtorch). */
  costs?: boolean;
}

export interface ReportResult {
  summary: Summary;
  figures: Figure[];
  markdown: string;
  dir: string;
  files: { html: string; markdown: string; csv: string; runsCsv: string; plots: string[] };
}

export function outputDir(path: string, out?: string): string {
  const dir = resolve(out ?? path);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ReportInputError(`output '${out ?? path}' is a file; pass a folder to --out`);
  return dir;
}

function markdownReport(title: string, source: string, s: Summary, results: string, runs: string, figures: Figure[], missing: string[]): string {
  const lines = [`# ${title}`, '', `From \`${source}\`, ${s.runs.length} run${s.runs.length === 1 ? '' : 's'}, space ${s.spaces.join(', ')}${s.budgetMinutes.length ? `, budget ${s.budgetMinutes.join(', ')} min per run` : ''}.`, '', '## Results', '', results, '## Runs', '', runs];
  if (figures.length) lines.push('## Plots', '', ...figures.flatMap((f) => [`![${f.title}](plots/${f.file})`, '', `${f.title}. ${f.caption}`, '']));
  if (missing.length) lines.push(...missing.map((m) => `- Not plotted: ${m}.`), '');
  return lines.join('\n');
}

export async function writeReport(path: string, o: ReportOptions = {}): Promise<ReportResult> {
  const runs = loadRuns(path);
  if (o.costs) await fillMissingCosts(runs);
  const dir = outputDir(path, o.out);
  const s = summarize(runs);
  const { figures, missing } = await buildFigures(s);
  const title = o.title ?? `tanglenas report: ${basename(resolve(path))}`;
  const results = summaryTable(s);
  const runTable = runsTable(s);
  const plotDir = join(dir, 'plots');
  mkdirSync(plotDir, { recursive: true });
  const plots = figures.map((f) => {
    const file = join(plotDir, f.file);
    writeFileAtomic(file, f.svg);
    return file;
  });
  const source = relative(process.cwd(), resolve(path)) || '.';
  const markdown = markdownReport(title, source, s, toMarkdown(results), toMarkdown(runTable), figures, missing);
  const files = { html: join(dir, 'report.html'), markdown: join(dir, 'report.md'), csv: join(dir, 'report.csv'), runsCsv: join(dir, 'runs.csv'), plots };
  writeFileAtomic(files.markdown, markdown);
  writeFileAtomic(files.csv, summaryCsv(s));
  writeFileAtomic(files.runsCsv, runsCsv(s));
  writeFileAtomic(
    files.html,
    renderPage({ title, source, generated: o.now ?? new Date(), summary: s, results, runs: runTable, figures, missingFigures: missing, refreshSeconds: o.refreshSeconds ?? null }),
  );
  return { summary: s, figures, markdown, dir, files };
}
