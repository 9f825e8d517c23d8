// Training recipes that several spaces share (reference-facts 5, 6.1, 6.2, 6.7, 7;
// paper Tables 21-22). Each space's registry entry picks its recipe from here
// and adds what is its own.

/** Epochs per preset on the two toy spaces: DrNAS 100, DARTS 50, GDAS and SPOS 250. */
export const TOY_SEARCH_EPOCHS = {
  tanglenas: { epochs: 100 },
  'drnas-ws': { epochs: 100 },
  darts: { epochs: 50 },
  'darts-v2': { epochs: 50 },
  'darts-ws': { epochs: 50 },
  gdas: { epochs: 250 },
  'gdas-ws': { epochs: 250 },
  'spos-es': { epochs: 250 },
  'spos-rs': { epochs: 250 },
} as const;

/** compare's default methods on image spaces. */
export const IMAGE_COMPARE = ['tanglenas', 'drnas-ws', 'spos-rs', 'spos-es'] as const;

// Language models (reference-facts 6.7): AdamW betas (0.9, 0.99), weight decay 0.1,
// clip 1.0, cosine to lr/10, contiguous 50/50 split of the training tokens, arch
// Adam 3e-4; ES 50/10/25/25 for 50 generations, RS 5000. An "epoch" is 100
// iterations (the reference counts iterations).
export const LM_BASE = {
  optimizer: 'adamw', adam_betas: [0.9, 0.99], weight_decay: 0.1, grad_clip: 1, nesterov: false, train_portion: 0.5, augment: false, steps_per_epoch: 100,
  arch_lr: 3e-4, arch_betas: [0.5, 0.999], arch_weight_decay: 1e-3, population: 50, select: 10, mutation: 25, crossover: 25, m_prob: 0.2, generations: 50, rs_iters: 5000,
  eval_samples: 256, fitness_samples: 128, bn_calibration_samples: 0, eval_batch_size: 32,
} as const;

/** Per preset on the language models: DARTS with softmax (as the reference's GPT search), shorter fine-tuning. */
export const LM_PRESETS = {
  darts: { arch_preprocess: 'softmax' },
  'darts-v2': { arch_preprocess: 'softmax' },
  finetune: { epochs: 10 },
} as const;

export const LM_COMPARE = ['tanglenas', 'spos-rs', 'spos-es'] as const;
