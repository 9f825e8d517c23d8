// The space registry. An entry owns every fact about its space: the task, the
// datasets it takes, its input, tokenizer, tabular benchmark, metric, forms and
// training recipes. Config validation, dataset choice, benchmark lookup,
// presets, reports and CLI help read these facts, so a new space is one file
// that calls registerSpace (plus its import in spaces/index.ts, or a plugin).
// This module holds data only; creating a space is what loads libtorch.
import type { SearchSpace, SpaceForm, SpaceOptions } from './space.js';

export type Task = 'classification' | 'language-model';
/** What the search and the reports optimise and print: accuracy (higher is better) or loss (lower). */
export type Metric = 'accuracy' | 'loss';
/** Flat config values (checked against the schema when the presets are built). */
export type ConfigValues = Readonly<Record<string, unknown>>;

export interface BenchmarkInfo {
  /** The table's file name, looked for in benchmark_dir, $TANGLENAS_BENCH_DIR, then ../shared/data/toy-bench. */
  file: string;
  /** The `space` field the file declares (a table of another space is rejected). */
  id: string;
  /** The metric the table holds per architecture. */
  metric: Metric;
  /** Columns a lookup reports (the toy tables: test_acc, train_acc). */
  columns: readonly string[];
}

export interface SpaceRecipes {
  /** Values over the library defaults for every preset of the space (dataset, optimizer, lr, ...). */
  base: ConfigValues;
  /** Per preset layer (a sampler's 'tanglenas', 'spos-es', ..., or 'retrain', 'finetune'): values over the layer. */
  presets?: Readonly<Record<string, ConfigValues>>;
  /** Presets of this space only: `like` names the preset it starts from. */
  extra?: readonly { name: string; like: string; description: string; values: ConfigValues }[];
  /** The presets `compare` runs when --methods is not given. */
  compare: readonly string[];
}

export interface SpaceEntry {
  name: string;
  description: string;
  task: Task;
  /** Dataset names; the first is the default. Any registered dataset of the space's kind and shape is accepted too. */
  datasets: readonly string[];
  /** Input of one sample for image spaces ([C, H, W]); language models take [block_size] token ids. */
  inputShape?: readonly number[];
  /** Language models: the tokenizer of the space's corpora. */
  tokenizer?: 'char' | 'gpt2';
  benchmark?: BenchmarkInfo;
  metric: Metric;
  /** The forms it implements (default both). */
  forms?: readonly SpaceForm[];
  /**
   * Too large for the per-space invariant tests at its real size (a 100M-weight
   * language model): they only build it, with `testOptions`.
   */
  heavy?: boolean;
  /** Options the invariant tests build the space with (a smaller vocabulary or context). */
  testOptions?: SpaceOptions;
  recipes: SpaceRecipes;
  create(opts: SpaceOptions): SearchSpace;
}

/** An entry as the registry hands it out: defaults filled in, no factory. */
export type SpaceInfo = Omit<Required<SpaceEntry>, 'create' | 'inputShape' | 'tokenizer' | 'benchmark'> & Pick<SpaceEntry, 'inputShape' | 'tokenizer' | 'benchmark'>;

const registry = new Map<string, { info: SpaceInfo; create: SpaceEntry['create'] }>();

export function registerSpace(entry: SpaceEntry): void {
  if (registry.has(entry.name)) throw new Error(`space '${entry.name}' is already registered; choose another name`);
  if (!entry.datasets.length) throw new Error(`space '${entry.name}': datasets must name at least its default dataset`);
  const { create, ...facts } = entry;
  const info: SpaceInfo = Object.freeze({ ...facts, forms: Object.freeze([...(entry.forms ?? ['we', 'ws'])]), heavy: entry.heavy ?? false, testOptions: { ...entry.testOptions } });
  registry.set(entry.name, { info, create });
}

export function hasSpace(name: string): boolean {
  return registry.has(name);
}

export function spaceNames(): string[] {
  return [...registry.keys()];
}

/** The facts of a registered space. */
export function getSpace(name: string): SpaceInfo {
  const e = registry.get(name);
  if (!e) throw new Error(`unknown space '${name}' (available: ${spaceNames().join(', ')}); a space from a plugin needs --plugin FILE`);
  return e.info;
}

export function createSpace(name: string, opts: SpaceOptions = {}): SearchSpace {
  const info = getSpace(name);
  const f = opts.form;
  if ((f === 'we' || f === 'ws') && !info.forms.includes(f)) throw new Error(`space '${name}' has no '${f}' form (forms: ${info.forms.join(', ')})`);
  return registry.get(name)!.create(opts);
}

export function listSpaces(): SpaceInfo[] {
  return [...registry.values()].map((e) => e.info);
}

/** Whether runs of a space are scored by loss (language models) rather than accuracy; unknown spaces count as accuracy. */
export function metricOf(space: unknown): Metric {
  return registry.get(String(space))?.info.metric ?? 'accuracy';
}

/** The task of a space (classification for an unregistered name, e.g. a plugin space read back without its plugin). */
export function taskOf(space: unknown): Task {
  return registry.get(String(space))?.info.task ?? 'classification';
}
