// The weight files of a run directory, and what a finished run stands for:
// - supernet.safetensors: the supernet's weights and buffers (`supernet.*`) and
//   alpha (`alpha.<choice>`); metadata format, space, form, method;
// - model.safetensors (train, finetune): the network (`model.*`); metadata
//   format, space, arch.
import { existsSync } from 'node:fs';
import type { Architecture } from '../nas/choice.js';
import type { SearchSpace } from '../nas/space.js';
import type { Layer } from '../nn/layer.js';
import { loadFile, saveFile } from '../nn/safetensors.js';
import { noGrad } from '../tensor/autograd.js';
import { dispose, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { parseArchitecture, supernetFile } from './common.js';
import type { Config } from './config.js';
import type { RunDir, RunInfo } from './rundir.js';

/** supernet.safetensors' metadata. */
export type SupernetMeta = { format: 'tanglenas.supernet/1'; space: string; form: Config['form']; method: string };
/** model.safetensors' metadata. */
export type ModelMeta = { format: 'tanglenas.model/1'; space: string; arch: string };

export function saveSupernet(file: string, space: SearchSpace, c: Config): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of space.supernet.stateDict()) tensors.set(`supernet.${k}`, t);
  for (const ch of space.choices) tensors.set(`alpha.${ch.name}`, ch.alpha);
  const meta: SupernetMeta = { format: 'tanglenas.supernet/1', space: c.space, form: c.form, method: c.method };
  saveFile(file, tensors, meta);
}

export function saveModel(file: string, net: Layer, space: SearchSpace, arch: Architecture, c: Config): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of net.stateDict()) tensors.set(`model.${k}`, t);
  const meta: ModelMeta = { format: 'tanglenas.model/1', space: c.space, arch: space.encode(arch) };
  saveFile(file, tensors, meta);
}

/** A safetensors file's tensors and metadata, or an error naming what the file was meant to be. */
function readWeights(file: string, what: string): ReturnType<typeof loadFile> {
  try {
    return loadFile(file);
  } catch (e) {
    throw new Error(`${what} '${file}' cannot be read: ${(e as Error).message}`);
  }
}

/** The tensors under `prefix.`, with the prefix removed (a module's state dict). */
function underPrefix(tensors: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  const sub = new Map<string, Tensor>();
  for (const [k, t] of tensors) if (k.startsWith(`${prefix}.`)) sub.set(k.slice(prefix.length + 1), t);
  return sub;
}

/** Loads supernet.safetensors (weights and alpha) into the space. */
export function loadSupernet(spec: string, space: SearchSpace): void {
  const file = supernetFile(spec);
  tidy(() => {
    const loaded = readWeights(file, 'supernet');
    const m = loaded.metadata;
    if (m.format !== 'tanglenas.supernet/1') throw new Error(`'${file}' is not a tanglenas supernet (metadata format '${m.format}')`);
    if (m.space !== space.name || m.form !== space.form) throw new Error(`supernet '${file}' is a ${m.space} (${m.form}) supernet; this run is ${space.name} (${space.form}); set space and form to match`);
    space.supernet.loadStateDict(underPrefix(loaded.tensors, 'supernet'));
    noGrad(() => {
      for (const ch of space.choices) {
        const a = loaded.tensors.get(`alpha.${ch.name}`);
        if (a) ch.alpha.copy_(a);
      }
    });
  });
}

/** Loads a train or finetune run's model.safetensors into a freshly built sub-network. */
export function loadModel(file: string, net: Layer): void {
  tidy(() => {
    const l = readWeights(file, 'model');
    net.loadStateDict(underPrefix(l.tensors, 'model'));
    dispose(l.tensors);
  });
}

/**
 * What a finished run stands for: a train / finetune run's network (its
 * model.safetensors in a fresh sub-network; the caller disposes it), or a
 * search's architecture (`archSpec`, else architecture.json, else the argmax of
 * alpha) with the supernet's weights loaded into `space` (model null).
 */
export function openRunResult(run: RunDir, info: RunInfo, c: Config, space: SearchSpace, archSpec?: string): { arch: Architecture; model: Layer | null } {
  if (info.command === 'train' || info.command === 'finetune') {
    const file = run.file('model.safetensors');
    if (!existsSync(file)) throw new Error(`run '${run.dir}' has no model.safetensors yet; resume it to the end first`);
    if (archSpec) throw new Error(`--arch applies to search runs; run '${run.dir}' trained one fixed architecture`);
    const arch = parseArchitecture(space, c.arch!);
    const model = info.command === 'train' ? space.evaluationNetwork(arch) : space.subnet(arch, { inherit: false });
    try {
      loadModel(file, model);
    } catch (e) {
      model.dispose();
      throw e;
    }
    return { arch, model };
  }
  // A black-box run searched someone else's supernet.
  loadSupernet(info.command === 'black-box' && c.supernet ? c.supernet : run.dir, space);
  const spec = archSpec ?? (existsSync(run.file('architecture.json')) ? run.file('architecture.json') : null);
  return { arch: spec ? parseArchitecture(space, spec) : space.discretize(), model: null };
}
