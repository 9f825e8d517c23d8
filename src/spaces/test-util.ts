// Test helper: the three outputs the one-hot invariant compares.
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Architecture } from '../nas/choice.js';
import type { SearchSpace } from '../nas/space.js';

/**
 * Supernet under one-hot superposition, supernet in discrete mode, extracted
 * sub-network (eval; or with mode 'train', everything in training mode, batch
 * statistics). Call inside tidy.
 */
export function oneHotOutputs(space: SearchSpace, arch: Architecture, x: Tensor, mode: 'eval' | 'train' = 'eval'): { sup: Tensor; disc: Tensor; sub: Tensor } {
  if (mode === 'train') space.supernet.train();
  const sup = noGrad(() => space.supernet.forward(x, space.fixed(arch, 'superposition')));
  const disc = noGrad(() => space.supernet.forward(x, space.fixed(arch, 'discrete')));
  const net = space.subnet(arch, { inherit: true }).train(mode === 'train');
  const sub = noGrad(() => net.forward(x));
  net.dispose();
  return { sup, disc, sub };
}
