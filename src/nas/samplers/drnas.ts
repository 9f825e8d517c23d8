// DrNAS: w ~ Dirichlet(elu(alpha) + 1), reparameterised, a new draw for every
// forward; regularised by L2 on alpha (as the arch optimizer's weight decay) or
// by KL(Dir(beta) || Dir(1)).
import { elu } from '../../tensor/ops/activation.js';
import { dirichlet } from '../../tensor/random.js';
import { tidy } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ArchSample } from '../arch.js';
import type { Choice } from '../choice.js';
import { num, oneOf } from '../options.js';
import { noState, optionDefaults, readOptions, registerSampler, type Sampler, type SamplerOptions } from './sampler.js';

export function concentration(alpha: Tensor): Tensor {
  return tidy(() => elu(alpha).add(1));
}

/** KL(Dir(beta) || Dir(1, ..., 1)) for one concentration vector. */
export function klToUniformDirichlet(beta: Tensor): Tensor {
  return tidy(() => {
    const k = beta.size(-1);
    const b0 = beta.sum(-1);
    // lnG(b0) - sum lnG(b_i) - lnG(K) + sum (b_i - 1)(psi(b_i) - psi(b0))
    let lnGK = 0;
    for (let i = 1; i < k; i++) lnGK += Math.log(i);
    const cross = beta.sub(1).mul(beta.digamma().sub(b0.digamma().unsqueeze(-1))).sum(-1);
    return b0.lgamma().sub(beta.lgamma().sum(-1)).sub(lnGK).add(cross);
  });
}

const OPTIONS = {
  regType: { key: 'drnas_reg', type: oneOf('l2', 'kl'), default: 'l2', doc: 'DrNAS regulariser: l2 (as the arch weight decay) or kl (KL to Dir(1))' },
  regScale: { key: 'drnas_reg_scale', type: num(0), default: 1e-3, doc: 'DrNAS regulariser scale' },
};

export function drnas(opts: SamplerOptions = {}): Sampler {
  const o = readOptions('drnas', opts, optionDefaults<{ regType: string; regScale: number }>(OPTIONS));
  if (o.regType !== 'l2' && o.regType !== 'kl') throw new Error(`sampler 'drnas': regType must be 'l2' or 'kl', got '${o.regType}'`);
  return {
    name: 'drnas',
    trainsAlpha: true,
    sample: (choices: readonly Choice[]) => new ArchSample('superposition', new Map(choices.map((c) => [c, tidy(() => dirichlet(concentration(c.alpha)))]))),
    beforeEpoch: () => {},
    regularizer: (choices) => {
      if (o.regType !== 'kl' || choices.length === 0) return null;
      return tidy(() => choices.map((c) => klToUniformDirichlet(concentration(c.alpha))).reduce((a, b) => a.add(b)).mul(o.regScale));
    },
    // The reference turns reg_scale into Adam's weight decay for L2 and uses 0 with KL.
    archWeightDecay: () => (o.regType === 'l2' ? o.regScale : 0),
    ...noState,
  };
}

registerSampler({
  name: 'drnas',
  description: 'DrNAS: Dirichlet(elu(alpha)+1) reparameterised sample per forward, superposition',
  stage: 'single-stage',
  options: OPTIONS,
  presets: [
    { name: 'tanglenas', command: 'search', description: 'TangleNAS: DrNAS with weight superposition (Algorithm 1)', values: { form: 'we' } },
    { name: 'drnas-ws', command: 'search', description: 'DrNAS on the weight-sharing supernet (Algorithm 4)', values: { form: 'ws' } },
  ],
  // A Dirichlet's sub-vector, renormalised, is the Dirichlet of those concentrations.
  prunable: () => null,
  create: drnas,
});
