// What a run is, in the paper's table terms (Tables 1-2, 9-12): search type,
// optimizer, supernet type and train portion. Read from the run's own config
// and command, not from its folder name, so a renamed folder or a preset with
// overridden keys is still described by what actually ran.
import type { LoadedRun } from './runs.js';

export type SearchType = 'Single-Stage' | 'Two-Stage' | 'Retrain' | 'Fine-tune';

export interface MethodInfo {
  /** Groups the seeds of one method: optimizer, supernet and train portion. */
  key: string;
  searchType: SearchType;
  optimizer: string;
  /** WE (weight entanglement / superposition) or WS (weight sharing); '-' for retraining. */
  supernet: string;
  trainPortion: number | null;
  /** The run's budget in minutes (null: none); groups apart when a folder holds several (compare --budgets). */
  budgetMinutes: number | null;
  space: string;
}

// The paper's row order: single-stage baselines before TangleNAS, then two-stage.
const TYPE_ORDER: SearchType[] = ['Single-Stage', 'Two-Stage', 'Fine-tune', 'Retrain'];
const OPTIMIZER_ORDER = ['DrNAS', 'TangleNAS', 'DARTS', 'DARTS (2nd order)', 'GDAS', 'SPOS+RS', 'SPOS+ES'];

function commandOf(run: LoadedRun): string {
  const c = run.info?.command;
  if (typeof c === 'string') return c;
  // A run directory without run.json: SPOS only runs in the two-stage loop.
  return run.config.method === 'spos' ? 'two-stage' : 'search';
}

/**
 * `origin`: for a train / finetune run, the search run whose architecture it
 * trained (compare's <method>-seed<N>-retrain runs), so that its row says which
 * method found the architecture.
 */
export function describeMethod(run: LoadedRun, origin: LoadedRun | null = null): MethodInfo {
  const c = run.config;
  const command = commandOf(run);
  const method = String(c.method ?? '?');
  const form = c.form === 'ws' ? 'WS' : 'WE';
  const tp = typeof c.train_portion === 'number' ? c.train_portion : null;
  const space = String(c.space ?? '?');
  const own = typeof c.budget_minutes === 'number' && c.budget_minutes > 0 ? c.budget_minutes : null;
  // A retraining or fine-tuning run belongs to its search's budget (compare's --retrain-minutes is another axis).
  const trains = command === 'train' || command === 'finetune';
  const budget = trains && origin ? describeMethod(origin).budgetMinutes : own;
  let searchType: SearchType;
  let optimizer: string;
  let supernet = form;
  if (trains) {
    searchType = command === 'train' ? 'Retrain' : 'Fine-tune';
    const from = origin ? describeMethod(origin) : null;
    optimizer = from?.optimizer ?? '-';
    supernet = from?.supernet ?? '-';
  } else if (command === 'two-stage' || command === 'black-box' || method === 'spos') {
    searchType = 'Two-Stage';
    optimizer = `SPOS+${String(c.black_box ?? 'es').toUpperCase()}`;
  } else {
    searchType = 'Single-Stage';
    if (method === 'drnas') optimizer = form === 'WE' ? 'TangleNAS' : 'DrNAS';
    else if (method === 'darts') optimizer = c.darts_order === 2 ? 'DARTS (2nd order)' : 'DARTS';
    else optimizer = method.toUpperCase();
  }
  return { key: `${searchType}|${optimizer}|${supernet}|${tp ?? ''}|${budget ?? ''}`, searchType, optimizer, supernet, trainPortion: tp, budgetMinutes: budget, space };
}

/** Sort order of method groups: the paper's table order, unknown optimizers last by name. */
export function compareMethods(a: MethodInfo, b: MethodInfo): number {
  const rank = (x: number) => (x < 0 ? 1e9 : x);
  return (
    rank(TYPE_ORDER.indexOf(a.searchType)) - rank(TYPE_ORDER.indexOf(b.searchType)) ||
    rank(OPTIMIZER_ORDER.indexOf(a.optimizer)) - rank(OPTIMIZER_ORDER.indexOf(b.optimizer)) ||
    a.optimizer.localeCompare(b.optimizer) ||
    a.supernet.localeCompare(b.supernet) ||
    (a.trainPortion ?? 0) - (b.trainPortion ?? 0) ||
    (a.budgetMinutes ?? 0) - (b.budgetMinutes ?? 0)
  );
}

/**
 * A short legend label per method key: optimizer and supernet type, plus the
 * train portion and the budget when the runs use more than one.
 */
export function methodLabels(methods: MethodInfo[]): Map<string, string> {
  const portions = new Set(methods.map((m) => m.trainPortion));
  const budgets = new Set(methods.map((m) => m.budgetMinutes));
  const out = new Map<string, string>();
  for (const m of methods) {
    let label = m.supernet === '-' ? m.searchType : `${m.optimizer} (${m.supernet})`;
    if (m.supernet !== '-' && (m.searchType === 'Retrain' || m.searchType === 'Fine-tune')) label += `, ${m.searchType === 'Retrain' ? 'retrained' : 'fine-tuned'}`;
    if (portions.size > 1 && m.trainPortion !== null) label += ` ${Math.round(100 * m.trainPortion)}%`;
    if (budgets.size > 1 && m.budgetMinutes !== null) label += `, ${m.budgetMinutes} min`;
    out.set(m.key, label);
  }
  return out;
}
