// Progressive pruning (prune_below; issue 19, off by default): at the end of an
// epoch, options whose share of softmax(alpha) over the live options is under
// prune_below / (live options) leave the search for good. A pruned option gets
// weight 0 in every later draw: the sampler's weights are restricted to the live
// options and renormalised, which for DrNAS is the Dirichlet over the live
// options alone (a Dirichlet's normalised sub-vector is Dirichlet) and for DARTS
// (softmax) the softmax over them, so the method is unchanged on the smaller
// space. Weight-sharing mixtures and cell groups skip what has weight 0, so
// their steps get cheaper; an entangled op keeps its largest box (its step does
// not).
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/scope.js';
import { tensor } from '../tensor/tensor.js';
import { softmax } from '../tensor/ops/activation.js';
import { ArchSample } from './arch.js';
import type { Choice, ChoiceValue } from './choice.js';
import type { Sampler } from './samplers/sampler.js';

/** `s` with every choice's weights restricted to its live options, renormalised. */
export function restrictToLive(s: ArchSample): ArchSample {
  if (s.mode !== 'superposition') throw new Error(`pruning restricts superposition samples; got a ${s.mode} one`);
  const weights = new Map(
    s.choices().map((c) => {
      const w = s.weights(c);
      if (c.liveCount === c.size) return [c, w];
      return [c, tidy(() => {
        const m = w.mul(tensor(Float32Array.from({ length: c.size }, (_, i) => (c.isLive(i) ? 1 : 0)), { device: w.device }));
        return m.div(m.sum());
      })];
    }),
  );
  return new ArchSample(s.mode, weights);
}

/** The sampler on the live options only (its alpha regulariser and state unchanged). */
export function withPruning(sampler: Sampler): Sampler {
  return { ...sampler, sample: (choices) => restrictToLive(sampler.sample(choices)) };
}

/** Softmax of alpha over the live options (pruned: 0). */
export function liveSoftmax(c: Choice): number[] {
  return noGrad(() =>
    tidy(() => {
      const a = c.alpha.toArray();
      const live = a.map((_, i) => c.isLive(i));
      const p = softmax(tensor(a.filter((_, i) => live[i])), -1).toArray();
      let k = 0;
      return live.map((on) => (on ? p[k++] : 0));
    }),
  );
}

export interface Pruned {
  choice: string;
  value: ChoiceValue;
  weight: number;
}

/** Prunes, per choice, the live options under `below` / (live options) of softmax(alpha); never a choice's argmax. */
export function pruneChoices(choices: readonly Choice[], below: number): Pruned[] {
  if (!(below > 0 && below < 1)) throw new RangeError(`prune_below must be in (0, 1), got ${below}`);
  return choices.flatMap((c) => {
    const n = c.liveCount;
    if (n < 2) return [];
    const p = liveSoftmax(c);
    // The largest share is at least 1/n > below/n: a choice's argmax never goes.
    const gone = p.flatMap((w, i) => (c.isLive(i) && w < below / n ? [i] : []));
    for (const i of gone) c.prune(i);
    return gone.map((i) => ({ choice: c.name, value: c.values[i], weight: p[i] }));
  });
}

/** The checkpoint's record of what was pruned: choice name -> pruned indices (choices with none left out). */
export function prunedState(choices: readonly Choice[]): Record<string, number[]> {
  return Object.fromEntries(choices.filter((c) => c.liveCount < c.size).map((c) => [c.name, c.pruned()]));
}

/** Restores prunedState's record; a checkpoint without one (older, or pruning off) leaves every option live. */
export function loadPrunedState(choices: readonly Choice[], state: unknown): void {
  const rec = (state ?? {}) as Record<string, unknown>;
  if (typeof rec !== 'object' || Array.isArray(rec)) throw new Error('checkpoint: the pruned-options record is not an object');
  const byName = new Map(choices.map((c) => [c.name, c]));
  for (const k of Object.keys(rec)) if (!byName.has(k)) throw new Error(`checkpoint: pruned options of unknown choice '${k}'`);
  for (const c of choices) {
    const idx = rec[c.name] ?? [];
    if (!Array.isArray(idx) || !idx.every((i) => Number.isInteger(i))) throw new Error(`checkpoint: pruned options of choice '${c.name}' are not a list of indices`);
    c.setPruned(idx as number[]);
  }
}
