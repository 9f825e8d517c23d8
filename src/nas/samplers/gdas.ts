// GDAS: hard Gumbel-softmax with a straight-through gradient; the forward runs
// only the sampled candidate (discrete mode), scaled by its weight so alpha gets
// a gradient. Temperature tau goes linearly from tauMax to tauMin over epochs.
import { logSoftmax, softmax } from '../../tensor/ops/activation.js';
import { gumbel } from '../../tensor/random.js';
import { tidy } from '../../tensor/scope.js';
import { oneHot, type Tensor } from '../../tensor/tensor.js';
import { ArchSample } from '../arch.js';
import type { Choice } from '../choice.js';
import { num } from '../options.js';
import { optionDefaults, readOptions, registerSampler, type Sampler, type SamplerOptions } from './sampler.js';

/** onehot(argmax h) - sg(h) + h with h = softmax((log_softmax(alpha) + g) / tau). */
export function hardGumbelSoftmax(alpha: Tensor, tau: number): Tensor {
  return tidy(() => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const h = softmax(logSoftmax(alpha, -1).add(gumbel(alpha.shape)).div(tau), -1);
      if (!h.isfinite().all().item()) continue; // the reference redraws on inf/NaN
      const hard = oneHot(h.argmax(-1), alpha.size(-1)).to(h.dtype);
      return hard.sub(h.detach()).add(h);
    }
    throw new Error(`gdas: 100 Gumbel draws gave non-finite weights (tau=${tau}); alpha may contain inf or NaN`);
  });
}

const OPTIONS = {
  tauMax: { key: 'gdas_tau_max', type: num(0, undefined, { minOpen: true }), default: 10, doc: 'GDAS temperature in the first epoch' },
  tauMin: { key: 'gdas_tau_min', type: num(0, undefined, { minOpen: true }), default: 0.1, doc: 'GDAS temperature in the last epoch' },
};

export function gdas(opts: SamplerOptions = {}): Sampler {
  const o = readOptions('gdas', opts, optionDefaults<{ tauMax: number; tauMin: number }>(OPTIONS));
  if (!(o.tauMax >= o.tauMin && o.tauMin > 0)) throw new Error(`sampler 'gdas': need tauMax >= tauMin > 0, got ${o.tauMax} and ${o.tauMin}`);
  let tau = o.tauMax;
  return {
    name: 'gdas',
    trainsAlpha: true,
    sample: (choices: readonly Choice[]) => new ArchSample('discrete', new Map(choices.map((c) => [c, hardGumbelSoftmax(c.alpha, tau)])), { straightThrough: true }),
    beforeEpoch: (epoch, total) => {
      tau = total <= 1 ? o.tauMax : o.tauMax - ((o.tauMax - o.tauMin) * epoch) / (total - 1);
    },
    regularizer: () => null,
    archWeightDecay: (wd) => wd,
    state: () => ({ tau }),
    loadState: (s) => {
      if (typeof s.tau !== 'number') throw new Error('gdas: saved sampler state has no numeric tau');
      tau = s.tau;
    },
  };
}

registerSampler({
  name: 'gdas',
  description: 'GDAS: hard Gumbel-softmax, straight-through, tau linear 10 -> 0.1; runs the sampled candidate only',
  stage: 'single-stage',
  options: OPTIONS,
  presets: [
    { name: 'gdas', command: 'search', description: 'GDAS (hard Gumbel, tau 10 -> 0.1), weight superposition', values: { form: 'we' } },
    { name: 'gdas-ws', command: 'search', description: 'GDAS on the weight-sharing supernet', values: { form: 'ws' } },
  ],
  check: (o) => {
    if ((o.tauMin as number) > (o.tauMax as number)) throw new Error(`gdas_tau_min (${o.tauMin}) must not exceed gdas_tau_max (${o.tauMax})`);
  },
  create: gdas,
});
