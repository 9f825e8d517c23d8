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
// The built-in spaces and samplers register on import (no libtorch is loaded).
import '../spaces/index.js';
import '../nas/samplers/index.js';
import { datasetNames, getDataset } from '../data/registry.js';
import { bool, betas, conform, describeType, device, enumValues, int, num, oneOf, path, paths, registered, type ValueType } from '../nas/options.js';
import { parseConstraint } from '../nas/constraint.js';
import { getSpace, listSpaces, metricOf, spaceNames, spaceOptionsFrom } from '../nas/registry.js';
import { getSampler, listSamplers, samplerNames, samplerOptionsFrom } from '../nas/samplers/sampler.js';

export interface Config {
  // --- what is searched, and how
  /** A registered space ('tanglenas spaces'). */
  space: string;
  /** A registered sampler: darts / drnas / gdas (single-stage), spos (two-stage), or a plugin's. */
  method: string;
  /** we: weight superposition (TangleNAS, Algorithm 1); ws: output mixture (Algorithm 4). */
  form: 'we' | 'ws';
  darts_order: 1 | 2;
  // Keys of the built-in samplers (declared by their registry entries).
  arch_preprocess: 'softmax' | 'sparsemax';
  drnas_reg: 'l2' | 'kl';
  drnas_reg_scale: number;
  gdas_tau_max: number;
  gdas_tau_min: number;
  /** ES modules that register spaces, samplers or datasets; loaded before the rest is checked. */
  plugins: string[];
  // --- data
  /** A registered dataset ('tanglenas datasets'). */
  dataset: string;
  /** Text datasets: 'auto' (the space's), 'char' or 'gpt2' (BPE). */
  tokenizer: 'auto' | 'char' | 'gpt2';
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
  /** Cutout on the weight-training batches: the side of the zeroed square (0 = off; DARTS retraining: 16). */
  cutout_length: number;
  /** Weight-training batches (src/data/batch-augment.ts): timm's RandAugment, random erasing, mixup / cutmix, label smoothing. */
  randaugment: number;
  randaugment_magnitude: number;
  randaugment_mstd: number;
  random_erase: number;
  mixup: number;
  cutmix: number;
  label_smoothing: number;
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
  warmup_epochs: number;
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
  constraints: string[];
  constraint_lr: number;
  pareto: boolean;
  pareto_metric: 'params' | 'flops';
  pareto_strength: number;
  pareto_points: number;
  // --- second stage (black-box search on a trained supernet)
  black_box: 'es' | 'rs' | 'nsga2';
  population: number;
  select: number;
  mutation: number;
  crossover: number;
  m_prob: number;
  s_prob: number;
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
  device: string;
  precision: 'fp32' | 'tf32' | 'bf16';
  data_on_device: boolean;
  arch_warmup: number;
  prune_below: number;
  dist_draws: 'shared' | 'independent';
  sync_bn: boolean;
  dist_bucket_mb: number;
  arch_update: 'alternating' | 'simultaneous';
  budget_minutes: number;
  budget_fit: boolean;
  lr_fit: 'off' | 'sqrt';
  weight_init: 'torch' | 'he';
  lr_fit_max: number;
  /** What budget_minutes measures: wall time, or this process's CPU time (fair on a shared machine). */
  budget_clock: 'wall' | 'cpu';
  checkpoint_minutes: number;
  checkpoint_every_steps: number;
  log_every: number;
  run_dir: string | null;
}

export type ConfigKey = keyof Config;

interface KeySpec {
  type: ValueType;
  doc: string;
  /** May change when a run is resumed (it does not change the computation). */
  resumable?: boolean;
}

/** The keys every run has; samplers add theirs (schema()). */
const CORE: Readonly<Record<string, KeySpec>> = {
  space: { type: registered(spaceNames), doc: "search space ('tanglenas spaces')" },
  method: { type: registered(samplerNames), doc: "architecture sampler ('tanglenas samplers'): darts, drnas, gdas (single-stage) or spos (two-stage)" },
  form: { type: oneOf('we', 'ws'), doc: 'we = weight superposition (TangleNAS), ws = classic weight sharing (output mixture)' },
  darts_order: { type: oneOf(1, 2), doc: 'DARTS architect order: 1 (first order) or 2 (unrolled, second order)' },
  plugins: { type: paths, doc: 'ES modules (.js/.mjs) that register spaces, samplers or datasets (--plugin FILE, repeatable)', resumable: true },
  dataset: { type: registered(datasetNames), doc: "dataset ('tanglenas datasets'): the space's default, another of its kind, text (your corpus, --data PATH) or synthetic (generated in memory, for tests)" },
  tokenizer: { type: oneOf('auto', 'char', 'gpt2'), doc: "text datasets: auto (the space's tokenizer), char (characters of the corpus) or gpt2 (GPT-2 BPE)" },
  data_dir: { type: path, doc: 'dataset directory (default: Debian package / cache / download); text datasets: the corpus file or its folder (--data; default ../shared/data/<dataset>)', resumable: true },
  train_portion: { type: num(0, 1, { minOpen: true }), doc: 'share of the training set for the weights; the rest drives alpha (and the black-box fitness)' },
  test_fraction: { type: num(0, 1, { minOpen: true, maxOpen: true }), doc: 'text corpora: share at the end of the corpus held out as the test split (nanoGPT holds out 0.1)' },
  block_size: { type: int(0), doc: "language models: context length in tokens (0 = the space's)" },
  train_subset: { type: int(0), doc: 'use only the first N training images (0 = all)' },
  test_subset: { type: int(0), doc: 'use only the first N test images (0 = all)' },
  synthetic_train: { type: int(2), doc: 'training images of the synthetic dataset' },
  synthetic_test: { type: int(1), doc: 'test images of the synthetic dataset' },
  augment: { type: bool, doc: "use the dataset's training augmentation (CIFAR-10: crop + flip)" },
  cutout_length: { type: int(0), doc: "cutout on the weight-training batches (DeVries & Taylor; DARTS's Cutout): per image a length x length square around a random pixel, clipped at the borders, is zeroed after normalisation (0 = off; DARTS retraining: 16)" },
  randaugment: { type: int(0), doc: "RandAugment on the weight-training images (timm's rand-m9-mstd0.5-inc1, on the batch): operations per image, each applied with probability 0.5 (0 = off; AutoFormer: 2)" },
  randaugment_magnitude: { type: num(0, 10), doc: 'RandAugment magnitude of 10 (AutoFormer: 9)' },
  randaugment_mstd: { type: num(0), doc: 'RandAugment: standard deviation of the magnitude, drawn per application (AutoFormer: 0.5)' },
  random_erase: { type: num(0, 1), doc: "random erasing of the weight-training images (timm's RandomErasing, per-pixel noise): probability per image (0 = off; AutoFormer: 0.25)" },
  mixup: { type: num(0), doc: 'mixup on the weight-training batches: Beta(alpha, alpha) of the mixing weight (0 = off; AutoFormer: 0.8); the loss takes the mixed labels' },
  cutmix: { type: num(0), doc: 'cutmix on the weight-training batches: Beta(alpha, alpha) (0 = off; AutoFormer: 1); with mixup too, one of the two per batch, 50/50' },
  label_smoothing: { type: num(0, 1, { maxOpen: true }), doc: 'label smoothing of the weight-training loss (0 = off; AutoFormer: 0.1)' },
  loader_workers: { type: oneOf(0, 1), doc: 'data loader worker threads (0 or 1; identical batches either way)', resumable: true },
  batch_size: { type: int(1), doc: 'training batch size' },
  eval_batch_size: { type: int(1), doc: 'batch size of evaluation passes', resumable: true },
  epochs: { type: int(1), doc: 'epochs (the upper bound when budget_fit is on)' },
  steps_per_epoch: { type: int(0), doc: 'batches per epoch (0 = one pass over the weight split)' },
  optimizer: { type: oneOf('sgd', 'adam', 'adamw'), doc: 'weight optimizer (adamw: decoupled weight decay, the language models)' },
  lr: { type: num(0, undefined, { minOpen: true }), doc: 'weight learning rate' },
  lr_min: { type: num(0), doc: 'cosine floor (eta_min)' },
  lr_schedule: { type: oneOf('cosine', 'constant'), doc: 'per-epoch schedule of the weight learning rate' },
  warmup_epochs: { type: int(0), doc: 'weight learning rate rises linearly from 1e-6 to lr over these first epochs, then follows lr_schedule (timm; AutoFormer: 20 of 500)' },
  cosine_t_max: { type: int(0), doc: 'cosine period in epochs (0 = epochs)' },
  momentum: { type: num(0, 1, { maxOpen: true }), doc: 'SGD momentum' },
  nesterov: { type: bool, doc: 'SGD Nesterov momentum' },
  weight_decay: { type: num(0), doc: 'weight decay of the weight optimizer (L2, also for Adam)' },
  adam_betas: { type: betas, doc: 'Adam betas of the weight optimizer' },
  grad_clip: { type: num(0), doc: 'gradient-norm clip of the weights (0 = off)' },
  arch_lr: { type: num(0, undefined, { minOpen: true }), doc: 'Adam learning rate of alpha' },
  arch_betas: { type: betas, doc: 'Adam betas of alpha' },
  arch_weight_decay: { type: num(0), doc: 'Adam weight decay of alpha (DrNAS l2 uses drnas_reg_scale instead)' },
  constraints: { type: paths, doc: "upper bounds on the architecture found, e.g. 'params <= 200k' or 'flops <= 5M' (several: comma-separated on --set, a list in a config file): single-stage searches add a penalty with dual-ascent multipliers to the arch loss, two-stage searches reject candidates over a bound; the result records each bound and whether it holds" },
  constraint_lr: { type: num(0, undefined, { minOpen: true }), doc: 'dual-ascent step of the constraint multipliers per arch step (their penalty is lambda x expected cost / bound)' },
  arch_update: { type: oneOf('alternating', 'simultaneous'), doc: "single-stage: 'alternating' (the paper's bi-level step: alpha on a validation batch, then the weights on a training batch under a new sample) or 'simultaneous' (the reference's MobileNetV3 default: one training batch, one backward for weights and alpha)" },
  dist_draws: { type: oneOf('shared', 'independent'), doc: "data-parallel runs: 'shared' (every rank draws the same architecture sample and dropout masks each step, so the run equals one process on the global batch) or 'independent' (each rank draws its own DrNAS mixture, GDAS sample or SPOS path, from a seed of (seed, rank, step): the averaged gradient averages world-size draws, no longer the one-process run); one process: no effect" },
  sync_bn: { type: bool, doc: "data-parallel runs: BatchNorm in training mode normalises by the statistics of the global batch (PyTorch's SyncBatchNorm: one differentiable allreduce per BatchNorm and step), so a run with BatchNorm equals the one-process run; false = each rank's share (DDP's default). One process: no effect" },
  dist_bucket_mb: { type: num(0, 4096), doc: "data-parallel runs: the weights' gradients are averaged in buckets of at most this many MB, each reduced while the backward pass goes on (DDP's bucket_cap_mb; the first bucket at most 1 MB); 0 = one bucket, reduced after the pass. Does not change the result, only when communication happens" },
  arch_warmup: { type: num(0, 1, { maxOpen: true }), doc: "single-stage: the first share of the planned steps (budget_fit's plan included) trains only the weights, sampling sub-networks from alpha as it starts (near uniform); then the bi-level steps begin. 0 = off (the paper's setting)" },
  prune_below: { type: num(0, 1, { maxOpen: true }), doc: "single-stage, DrNAS or DARTS with softmax: progressive pruning. At each epoch end after arch_warmup, an option whose softmax(alpha) over its choice's live options is under prune_below / (live options) leaves the search (never a choice's argmax): later draws give it weight 0 (the sampler restricted to the live options, renormalised), weight-sharing mixtures and cell groups stop running it (cheaper steps; an entangled op keeps its largest box), the result is the argmax over the live options. 0 = off (the paper's setting)" },
  pareto: { type: bool, doc: 'single-stage: condition alpha on a cost preference t (alpha = base - t * pareto_strength * each option\'s relative extra cost, a fresh t in [0, 1) each step, base learned from accuracy alone) and, after the search, sweep t for a front of architectures (pareto.json): accuracy against pareto_metric from one search' },
  pareto_metric: { type: oneOf('params', 'flops'), doc: 'the cost of the Pareto front' },
  pareto_strength: { type: num(0, undefined, { minOpen: true }), doc: "lambda at t = 1: how far the training preferences push alpha towards cheaper options (options' extra costs are relative to the span from the smallest to the largest architecture)" },
  pareto_points: { type: int(2), doc: 'at most this many distinct architectures of the sweep after a Pareto search are scored (evenly spread over it)' },
  black_box: { type: oneOf('es', 'rs', 'nsga2'), doc: 'second stage: es (evolutionary), rs (random search) or nsga2 (multi-objective evolution: supernet accuracy vs pareto_metric, writes pareto.json; population, select, mutation, crossover, m_prob, generations as for es)' },
  population: { type: int(1), doc: 'ES population size (RS: architectures per generation)' },
  select: { type: int(1), doc: 'ES top-k kept across generations' },
  mutation: { type: int(0), doc: 'ES mutants per generation' },
  crossover: { type: int(0), doc: 'ES crossover children per generation' },
  m_prob: { type: num(0, 1), doc: 'ES probability of resampling each gene when mutating' },
  s_prob: { type: num(0, 1), doc: "ES probability of resampling a structural gene (a transformer's depth and embedding width) when mutating (AutoFormer: 0.4)" },
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
  precision: { type: oneOf('fp32', 'tf32', 'bf16'), doc: "arithmetic of the run: 'fp32' (float32 everywhere; TF32 off, also in cuDNN convolutions), 'tf32' (TF32 tensor cores for float32 matmuls and convolutions on GPUs; the CPU is unchanged) or 'bf16' (autocast: convolutions and matmuls in bfloat16, float32 weights, alphas and optimizer state)" },
  data_on_device: { type: bool, doc: "image datasets: hold the splits on the run's device (uint8) and crop, flip and cut out there, the same batches as the loader's CPU path (for GPUs: no per-batch host copies; the worker thread is not used)", resumable: true },
  device: { type: device, doc: "where the run computes: 'auto' (a GPU when the addon has CUDA and one is visible, else the CPU), 'cpu', 'cuda' or 'cuda:N'; checkpoints are device-independent, so a run can resume on another device", resumable: true },
  budget_minutes: { type: num(0), doc: 'wall-clock budget of the run in minutes (0 = none); the run stops cleanly and can be resumed', resumable: true },
  budget_fit: { type: bool, doc: 'fit the epoch count to budget_minutes: planned after the first epoch, re-planned after every epoch from the mean epoch time so far (the cosine schedule stretches with it)' },
  lr_fit: { type: oneOf('off', 'sqrt'), doc: "fit the learning rates to the steps a run gets: after epoch 0 (budget_fit's first plan), lr, lr_min and arch_lr are multiplied by min(lr_fit_max, sqrt(reference steps / planned steps)), the reference being epochs x one pass over the weight split (the preset's schedule); epoch 0 runs at the unscaled rates (a warm-up). The same rule for every method; 'off' = the paper's rates" },
  weight_init: { type: oneOf('torch', 'he'), doc: "initial weights of the supernet's (and a network trained from scratch's) convolutions and linear layers: 'torch' (PyTorch's default, the paper's) or 'he' (N(0, 2 / fan_in), zero bias: a ReLU stack without normalisation leaves the ln(C) plateau in its first steps instead of its first hundreds)" },
  lr_fit_max: { type: num(1), doc: 'upper bound of the lr_fit factor' },
  budget_clock: { type: oneOf('wall', 'cpu'), doc: "what budget_minutes and time_s measure: 'wall' time, or the process's 'cpu' time (user + system, all threads): equal budgets on a shared machine; with threads=1 one CPU minute is about one quiet wall minute" },
  checkpoint_minutes: { type: num(0), doc: 'also checkpoint every N minutes within an epoch (0 = only at epoch ends)', resumable: true },
  checkpoint_every_steps: { type: int(0), doc: 'also checkpoint every N steps (0 = off)', resumable: true },
  log_every: { type: int(1), doc: 'steps between metric records and log lines', resumable: true },
  run_dir: { type: path, doc: 'run directory (default runs/<command>-<space>-<method>-<time>)' },
};

/** The schema now: the core keys and those of every registered sampler and space. */
export function schema(): Readonly<Record<string, KeySpec>> {
  const out: Record<string, KeySpec> = { ...CORE };
  const owner: Record<string, string> = {};
  const declare = (who: string, o: { key: string; type: ValueType; doc: string }) => {
    const had = out[o.key];
    if (had && (CORE[o.key] || JSON.stringify(had.type) !== JSON.stringify(o.type))) throw new Error(`${who} declares config key '${o.key}', which ${CORE[o.key] ? 'is a core key' : `${owner[o.key]} declares with another type`}; rename its option's key`);
    // A key several spaces declare (same type) keeps the first doc and names every owner.
    out[o.key] = had ? { ...had, doc: had.doc.replace(/\)$/, `, ${who})`) } : { type: o.type, doc: `${o.doc} (${who})` };
    owner[o.key] ??= who;
  };
  for (const smp of listSamplers()) for (const o of Object.values(smp.options)) declare(`sampler ${smp.name}`, o);
  for (const sp of listSpaces()) for (const o of Object.values(sp.options)) declare(`space ${sp.name}`, o);
  return out;
}

/** Every config key, for the registered samplers and spaces. */
export function configKeys(): string[] {
  return Object.keys(schema());
}

/** Default values of the registered samplers' keys (a layer under every preset). */
export function samplerDefaults(): PartialConfig {
  return Object.fromEntries(listSamplers().flatMap((smp) => Object.values(smp.options).map((o) => [o.key, o.default])));
}

/**
 * Default values of the registered spaces' keys (a layer under every preset):
 * every config holds every key; where several spaces declare one, `space`'s
 * own default wins.
 */
export function spaceDefaults(space?: string): PartialConfig {
  const all = listSpaces();
  const mine = all.filter((s) => s.name === space);
  return Object.fromEntries([...all.filter((s) => s.name !== space), ...mine].flatMap((s) => Object.values(s.options).map((o) => [o.key, o.default])));
}

/** Layers without a value for every key (presets, files, overrides). */
export type PartialConfig = Partial<Record<ConfigKey, unknown>>;

/** What a config error says about where the value came from. */
export class ConfigError extends Error {
  override name = 'ConfigError';
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
  const keys = schema();
  const spec = keys[key];
  if (!spec) throw new ConfigError(`unknown config key '${key}' ${where}${suggest(key, Object.keys(keys))}; run 'tanglenas config --keys' for the list`);
  const r = conform(spec.type, value);
  if (!r.ok) throw new ConfigError(`config key '${key}' ${where} must be ${describeType(spec.type)}, got ${JSON.stringify(value)} (${spec.doc})`);
  return r.value;
}

/** Checks a layer (preset, file or overrides): every key known, every value valid. */
export function checkLayer(layer: PartialConfig, where: string): PartialConfig {
  if (layer === null || typeof layer !== 'object' || Array.isArray(layer)) throw new ConfigError(`the config ${where} must be a mapping of keys to values, got ${JSON.stringify(layer)}`);
  const out: PartialConfig = {};
  for (const [k, v] of Object.entries(layer)) out[k as ConfigKey] = checkValue(k, v, where);
  return out;
}

/** A config file's mapping, parsed but not checked. */
function readRawConfigFile(file: string): Record<string, unknown> {
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
  return data as Record<string, unknown>;
}

/** The plugins a config file names (loaded before the rest of the file is checked: its space may be a plugin's). */
export function pluginsInConfigFile(file: string): string[] {
  const v = readRawConfigFile(file).plugins;
  return checkValue('plugins', v ?? [], `in '${file}'`) as string[];
}

/** Parses a JSON or YAML config file. `preset` is the only key outside the schema. */
export function readConfigFile(file: string): { preset: string | null; values: PartialConfig } {
  const { preset, ...rest } = readRawConfigFile(file);
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
  const keys = schema();
  const spec = keys[key];
  if (!spec) throw new ConfigError(`unknown config key '${key}' in ${flag}${suggest(key, Object.keys(keys))}; run 'tanglenas config --keys' for the list`);
  const where = `in ${flag}`;
  const t = spec.type;
  const s = raw.trim();
  let v: unknown = s;
  if (t.t === 'int' || t.t === 'num') v = s === '' ? NaN : Number(s);
  else if (t.t === 'bool') v = s === 'true' || s === '1' || s === 'yes' ? true : s === 'false' || s === '0' || s === 'no' ? false : s;
  else if (t.t === 'enum') v = enumValues(t).some((x) => typeof x === 'number') && s !== '' && !Number.isNaN(Number(s)) ? Number(s) : s;
  else if (t.t === 'str') v = s === 'null' || s === '' ? null : raw;
  else if (t.t === 'pair') v = s.replace(/^\[|\]$/g, '').split(',').map((p) => (p.trim() === '' ? NaN : Number(p)));
  else if (t.t === 'list') v = s === '' ? [] : s.split(',').map((p) => p.trim());
  if (typeof v === 'number' && Number.isNaN(v)) {
    throw new ConfigError(`config key '${key}' ${where} must be ${describeType(t)}, got '${raw}' (${spec.doc})`);
  }
  return checkValue(key, v, where);
}

/** Rules between keys; each message names the keys and the fix. */
export function checkConsistency(c: Config): void {
  const fail = (m: string): never => {
    throw new ConfigError(m);
  };
  const sampler = getSampler(c.method);
  // Every sampler's keys are in every config, so each is checked, whichever sampler runs.
  for (const smp of listSamplers()) {
    try {
      smp.check?.(samplerOptionsFrom(smp.name, c as unknown as Record<string, unknown>));
    } catch (e) {
      fail((e as Error).message);
    }
  }
  // A space's rules apply to the runs of that space.
  try {
    getSpace(c.space).check?.(spaceOptionsFrom(c.space, c as unknown as Record<string, unknown>));
  } catch (e) {
    fail((e as Error).message);
  }
  if (c.darts_order === 2 && !sampler.secondOrder) fail(`darts_order 2 (second order) applies to method ${listSamplers().filter((x) => x.secondOrder).map((x) => `'${x.name}'`).join(' or ')} only, not '${c.method}'; set darts_order: 1`);
  for (const k of c.constraints) {
    try {
      parseConstraint(k);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  if (c.pareto && sampler.stage !== 'single-stage') fail(`pareto: true needs a single-stage method (it conditions alpha on a preference), not '${c.method}'; a two-stage search can run one constrained black-box stage per bound instead`);
  if ((c.pareto || (c.black_box === 'nsga2' && sampler.stage === 'two-stage')) && metricOf(c.space) === 'loss') fail(`Pareto fronts (pareto: true, black_box: nsga2) trade accuracy against cost; '${c.space}' is scored by loss; remove them`);
  if (c.prune_below > 0) {
    const ok = listSamplers().filter((x) => x.prunable).map((x) => `'${x.name}'`).join(', ');
    const why = sampler.prunable ? sampler.prunable(samplerOptionsFrom(c.method, c as unknown as Record<string, unknown>)) : `it is not one of ${ok}, whose draws restricted to the live options are the method on those options; set prune_below: 0`;
    if (why !== null) fail(`prune_below does not apply to method '${c.method}': ${why}`);
    if (c.pareto) fail('prune_below and pareto: true do not combine (the sweep spans every option); set prune_below: 0');
  }
  if (c.pareto && c.constraints.length) fail('pareto: true and constraints do not combine (a front spans every cost); remove one of them');
  if (c.nesterov && c.optimizer === 'sgd' && c.momentum <= 0) fail('nesterov: true needs momentum > 0; set momentum (e.g. 0.9) or nesterov: false');
  const space = getSpace(c.space);
  const lm = space.task === 'language-model';
  const ds = getDataset(c.dataset);
  const sameShape = ds.kind === 'image' && JSON.stringify([ds.info.channels, ds.info.height, ds.info.width]) === JSON.stringify(space.inputShape);
  const fits = ds.kind === 'synthetic' || space.datasets.includes(c.dataset) || (lm ? ds.kind === 'text' : sameShape);
  if (!fits) fail(`space '${c.space}' takes ${lm ? 'a text corpus' : 'images'} (${space.datasets.join(' or ')}), but dataset is '${c.dataset}'; set dataset: ${space.datasets[0]} (or synthetic)`);
  if (!lm && c.block_size !== 0) fail(`block_size applies to the language-model spaces (${listSpaces().filter((x) => x.task === 'language-model').map((x) => x.name).join(', ')}), not '${c.space}'; remove it`);
  if (lm && c.cutout_length !== 0) fail(`cutout_length applies to image datasets, not the language model '${c.space}'; set cutout_length: 0`);
  for (const k of ['randaugment', 'random_erase', 'mixup', 'cutmix', 'label_smoothing'] as const) {
    if (lm && c[k] !== 0) fail(`${k} applies to image classification, not the language model '${c.space}'; set ${k}: 0`);
  }
  if (c.arch_update === 'simultaneous' && c.darts_order === 2) fail("arch_update: simultaneous takes one backward for weights and alpha, which a second-order (unrolled) step cannot; set darts_order: 1 or arch_update: alternating");
  if (c.sync_bn && c.precision === 'bf16') fail("sync_bn sums BatchNorm statistics in the activations' dtype, which bf16 would round; use precision: fp32 or tf32 with sync_bn, or sync_bn: false");
  if (c.warmup_epochs >= c.epochs) fail(`warmup_epochs (${c.warmup_epochs}) must be below epochs (${c.epochs}); the learning rate would never reach lr`);
  if (!lm && c.tokenizer !== 'auto') fail(`tokenizer applies to text datasets of the language-model spaces, not '${c.space}'; remove it`);
  if (!space.forms.includes(c.form)) fail(`space '${c.space}' has only the ${space.forms.map((f) => (f === 'we' ? 'weight-superposition' : 'weight-sharing')).join(' and ')} form; set form: ${space.forms[0]}`);
  if (c.lr_schedule === 'cosine' && c.lr_min > c.lr) fail(`lr_min (${c.lr_min}) is above lr (${c.lr}); the cosine schedule would raise the learning rate`);
}

/** Which commands a method belongs to (checked when a command starts). */
export function checkMethodFor(command: 'search' | 'two-stage' | 'black-box' | 'train' | 'finetune', c: Config): void {
  const stage = getSampler(c.method).stage;
  const names = (st: string) => listSamplers().filter((x) => x.stage === st).map((x) => x.name).join(', ');
  if (command === 'search' && stage === 'two-stage') throw new ConfigError(`method '${c.method}' trains a supernet without alpha; use 'tanglenas two-stage' (or a single-stage method: ${names('single-stage')})`);
  if ((command === 'two-stage' || command === 'black-box') && stage !== 'two-stage') {
    const two = listSamplers().filter((x) => x.stage === 'two-stage').map((x) => x.name);
    throw new ConfigError(`'tanglenas ${command}' trains and searches an ${two.map((n) => n.toUpperCase()).join(' or ')} supernet; method must be ${two.map((n) => `'${n}'`).join(' or ')}, got '${c.method}' (use a spos-es or spos-rs preset, or --set method=spos)`);
  }
  if ((command === 'train' || command === 'finetune') && c.arch === null) throw new ConfigError(`'tanglenas ${command}' needs an architecture: --arch '<JSON or benchmark key>', --arch FILE, or --from RUN_DIR`);
  if ((command === 'black-box' || command === 'finetune') && c.supernet === null) throw new ConfigError(`'tanglenas ${command}' needs a trained supernet: --supernet RUN_DIR (or --from RUN_DIR)`);
}

/** Checks a complete config read back from a run directory (config.json). */
/** Keys added after runs were written, with the value that reproduces those runs. */
const LATER_KEYS: Partial<Config> = { arch_warmup: 0, prune_below: 0, device: 'auto', precision: 'fp32', data_on_device: false, constraints: [], constraint_lr: 0.1, pareto: false, pareto_metric: 'params', pareto_strength: 3, pareto_points: 21, budget_clock: 'wall', test_fraction: 0.1, block_size: 0, tokenizer: 'auto', plugins: [], cutout_length: 0, randaugment: 0, randaugment_magnitude: 9, randaugment_mstd: 0.5, random_erase: 0, mixup: 0, cutmix: 0, label_smoothing: 0, warmup_epochs: 0, s_prob: 0.4, arch_update: 'alternating', lr_fit: 'off', lr_fit_max: 10, weight_init: 'torch', dist_draws: 'shared', sync_bn: false, dist_bucket_mb: 25 };

export function checkFullConfig(data: unknown, where: string): Config {
  // The spaces' keys came later too: a run without them had their defaults.
  const space = (data as PartialConfig | null)?.space;
  const c = checkLayer({ ...LATER_KEYS, ...spaceDefaults(typeof space === 'string' ? space : undefined), ...(data as PartialConfig) }, where);
  const missing = configKeys().filter((k) => c[k as ConfigKey] === undefined);
  if (missing.length) throw new ConfigError(`the config ${where} misses keys ${missing.join(', ')}; it was written by another version, start a new run`);
  checkConsistency(c as unknown as Config);
  return c as unknown as Config;
}

/** The keys a resumed run may change, with the others fixed by the run. */
export function checkResumeOverrides(o: PartialConfig): void {
  const keys = schema();
  for (const k of Object.keys(o)) {
    if (!keys[k]?.resumable) {
      const ok = Object.keys(keys).filter((x) => keys[x].resumable).join(', ');
      throw new ConfigError(`'${k}' cannot change when resuming (it would change the run's computation); start a new run instead. Keys a resume may change: ${ok}`);
    }
  }
}

/** Lines for `tanglenas config --keys`. */
export function describeKeys(): string[] {
  const keys = schema();
  return Object.entries(keys).map(([k, spec]) => `${k.padEnd(24)} ${describeType(spec.type).padEnd(44)} ${spec.doc}`);
}
