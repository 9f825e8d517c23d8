// DARTS: deterministic weights softmax(alpha) (or sparsemax, which the reference
// uses for DARTS-WE), superposition forward.
import { softmax } from '../../tensor/ops/activation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ArchSample } from '../arch.js';
import type { Choice } from '../choice.js';
import { noState, readOptions, registerSampler, type Sampler, type SamplerOptions } from './sampler.js';
import { sparsemax } from './sparsemax.js';

export function darts(opts: SamplerOptions = {}): Sampler {
  const o = readOptions('darts', opts, { preprocess: 'softmax' });
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

registerSampler('darts', 'DARTS: softmax (or sparsemax) of alpha, superposition', darts);
