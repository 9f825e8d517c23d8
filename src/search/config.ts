// The search configuration: one flat, typed record (nanoGPT style) with every
// knob of every command. A config is resolved in layers: the preset, then a
// JSON/YAML file, then command-line overrides; every layer is checked against
// the schema, so an unknown key, a wrong type or an out-of-range value fails
// with a message that names the key, where it came from and what is allowed.
// This module must not load libtorch: the CLI reads `threads` from the config
// before the engine starts.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { getPreset, listPresets } from './presets.js';

export const SPACES = ['toy-cell', 'toy-conv-macro', 'lm-tiny', 'lm-small', 'lm-char', 'lm-paper'] as const;
/** Language-model spaces: token windows instead of images, loss and perplexity instead of accuracy. */
export const LM_SPACES: readonly string[] = ['lm-tiny', 'lm-small', 'lm-char', 'lm-paper'];
export const isLmSpace = (space: unknown): boolean => LM_SPACES.includes(String(space));
export const METHODS = ['darts', 'drnas', 'gdas', 'spos'] as const;
export const DATASETS = ['fashion-mnist', 'cifar10', 'tinyshakespeare', 'tinystories', 'synthetic'] as const;

export interface Config {
  // --- what is searched, and how
  space: (typeof SPACES)[number];
  /** The sampler: darts / drnas / gdas (single-stage) or spos (two-stage). */
  method: (typeof METHODS)[number];
  /** we: weight superposition (TangleNAS, Algorithm 1); ws: output mixture (Algorithm 4). */
  form: 'we' | 'ws';
  darts_order: 1 | 2;
  arch_preprocess: 'softmax' | 'sparsemax';
  drnas_reg: 'l2' | 'kl';
  drnas_reg_scale: number;
  gdas_tau_max: number;
  gdas_tau_min: number;
  // --- data
  dataset: (typeof DATASETS)[number];
  data_dir: string | null;
  train_portion: number;
  /** Text corpora: share at the end of the corpus held out as the test split. */
  test_fraction: number;
  /** Language models: context length (0 = the space's). */
  block_size: number;
  train_subset: number;
  test_subset: number;
  synthetic_train: number;
  synthetic_test: number;
  augment: boolean;
  loader_workers: 0 | 1;
  batch_size: number;
  eval_batch_size: number;
  // --- weights
  epochs: number;
  steps_per_epoch: number;
  optimizer: 'sgd' | 'adam' | 'adamw';
  lr: number;
  lr_min: number;
  lr_schedule: 'cosine' | 'constant';
  cosine_t_max: number;
  momentum: number;
  nesterov: boolean;
  weight_decay: number;
  adam_betas: [number, number];
  grad_clip: number;
  // --- architecture parameters
  arch_lr: number;
  arch_betas: [number, number];
  arch_weight_decay: number;
  // --- second stage (black-box search on a trained supernet)
  black_box: 'es' | 'rs';
  population: number;
  select: number;
  mutation: number;
  crossover: number;
  m_prob: number;
  generations: number;
  rs_iters: number;
  fitness_samples: number;
  black_box_budget_share: number;
  // --- evaluation
  eval_samples: number;
  bn_calibration_samples: number;
  benchmark_dir: string | null;
  /** Architecture to train or fine-tune: canonical JSON, a benchmark key, or a file. */
  arch: string | null;
  /** Trained supernet for black-box / finetune: a run directory or its supernet.safetensors. */
  supernet: string | null;
  // --- run control
  seed: number;
  threads: number;
  budget_minutes: number;
  budget_fit: boolean;
  /** What budget_minutes measures: wall time, or this process's CPU time (fair on a shared machine). */
  budget_clock: 'wall' | 'cpu';
  checkpoint_minutes: number;
  checkpoint_every_steps: number;
  log_every: number;
  run_dir: string | null;
}

export type ConfigKey = keyof Config;

type Type =
  | { t: 'int'; min: number; max?: number }
  | { t: 'num'; min: number; max?: number; minOpen?: boolean; maxOpen?: boolean }
  | { t: 'bool' }
  | { t: 'enum'; values: readonly (string | number)[] }
  | { t: 'str'; nullable: true }
  | { t: 'pair'; min: number; max: number };

interface KeySpec {
  type: Type;
  doc: string;
  /** May change when a run is resumed (it does not change the computation). */
  resumable?: boolean;
}

const int = (min: number, max?: number): Type => ({ t: 'int', min, max });
const num = (min: number, max?: number, o: { minOpen?: boolean; maxOpen?: boolean } = {}): Type => ({ t: 'num', min, max, ...o });
const bool: Type = { t: 'bool' };
const oneOf = (...values: (string | number)[]): Type => ({ t: 'enum', values });
const path: Type = { t: 'str', nullable: true };
const betas: Type = { t: 'pair', min: 0, max: 1 };

export const SCHEMA: Readonly<Record<ConfigKey, KeySpec>> = {
  space: { type: oneOf(...SPACES), doc: 'search space' },
  method: { type: oneOf(...METHODS), doc: 'architecture sampler: darts, drnas, gdas (single-stage) or spos (two-stage)' },
  form: { type: oneOf('we', 'ws'), doc: 'we = weight superposition (TangleNAS), ws = classic weight sharing (output mixture)' },
  darts_order: { type: oneOf(1, 2), doc: 'DARTS architect order: 1 (first order) or 2 (unrolled, second order)' },
  arch_preprocess: { type: oneOf('softmax', 'sparsemax'), doc: 'DARTS mixing weights: softmax, or sparsemax (the reference for DARTS-WE)' },
  drnas_reg: { type: oneOf('l2', 'kl'), doc: 'DrNAS regulariser: l2 (as the arch weight decay) or kl (KL to Dir(1))' },
  drnas_reg_scale: { type: num(0), doc: 'DrNAS regulariser scale' },
  gdas_tau_max: { type: num(0, undefined, { minOpen: true }), doc: 'GDAS temperature in the first epoch' },
  gdas_tau_min: { type: num(0, undefined, { minOpen: true }), doc: 'GDAS temperature in the last epoch' },
  dataset: { type: oneOf(...DATASETS), doc: 'fashion-mnist (toy-cell), cifar10 (toy-conv-macro), tinyshakespeare (character-level lm-* spaces), tinystories (GPT-2 BPE, lm-paper) or synthetic (generated in memory, for tests)' },
  data_dir: { type: path, doc: 'dataset directory (default: Debian package / cache / download); text datasets: the corpus file or its folder (default ../shared/data/<dataset>)', resumable: true },
  train_portion: { type: num(0, 1, { minOpen: true }), doc: 'share of the training set for the weights; the rest drives alpha (and the black-box fitness)' },
  test_fraction: { type: num(0, 1, { minOpen: true, maxOpen: true }), doc: 'text corpora: share at the end of the corpus held out as the test split (nanoGPT holds out 0.1)' },
  block_size: { type: int(0), doc: "language models: context length in tokens (0 = the space's)" },
  train_subset: { type: int(0), doc: 'use only the first N training images (0 = all)' },
  test_subset: { type: int(0), doc: 'use only the first N test images (0 = all)' },
  synthetic_train: { type: int(2), doc: 'training images of the synthetic dataset' },
  synthetic_test: { type: int(1), doc: 'test images of the synthetic dataset' },
  augment: { type: bool, doc: "use the dataset's training augmentation (CIFAR-10: crop + flip)" },
  loader_workers: { type: oneOf(0, 1), doc: 'data loader worker threads (0 or 1; identical batches either way)', resumable: true },
  batch_size: { type: int(1), doc: 'training batch size' },
  eval_batch_size: { type: int(1), doc: 'batch size of evaluation passes', resumable: true },
  epochs: { type: int(1), doc: 'epochs (the upper bound when budget_fit is on)' },
  steps_per_epoch: { type: int(0), doc: 'batches per epoch (0 = one pass over the weight split)' },
  optimizer: { type: oneOf('sgd', 'adam', 'adamw'), doc: 'weight optimizer (adamw: decoupled weight decay, the language models)' },
  lr: { type: num(0, undefined, { minOpen: true }), doc: 'weight learning rate' },
  lr_min: { type: num(0), doc: 'cosine floor (eta_min)' },
  lr_schedule: { type: oneOf('cosine', 'constant'), doc: 'per-epoch schedule of the weight learning rate' },
  cosine_t_max: { type: int(0), doc: 'cosine period in epochs (0 = epochs)' },
  momentum: { type: num(0, 1, { maxOpen: true }), doc: 'SGD momentum' },
  nesterov: { type: bool, doc: 'SGD Nesterov momentum' },
  weight_decay: { type: num(0), doc: 'weight decay of the weight optimizer (L2, also for Adam)' },
  adam_betas: { type: betas, doc: 'Adam betas of the weight optimizer' },
  grad_clip: { type: num(0), doc: 'gradient-norm clip of the weights (0 = off)' },
  arch_lr: { type: num(0, undefined, { minOpen: true }), doc: 'Adam learning rate of alpha' },
  arch_betas: { type: betas, doc: 'Adam betas of alpha' },
  arch_weight_decay: { type: num(0), doc: 'Adam weight decay of alpha (DrNAS l2 uses drnas_reg_scale instead)' },
  black_box: { type: oneOf('es', 'rs'), doc: 'second stage: es (evolutionary) or rs (random search)' },
  population: { type: int(1), doc: 'ES population size (RS: architectures per generation)' },
  select: { type: int(1), doc: 'ES top-k kept across generations' },
  mutation: { type: int(0), doc: 'ES mutants per generation' },
  crossover: { type: int(0), doc: 'ES crossover children per generation' },
  m_prob: { type: num(0, 1), doc: 'ES probability of resampling each gene when mutating' },
  generations: { type: int(1), doc: 'ES generations' },
  rs_iters: { type: int(1), doc: 'random-search architectures' },
  fitness_samples: { type: int(0), doc: 'validation images (language models: token windows) per black-box fitness evaluation (0 = the whole split)' },
  black_box_budget_share: { type: num(0, 1, { minOpen: true, maxOpen: true }), doc: 'share of budget_minutes for the black-box stage of a two-stage run' },
  eval_samples: { type: int(0), doc: 'validation images (language models: token windows) for the per-epoch evaluation (0 = the whole split)' },
  bn_calibration_samples: { type: int(0), doc: "training images that recompute BatchNorm statistics for a sub-network before it is evaluated with the supernet's weights (0 = use the supernet's running statistics)" },
  benchmark_dir: { type: path, doc: 'folder with toy_cell_bench.json / conv_macro_bench.json (default: $TANGLENAS_BENCH_DIR, ../shared/data/toy-bench)', resumable: true },
  arch: { type: path, doc: 'architecture for train / finetune: JSON {choice: value}, a benchmark key, or a file holding either (architecture.json works)' },
  supernet: { type: path, doc: 'trained supernet for black-box and finetune: a run directory or a supernet.safetensors file' },
  seed: { type: int(0, 2 ** 31 - 1), doc: 'random seed (libtorch, data order, black-box search)' },
  threads: { type: int(0), doc: 'intra-op threads (0 = TANGLENAS_THREADS or all cores)', resumable: true },
  budget_minutes: { type: num(0), doc: 'wall-clock budget of the run in minutes (0 = none); the run stops cleanly and can be resumed', resumable: true },
  budget_fit: { type: bool, doc: 'fit the epoch count to budget_minutes, measured on the first epoch' },
  budget_clock: { type: oneOf('wall', 'cpu'), doc: "what budget_minutes and time_s measure: 'wall' time, or the process's 'cpu' time (user + system, all threads): equal budgets on a shared machine; with threads=1 one CPU minute is about one quiet wall minute" },
  checkpoint_minutes: { type: num(0), doc: 'also checkpoint every N minutes within an epoch (0 = only at epoch ends)', resumable: true },
  checkpoint_every_steps: { type: int(0), doc: 'also checkpoint every N steps (0 = off)', resumable: true },
  log_every: { type: int(1), doc: 'steps between metric records and log lines', resumable: true },
  run_dir: { type: path, doc: 'run directory (default runs/<command>-<space>-<method>-<time>)' },
};

export const CONFIG_KEYS = Object.keys(SCHEMA) as ConfigKey[];

/** Layers without a value for every key (presets, files, overrides). */
export type PartialConfig = Partial<Record<ConfigKey, unknown>>;

/** What a config error says about where the value came from. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describe(t: Type): string {
  switch (t.t) {
    case 'int':
      return `an integer >= ${t.min}${t.max !== undefined ? ` and <= ${t.max}` : ''}`;
    case 'num': {
      const lo = `${t.minOpen ? '>' : '>='} ${t.min}`;
      return `a number ${lo}${t.max !== undefined ? ` and ${t.maxOpen ? '<' : '<='} ${t.max}` : ''}`;
    }
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${t.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'str':
      return 'a string (or null)';
    case 'pair':
      return `a pair [a, b] of numbers in [${t.min}, ${t.max})`;
  }
}

function inRange(v: number, t: { min: number; max?: number; minOpen?: boolean; maxOpen?: boolean }): boolean {
  if (!Number.isFinite(v)) return false;
  if (t.minOpen ? v <= t.min : v < t.min) return false;
  if (t.max !== undefined && (t.maxOpen ? v >= t.max : v > t.max)) return false;
  return true;
}

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

export function suggest(word: string, options: readonly string[]): string {
  const n = (s: string) => s.replace(/-/g, '_').toLowerCase();
  const w = n(word);
  const best = options.map((o) => [o, Math.min(distance(w, n(o)), n(o).includes(w) || w.includes(n(o)) ? 2 : 99)] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean '${best[0]}'?)` : '';
}

/** Checks one value; returns it normalised (e.g. an integer 1 for darts_order). */
export function checkValue(key: string, value: unknown, where: string): unknown {
  const spec = (SCHEMA as Record<string, KeySpec>)[key];
  if (!spec) throw new ConfigError(`unknown config key '${key}' ${where}${suggest(key, CONFIG_KEYS)}; run 'tanglenas config --keys' for the list`);
  const t = spec.type;
  const bad = (): never => {
    throw new ConfigError(`config key '${key}' ${where} must be ${describe(t)}, got ${JSON.stringify(value)} (${spec.doc})`);
  };
  switch (t.t) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || !inRange(value, t)) bad();
      return value;
    case 'num':
      if (typeof value !== 'number' || !inRange(value, t)) bad();
      return value;
    case 'bool':
      if (typeof value !== 'boolean') bad();
      return value;
    case 'enum':
      if (!t.values.includes(value as string | number)) bad();
      return value;
    case 'str':
      if (value !== null && (typeof value !== 'string' || value === '')) bad();
      return value;
    case 'pair': {
      if (!Array.isArray(value) || value.length !== 2 || value.some((v) => typeof v !== 'number' || !inRange(v, { min: t.min, max: t.max, maxOpen: true }))) bad();
      return [...(value as number[])];
    }
  }
}

/** Checks a layer (preset, file or overrides): every key known, every value valid. */
export function checkLayer(layer: PartialConfig, where: string): PartialConfig {
  if (layer === null || typeof layer !== 'object' || Array.isArray(layer)) throw new ConfigError(`the config ${where} must be a mapping of keys to values, got ${JSON.stringify(layer)}`);
  const out: PartialConfig = {};
  for (const [k, v] of Object.entries(layer)) out[k as ConfigKey] = checkValue(k, v, where);
  return out;
}

/** Parses a JSON or YAML config file. `preset` is the only key outside the schema. */
export function readConfigFile(file: string): { preset: string | null; values: PartialConfig } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`config file '${file}' ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`}; check the path given to --config`);
  }
  let data: unknown;
  const ext = extname(file).toLowerCase();
  try {
    // YAML 1.2 is a superset of JSON, but JSON files get JSON's stricter errors.
    data = ext === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    throw new ConfigError(`config file '${file}' is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`config file '${file}' must hold a mapping of keys to values (a flat config), got ${Array.isArray(data) ? 'a list' : typeof data}`);
  const { preset, ...rest } = data as Record<string, unknown>;
  if (preset !== undefined && typeof preset !== 'string') throw new ConfigError(`config key 'preset' in '${file}' must be a preset name such as 'toy-cell/tanglenas', got ${JSON.stringify(preset)}`);
  for (const [k, v] of Object.entries(rest)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) throw new ConfigError(`config key '${k}' in '${file}' holds a nested mapping; configs are flat (one key per setting, e.g. 'lr: 0.025')`);
  }
  return { preset: (preset as string | undefined) ?? null, values: checkLayer(rest, `in '${file}'`) };
}

/**
 * Parses a command-line value for a key: numbers, booleans, null, pairs
 * ("0.5,0.999" or "[0.5, 0.999]") and strings, then checks it.
 */
export function parseOverride(key: string, raw: string, flag: string): unknown {
  const spec = (SCHEMA as Record<string, KeySpec>)[key];
  if (!spec) throw new ConfigError(`unknown config key '${key}' in ${flag}${suggest(key, CONFIG_KEYS)}; run 'tanglenas config --keys' for the list`);
  const where = `in ${flag}`;
  const t = spec.type;
  const s = raw.trim();
  let v: unknown = s;
  if (t.t === 'int' || t.t === 'num') v = s === '' ? NaN : Number(s);
  else if (t.t === 'bool') v = s === 'true' || s === '1' || s === 'yes' ? true : s === 'false' || s === '0' || s === 'no' ? false : s;
  else if (t.t === 'enum') v = t.values.some((x) => typeof x === 'number') && s !== '' && !Number.isNaN(Number(s)) ? Number(s) : s;
  else if (t.t === 'str') v = s === 'null' || s === '' ? null : raw;
  else if (t.t === 'pair') v = s.replace(/^\[|\]$/g, '').split(',').map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (typeof v === 'number' && Number.isNaN(v)) {
    throw new ConfigError(`config key '${key}' ${where} must be ${describe(t)}, got '${raw}' (${spec.doc})`);
  }
  return checkValue(key, v, where);
}

/** Rules between keys; each message names the keys and the fix. */
export function checkConsistency(c: Config): void {
  const fail = (m: string): never => {
    throw new ConfigError(m);
  };
  if (c.gdas_tau_min > c.gdas_tau_max) fail(`gdas_tau_min (${c.gdas_tau_min}) must not exceed gdas_tau_max (${c.gdas_tau_max})`);
  if (c.darts_order === 2 && c.method !== 'darts') fail(`darts_order 2 (second order) applies to method 'darts' only, not '${c.method}'; set darts_order: 1`);
  if (c.nesterov && c.optimizer === 'sgd' && c.momentum <= 0) fail('nesterov: true needs momentum > 0; set momentum (e.g. 0.9) or nesterov: false');
  const lm = isLmSpace(c.space);
  const want = c.space === 'toy-cell' ? ['fashion-mnist'] : c.space === 'toy-conv-macro' ? ['cifar10'] : c.space === 'lm-paper' ? ['tinystories', 'tinyshakespeare'] : ['tinyshakespeare', 'tinystories'];
  if (c.dataset !== 'synthetic' && !want.includes(c.dataset)) fail(`space '${c.space}' takes ${lm ? 'a text corpus' : 'images'} (${want.join(' or ')}), but dataset is '${c.dataset}'; set dataset: ${want[0]} (or synthetic)`);
  if (!lm && c.block_size !== 0) fail(`block_size applies to the language-model spaces (${LM_SPACES.join(', ')}), not '${c.space}'; remove it`);
  if (lm && c.form === 'ws') fail(`space '${c.space}' has only the weight-superposition form; set form: we`);
  if (c.lr_schedule === 'cosine' && c.lr_min > c.lr) fail(`lr_min (${c.lr_min}) is above lr (${c.lr}); the cosine schedule would raise the learning rate`);
}

/** Which commands a method belongs to (checked when a command starts). */
export function checkMethodFor(command: 'search' | 'two-stage' | 'black-box' | 'train' | 'finetune', c: Config): void {
  if (command === 'search' && c.method === 'spos') throw new ConfigError(`method 'spos' trains a supernet without alpha; use 'tanglenas two-stage' (or a single-stage method: darts, drnas, gdas)`);
  if ((command === 'two-stage' || command === 'black-box') && c.method !== 'spos') throw new ConfigError(`'tanglenas ${command}' trains and searches an SPOS supernet; method must be 'spos', got '${c.method}' (use a spos-es or spos-rs preset, or --set method=spos)`);
  if ((command === 'train' || command === 'finetune') && c.arch === null) throw new ConfigError(`'tanglenas ${command}' needs an architecture: --arch '<JSON or benchmark key>', --arch FILE, or --from RUN_DIR`);
  if ((command === 'black-box' || command === 'finetune') && c.supernet === null) throw new ConfigError(`'tanglenas ${command}' needs a trained supernet: --supernet RUN_DIR (or --from RUN_DIR)`);
}

export interface ResolveOptions {
  /** Preset name, e.g. 'toy-cell/tanglenas'. */
  preset?: string | null;
  /** JSON or YAML file. */
  file?: string | null;
  /** Command-line overrides, already checked (parseOverride). */
  overrides?: PartialConfig;
  /** The command's default preset when neither the flag nor the file names one. */
  defaultPreset: string;
}

/** preset < file < overrides; every key must end up with a valid value. */
export function resolveConfig(o: ResolveOptions): { config: Config; preset: string } {
  const fromFile = o.file ? readConfigFile(o.file) : { preset: null, values: {} };
  const presetName = o.preset ?? fromFile.preset ?? o.defaultPreset;
  const preset = getPreset(presetName);
  if (!preset) throw new ConfigError(`unknown preset '${presetName}'${suggest(presetName, listPresets().map((p) => p.name))}; run 'tanglenas presets' for the list`);
  const merged = { ...checkLayer(preset.values, `in preset '${presetName}'`), ...fromFile.values, ...(o.overrides ?? {}) } as PartialConfig;
  const missing = CONFIG_KEYS.filter((k) => merged[k] === undefined);
  if (missing.length) throw new ConfigError(`preset '${presetName}' leaves config keys unset: ${missing.join(', ')}`);
  const config = merged as unknown as Config;
  checkConsistency(config);
  return { config, preset: presetName };
}

/** Checks a complete config read back from a run directory (config.json). */
/** Keys added after runs were written, with the value that reproduces those runs. */
const LATER_KEYS: Partial<Config> = { budget_clock: 'wall', test_fraction: 0.1, block_size: 0 };

export function checkFullConfig(data: unknown, where: string): Config {
  const c = checkLayer({ ...LATER_KEYS, ...(data as PartialConfig) }, where);
  const missing = CONFIG_KEYS.filter((k) => c[k] === undefined);
  if (missing.length) throw new ConfigError(`the config ${where} misses keys ${missing.join(', ')}; it was written by another version, start a new run`);
  checkConsistency(c as unknown as Config);
  return c as unknown as Config;
}

/** The keys a resumed run may change, with the others fixed by the run. */
export function checkResumeOverrides(o: PartialConfig): void {
  for (const k of Object.keys(o) as ConfigKey[]) {
    if (!SCHEMA[k].resumable) {
      const ok = CONFIG_KEYS.filter((x) => SCHEMA[x].resumable).join(', ');
      throw new ConfigError(`'${k}' cannot change when resuming (it would change the run's computation); start a new run instead. Keys a resume may change: ${ok}`);
    }
  }
}

/** Lines for `tanglenas config --keys`. */
export function describeKeys(): string[] {
  return CONFIG_KEYS.map((k) => `${k.padEnd(24)} ${describe(SCHEMA[k].type).padEnd(44)} ${SCHEMA[k].doc}`);
}
