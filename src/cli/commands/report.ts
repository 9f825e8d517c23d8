// `tanglenas report DIR`: tables, SVG plots and an HTML page from a run
// directory or a compare folder; `--watch` keeps the page up to date while the
// runs are written. Loads no libtorch (it only reads files) unless --costs asks
// for params and FLOPs that older runs did not record.
import { parseArgs } from 'node:util';
import { ReportInputError } from '../../report/runs.js';
import { joinNegativeValues } from '../argv.js';

export const REPORT_USAGE = `usage: tanglenas report RUN_OR_COMPARE_DIR [--out DIR] [--title TEXT] [--watch [--interval S]] [--costs] [--quiet]

Tables, plots and one self-contained HTML page from a run directory or a compare
folder (the <method>-seed<N> runs of 'tanglenas compare'). Per method, mean ± sample
std over the seeds of the found architecture's benchmark test accuracy (else its
inherited-weight or validation accuracy), search time, peak memory, and params and
FLOPs where the runs record them; any-time accuracy vs time and vs epoch,
architecture-weight trajectories, time and memory bars. Runs still running or
killed are read as far as they got.

Writes into DIR (or --out): report.html, report.md, report.csv (per method),
runs.csv (per run), plots/*.svg. Details: docs/report.md.

  --out DIR        write the report here instead of into DIR
  --title TEXT     title of the page and report.md
  --watch          live view: rewrite the report whenever a run's files change;
                   the page reloads itself. Ctrl-C writes a final static page.
  --interval S     with --watch: seconds between checks for changes (default 2)
  --costs          compute params and FLOPs of found architectures that older runs did
                   not record (toy spaces; loads libtorch, a second per run)
  --quiet          print only the written files and errors
  -h, --help`;

const OPTIONS = {
  out: { type: 'string' },
  title: { type: 'string' },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
  quiet: { type: 'boolean' },
  costs: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** An error the CLI reports as a usage error (exit code 2). */
function usage(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_PARSE_ARGS_REPORT' });
}

function parse(args: string[]) {
  try {
    return parseArgs({ args: joinNegativeValues(args, OPTIONS), options: OPTIONS, strict: true, allowPositionals: true });
  } catch (e) {
    const m = /Unknown option '(--?[^']+)'/.exec((e as Error).message);
    const known = Object.keys(OPTIONS).map((k) => `--${k}`).join(', ');
    if (m) throw usage(`report: unknown option '${m[1]}'; the options are ${known} (tanglenas report --help)`);
    throw usage(`report: ${(e as Error).message}; see tanglenas report --help`);
  }
}

export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parse(args);
  if (values.help) return void console.log(REPORT_USAGE);
  if (positionals.length !== 1) {
    throw usage(`report takes one run directory or compare folder, got ${positionals.length ? positionals.map((p) => `'${p}'`).join(' ') : 'none'}; e.g. tanglenas report runs/compare-toy-cell-60min\n\n${REPORT_USAGE}`);
  }
  const dir = positionals[0];
  let intervalMs = 2000;
  if (values.interval !== undefined) {
    if (!values.watch) throw usage('report: --interval applies to --watch; add --watch or drop --interval');
    const s = Number(values.interval);
    if (!Number.isFinite(s) || s <= 0) throw usage(`report: --interval must be a positive number of seconds, got '${values.interval}' (e.g. --interval 5)`);
    intervalMs = s * 1000;
  }
  if (values.title !== undefined && values.title.trim() === '') throw usage("report: --title is empty; give a title or drop the flag");
  const { writeReport } = await import('../../report/report.js');
  const opts = { out: values.out, title: values.title, costs: Boolean(values.costs) };
  const quiet = Boolean(values.quiet);
  try {
    if (!values.watch) {
      const r = await writeReport(dir, opts);
      if (!quiet) console.log(r.markdown.split('\n## Plots')[0]);
      console.log(`files: ${r.files.html}, ${r.files.markdown}, ${r.files.csv}, ${r.files.runsCsv}, ${r.files.plots.length} plot${r.files.plots.length === 1 ? '' : 's'} in ${r.dir}/plots`);
      return;
    }
    const { watchReport } = await import('../../report/watch.js');
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let first = true;
    try {
      const r = await watchReport(dir, {
        ...opts,
        intervalMs,
        signal: ac.signal,
        onWrite: (w) => {
          if (first) console.log(`live report: ${w.files.html} (open it in a browser; it reloads itself). Ctrl-C stops.`);
          else if (!quiet) console.log(`[${new Date().toISOString().slice(11, 19)}] rewritten: ${w.summary.runs.length} runs, ${w.summary.runs.filter((x) => x.hasResult).length} with a result`);
          first = false;
        },
        onError: (e) => console.error(`tanglenas report: could not rewrite the report (${e.message}); trying again at the next change`),
      });
      console.log(`final report (static page): ${r.files.html}`);
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
  } catch (e) {
    if (e instanceof ReportInputError) throw usage(`report: ${e.message}`);
    throw e;
  }
}
