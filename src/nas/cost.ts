// Exact parameter and FLOP (multiply-accumulate) counts of a standalone network,
// measured by running it once and reading the shapes its convs and linears see.
// Independent of the entangled ops' own bookkeeping, so tests can compare them.
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface ExactCost {
  params: number;
  /** MACs of one forward pass for one sample. */
  flops: number;
}

/** Runs `forward(x)` (batch 1 recommended) and sums conv and linear MACs per sample. */
export function measureCost(model: Module, forward: () => Tensor, batch: number): ExactCost {
  let macs = 0;
  const patched: (Conv2d | Linear)[] = [];
  for (const [, m] of model.namedModules()) {
    if (m instanceof Conv2d) {
      const original = m.forward;
      patched.push(m);
      m.forward = (x: Tensor) => {
        const y = original.call(m, x);
        const [kh, kw] = m.kernelSize;
        macs += y.numel * (m.inChannels / m.groups) * kh * kw;
        return y;
      };
    } else if (m instanceof Linear) {
      const original = m.forward;
      patched.push(m);
      m.forward = (x: Tensor) => {
        const y = original.call(m, x);
        macs += y.numel * m.inFeatures;
        return y;
      };
    }
  }
  try {
    noGrad(() => tidy(() => forward()));
  } finally {
    for (const layer of patched) delete (layer as { forward?: unknown }).forward; // back to the prototype's method
  }
  return { params: model.numParameters(), flops: macs / batch };
}
