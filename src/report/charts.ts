// The report's plots as Vega-Lite specs, rendered to standalone SVG by Vega in
// Node (renderer 'none': no canvas, no DOM; text widths are estimated).
// Every chart takes the full list of method labels as its colour domain, so a
// method has the same colour in every plot.
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { AlphaPoint, BandPoint, CurveAxis, CurveMetric } from './series.js';

export type ChartSpec = TopLevelSpec;

const METRIC_TITLE: Record<CurveMetric, string> = {
  benchmark: 'benchmark test accuracy (%)',
  validation: 'validation accuracy (%)',
};

function axisTitle(axis: CurveAxis, clock: 'wall' | 'cpu' | 'mixed'): string {
  if (axis === 'epoch') return 'epoch';
  return clock === 'cpu' ? 'search time (s of process CPU time)' : clock === 'mixed' ? 'search time (s; wall or CPU, per run)' : 'search time (s)';
}

function colour(domain: string[]) {
  return { field: 'group', type: 'nominal' as const, title: 'method', scale: { domain, scheme: 'tableau10' }, legend: { orient: 'bottom' as const, columns: 3, symbolOpacity: 1 } };
}

/**
 * Any-time curve (paper Figures 4-5): the mean over seeds per method, with a
 * min/max band. On the time axis the curve is a step (the incumbent so far).
 */
export function anytimeSpec(points: BandPoint[], o: { axis: CurveAxis; metric: CurveMetric; groups: string[]; clock: 'wall' | 'cpu' | 'mixed' }): ChartSpec {
  const interpolate = o.axis === 'time' ? 'step-after' : 'linear';
  const x = { field: 'x', type: 'quantitative' as const, title: axisTitle(o.axis, o.clock), ...(o.axis === 'epoch' ? { axis: { tickMinStep: 1 } } : {}) };
  return {
    title: { text: `${METRIC_TITLE[o.metric]} vs ${o.axis === 'time' ? 'search time' : 'epoch'}`, subtitle: 'line: mean over seeds; band: min to max over seeds' },
    // Two side by side on a laptop-wide page.
    width: 440,
    height: 260,
    data: { values: points as unknown as Record<string, unknown>[] },
    encoding: { x, color: colour(o.groups) },
    layer: [
      { mark: { type: 'area', opacity: 0.18, interpolate }, encoding: { y: { field: 'min', type: 'quantitative', title: METRIC_TITLE[o.metric], scale: { zero: false } }, y2: { field: 'max' } } },
      { mark: { type: 'line', interpolate, point: o.axis === 'epoch' }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
    ],
  };
}

/**
 * Architecture-weight trajectories (paper Figure 6): the softmax of alpha per
 * option vs epoch, one small chart per choice, each with its own legend since
 * options differ between choices.
 */
export function alphaSpec(points: AlphaPoint[], o: { title: string; runs: number; options: Map<string, string[]> }): ChartSpec {
  const choices = [...new Set(points.map((p) => p.choice))];
  return {
    title: { text: `architecture weights of ${o.title}`, subtitle: `softmax of alpha per option${o.runs > 1 ? `; line: mean over ${o.runs} seeds, band: min to max` : ''}` },
    columns: Math.min(4, choices.length),
    concat: choices.map((ch) => ({
      title: ch,
      width: 170,
      height: 110,
      data: { values: points.filter((p) => p.choice === ch) as unknown as Record<string, unknown>[] },
      encoding: {
        x: { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 } },
        // Options in index order, not alphabetical ('64' after '128').
        color: { field: 'option', type: 'nominal' as const, title: null, scale: { domain: o.options.get(ch) ?? [] }, legend: { orient: 'bottom' as const, columns: 3, symbolOpacity: 1 } },
      },
      layer: [
        { mark: { type: 'area' as const, opacity: 0.15 }, encoding: { y: { field: 'min', type: 'quantitative' as const, title: 'weight' }, y2: { field: 'max' } } },
        { mark: { type: 'line' as const }, encoding: { y: { field: 'mean', type: 'quantitative' as const } } },
      ],
    })),
    resolve: { scale: { color: 'independent' } },
  };
}

export interface BarDatum {
  group: string;
  mean: number;
  lo: number;
  hi: number;
}

/** Mean per method as a bar, ± standard error as an error bar, each seed as a dot. */
export function barSpec(bars: BarDatum[], seeds: { group: string; value: number }[], o: { title: string; unit: string; groups: string[] }): ChartSpec {
  const x = { field: 'group', type: 'nominal' as const, title: null, sort: o.groups, axis: { labelAngle: 0 } };
  return {
    title: { text: o.title, subtitle: 'bar: mean over seeds; whisker: ± standard error; dots: seeds' },
    width: { step: 90 },
    height: 220,
    layer: [
      { data: { values: bars as unknown as Record<string, unknown>[] }, mark: { type: 'bar', opacity: 0.85 }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: o.unit }, color: { ...colour(o.groups), legend: null } } },
      { data: { values: bars as unknown as Record<string, unknown>[] }, mark: { type: 'rule', color: 'black' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      { data: { values: seeds }, mark: { type: 'point', filled: true, color: 'black', size: 25 }, encoding: { x, y: { field: 'value', type: 'quantitative' } } },
    ],
  };
}

/** Standalone SVG of a Vega-Lite spec. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none', logLevel: 0 });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface ParetoPlotPoint {
  series: string;
  cost: number;
  acc: number;
}

/** Accuracy against cost: the table's true front as a step line, the search's sweep as points (front filled). */
export function paretoSpec(points: ParetoPlotPoint[], o: { title: string; metric: 'params' | 'flops'; accTitle: string }): ChartSpec {
  const x = { field: 'cost', type: 'quantitative' as const, title: o.metric === 'params' ? 'parameters' : 'FLOPs (multiply-accumulates)', scale: { zero: false } };
  const y = { field: 'acc', type: 'quantitative' as const, title: o.accTitle, scale: { zero: false } };
  const color = { field: 'series', type: 'nominal' as const, title: null, scale: { domain: ['true front (table)', 'found front', 'swept, dominated'], range: ['#888888', '#e15759', '#4e79a7'] }, legend: { orient: 'bottom' as const } };
  return {
    title: { text: `Pareto front: ${o.title}`, subtitle: 'line: the true front of the table; points: architectures of the sweep' },
    width: 440,
    height: 280,
    data: { values: points as unknown as Record<string, unknown>[] },
    layer: [
      { transform: [{ filter: "datum.series === 'true front (table)'" }], mark: { type: 'line', interpolate: 'step-after', point: true }, encoding: { x, y, color } },
      { transform: [{ filter: "datum.series !== 'true front (table)'" }], mark: { type: 'point', filled: true, size: 70 }, encoding: { x, y, color } },
    ],
  };
}

export interface BudgetPoint {
  /** The method without its budget (the line). */
  group: string;
  budget: number;
  /** Mean over seeds, and mean -/+ one standard error. */
  mean: number;
  low: number;
  high: number;
}

/** Final accuracy against budget (compare --budgets): per method the mean over seeds, a standard-error band, a point per budget. */
export function budgetSpec(points: BudgetPoint[], o: { groups: string[]; accTitle: string; clock: 'wall' | 'cpu' | 'mixed' }): ChartSpec {
  const x = { field: 'budget', type: 'quantitative' as const, title: `budget per run (min${o.clock === 'cpu' ? ' of process CPU time' : ''})`, scale: { type: 'log' as const } };
  return {
    title: { text: `${o.accTitle} vs budget`, subtitle: 'line: mean over seeds; band: one standard error' },
    width: 440,
    height: 260,
    data: { values: points as unknown as Record<string, unknown>[] },
    encoding: { x, color: colour(o.groups) },
    layer: [
      { mark: { type: 'area', opacity: 0.18 }, encoding: { y: { field: 'low', type: 'quantitative', title: o.accTitle, scale: { zero: false } }, y2: { field: 'high' } } },
      { mark: { type: 'line', point: true }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
    ],
  };
}
