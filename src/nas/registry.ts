// The space registry. An entry owns every fact about its space: the task, the
// datasets it takes, its input, tokenizer, tabular benchmark, metric, forms and
// training recipes. Config validation, dataset choice, benchmark lookup,
// presets, reports and CLI help read these facts, so a new space is one file
// that calls registerSpace (plus its import in spaces/index.ts, or a plugin).
// This module holds data only; creating a space is what loads libtorch.
import type { SearchSpace, SpaceForm, SpaceOptions } from './space.js';
import { conform, describeType, type OptionSpec } from './options.js';

export type Task = 'classification' | 'language-model';
/** What the search and the reports optimise and print: accuracy (higher is better) or loss (lower). */
export type Metric = 'accuracy' | 'loss';
/** Flat config values (checked against the schema when the presets are built). */
export type ConfigValues = Readonly<Record<string, unknown>>;

export interface BenchmarkInfo {
  /** The table's file name, looked for in benchmark_dir, $TANGLENAS_BENCH_DIR, then ../shared/data/<dir>. */
  file: string;
  /** The `space` field the file declares (a table of another space is rejected; JSON tables only). */
  id: string;
  /** The metric the table holds per architecture. */
  metric: Metric;
  /** Columns a lookup reports, the primary one first (rank, optimum, any-time curve): the toy tables' test_acc, train_acc. */
  columns: readonly string[];
  /**
   * json (default): the toy tables, {space, entries: [{key, test_acc, ...}], optimum}.
   * csv: a header row, then one architecture per row, its key in column `arch` (NAS-Bench-201's CSV).
   */
  format?: 'json' | 'csv';
  /** The folder under ../shared/data holding the file when no path is given (default toy-bench). */
  dir?: string;
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
  /**
   * The space's own config keys (like a sampler's): option name -> its flat
   * config key, type, default and help. They join the config schema; a run
   * passes their values to `create` by option name (createSpace fills in the
   * defaults and rejects unknown names and wrong types).
   */
  options?: Readonly<Record<string, OptionSpec>>;
  /** Rules between its options, checked with the config (throw an Error naming the config keys). */
  check?(opts: SpaceOptions): void;
  create(opts: SpaceOptions): SearchSpace;
}

/** An entry as the registry hands it out: defaults filled in, no factory. */
export type SpaceInfo = Omit<Required<SpaceEntry>, 'create' | 'check' | 'inputShape' | 'tokenizer' | 'benchmark'> & Pick<SpaceEntry, 'check' | 'inputShape' | 'tokenizer' | 'benchmark'>;

const registry = new Map<string, { info: SpaceInfo; create: SpaceEntry['create'] }>();

/** Options every space takes (from the data and the form); a space's own options come from its entry. */
const COMMON_OPTIONS = new Set(['form', 'vocabSize', 'blockSize', 'numClasses']);

export function registerSpace(entry: SpaceEntry): void {
  if (registry.has(entry.name)) throw new Error(`space '${entry.name}' is already registered; choose another name`);
  if (!entry.datasets.length) throw new Error(`space '${entry.name}': datasets must name at least its default dataset`);
  for (const [opt, spec] of Object.entries(entry.options ?? {})) {
    if (COMMON_OPTIONS.has(opt)) throw new Error(`space '${entry.name}': option '${opt}' is one every space takes; rename it`);
    if (!conform(spec.type, spec.default).ok) throw new Error(`space '${entry.name}': the default of option '${opt}' (${JSON.stringify(spec.default)}) is not ${describeType(spec.type)}`);
  }
  const { create, ...facts } = entry;
  const info: SpaceInfo = Object.freeze({ ...facts, forms: Object.freeze([...(entry.forms ?? ['we', 'ws'])]), heavy: entry.heavy ?? false, testOptions: { ...entry.testOptions }, options: Object.freeze({ ...entry.options }) });
  registry.set(entry.name, { info, create });
}

/**
 * A space's options checked against its entry, with the defaults of those not
 * given: unknown names and values of the wrong type fail with the config key.
 */
export function resolveSpaceOptions(name: string, opts: SpaceOptions = {}): SpaceOptions {
  const info = getSpace(name);
  const out: SpaceOptions = {};
  for (const [opt, spec] of Object.entries(info.options)) out[opt] = spec.default;
  for (const [opt, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    if (COMMON_OPTIONS.has(opt)) {
      out[opt] = v;
      continue;
    }
    const spec = info.options[opt];
    if (!spec) throw new Error(`space '${name}': unknown option '${opt}' (its options: ${Object.keys(info.options).join(', ') || 'none'})`);
    const r = conform(spec.type, v);
    if (!r.ok) throw new Error(`space '${name}': option '${opt}' (config key ${spec.key}) must be ${describeType(spec.type)}, got ${JSON.stringify(v)}`);
    out[opt] = r.value;
  }
  return out;
}

/** A space's options read from a flat config, by the config keys its entry declares. */
export function spaceOptionsFrom(name: string, config: Readonly<Record<string, unknown>>): SpaceOptions {
  return Object.fromEntries(Object.entries(getSpace(name).options).map(([opt, spec]) => [opt, config[spec.key]]));
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
  const resolved = resolveSpaceOptions(name, opts);
  info.check?.(resolved);
  return registry.get(name)!.create(resolved);
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
