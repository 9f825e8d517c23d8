// Text from a language-model run: the trained network of a train/finetune run,
// or the found architecture with the supernet's weights of a search run.
import type { Architecture } from '../nas/choice.js';
import { generate, type GptSubnet } from '../spaces/gpt.js';
import { manualSeed } from '../tensor/random.js';
import { listSpaces, taskOf } from '../nas/registry.js';
import { applyThreads } from './common.js';
import { isTextDataset, loadRunDataset, type RunDataset } from './data.js';
import { endRunDevice, readRun, spaceOnDevice } from './lifecycle.js';
import { openRunResult } from './weights.js';

export interface GenerateRunOptions {
  prompt?: string;
  tokens?: number;
  temperature?: number;
  topK?: number;
  seed?: number;
  /** Library use and tests: the corpus the run was trained on. */
  dataset?: RunDataset;
  dataDir?: string;
  /** 'auto', 'cpu', 'cuda', 'cuda:N' (default: the run's). */
  device?: string;
}

export interface Generated {
  dir: string;
  source: 'model' | 'supernet';
  architecture: Architecture;
  prompt: string;
  text: string;
}

export async function generateFromRun(dir: string, o: GenerateRunOptions = {}): Promise<Generated> {
  const { run, config, info } = readRun(dir);
  const c = { ...config, ...(o.dataDir !== undefined ? { data_dir: o.dataDir } : {}), ...(o.device !== undefined ? { device: o.device } : {}) };
  if (taskOf(c.space) !== 'language-model') throw new Error(`run '${run.dir}' searched '${c.space}', which is not a language model; generate needs a run of ${listSpaces().filter((s) => s.task === 'language-model').map((s) => s.name).join(', ')}`);
  applyThreads(c);
  const ds = o.dataset ?? (await loadRunDataset(c));
  if (!isTextDataset(ds)) throw new Error(`run '${run.dir}': the dataset is not a text corpus`);
  const { space } = spaceOnDevice(c, ds);
  let net: GptSubnet | null = null;
  try {
    const opened = openRunResult(run, info, c, space);
    const arch = opened.arch;
    const isModel = opened.model !== null;
    net = (opened.model ?? space.subnet(arch, { inherit: true })) as GptSubnet;
    const prompt = o.prompt ?? '\n';
    let ids: Int32Array;
    try {
      ids = ds.tokenizer.encode(prompt);
    } catch (e) {
      throw new Error(`the prompt cannot be encoded with this run's vocabulary: ${(e as Error).message}`);
    }
    if (ids.length === 0) throw new Error('the prompt is empty; give --prompt TEXT (at least one token)');
    const n = o.tokens ?? 200;
    manualSeed(o.seed ?? 0);
    const out = generate(net, [...ids], n, { temperature: o.temperature ?? 0.8, topK: o.topK, seed: o.seed ?? 0 });
    const all = out.toArray().map(Number);
    out.dispose();
    return { dir: run.dir, source: isModel ? 'model' : 'supernet', architecture: arch, prompt, text: ds.tokenizer.decode(all.slice(ids.length)) };
  } finally {
    net?.dispose();
    space.supernet.dispose();
    endRunDevice();
  }
}
