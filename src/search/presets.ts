// Presets: complete flat configs named <space>/<layer>, derived from the
// registries. Each is built in layers, later wins: the library defaults (BASE),
// the samplers' and the spaces' option defaults (the space's own last), the
// space's recipe base, the preset layer (a sampler's, e.g. 'tanglenas' = drnas
// + we, or a command's: retrain, finetune), then the space's values for that
// layer. The reference's hyperparameters
// (reference-facts 5, 6, 7; paper Tables 21-22) live in the space entries; where
// the paper's tables and the reference's config files disagree we follow the
// config files (docs/search.md).
import { listSpaces, type SpaceInfo } from '../nas/registry.js';
import { listSamplers } from '../nas/samplers/sampler.js';
import { checkConsistency, checkLayer, ConfigError, configKeys, readConfigFile, samplerDefaults, spaceDefaults, suggest, type Config, type PartialConfig } from './config.js';

export interface Preset {
  name: string;
  /** The command that runs it. */
  command: 'search' | 'two-stage' | 'train' | 'finetune';
  description: string;
  values: Config;
}

/** Settings shared by every preset; space and method layers override them. */
const BASE: PartialConfig = {
  darts_order: 1,
  plugins: [],
  tokenizer: 'auto',
  data_dir: null,
  train_portion: 0.5,
  train_subset: 0,
  test_subset: 0,
  synthetic_train: 512,
  synthetic_test: 128,
  augment: true,
  cutout_length: 0,
  randaugment: 0,
  randaugment_magnitude: 9,
  randaugment_mstd: 0.5,
  random_erase: 0,
  mixup: 0,
  cutmix: 0,
  label_smoothing: 0,
  loader_workers: 1,
  batch_size: 64,
  eval_batch_size: 256,
  epochs: 100,
  steps_per_epoch: 0,
  optimizer: 'sgd',
  lr: 0.025,
  lr_min: 1e-3,
  lr_schedule: 'cosine',
  warmup_epochs: 0,
  cosine_t_max: 0,
  momentum: 0.9,
  nesterov: true,
  weight_decay: 5e-4,
  adam_betas: [0.9, 0.995],
  grad_clip: 5,
  arch_lr: 3e-4,
  arch_betas: [0.5, 0.999],
  arch_weight_decay: 1e-3,
  constraints: [],
  constraint_lr: 0.1,
  pareto: false,
  pareto_metric: 'params',
  pareto_strength: 3,
  pareto_points: 21,
  black_box: 'es',
  population: 5,
  select: 10,
  mutation: 2,
  crossover: 2,
  m_prob: 0.2,
  s_prob: 0.4,
  generations: 1000,
  rs_iters: 10000,
  fitness_samples: 0,
  black_box_budget_share: 0.2,
  eval_samples: 0,
  bn_calibration_samples: 2048,
  benchmark_dir: null,
  arch: null,
  supernet: null,
  seed: 0,
  threads: 0,
  device: 'auto',
  precision: 'fp32',
  data_on_device: false,
  arch_warmup: 0,
  prune_below: 0,
  dist_draws: 'shared',
  sync_bn: false,
  dist_bucket_mb: 25,
  arch_update: 'alternating',
  budget_minutes: 0,
  budget_fit: false,
  lr_fit: 'off',
  lr_fit_max: 10,
  weight_init: 'torch',
  budget_clock: 'wall',
  test_fraction: 0.1,
  block_size: 0,
  checkpoint_minutes: 10,
  checkpoint_every_steps: 0,
  log_every: 20,
  run_dir: null,
};

/** The layers every space gets besides its samplers': training commands. */
const COMMAND_LAYERS: Layer[] = [
  { name: 'retrain', command: 'train', description: "train an architecture from scratch with the space's recipe (the benchmark's, where it has one)", values: { method: 'drnas', form: 'we', train_portion: 1 } },
  { name: 'finetune', command: 'finetune', description: "fine-tune an architecture from the supernet's weights (the retrain recipe, fewer epochs)", values: { method: 'drnas', form: 'we', train_portion: 1 } },
];

type Layer = { name: string; command: Preset['command']; description: string; values: PartialConfig; recipeOf?: string; appliesTo?: (space: { metric: string; task: string }) => boolean };

/** The presets of one space: every sampler layer for the forms it implements, the command layers, its extras. */
function spacePresets(space: SpaceInfo): Preset[] {
  const start = { ...BASE, ...samplerDefaults(), ...spaceDefaults(space.name), space: space.name, dataset: space.datasets[0], ...space.recipes.base } as PartialConfig;
  const layers: Layer[] = [...listSamplers().flatMap((smp) => smp.presets.map((l) => ({ ...l, values: { method: smp.name, ...l.values } }))), ...COMMAND_LAYERS];
  const out = new Map<string, Preset>();
  for (const l of layers) {
    const form = l.values.form ?? 'we';
    if (!space.forms.includes(form as 'we' | 'ws') || (l.appliesTo && !l.appliesTo(space))) continue;
    const recipe = space.recipes.presets?.[l.name] ?? (l.recipeOf ? space.recipes.presets?.[l.recipeOf] : undefined) ?? {};
    const values = { ...start, ...l.values, ...recipe } as Config;
    out.set(l.name, { name: `${space.name}/${l.name}`, command: l.command, description: l.description, values });
  }
  for (const x of space.recipes.extra ?? []) {
    const like = out.get(x.like);
    if (!like) throw new Error(`space '${space.name}': extra preset '${x.name}' is like '${x.like}', which is not one of its presets (${[...out.keys()].join(', ')})`);
    out.set(x.name, { name: `${space.name}/${x.name}`, command: like.command, description: x.description, values: { ...like.values, ...x.values } as Config });
  }
  return [...out.values()];
}

/** Built on first use and again when a registry grew (plugins register before the config is read). */
let cache: { key: string; presets: Map<string, Preset> } | null = null;

function presets(): Map<string, Preset> {
  const key = `${listSpaces().map((s) => s.name).join()}|${listSamplers().map((s) => s.name).join()}`;
  if (cache?.key !== key) {
    const map = new Map<string, Preset>();
    for (const space of listSpaces()) {
      for (const p of spacePresets(space)) {
        checkLayer(p.values, `in preset '${p.name}'`);
        map.set(p.name, p);
      }
    }
    cache = { key, presets: map };
  }
  return cache.presets;
}

export function getPreset(name: string): Preset | undefined {
  const p = presets().get(name);
  return p && { ...p, values: structuredClone(p.values) };
}

export function listPresets(): Preset[] {
  return [...presets().values()];
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
  const missing = configKeys().filter((k) => merged[k as keyof PartialConfig] === undefined);
  if (missing.length) throw new ConfigError(`preset '${presetName}' leaves config keys unset: ${missing.join(', ')}`);
  const config = merged as unknown as Config;
  checkConsistency(config);
  return { config, preset: presetName };
}
