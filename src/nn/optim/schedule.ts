// Learning-rate schedules as pure functions of the step or epoch, plus a small
// stateful CosineAnnealingLR that drives an optimizer like PyTorch's.
import type { Hyper, Optimizer } from './optimizer.js';

function nonNegInt(where: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${where}: ${name} must be a non-negative integer, got ${v}`);
}
function lrValue(where: string, name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`${where}: ${name} must be a finite number >= 0, got ${v}`);
}

export interface CosineWithWarmupOptions {
  baseLr: number;
  /** Floor reached at totalSteps (default 0). */
  minLr?: number;
  warmupSteps: number;
  totalSteps: number;
}

/**
 * Linear warm-up then cosine decay, as a function of the 0-based step:
 * - step < warmupSteps: baseLr * (step + 1) / warmupSteps (the first step is
 *   not wasted at lr 0; the last warm-up step reaches baseLr);
 * - warmupSteps <= step <= totalSteps: minLr + (baseLr - minLr) * (1 + cos(pi * t)) / 2
 *   with t = (step - warmupSteps) / (totalSteps - warmupSteps);
 * - step > totalSteps: minLr.
 */
export function cosineWithWarmup(o: CosineWithWarmupOptions): (step: number) => number {
  const where = 'cosineWithWarmup';
  const minLr = o.minLr ?? 0;
  lrValue(where, 'baseLr', o.baseLr);
  lrValue(where, 'minLr', minLr);
  nonNegInt(where, 'warmupSteps', o.warmupSteps);
  nonNegInt(where, 'totalSteps', o.totalSteps);
  if (o.warmupSteps > o.totalSteps) throw new RangeError(`${where}: warmupSteps (${o.warmupSteps}) exceeds totalSteps (${o.totalSteps})`);
  const { baseLr, warmupSteps, totalSteps } = o;
  const decay = totalSteps - warmupSteps;
  return (step: number): number => {
    nonNegInt(where, 'step', step);
    if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
    if (step >= totalSteps) return minLr;
    const t = (step - warmupSteps) / decay;
    return minLr + ((baseLr - minLr) * (1 + Math.cos(Math.PI * t))) / 2;
  };
}

export interface CosineAnnealingOptions {
  baseLr: number;
  tMax: number;
  etaMin?: number;
}

/**
 * torch.optim.lr_scheduler.CosineAnnealingLR's learning rate at `epoch`, in
 * closed form: etaMin + (baseLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2.
 * Past tMax it rises again (period 2 tMax), as PyTorch's does.
 */
export function cosineAnnealing(o: CosineAnnealingOptions): (epoch: number) => number {
  const where = 'cosineAnnealing';
  const etaMin = o.etaMin ?? 0;
  lrValue(where, 'baseLr', o.baseLr);
  lrValue(where, 'etaMin', etaMin);
  if (!Number.isInteger(o.tMax) || o.tMax < 1) throw new RangeError(`${where}: tMax must be a positive integer, got ${o.tMax}`);
  return (epoch: number): number => {
    nonNegInt(where, 'epoch', epoch);
    return etaMin + ((o.baseLr - etaMin) * (1 + Math.cos((Math.PI * epoch) / o.tMax))) / 2;
  };
}

/**
 * Sets each param group's lr from a schedule: lr = fn(epoch, baseLr of the group).
 * Like PyTorch, construction applies epoch 0; call step() once per epoch after
 * the optimizer steps.
 */
export class LRScheduler<H extends Hyper> {
  readonly baseLrs: number[];
  lastEpoch = 0;
  constructor(
    readonly optimizer: Optimizer<H>,
    readonly fn: (epoch: number, baseLr: number) => number,
  ) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.#apply();
  }
  step(): void {
    this.lastEpoch += 1;
    this.#apply();
  }
  /** The learning rates currently set, one per group. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
  stateDict(): { lastEpoch: number; baseLrs: number[] } {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }
  loadStateDict(s: { lastEpoch: number; baseLrs: number[] }): void {
    nonNegInt('LRScheduler.loadStateDict', 'lastEpoch', s.lastEpoch);
    if (!Array.isArray(s.baseLrs) || s.baseLrs.length !== this.baseLrs.length) {
      throw new Error(`LRScheduler.loadStateDict: ${s.baseLrs?.length} base learning rates for ${this.baseLrs.length} param groups`);
    }
    this.lastEpoch = s.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...s.baseLrs);
    this.#apply();
  }
  #apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.fn(this.lastEpoch, this.baseLrs[i]);
    });
  }
}

/** PyTorch's CosineAnnealingLR(optimizer, T_max, eta_min) over epochs. */
export class CosineAnnealingLR<H extends Hyper> extends LRScheduler<H> {
  constructor(optimizer: Optimizer<H>, tMax: number, etaMin = 0) {
    super(optimizer, (epoch, baseLr) => cosineAnnealing({ baseLr, tMax, etaMin })(epoch));
  }
}
