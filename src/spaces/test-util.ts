// Test helper: the three outputs the one-hot invariant compares.
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Architecture } from '../nas/choice.js';
import type { SearchSpace } from '../nas/space.js';

/** Supernet under one-hot superposition, supernet in discrete mode, extracted sub-network (eval). Call inside tidy. */
export function oneHotOutputs(space: SearchSpace, arch: Architecture, x: Tensor): { sup: Tensor; disc: Tensor; sub: Tensor } {
  const sup = noGrad(() => space.supernet.forward(x, space.fixed(arch, 'superposition')));
  const disc = noGrad(() => space.supernet.forward(x, space.fixed(arch, 'discrete')));
  const net = space.subnet(arch, { inherit: true }).eval();
  const sub = noGrad(() => net.forward(x));
  net.dispose();
  return { sup, disc, sub };
}
