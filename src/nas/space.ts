// The search-space interface and registry. Every space has the same surface, so
// samplers, the architect, the search loops and the invariant tests work on any
// registered space (tests are parametrised over `listSpaces()`).
import type { Layer } from '../nn/layer.js';
import { Module, moveTensorsTo } from '../nn/module.js';
import { tidy } from '../tensor/scope.js';
import { randint, randn, zeros, type Device, type Tensor } from '../tensor/tensor.js';
import { crossEntropy } from '../tensor/ops/loss.js';
import { ArchSample } from './arch.js';
import { Choice, decodeArchitecture, encodeArchitecture, type Architecture } from './choice.js';
import type { Cost, Costed } from './entangled/common.js';
import { measureCost, type ExactCost } from './cost.js';

/**
 * we: TangleNAS weight entanglement (superposition of weight slices).
 * ws: classic weight sharing (candidate outputs mixed), the baseline.
 */
export type SpaceForm = 'we' | 'ws';

/** A supernet: forward under the mixing weights of one ArchSample. */
export abstract class Supernet extends Module {
  abstract forward(x: Tensor, arch: ArchSample): Tensor;
}

export interface SpaceOptions {
  form?: SpaceForm;
  /** Sequence spaces only (language models): vocabulary size, overriding the preset's. */
  vocabSize?: number;
  /** Sequence spaces only: context length (block size), overriding the preset's. */
  blockSize?: number;
  /** Image spaces that follow their dataset (nb201): classes of the classifier (default 10). */
  numClasses?: number;
  /**
   * The space's own options, by option name (its registry entry's `options`,
   * e.g. darts' `evalLayers`): createSpace checks them and fills in defaults;
   * a run passes the values of their config keys (search/data.ts).
   */
  [option: string]: unknown;
}

export abstract class SearchSpace {
  abstract readonly name: string;
  readonly form: SpaceForm;
  abstract readonly choices: readonly Choice[];
  abstract readonly supernet: Supernet;
  /** Input shape of one sample, e.g. [3, 32, 32]; for a language model [blockSize] (token ids). */
  abstract readonly inputShape: readonly number[];
  /** Number of classes; for a language model the vocabulary size (logits per position). */
  abstract readonly numClasses: number;

  constructor(opts: SpaceOptions = {}) {
    const form = opts.form ?? 'we';
    if (form !== 'we' && form !== 'ws') throw new Error(`space form must be 'we' or 'ws', got '${form}'`);
    this.form = form;
  }

  /** A random input batch of the right shape and dtype, with labels (tests, benchmarks). */
  exampleBatch(n: number): { x: Tensor; y: Tensor } {
    return { x: randn([n, ...this.inputShape]), y: randint(0, this.numClasses, [n]) };
  }

  /** The training loss of a batch's logits (cross-entropy over classes by default). */
  loss(logits: Tensor, y: Tensor): Tensor {
    return crossEntropy(logits, y);
  }

  /** Number of architectures. */
  size(): number {
    return this.choices.reduce((a, c) => a * c.size, 1);
  }

  /** The architecture logits of every choice (the only trainable arch parameters). */
  alphas(): Tensor[] {
    return this.choices.map((c) => c.alpha);
  }

  /**
   * Moves the supernet's weights and buffers and every alpha to `device`, in
   * place (the tensors keep their identities; build the space on the CPU first,
   * so the initial values are the same on every device).
   */
  to(device: Device): this {
    this.supernet.to(device);
    moveTensorsTo(device, this.alphas());
    return this;
  }

  /** argmax of alpha per choice. */
  genotype(): Architecture {
    return Object.fromEntries(this.choices.map((c) => [c.name, c.argmax()]));
  }

  /**
   * The architecture a search stands for now (its result, and the any-time
   * record of every epoch): the argmax per choice by default; a space with a
   * derivation rule of its own overrides it (DARTS: the top-2 incoming edges
   * per node).
   */
  discretize(): Architecture {
    return this.genotype();
  }

  /**
   * The choices that affect the output of an architecture: all of them, unless
   * a depth choice leaves some layers (and their choices) unused.
   */
  activeChoices(arch: Architecture): Choice[] {
    void arch;
    return [...this.choices];
  }

  /**
   * One architecture per distinct network: the black-box stage keys, de-duplicates
   * and scores candidates by it. The identity by default; a space with a depth
   * choice puts the choices of layers beyond the depth at their first value
   * (`inactiveAtFirst`), so two keys never name one network.
   */
  canonical(arch: Architecture): Architecture {
    return arch;
  }

  /** `arch` with every choice outside activeChoices(arch) at index 0. */
  protected inactiveAtFirst(arch: Architecture): Architecture {
    const active = new Set(this.activeChoices(arch).map((c) => c.name));
    return Object.fromEntries(this.choices.map((c) => [c.name, active.has(c.name) ? arch[c.name] : 0]));
  }

  /**
   * What AutoFormer's evolution treats apart (reference-facts 5): `structural`
   * choices are mutated with s_prob instead of m_prob (the depth, the embedding
   * width), and crossover pairs parents of equal `depth`. None by default.
   */
  evolution(): { structural: readonly Choice[]; depth: Choice | null } {
    return { structural: [], depth: null };
  }

  /**
   * Choices whose chosen output only feeds a scale-invariant layer (BatchNorm in
   * training mode), so a straight-through weight (GDAS's discrete sample) gets
   * a gradient of zero up to BatchNorm's eps through them: MobileNetV3's stage
   * depths. None by default; the invariant tests exempt them for GDAS.
   */
  scaleInvariantChoices(): readonly Choice[] {
    return [];
  }

  /** A uniform random architecture from a [0, 1) source (seeded by the caller). */
  randomArchitecture(random: () => number): Architecture {
    return Object.fromEntries(this.choices.map((c) => [c.name, Math.min(c.size - 1, Math.floor(random() * c.size))]));
  }

  encode(arch: Architecture): string {
    return encodeArchitecture(this.choices, arch);
  }

  decode(json: string): Architecture {
    return decodeArchitecture(this.choices, json);
  }

  /** Value of a choice in an architecture. */
  value<V extends number | string>(arch: Architecture, c: Choice<V>): V {
    const i = arch[c.name];
    if (i === undefined) throw new Error(`architecture has no entry for choice '${c.name}'`);
    return c.values[i];
  }

  /** The key of this architecture in the space's tabular benchmark. */
  abstract benchmarkKey(arch: Architecture): string;
  abstract fromBenchmarkKey(key: string): Architecture;

  /**
   * The standalone sub-network of an architecture: inheriting the supernet's
   * sliced weights (inherit: true) or freshly initialised (retraining).
   */
  abstract subnet(arch: Architecture, opts: { inherit: boolean }): Layer;

  /**
   * The network `tanglenas train` trains for an architecture (from scratch):
   * its sub-network by default; a space may train a larger evaluation network
   * (DARTS: 20 cells of 36 channels, an auxiliary head, drop-path).
   */
  evaluationNetwork(arch: Architecture): Layer {
    return this.subnet(arch, { inherit: false });
  }

  /**
   * The loss a standalone network (train, finetune) is trained on for one
   * batch, with the logits it scored: the plain loss of the logits by default;
   * a network with an auxiliary head adds its weighted loss here.
   */
  trainingLoss(net: Layer, x: Tensor, y: Tensor): { loss: Tensor; logits: Tensor } {
    const logits = net.forward(x);
    return { loss: this.loss(logits, y), logits };
  }

  /**
   * Called before every epoch of a standalone network's training (0-based
   * epoch of `epochs`), for schedules that depend on the epoch only (DARTS's
   * drop-path probability); nothing by default. Re-applied after a resume.
   */
  beforeTrainingEpoch(net: Layer, epoch: number, epochs: number): void {
    void net;
    void epoch;
    void epochs;
  }

  /** Constant one-hot mixing weights for an architecture. */
  fixed(arch: Architecture, mode: 'superposition' | 'discrete' = 'discrete'): ArchSample {
    return ArchSample.fixed(this.choices, arch, mode);
  }

  /**
   * Expected params and FLOPs under the sample's mixing weights, differentiable
   * w.r.t. them; equal to the sub-network's exact counts at one-hot weights.
   * The supernet must have run one forward (ops record their input sizes).
   */
  expectedCost(arch: ArchSample): Cost {
    return tidy(() => {
      let params = zeros([]);
      let flops = zeros([]);
      // A costed module accounts for its whole subtree.
      const visit = (name: string, m: Module): void => {
        if (m !== this.supernet && isCosted(m)) {
          const c = m.expectedCost(arch);
          params = params.add(c.params);
          flops = flops.add(c.flops);
          return;
        }
        if (ownParamCount(m) > 0) throw new Error(`expectedCost: module '${name || '<root>'}' (${m.constructor.name}) has parameters but no cost model; make it an entangled op`);
        for (const [n, c] of m.namedChildren()) visit(name ? `${name}.${n}` : n, c);
      };
      visit('', this.supernet);
      return { params, flops };
    });
  }

  /**
   * Exact params and FLOPs of a standalone sub-network, measured by running it
   * on `x`, in the units of expectedCost: per sample here (convs and linears);
   * sequence spaces count per token and add what is not a conv or linear.
   */
  measureSubnetCost(net: Layer, x: Tensor): ExactCost {
    return measureCost(net, () => net.forward(x), x.size(0));
  }
}

function isCosted(m: Module): m is Module & Costed {
  return typeof (m as Partial<Costed>).expectedCost === 'function';
}

function ownParamCount(m: Module): number {
  const childNames = new Set(m.namedChildren().map(([n]) => n));
  return m.namedParameters().filter(([n]) => !childNames.has(n.split('.')[0])).length;
}
