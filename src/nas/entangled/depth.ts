// Depth as an output mixture: the outputs after each candidate depth are mixed,
// sum_d w_d x_d (superposition), or the chosen depth's output alone (discrete).
import { tidy } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ArchSample } from '../arch.js';
import type { Choice } from '../choice.js';

/**
 * `outputs[i]` is the output after depth `choice.values[i]`. In discrete mode
 * only the chosen entry is read (callers may leave the others undefined).
 */
export function depthMixture(outputs: readonly (Tensor | undefined)[], arch: ArchSample, choice: Choice<number>): Tensor {
  return tidy(() => {
    if (arch.mode === 'discrete') {
      const y = outputs[arch.index(choice)];
      if (!y) throw new Error(`depthMixture: no output for depth ${choice.values[arch.index(choice)]}`);
      const scale = arch.chosenWeight([choice]);
      return scale ? y.mul(scale) : y;
    }
    const w = arch.weights(choice);
    let out: Tensor | null = null;
    outputs.forEach((y, i) => {
      if (!y) throw new Error(`depthMixture: superposition needs the output of every depth; depth ${choice.values[i]} is missing`);
      const t = y.mul(w.narrow(0, i, 1));
      out = out === null ? t : out.add(t);
    });
    return out!;
  });
}

/** The deepest layer a forward must compute: all in superposition, the chosen depth otherwise. */
export function depthToCompute(arch: ArchSample, choice: Choice<number>): number {
  return arch.mode === 'discrete' ? choice.values[arch.index(choice)] : Math.max(...choice.values);
}
