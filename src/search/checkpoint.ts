// Checkpoints: ONE safetensors file per checkpoint holding every tensor (model
// weights and buffers, alpha, optimizer buffers) and, in its metadata, the JSON
// state (counters, optimizer hyperparameters, sampler state, libtorch RNG,
// data loader positions, metrics length). One file, written atomically, so
// the weights and the state can never come from different moments.
// Rotation: checkpoints/next -> (last -> prev) -> last; a kill between the two
// renames leaves `next` and `prev`, and loading tries last, next, prev.
// Integrity: a state with a NaN or an infinity is never saved (NonFiniteError
// instead), every file carries the sha256 of its bytes (safetensors
// `checksum`), and loading skips, with a warning naming it, a file whose
// checksum fails or whose tensors are not finite, for the next older one.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { firstNonFinite, isBatchNormStatistic, NonFiniteError } from '../nn/finite.js';
import { CHECKSUM_KEY, loadFile, saveFile } from '../nn/safetensors.js';
import type { Module } from '../nn/module.js';
import type { Hyper, Optimizer, OptimizerMeta } from '../nn/optim/optimizer.js';
import { noGrad } from '../tensor/autograd.js';
import { getRngState, setRngState } from '../tensor/random.js';
import { dispose, tidy } from '../tensor/scope.js';
import { getDefaultDevice, type Tensor } from '../tensor/tensor.js';
import { writeJsonAtomic } from './rundir.js';

const META_KEY = 'tanglenas.checkpoint';
const FORMAT = 'tanglenas.checkpoint/1';

/** Collects what goes into a checkpoint. Tensor copies are owned by the builder. */
export class CheckpointBuilder {
  readonly tensors = new Map<string, Tensor>();
  readonly #owned: Tensor[] = [];
  /** Module buffers other than BatchNorm statistics (a mask may hold -inf): not checked for finiteness. */
  readonly #unchecked: string[] = [];
  readonly state: Record<string, unknown> = {};

  module(prefix: string, m: Module): this {
    for (const [k, t] of m.stateDict()) this.tensors.set(`${prefix}.${k}`, t);
    for (const [k] of m.namedBuffers()) if (!isBatchNormStatistic(k)) this.#unchecked.push(`${prefix}.${k}`);
    return this;
  }

  tensor(name: string, t: Tensor): this {
    this.tensors.set(name, t);
    return this;
  }

  optimizer<H extends Hyper>(name: string, opt: Optimizer<H>): this {
    const sd = opt.stateDict();
    for (const [k, t] of sd.tensors) {
      this.tensors.set(`optim.${name}.${k}`, t);
      this.#owned.push(t);
    }
    (this.state.optimizers ??= {} as Record<string, OptimizerMeta>);
    (this.state.optimizers as Record<string, OptimizerMeta>)[name] = sd.meta;
    return this;
  }

  rng(): this {
    this.state.rng = Buffer.from(getRngState()).toString('base64');
    // On a GPU the samplers draw from its generator too.
    const dev = getDefaultDevice();
    this.state.rng_device = dev === 'cpu' ? null : { device: dev, state: Buffer.from(getRngState(dev)).toString('base64') };
    return this;
  }

  set(key: string, value: unknown): this {
    this.state[key] = value;
    return this;
  }

  /**
   * Writes checkpoints/last.safetensors (and a readable last.json copy of the
   * state); a tensor with a NaN or an infinity: NonFiniteError, nothing written.
   */
  save(checkpointDir: string): string {
    try {
      const unchecked = new Set(this.#unchecked);
      const bad = firstNonFinite([...this.tensors].filter(([k]) => !unchecked.has(k)));
      if (bad) throw new NonFiniteError('checkpoint', `tensor '${bad.name}' holds ${bad.values}`);
      const next = join(checkpointDir, 'next.safetensors');
      const last = join(checkpointDir, 'last.safetensors');
      const state = { format: FORMAT, saved: new Date().toISOString(), ...this.state, ...(unchecked.size ? { unchecked: [...unchecked] } : {}) };
      saveFile(next, this.tensors, { [META_KEY]: JSON.stringify(state) }, { checksum: true });
      if (existsSync(last)) renameSync(last, join(checkpointDir, 'prev.safetensors'));
      renameSync(next, last);
      // For people and scripts; loading only trusts the copy inside the safetensors file.
      const { rng: _rng, optimizers: _o, ...readable } = state as Record<string, unknown>;
      writeJsonAtomic(join(checkpointDir, 'last.json'), readable);
      return last;
    } finally {
      for (const t of this.#owned) t.dispose();
      this.#owned.length = 0;
    }
  }
}

export interface LoadedCheckpoint {
  file: string;
  state: Record<string, unknown>;
  tensors: Map<string, Tensor>;
  /** Problems with newer files that were skipped (reported to the user). */
  skipped: string[];
  /** False for a checkpoint of a version before checksums (loaded unverified). */
  verified: boolean;
  dispose(): void;
}

/** A loaded file's state, after checking that it is a finite tanglenas checkpoint. */
function checkpointState(metadata: Record<string, string>, tensors: Map<string, Tensor>): Record<string, unknown> {
  const raw = metadata[META_KEY];
  if (raw === undefined) throw new Error(`no '${META_KEY}' metadata (not a tanglenas checkpoint)`);
  let state: Record<string, unknown>;
  try {
    state = JSON.parse(raw) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`its state metadata is not JSON (${(e as Error).message})`);
  }
  if (state.format !== FORMAT) throw new Error(`format '${String(state.format)}' is not ${FORMAT}`);
  const unchecked = new Set(Array.isArray(state.unchecked) ? (state.unchecked as string[]) : []);
  const bad = firstNonFinite([...tensors].filter(([k]) => !unchecked.has(k)));
  if (bad) throw new Error(`tensor '${bad.name}' holds ${bad.values}; it was saved before checkpoints were checked`);
  return state;
}

/**
 * The newest good checkpoint of a run (last, else a complete next, else
 * prev), or null when it has none. A file that cannot be read, fails its
 * checksum or holds non-finite tensors is skipped (`skipped` says why).
 */
export function loadCheckpoint(checkpointDir: string): LoadedCheckpoint | null {
  const skipped: string[] = [];
  for (const name of ['last', 'next', 'prev']) {
    const file = join(checkpointDir, `${name}.safetensors`);
    if (!existsSync(file)) continue;
    try {
      const { tensors, metadata } = tidy(() => {
        const l = loadFile(file);
        return { tensors: l.tensors, metadata: l.metadata };
      }) as { tensors: Map<string, Tensor>; metadata: Record<string, string> };
      try {
        return { file, state: checkpointState(metadata, tensors), tensors, skipped, verified: metadata[CHECKSUM_KEY] !== undefined, dispose: () => dispose([...tensors.values()]) };
      } catch (e) {
        dispose([...tensors.values()]);
        throw e;
      }
    } catch (e) {
      skipped.push(`${file}: ${(e as Error).message}`);
    }
  }
  if (skipped.length) {
    throw new Error(`no readable checkpoint in '${checkpointDir}':\n  ${skipped.join('\n  ')}\nthe run cannot continue from it; start a new run (or restore the files from a backup)`);
  }
  return null;
}

/** Copies `prefix.*` tensors into a module (strict: names and shapes must match). */
export function restoreModule(ck: LoadedCheckpoint, prefix: string, m: Module): void {
  const sub = new Map<string, Tensor>();
  for (const [k, t] of ck.tensors) if (k.startsWith(`${prefix}.`)) sub.set(k.slice(prefix.length + 1), t);
  try {
    m.loadStateDict(sub);
  } catch (e) {
    throw new Error(`checkpoint '${ck.file}' does not fit this model (${(e as Error).message}); it belongs to a different space or form`);
  }
}

export function restoreTensor(ck: LoadedCheckpoint, name: string, into: Tensor): void {
  const t = ck.tensors.get(name);
  if (!t) throw new Error(`checkpoint '${ck.file}' has no tensor '${name}'; it belongs to a different space or run kind`);
  const a = into.shape, b = t.shape;
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) throw new Error(`checkpoint '${ck.file}': '${name}' has shape [${b}] but the model expects [${a}]`);
  noGrad(() => into.copy_(t));
}

export function restoreOptimizer<H extends Hyper>(ck: LoadedCheckpoint, name: string, opt: Optimizer<H>): void {
  const meta = (ck.state.optimizers as Record<string, OptimizerMeta> | undefined)?.[name];
  if (!meta) throw new Error(`checkpoint '${ck.file}' has no state for optimizer '${name}'`);
  const tensors = new Map<string, Tensor>();
  const prefix = `optim.${name}.`;
  for (const [k, t] of ck.tensors) if (k.startsWith(prefix)) tensors.set(k.slice(prefix.length), t);
  try {
    opt.loadStateDict({ meta, tensors });
  } catch (e) {
    throw new Error(`checkpoint '${ck.file}': optimizer '${name}' cannot be restored (${(e as Error).message})`);
  }
}

export function restoreRng(ck: LoadedCheckpoint): void {
  if (typeof ck.state.rng !== 'string') throw new Error(`checkpoint '${ck.file}' has no RNG state`);
  setRngState(new Uint8Array(Buffer.from(ck.state.rng, 'base64')));
  // The GPU generator's state when the run resumes on the same kind of device; elsewhere the draws differ (docs/gpu.md).
  const r = ck.state.rng_device as { device: string; state: string } | null | undefined;
  const dev = getDefaultDevice();
  if (r && dev !== 'cpu') {
    try {
      setRngState(new Uint8Array(Buffer.from(r.state, 'base64')), dev);
    } catch (e) {
      // Another libtorch's generator state (its size differs): the run goes on with a fresh GPU stream.
      process.emitWarning(`checkpoint '${ck.file}': the GPU generator state does not fit this libtorch (${(e as Error).message}); the samplers' draws will differ from an uninterrupted run`);
    }
  }
}
