// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay,
// p *= 1 - lr * wd before the Adam step (torch.optim.AdamW, default wd 0.01).
import type { ParamsArg } from './optimizer.js';
import { Adam, type AdamHyper } from './adam.js';

export class AdamW extends Adam {
  override readonly kind: string = 'AdamW';
  protected override readonly decoupled: boolean = true;

  constructor(params: ParamsArg<AdamHyper>, opts: Partial<AdamHyper> = {}) {
    super(params, { weightDecay: 1e-2, ...opts });
  }
}
