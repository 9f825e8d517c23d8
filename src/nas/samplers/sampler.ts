// The sampler interface and registry: a sampler turns each choice's alpha into
// the mixing weights of one forward pass (an ArchSample).
import type { Tensor } from '../../tensor/tensor.js';
import type { ArchSample } from '../arch.js';
import type { Choice } from '../choice.js';

export type SamplerState = Record<string, number | string | boolean>;

export interface Sampler {
  readonly name: string;
  /** False for SPOS: alpha is never trained. */
  readonly trainsAlpha: boolean;
  /** Mixing weights for one forward pass (a new draw for stochastic samplers). */
  sample(choices: readonly Choice[]): ArchSample;
  /** Called at the start of every epoch (GDAS's temperature). */
  beforeEpoch(epoch: number, totalEpochs: number): void;
  /** An extra loss on alpha (DrNAS's KL regulariser), or null. */
  regularizer(choices: readonly Choice[]): Tensor | null;
  /** Weight decay for the architecture optimizer, given the configured default. */
  archWeightDecay(configured: number): number;
  state(): SamplerState;
  loadState(s: SamplerState): void;
}

export type SamplerOptions = Record<string, unknown>;
type Factory = (opts: SamplerOptions) => Sampler;

const registry = new Map<string, { factory: Factory; description: string }>();

export function registerSampler(name: string, description: string, factory: Factory): void {
  if (registry.has(name)) throw new Error(`sampler '${name}' is registered twice`);
  registry.set(name, { factory, description });
}

export function createSampler(name: string, opts: SamplerOptions = {}): Sampler {
  const entry = registry.get(name);
  if (!entry) throw new Error(`unknown sampler '${name}' (available: ${[...registry.keys()].join(', ')})`);
  return entry.factory(opts);
}

export function listSamplers(): { name: string; description: string }[] {
  return [...registry].map(([name, e]) => ({ name, description: e.description }));
}

/** Reads a typed option, rejecting unknown keys and wrong types with a clear message. */
export function readOptions<T extends Record<string, number | string | boolean>>(sampler: string, opts: SamplerOptions, defaults: T): T {
  const out = { ...defaults };
  for (const [k, v] of Object.entries(opts)) {
    if (!(k in defaults)) throw new Error(`sampler '${sampler}': unknown option '${k}' (known: ${Object.keys(defaults).join(', ') || 'none'})`);
    if (typeof v !== typeof defaults[k]) throw new TypeError(`sampler '${sampler}': option '${k}' must be a ${typeof defaults[k]}, got ${JSON.stringify(v)}`);
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** Stateless samplers share these. */
export const noState = { state: (): SamplerState => ({}), loadState: (): void => {} };
