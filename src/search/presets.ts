// Presets: the reference's search hyperparameters per space x method
// (reference-facts sections 5, 6.1, 6.2, 7; paper Tables 21-22), each a
// complete flat config. Where the paper's tables and the reference's config
// files disagree we follow the config files and say so in docs/search.md
// (the paper lists weight lr 0.1 for the toy cell; the configs use 0.025, and
// 0.01 for SPOS).
import type { Config } from './config.js';

export interface Preset {
  name: string;
  /** The command that runs it. */
  command: 'search' | 'two-stage' | 'train' | 'finetune';
  description: string;
  values: Config;
}

/** Settings shared by every preset; space and method layers override them. */
const BASE: Omit<Config, 'space' | 'dataset' | 'method' | 'form'> = {
  darts_order: 1,
  arch_preprocess: 'softmax',
  drnas_reg: 'l2',
  drnas_reg_scale: 1e-3,
  gdas_tau_max: 10,
  gdas_tau_min: 0.1,
  data_dir: null,
  train_portion: 0.5,
  train_subset: 0,
  test_subset: 0,
  synthetic_train: 512,
  synthetic_test: 128,
  augment: true,
  loader_workers: 1,
  batch_size: 64,
  eval_batch_size: 256,
  epochs: 100,
  steps_per_epoch: 0,
  optimizer: 'sgd',
  lr: 0.025,
  lr_min: 1e-3,
  lr_schedule: 'cosine',
  cosine_t_max: 0,
  momentum: 0.9,
  nesterov: true,
  weight_decay: 5e-4,
  adam_betas: [0.9, 0.995],
  grad_clip: 5,
  arch_lr: 3e-4,
  arch_betas: [0.5, 0.999],
  arch_weight_decay: 1e-3,
  black_box: 'es',
  population: 5,
  select: 10,
  mutation: 2,
  crossover: 2,
  m_prob: 0.2,
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
  budget_minutes: 0,
  budget_fit: false,
  budget_clock: 'wall',
  test_fraction: 0.1,
  block_size: 0,
  checkpoint_minutes: 10,
  checkpoint_every_steps: 0,
  log_every: 20,
  run_dir: null,
};

// reference-facts 6.1 / 7: SGD nesterov 0.9, wd 5e-4, lr 0.025 to 1e-3, batch 64, split 0.5.
const CELL: Partial<Config> = { space: 'toy-cell', dataset: 'fashion-mnist', optimizer: 'sgd', lr: 0.025, lr_min: 1e-3, momentum: 0.9, nesterov: true, population: 5, select: 10, mutation: 2, crossover: 2 };
// reference-facts 6.2 / 7: Adam 3e-4 betas (0.9, 0.995) wd 5e-4, cosine to 1e-4, batch 64, split 0.5; ES 30/10/10/10.
const MACRO: Partial<Config> = { space: 'toy-conv-macro', dataset: 'cifar10', optimizer: 'adam', lr: 3e-4, lr_min: 1e-4, nesterov: false, adam_betas: [0.9, 0.995], population: 30, select: 10, mutation: 10, crossover: 10 };

type Layer = { name: string; command: Preset['command']; description: string; values: Partial<Config> };

/** Method layers; `cell` / `macro` hold the space-specific differences. */
const METHOD_LAYERS: (Layer & { cell?: Partial<Config>; macro?: Partial<Config> })[] = [
  { name: 'tanglenas', command: 'search', description: 'TangleNAS: DrNAS with weight superposition (Algorithm 1), 100 epochs', values: { method: 'drnas', form: 'we', epochs: 100 } },
  { name: 'drnas-ws', command: 'search', description: 'DrNAS on the weight-sharing supernet (Algorithm 4), 100 epochs', values: { method: 'drnas', form: 'ws', epochs: 100 } },
  { name: 'darts', command: 'search', description: 'DARTS first order, weight superposition with sparsemax (the reference DARTS-WE), 50 epochs', values: { method: 'darts', form: 'we', arch_preprocess: 'sparsemax', epochs: 50 } },
  { name: 'darts-v2', command: 'search', description: 'DARTS second order (unrolled), weight superposition with sparsemax, 50 epochs', values: { method: 'darts', form: 'we', arch_preprocess: 'sparsemax', darts_order: 2, epochs: 50 } },
  { name: 'darts-ws', command: 'search', description: 'DARTS first order on the weight-sharing supernet (softmax), 50 epochs', values: { method: 'darts', form: 'ws', arch_preprocess: 'softmax', epochs: 50 } },
  { name: 'gdas', command: 'search', description: 'GDAS (hard Gumbel, tau 10 -> 0.1), weight superposition, 250 epochs', values: { method: 'gdas', form: 'we', epochs: 250 } },
  { name: 'gdas-ws', command: 'search', description: 'GDAS on the weight-sharing supernet, 250 epochs', values: { method: 'gdas', form: 'ws', epochs: 250 } },
  // SPOS (Table 22; reference-facts 5, 6): 250 epochs; toy cell lr 0.01; conv-macro Adam 3e-4 -> 1e-4 with an 80/20 split.
  { name: 'spos-es', command: 'two-stage', description: 'SPOS supernet (250 epochs), then evolutionary search on supernet accuracy (Algorithm 3)', values: { method: 'spos', form: 'we', epochs: 250, black_box: 'es' }, cell: { lr: 0.01 }, macro: { train_portion: 0.8 } },
  { name: 'spos-rs', command: 'two-stage', description: 'SPOS supernet (250 epochs), then random search on supernet accuracy', values: { method: 'spos', form: 'we', epochs: 250, black_box: 'rs' }, cell: { lr: 0.01 }, macro: { train_portion: 0.8 } },
  // Training from scratch as the benchmarks were made (reference-facts 8.4, 8.5).
  {
    name: 'retrain', command: 'train', description: "train an architecture from scratch with the benchmark's recipe", values: { method: 'drnas', form: 'we', train_portion: 1 },
    cell: { optimizer: 'sgd', lr: 0.01, momentum: 0.9, nesterov: false, weight_decay: 5e-4, lr_schedule: 'constant', lr_min: 0, batch_size: 256, epochs: 200 },
    macro: { optimizer: 'adam', lr: 3e-4, adam_betas: [0.9, 0.995], weight_decay: 5e-4, lr_schedule: 'cosine', cosine_t_max: 2000, lr_min: 0, batch_size: 64, epochs: 100 },
  },
  {
    name: 'finetune', command: 'finetune', description: "fine-tune an architecture from the supernet's weights (the retrain recipe, fewer epochs)", values: { method: 'drnas', form: 'we', train_portion: 1 },
    cell: { optimizer: 'sgd', lr: 0.01, momentum: 0.9, nesterov: false, weight_decay: 5e-4, lr_schedule: 'constant', lr_min: 0, batch_size: 256, epochs: 20 },
    macro: { optimizer: 'adam', lr: 3e-4, adam_betas: [0.9, 0.995], weight_decay: 5e-4, lr_schedule: 'cosine', cosine_t_max: 2000, lr_min: 0, batch_size: 64, epochs: 10 },
  },
];

const PRESETS = new Map<string, Preset>();

for (const [spaceName, space, key] of [['toy-cell', CELL, 'cell'], ['toy-conv-macro', MACRO, 'macro']] as const) {
  for (const m of METHOD_LAYERS) {
    const values = { ...BASE, ...space, ...m.values, ...(m[key] ?? {}) } as Config;
    PRESETS.set(`${spaceName}/${m.name}`, { name: `${spaceName}/${m.name}`, command: m.command, description: m.description, values });
  }
}

// Language models (reference-facts 6.7): AdamW betas (0.9, 0.99), weight decay 0.1,
// clip 1.0, cosine to lr/10, contiguous 50/50 split of the training tokens, arch
// Adam 3e-4; ES 50/10/25/25 for 50 generations, RS 5000. An "epoch" is 100
// iterations (the reference counts iterations). lm-char and lm-paper keep the
// reference's learning rates; lm-small and lm-tiny (ours, minutes on a CPU)
// use nanoGPT's shakespeare_char 1e-3.
const LM_BASE: Partial<Config> = {
  optimizer: 'adamw', adam_betas: [0.9, 0.99], weight_decay: 0.1, grad_clip: 1, nesterov: false, train_portion: 0.5, augment: false, steps_per_epoch: 100,
  arch_lr: 3e-4, arch_betas: [0.5, 0.999], arch_weight_decay: 1e-3, population: 50, select: 10, mutation: 25, crossover: 25, m_prob: 0.2, generations: 50, rs_iters: 5000,
  eval_samples: 256, fitness_samples: 128, bn_calibration_samples: 0, eval_batch_size: 32,
};
const LM_SPACES: Record<string, Partial<Config>> = {
  'lm-tiny': { dataset: 'tinyshakespeare', batch_size: 16, lr: 1e-3, lr_min: 1e-4, epochs: 20 },
  'lm-small': { dataset: 'tinyshakespeare', batch_size: 32, lr: 1e-3, lr_min: 1e-4, epochs: 50 },
  'lm-char': { dataset: 'tinyshakespeare', batch_size: 64, lr: 1e-4, lr_min: 1e-5, epochs: 60 },
  'lm-paper': { dataset: 'tinystories', batch_size: 12, lr: 5e-4, lr_min: 5e-5, epochs: 60 },
};
const LM_METHODS: Layer[] = [
  { name: 'tanglenas', command: 'search', description: 'TangleNAS: DrNAS with weight superposition over embed x heads x MLP ratio x depth', values: { method: 'drnas', form: 'we' } },
  { name: 'darts', command: 'search', description: 'DARTS first order with weight superposition (softmax)', values: { method: 'darts', form: 'we', arch_preprocess: 'softmax' } },
  { name: 'gdas', command: 'search', description: 'GDAS (hard Gumbel, tau 10 -> 0.1) with weight superposition', values: { method: 'gdas', form: 'we' } },
  { name: 'spos-es', command: 'two-stage', description: 'SPOS supernet, then evolutionary search on supernet validation loss', values: { method: 'spos', form: 'we', black_box: 'es' } },
  { name: 'spos-rs', command: 'two-stage', description: 'SPOS supernet, then random search on supernet validation loss', values: { method: 'spos', form: 'we', black_box: 'rs' } },
  { name: 'retrain', command: 'train', description: 'train an architecture from scratch (same optimizer and schedule, all training tokens)', values: { method: 'drnas', form: 'we', train_portion: 1 } },
  { name: 'finetune', command: 'finetune', description: "fine-tune an architecture from the supernet's weights", values: { method: 'drnas', form: 'we', train_portion: 1, epochs: 10 } },
];
for (const [spaceName, space] of Object.entries(LM_SPACES)) {
  for (const m of LM_METHODS) {
    const values = { ...BASE, ...LM_BASE, space: spaceName, ...space, ...m.values } as Config;
    PRESETS.set(`${spaceName}/${m.name}`, { name: `${spaceName}/${m.name}`, command: m.command, description: m.description, values });
  }
}

// The README's main job: TangleNAS on the toy cell within a few minutes. Short
// "epochs" of 25 steps, the epoch count fitted to the budget, and a 10x arch
// learning rate because alpha gets a few hundred steps instead of 47,000.
PRESETS.set('toy-cell/main', {
  name: 'toy-cell/main',
  command: 'search',
  description: 'the README main job: TangleNAS on the toy cell in a 5-minute budget (short epochs, arch lr 3e-3)',
  values: { ...PRESETS.get('toy-cell/tanglenas')!.values, epochs: 40, steps_per_epoch: 25, budget_minutes: 5, budget_fit: true, arch_lr: 3e-3, eval_samples: 2048, checkpoint_minutes: 2, log_every: 5 },
});

export function getPreset(name: string): Preset | undefined {
  const p = PRESETS.get(name);
  return p && { ...p, values: structuredClone(p.values) };
}

export function listPresets(): Preset[] {
  return [...PRESETS.values()];
}
