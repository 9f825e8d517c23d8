// DARTS: deterministic weights softmax(alpha) (or sparsemax, which the reference
// uses for DARTS-WE), superposition forward.
import { softmax } from '../../tensor/ops/activation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ArchSample } from '../arch.js';
import type { Choice } from '../choice.js';
import { oneOf } from '../options.js';
import { noState, optionDefaults, readOptions, registerSampler, type Sampler, type SamplerOptions } from './sampler.js';
import { sparsemax } from './sparsemax.js';

const OPTIONS = {
  preprocess: { key: 'arch_preprocess', type: oneOf('softmax', 'sparsemax'), default: 'softmax', doc: 'DARTS mixing weights: softmax, or sparsemax (the reference for DARTS-WE)' },
};

export function darts(opts: SamplerOptions = {}): Sampler {
  const o = readOptions('darts', opts, optionDefaults<{ preprocess: string }>(OPTIONS));
  if (o.preprocess !== 'softmax' && o.preprocess !== 'sparsemax') throw new Error(`sampler 'darts': preprocess must be 'softmax' or 'sparsemax', got '${o.preprocess}'`);
  const f = o.preprocess === 'softmax' ? (a: Tensor) => softmax(a, -1) : sparsemax;
  return {
    name: 'darts',
    trainsAlpha: true,
    sample: (choices: readonly Choice[]) => new ArchSample('superposition', new Map(choices.map((c) => [c, f(c.alpha)]))),
    beforeEpoch: () => {},
    regularizer: () => null,
    archWeightDecay: (wd) => wd,
    ...noState,
  };
}

registerSampler({
  name: 'darts',
  description: 'DARTS: softmax (or sparsemax) of alpha, superposition',
  stage: 'single-stage',
  options: OPTIONS,
  secondOrder: true,
  presets: [
    { name: 'darts', command: 'search', description: 'DARTS first order, weight superposition with sparsemax (the reference DARTS-WE)', values: { form: 'we', arch_preprocess: 'sparsemax' } },
    { name: 'darts-v2', command: 'search', description: 'DARTS second order (unrolled), weight superposition with sparsemax', values: { form: 'we', arch_preprocess: 'sparsemax', darts_order: 2 } },
    { name: 'darts-ws', command: 'search', description: 'DARTS first order on the weight-sharing supernet (softmax)', values: { form: 'ws', arch_preprocess: 'softmax' } },
  ],
  prunable: (o) => (o.preprocess === 'sparsemax' ? 'sparsemax renormalised over a subset is not the sparsemax of the subset (softmax is); set arch_preprocess: softmax' : null),
  create: darts,
});
