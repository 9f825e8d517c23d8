// The sampler interface and registry: a sampler turns each choice's alpha into
// the mixing weights of one forward pass (an ArchSample).
import type { Tensor } from '../../tensor/tensor.js';
import type { ArchSample } from '../arch.js';
import type { Choice } from '../choice.js';
import type { OptionSpec } from '../options.js';

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

/** A preset layer a sampler brings (e.g. drnas: 'tanglenas', 'drnas-ws'); `method` is the sampler. */
export interface MethodLayer {
  name: string;
  command: 'search' | 'two-stage';
  description: string;
  values: Readonly<Record<string, unknown>>;
  /** A space without a recipe for this layer uses its recipe for that one (spos-nsga2: spos-es's). */
  recipeOf?: string;
  /** The spaces that get this layer (default: all); by the registry's facts. */
  appliesTo?: (space: { metric: string; task: string }) => boolean;
}

/** Everything the rest of the library knows about a sampler comes from its entry. */
export interface SamplerEntry {
  name: string;
  description: string;
  /** single-stage: alpha trained with the weights ('search'); two-stage: a supernet, then a black-box search. */
  stage: 'single-stage' | 'two-stage';
  /** Sampler option name -> its flat config key, type, default and help. */
  options: Readonly<Record<string, OptionSpec>>;
  /** Supports the unrolled (second-order) architect step (darts_order: 2). */
  secondOrder?: boolean;
  /** The preset layers it brings; every space gets `<space>/<layer>` for the forms it implements. */
  presets: readonly MethodLayer[];
  /**
   * Progressive pruning (prune_below) keeps the method: its draw restricted to
   * the live options and renormalised is its draw over those options alone
   * (null); else why not, with the fix. Absent: pruning is refused for it.
   */
  prunable?(opts: SamplerOptions): string | null;
  /** Rules between its options, checked with the config (throw an Error naming the config keys). */
  check?(opts: SamplerOptions): void;
  create(opts: SamplerOptions): Sampler;
}

export type SamplerInfo = Omit<SamplerEntry, 'create'>;

const registry = new Map<string, SamplerEntry>();

export function registerSampler(entry: SamplerEntry): void {
  if (registry.has(entry.name)) throw new Error(`sampler '${entry.name}' is already registered; choose another name`);
  registry.set(entry.name, Object.freeze({ ...entry }));
}

export function getSampler(name: string): SamplerEntry {
  const entry = registry.get(name);
  if (!entry) throw new Error(`unknown sampler '${name}' (available: ${[...registry.keys()].join(', ')})`);
  return entry;
}

export function createSampler(name: string, opts: SamplerOptions = {}): Sampler {
  return getSampler(name).create(opts);
}

export function listSamplers(): SamplerInfo[] {
  return [...registry.values()].map(({ create: _, ...info }) => info);
}

export function samplerNames(): string[] {
  return [...registry.keys()];
}

/** The sampler's options read from a flat config, by their config keys. */
export function samplerOptionsFrom(name: string, config: Readonly<Record<string, unknown>>): SamplerOptions {
  return Object.fromEntries(Object.entries(getSampler(name).options).map(([opt, spec]) => [opt, config[spec.key]]));
}

/** Default option values of an options table. */
export function optionDefaults<T extends Record<string, number | string | boolean>>(options: Readonly<Record<keyof T, OptionSpec>>): T {
  return Object.fromEntries(Object.entries(options).map(([k, s]) => [k, (s as OptionSpec).default])) as T;
}

/** Reads a typed option, rejecting unknown keys and wrong types with a clear message. */
export function readOptions<T extends Record<string, number | string | boolean>>(sampler: string, opts: SamplerOptions, defaults: T): T {
  const out = { ...defaults };
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    if (!(k in defaults)) throw new Error(`sampler '${sampler}': unknown option '${k}' (known: ${Object.keys(defaults).join(', ') || 'none'})`);
    if (typeof v !== typeof defaults[k]) throw new TypeError(`sampler '${sampler}': option '${k}' must be a ${typeof defaults[k]}, got ${JSON.stringify(v)}`);
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** Stateless samplers share these. */
export const noState = { state: (): SamplerState => ({}), loadState: (): void => {} };
