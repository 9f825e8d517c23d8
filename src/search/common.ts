// Pieces shared by the search phases and the training commands: the run
// context, the weight optimizer and schedule from the config, the clock that
// survives resumes, and the architecture helpers.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunDataset } from './data.js';
import { Adam } from '../nn/optim/adam.js';
import { AdamW } from '../nn/optim/adamw.js';
import type { Optimizer, Hyper } from '../nn/optim/optimizer.js';
import { SGD } from '../nn/optim/sgd.js';
import { cosineAnnealing } from '../nn/optim/schedule.js';
import { createSampler, samplerOptionsFrom, type Sampler } from '../nas/samplers/index.js';
import { withPruning } from '../nas/prune.js';
import type { Architecture } from '../nas/choice.js';
import type { SearchSpace } from '../nas/space.js';
import { getDefaultDevice, withDefaultDevice, type Tensor } from '../tensor/tensor.js';
import { gpuMemory, isCuda } from '../tensor/device.js';
import type { Layer } from '../nn/layer.js';
import { noGrad } from '../tensor/autograd.js';
import { heInit_ } from '../nn/init.js';
import { isWeightLayer } from '../nas/entangled/layers.js';
import { keepingRngState } from '../tensor/random.js';
import { getNumThreads, setNumThreads } from '../tensor/runtime.js';
import { tidy } from '../tensor/scope.js';
import type { ExactCost } from '../nas/cost.js';
import type { Config } from './config.js';
import type { Progress } from './progress.js';
import type { Command, RunDir } from './rundir.js';

export interface RunContext {
  command: Command;
  config: Config;
  run: RunDir;
  progress: Progress;
  /** A dataset given by the caller (library use, tests) instead of config.dataset. */
  dataset?: RunDataset;
  /** True when continuing a run. */
  resume: boolean;
}

/** Sets libtorch's intra-op thread count to the config's (0 = leave it). */
export function applyThreads(c: Pick<Config, 'threads'>): void {
  if (c.threads > 0 && getNumThreads() !== c.threads) setNumThreads(c.threads);
}

export function makeWeightOptimizer(params: Tensor[], c: Config): Optimizer<Hyper> {
  if (c.optimizer === 'sgd') return new SGD(params, { lr: c.lr, momentum: c.momentum, nesterov: c.nesterov && c.momentum > 0, weightDecay: c.weight_decay }) as unknown as Optimizer<Hyper>;
  // The reference hard-codes Adam's weight decay at 5e-4 and ignores the
  // config (reference-facts 9.2); we use weight_decay (5e-4 in every preset).
  if (c.optimizer === 'adamw') return new AdamW(params, { lr: c.lr, betas: c.adam_betas, weightDecay: c.weight_decay }) as unknown as Optimizer<Hyper>;
  return new Adam(params, { lr: c.lr, betas: c.adam_betas, weightDecay: c.weight_decay }) as unknown as Optimizer<Hyper>;
}

/** timm's warmup_lr: the first warm-up epoch's learning rate. */
const WARMUP_LR0 = 1e-6;

/**
 * The weight learning rate of an epoch: a linear warm-up from 1e-6 over
 * warmup_epochs (timm's), then cosine annealing stepped per epoch (T_max =
 * epochs unless set; counted from epoch 0, as timm without warmup_prefix), or constant.
 */
export function lrAt(c: Config, epoch: number, epochs: number): number {
  if (epoch < c.warmup_epochs) return WARMUP_LR0 + ((c.lr - WARMUP_LR0) * epoch) / c.warmup_epochs;
  if (c.lr_schedule === 'constant') return c.lr;
  return cosineAnnealing({ baseLr: c.lr, tMax: c.cosine_t_max || epochs, etaMin: c.lr_min })(epoch);
}

/** weight_init: he re-draws a network's convolutions and linear layers (the supernet, or a network trained from scratch). */
export function applyWeightInit(c: Pick<Config, 'weight_init'>, net: { namedModules(): [string, object][] }): void {
  if (c.weight_init === 'he') heInit_(net, isWeightLayer);
}

/** The run's sampler, with its options read from the config by the keys its registry entry declares. */
export function makeSampler(c: Config): Sampler {
  const s = createSampler(c.method, samplerOptionsFrom(c.method, c as unknown as Record<string, unknown>));
  return c.prune_below > 0 ? withPruning(s) : s;
}

/**
 * Time of a run across resumes: what earlier sessions used plus this one.
 * 'cpu' counts this process's CPU time (all threads), so runs sharing a busy
 * machine still get equal compute for an equal budget.
 */
export class Clock {
  readonly #now: () => number;
  readonly #start: number;
  constructor(
    public base = 0,
    readonly kind: 'wall' | 'cpu' = 'wall',
  ) {
    this.#now = kind === 'cpu' ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => Date.now();
    this.#start = this.#now();
  }
  ms(): number {
    return this.base + (this.#now() - this.#start);
  }
  seconds(): number {
    return this.ms() / 1000;
  }
}

export function rssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

let gpuPeakMb = 0;
/** A new run's GPU peak starts from zero. */
export function resetGpuMemPeak(): void {
  gpuPeakMb = 0;
}
/**
 * On a GPU run, the most GPU memory in use at any record so far (MiB, as
 * nvidia-smi counts it: context and the caching allocator's reserve included;
 * sampled at each record, so a peak between records can be missed); else null.
 */
export function gpuMemMb(): number | null {
  if (!isCuda(getDefaultDevice())) return null;
  const m = gpuMemory();
  if (!m) return null;
  gpuPeakMb = Math.max(gpuPeakMb, Math.round(m.usedMb));
  return gpuPeakMb;
}

/** A short form of an architecture for status lines: values joined, op names abbreviated. */
export function shortArch(space: SearchSpace, arch: Architecture): string {
  return space.choices
    .map((c) => {
      const v = c.values[arch[c.name]];
      return typeof v === 'string' ? v.replace(/_conv_/, '').replace(/x\d+$/, '') : String(v);
    })
    .join(',');
}

/**
 * Exact params and FLOPs (multiply-accumulates of one forward pass per sample;
 * language models: per token) of an architecture's standalone network. Leaves
 * the random-number state as it was, so results do not depend on whether it ran.
 */
export function architectureCost(space: SearchSpace, arch: Architecture): ExactCost {
  // On the CPU: a cost does not depend on the device, and the GPU's generator stays untouched.
  return withDefaultDevice('cpu', () =>
    keepingRngState(() => {
      const net = space.subnet(arch, { inherit: false });
      try {
        return networkCost(space, net);
      } finally {
        net.dispose();
      }
    }),
  );
}

/**
 * Exact params and FLOPs of a network as it is (what `train` trained: DARTS's
 * evaluation network is bigger than the searched sub-network), measured in
 * eval mode so BatchNorm's running statistics stay as trained.
 */
export function networkCost(space: SearchSpace, net: Layer): ExactCost {
  const training = net.training;
  net.eval();
  try {
    return tidy(() => noGrad(() => space.measureSubnetCost(net, space.exampleBatch(1).x)));
  } finally {
    net.train(training);
  }
}

/** The architecture as {choice: value} (what architecture.json stores). */
export function archValues(space: SearchSpace, arch: Architecture): Record<string, string | number> {
  return JSON.parse(space.encode(arch)) as Record<string, string | number>;
}

/**
 * An architecture from the command line or a file: canonical JSON
 * {choice: value}, a benchmark key, an architecture.json of a run, or a run
 * directory holding one.
 */
export function parseArchitecture(space: SearchSpace, spec: string): Architecture {
  let text = spec.trim();
  let from = 'the architecture';
  if (existsSync(spec)) {
    const file = statSync(spec).isDirectory() ? join(spec, 'architecture.json') : spec;
    if (!existsSync(file)) throw new Error(`'${spec}' is a folder without architecture.json; pass a finished search run, a file, or the architecture itself`);
    text = readFileSync(file, 'utf8').trim();
    from = `'${file}'`;
  }
  if (text.startsWith('{')) {
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${from} is not valid JSON (${(e as Error).message}); give {"choice": value, ...} or a benchmark key`);
    }
    // A run's architecture.json.
    if (!obj.architecture && typeof obj.command === 'string' && obj.phase === 'supernet') {
      throw new Error(`${from} holds no architecture: that run stopped in its supernet phase (budget spent); resume it with a larger --budget-minutes first`);
    }
    if (obj.architecture && typeof obj.architecture === 'object') {
      if (obj.space !== undefined && obj.space !== space.name) throw new Error(`${from} is an architecture of space '${String(obj.space)}', not '${space.name}'`);
      obj = obj.architecture as Record<string, unknown>;
    }
    try {
      return space.decode(JSON.stringify(obj));
    } catch (e) {
      throw new Error(`${from} is not an architecture of '${space.name}': ${(e as Error).message}`);
    }
  }
  try {
    return space.fromBenchmarkKey(text);
  } catch (e) {
    throw new Error(`${from} is neither JSON {"choice": value} nor a benchmark key of '${space.name}': ${(e as Error).message}`);
  }
}

/** The supernet weights file of a run directory (or the file itself). */
export function supernetFile(spec: string): string {
  if (!existsSync(spec)) throw new Error(`supernet '${spec}' does not exist; pass a finished two-stage or search run directory, or its supernet.safetensors`);
  const f = statSync(spec).isDirectory() ? join(spec, 'supernet.safetensors') : spec;
  if (!existsSync(f)) throw new Error(`'${spec}' has no supernet.safetensors; the run has not finished its supernet phase (resume it first)`);
  return f;
}
