// DrNAS: w ~ Dirichlet(elu(alpha) + 1), reparameterised, a new draw for every
// forward; regularised by L2 on alpha (as the arch optimizer's weight decay) or
// by KL(Dir(beta) || Dir(1)).
import { elu } from '../../tensor/ops/activation.js';
import { dirichlet } from '../../tensor/random.js';
import { tidy } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ArchSample } from '../arch.js';
import type { Choice } from '../choice.js';
import { noState, readOptions, registerSampler, type Sampler, type SamplerOptions } from './sampler.js';

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

export function drnas(opts: SamplerOptions = {}): Sampler {
  const o = readOptions('drnas', opts, { regType: 'l2', regScale: 1e-3 });
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

registerSampler('drnas', 'DrNAS: Dirichlet(elu(alpha)+1) reparameterised sample per forward, superposition', drnas);
