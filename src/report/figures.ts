// Which plots a set of runs gets and their data: any-time curves for each
// recorded accuracy vs time and vs epoch, one architecture-weight chart per
// method that trains alpha, time and memory bars over the finished runs, and a
// Pareto plot per run with a pareto.json. A plot without data is left out, with
// a line saying why.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParetoFile } from '../search/pareto.js';
import { alphaSpec, anytimeSpec, barSpec, budgetSpec, paretoSpec, renderSvg, type BarDatum, type BudgetPoint, type ParetoPlotPoint } from './charts.js';
import { alphaTrajectories, anytimeBand, optionNames, type BandPoint, type CurveAxis, type CurveMetric } from './series.js';
import type { Spread } from './stats.js';
import type { GroupSummary, RunSummary, Summary } from './summary.js';

export type FigureSection = 'anytime' | 'alpha' | 'cost' | 'pareto' | 'budget';

export interface Figure {
  section: FigureSection;
  /** File name under plots/, also the figure's id in the page. */
  file: string;
  title: string;
  caption: string;
  svg: string;
}

export interface Figures {
  figures: Figure[];
  /** Plots left out and why. */
  missing: string[];
}

export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'x';
}

function clockOf(s: Summary): 'wall' | 'cpu' | 'mixed' {
  const c = new Set(s.runs.map((r) => r.clock));
  return c.size > 1 ? 'mixed' : c.has('cpu') ? 'cpu' : 'wall';
}

async function anytimeFigures(s: Summary, groups: string[], out: Figures): Promise<void> {
  const metrics: CurveMetric[] = ['benchmark', 'validation'];
  const axes: CurveAxis[] = ['time', 'epoch'];
  for (const metric of metrics) {
    for (const axis of axes) {
      const points: BandPoint[] = s.groups.flatMap((g) => anytimeBand(g.label, g.runs.map((r) => r.run), metric, axis));
      const what = metric === 'benchmark' ? 'benchmark test accuracy of the current architecture (argmax of alpha; the incumbent in a black-box stage)' : "validation accuracy of the current architecture with the supernet's weights (a black-box stage: the incumbent's fitness)";
      if (points.length === 0) {
        out.missing.push(`${what} vs ${axis}: no run recorded it${metric === 'benchmark' ? ' (no benchmark table at search time)' : ''}`);
        continue;
      }
      const absent = s.groups.filter((g) => !points.some((p) => p.group === g.label)).map((g) => g.label);
      out.figures.push({
        section: 'anytime',
        file: `anytime-${metric}-${axis}.svg`,
        title: `Any-time ${metric} accuracy vs ${axis === 'time' ? 'search time' : 'epoch'}`,
        caption: `The ${what}, per method: mean over seeds (line) and min to max (band).${axis === 'time' ? ' Each seed counts with its latest record (a step function).' : ''}${absent.length ? ` Not in this plot (no such records${axis === 'epoch' ? ' per epoch' : ''}): ${absent.join(', ')}.` : ''}`,
        svg: await renderSvg(anytimeSpec(points, { axis, metric, groups, clock: clockOf(s) })),
      });
    }
  }
}

async function alphaFigures(s: Summary, out: Figures): Promise<void> {
  for (const g of s.groups) {
    const runs = g.runs.map((r) => r.run);
    const names = optionNames(runs);
    const points = alphaTrajectories(runs, names);
    if (points.length === 0) continue;
    const unnamed = [...names.values()].some((l) => l.some((x) => x.startsWith('#')));
    out.figures.push({
      section: 'alpha',
      file: `alpha-${slug(g.label)}.svg`,
      title: `Architecture weights: ${g.label}`,
      caption: `Softmax of alpha per option at the end of each epoch, one chart per choice (${g.runs.length} run${g.runs.length === 1 ? '' : 's'}).${unnamed ? " '#i': option i, never the argmax in the records, so its name is not in metrics.jsonl." : ''}`,
      svg: await renderSvg(alphaSpec(points, { title: g.label, runs: runs.length, options: names })),
    });
  }
  if (!out.figures.some((f) => f.section === 'alpha')) out.missing.push('architecture weights: no run records alpha (two-stage and retraining runs have none)');
}

function bars(s: Summary, pick: (g: GroupSummary) => Spread | null, value: (r: RunSummary) => number | null, scale: number): { bars: BarDatum[]; seeds: { group: string; value: number }[] } {
  const b: BarDatum[] = [];
  const seeds: { group: string; value: number }[] = [];
  for (const g of s.groups) {
    const sp = pick(g);
    if (!sp) continue;
    b.push({ group: g.label, mean: sp.mean * scale, lo: (sp.mean - sp.se) * scale, hi: (sp.mean + sp.se) * scale });
    for (const r of g.withResult) {
      const v = value(r);
      if (v !== null) seeds.push({ group: g.label, value: v * scale });
    }
  }
  return { bars: b, seeds };
}

async function costFigures(s: Summary, groups: string[], out: Figures): Promise<void> {
  const clock = clockOf(s);
  const specs = [
    { file: 'time.svg', title: 'Search time', unit: `search time (min${clock === 'cpu' ? ', CPU' : ''})`, data: bars(s, (g) => g.time, (r) => r.timeS, 1 / 60), what: 'time_s of architecture.json (or the last record)' },
    { file: 'memory.svg', title: 'Peak memory', unit: 'peak resident memory (MB)', data: bars(s, (g) => g.rss, (r) => r.peakRssMb, 1), what: 'the largest rss_mb in metrics.jsonl' },
  ];
  for (const sp of specs) {
    if (sp.data.bars.length === 0) {
      out.missing.push(`${sp.title.toLowerCase()}: no run has a result yet (bars cover finished runs only)`);
      continue;
    }
    out.figures.push({
      section: 'cost',
      file: sp.file,
      title: sp.title,
      caption: `${sp.title} per method over the runs with a result: ${sp.what}.`,
      svg: await renderSvg(barSpec(sp.data.bars, sp.data.seeds, { title: sp.title, unit: sp.unit, groups })),
    });
  }
}

/** Per run with a pareto.json: its swept architectures and front over the table's true front. */
async function paretoFigures(s: Summary, out: Figures): Promise<void> {
  for (const r of s.runs) {
    const file = join(r.run.dir, 'pareto.json');
    if (!existsSync(file)) continue;
    let f: ParetoFile;
    try {
      f = JSON.parse(readFileSync(file, 'utf8')) as ParetoFile;
      if (f.format !== 'tanglenas.pareto/1' || !Array.isArray(f.points)) throw new Error('not a tanglenas.pareto/1 file');
    } catch (e) {
      out.missing.push(`Pareto front of ${r.run.name}: '${file}' is unreadable (${(e as Error).message})`);
      continue;
    }
    const bench = f.points.every((p) => p.benchmark_test_acc !== null);
    const cost = (p: { params: number; flops: number }) => (f.metric === 'params' ? p.params : p.flops);
    const points: ParetoPlotPoint[] = [
      ...(f.true_front ?? []).map((p) => ({ series: 'true front (table)', cost: p.cost, acc: p.acc })),
      ...f.points.map((p) => ({ series: p.front ? 'found front' : 'swept, dominated', cost: cost(p), acc: bench ? p.benchmark_test_acc! : 100 * p.valid_acc })),
    ];
    const ratio = f.hypervolume_ratio !== undefined ? `; hypervolume ${(100 * f.hypervolume_ratio).toFixed(1)}% of the true front's (reference point: the table's largest ${f.metric}, lowest accuracy)` : '';
    out.figures.push({
      section: 'pareto',
      file: `pareto-${slug(r.run.name)}.svg`,
      title: `Pareto front of ${r.run.name}`,
      caption: `${f.points.length} architectures from a sweep of the preference t, ${f.points.filter((p) => p.front).length} on the front chosen by the supernet's validation accuracy; plotted with ${bench ? 'their benchmark test accuracy' : 'that validation accuracy'}${ratio}.`,
      svg: await renderSvg(paretoSpec(points, { title: r.run.name, metric: f.metric, accTitle: bench ? 'benchmark test accuracy (%)' : 'validation accuracy, supernet weights (%)' })),
    });
  }
}

/** compare --budgets: each method's final accuracy against the budget, when the runs have more than one budget. */
async function budgetFigures(s: Summary, out: Figures): Promise<void> {
  const budgets = new Set(s.groups.map((g) => g.method.budgetMinutes).filter((b): b is number => b !== null));
  if (budgets.size < 2) return;
  const points: BudgetPoint[] = [];
  const lines = new Set<string>();
  for (const g of s.groups) {
    const b = g.method.budgetMinutes;
    if (b === null || !g.accuracy) continue;
    // The method's line: its label without the budget methodLabels appends.
    const suffix = `, ${b} min`;
    const line = g.label.endsWith(suffix) ? g.label.slice(0, -suffix.length) : g.label;
    lines.add(line);
    const { mean, se } = g.accuracy;
    points.push({ group: line, budget: b, mean, low: mean - se, high: mean + se });
  }
  if (points.length === 0) return;
  const source = s.groups.find((g) => g.source)?.source;
  const accTitle = source === 'benchmark' ? 'benchmark test accuracy (%)' : 'test accuracy (%)';
  out.figures.push({
    section: 'budget',
    file: 'budget-accuracy.svg',
    title: 'Final accuracy vs budget',
    caption: `Each method's ${source === 'benchmark' ? 'benchmark test accuracy of the architecture it found' : 'test accuracy'} at each budget (${[...budgets].sort((a, b) => a - b).join(', ')} min): mean over seeds, band one standard error.`,
    svg: await renderSvg(budgetSpec(points, { groups: [...lines], accTitle, clock: clockOf(s) })),
  });
}

export async function buildFigures(s: Summary): Promise<Figures> {
  const groups = s.groups.map((g) => g.label);
  const out: Figures = { figures: [], missing: [] };
  await anytimeFigures(s, groups, out);
  await alphaFigures(s, out);
  await costFigures(s, groups, out);
  await paretoFigures(s, out);
  await budgetFigures(s, out);
  return out;
}
