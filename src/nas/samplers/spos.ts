// SPOS: a uniform one-hot draw per choice for every forward (discrete mode);
// alpha is never trained. The architecture comes from a second stage (random or
// evolutionary search on the trained supernet).
import { randint } from '../../tensor/tensor.js';
import { ArchSample } from '../arch.js';
import type { Architecture, Choice } from '../choice.js';
import { noState, readOptions, registerSampler, type Sampler, type SamplerOptions } from './sampler.js';

/** One uniform draw per choice from libtorch's generator (seeded, checkpointable). */
export function uniformArchitecture(choices: readonly Choice[]): Architecture {
  const draws = randint(0, 1 << 30, [choices.length]);
  try {
    const v = draws.toArray();
    return Object.fromEntries(choices.map((c, i) => [c.name, v[i] % c.size]));
  } finally {
    draws.dispose();
  }
}

export function spos(opts: SamplerOptions = {}): Sampler {
  readOptions('spos', opts, {});
  return {
    name: 'spos',
    trainsAlpha: false,
    sample: (choices: readonly Choice[]) => ArchSample.fixed(choices, uniformArchitecture(choices), 'discrete'),
    beforeEpoch: () => {},
    regularizer: () => null,
    archWeightDecay: (wd) => wd,
    ...noState,
  };
}

registerSampler({
  name: 'spos',
  description: 'SPOS: uniform one-hot per choice per forward, discrete; alpha not trained',
  stage: 'two-stage',
  options: {},
  presets: [
    { name: 'spos-es', command: 'two-stage', description: 'SPOS supernet, then evolutionary search on the supernet (Algorithm 3)', values: { form: 'we', black_box: 'es' } },
    { name: 'spos-rs', command: 'two-stage', description: 'SPOS supernet, then random search on the supernet', values: { form: 'we', black_box: 'rs' } },
    { name: 'spos-nsga2', command: 'two-stage', description: 'SPOS supernet, then NSGA-II on the supernet (supernet accuracy vs pareto_metric; writes pareto.json)', values: { form: 'we', black_box: 'nsga2' }, recipeOf: 'spos-es', appliesTo: (s) => s.metric === 'accuracy' },
  ],
  create: spos,
});
