// Data-parallel gradient averaging as the search steps see it (built in
// search/distributed.ts on dist/process-group.ts); absent in a single process.
import type { Tensor } from '../tensor/tensor.js';

export interface GradSync {
  /** `loss.backward()` with the gradients of `params` averaged over the ranks (overlapped with the pass). */
  backward(loss: Tensor, params: readonly Tensor[]): void;
  /** In place: the mean over the ranks of each tensor (alpha's gradients). */
  average(grads: Tensor[]): void;
}

/** `loss.backward()`, averaged over the ranks when `sync` is given. */
export function backwardSynced(loss: Tensor, params: readonly Tensor[], sync: GradSync | null | undefined): void {
  if (sync) sync.backward(loss, params);
  else loss.backward();
}
