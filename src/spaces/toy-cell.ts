// The toy cell space (Fashion-MNIST), as in the reference (reference-facts 3.6,
// 6.1): reduction cell (1 -> 32) -> normal cell (64 -> 32) -> reduction cell
// (64 -> 64), each with 2 nodes and 3 edges choosing among sep_conv_3x3,
// sep_conv_5x5, dil_conv_3x3, dil_conv_5x5. Both reduction cells share the
// reduce choices. 4^6 = 4096 architectures.
//
// WE: per edge two entangled groups, sep 3x3 within 5x5 and dil 3x3 within 5x5
// (centred kernels; pointwise convs and BNs shared). A group's output is its
// weight mass s times the group run with its weights normalised by s. The
// reference runs the group on the unnormalised weights; since every group ends in
// a BatchNorm, that cancels the mass (and at one-hot leaves -mean/std of the
// empty group in eval mode). Ours is exact at one-hot (docs/superposition.md).
// WS: four independent ops per edge, outputs mixed (classic DARTS/DrNAS).
import { BatchNorm2d } from '../nn/norm.js';
import { Conv2d } from '../nn/conv.js';
import { Layer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { relu } from '../tensor/ops/activation.js';
import { dropout } from '../tensor/ops/dropout.js';
import { maxPool2d } from '../tensor/ops/pool.js';
import { tidy } from '../tensor/scope.js';
import { cat, tensor as tensorOf, zeros, type Tensor } from '../tensor/tensor.js';
import type { ArchSample } from '../nas/arch.js';
import { choice, Factor, type Architecture, type Choice } from '../nas/choice.js';
import { EntangledBatchNorm2d } from '../nas/entangled/batchnorm.js';
import { mixCost, type Cost, type Costed } from '../nas/entangled/common.js';
import { EntangledConv2d } from '../nas/entangled/conv2d.js';
import { EntangledLinear } from '../nas/entangled/linear.js';
import { outputMixture } from '../nas/ws.js';
import { registerSpace } from '../nas/registry.js';
import { SearchSpace, Supernet, type SpaceOptions } from '../nas/space.js';
import { IMAGE_COMPARE, TOY_SEARCH_EPOCHS } from './recipes.js';

export const TOY_CELL_PRIMITIVES = ['sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'] as const;
export type ToyCellPrimitive = (typeof TOY_CELL_PRIMITIVES)[number];
const EDGE_SOURCES = [0, 0, 1];
const DROPOUT = 0.2;

function parse(p: ToyCellPrimitive): { kind: 'sep' | 'dil'; k: number } {
  return { kind: p.startsWith('sep') ? 'sep' : 'dil', k: p.endsWith('5x5') ? 5 : 3 };
}

// ---------------------------------------------------------------- shared topology

/** A cell: preprocess, node0 = e0(s0), node1 = e1(s0) + e2(node0), concat, dropout. */
function cellForward(x: Tensor, pre: (h: Tensor) => Tensor, edge: (i: number, h: Tensor) => Tensor, training: boolean): Tensor {
  return tidy(() => {
    const s0 = pre(x);
    const n0 = edge(0, s0);
    const n1 = edge(1, s0).add(edge(2, n0));
    return dropout(cat([n0, n1], 1), DROPOUT, training);
  });
}

function headForward(x: Tensor, fc: (i: number, h: Tensor) => Tensor, training: boolean): Tensor {
  return tidy(() => fc(1, dropout(relu(fc(0, maxPool2d(x, 2).flatten(1))), DROPOUT, training)));
}

/** Layer order of the primitives' parts: sep = dw1 pw1 bn1 dw2 pw2 bn2, dil = dw1 pw1 bn1. */
function primitiveForward(kind: 'sep' | 'dil', x: Tensor, part: (name: string, h: Tensor) => Tensor): Tensor {
  return tidy(() => {
    let h = part('bn1', part('pw1', part('dw1', relu(x))));
    if (kind === 'sep') h = part('bn2', part('pw2', part('dw2', relu(h))));
    return h;
  });
}

const CELLS = [
  { reduce: true, cPrev: 1, c: 32 },
  { reduce: false, cPrev: 64, c: 32 },
  { reduce: true, cPrev: 64, c: 64 },
];

// ---------------------------------------------------------------- supernet

/** One primitive family (sep or dil) over a kernel factor: entangled depthwise convs. */
class PrimitiveGroup extends Module {
  readonly parts = new Map<string, EntangledConv2d | EntangledBatchNorm2d>();

  constructor(readonly kind: 'sep' | 'dil', readonly c: number, stride: number, readonly kernel: Factor<number>) {
    super();
    const dilation = kind === 'dil' ? 2 : 1;
    const add = (name: string, m: EntangledConv2d | EntangledBatchNorm2d) => this.parts.set(name, this.child(name, m));
    const dw = (s: number) => new EntangledConv2d({ inChannels: c, outChannels: c, kernel, groups: c, stride: s, dilation, padding: 'same', bias: 'none' });
    const pw = () => new EntangledConv2d({ inChannels: c, outChannels: c, kernel: 1, padding: 0, bias: 'none' });
    add('dw1', dw(stride));
    add('pw1', pw());
    add('bn1', new EntangledBatchNorm2d({ channels: c, affine: false }));
    if (kind === 'sep') {
      add('dw2', dw(1));
      add('pw2', pw());
      add('bn2', new EntangledBatchNorm2d({ channels: c, affine: false }));
    }
  }

  /** Superposition over the kernel factor with weights `wk` (summing to 1). */
  mixed(x: Tensor, wk: Tensor, arch: ArchSample): Tensor {
    return primitiveForward(this.kind, x, (name, h) => {
      const m = this.parts.get(name)!;
      return m instanceof EntangledConv2d && m.factors.length ? m.forwardMixed(h, [wk]) : m.forward(h, arch);
    });
  }

  /** The kernel candidate `k` alone. */
  candidate(x: Tensor, k: number, arch: ArchSample): Tensor {
    return primitiveForward(this.kind, x, (name, h) => {
      const m = this.parts.get(name)!;
      return m instanceof EntangledConv2d && m.factors.length ? m.forwardCandidate(h, [k]) : m.forward(h, arch);
    });
  }

  /** Cost under kernel weights `wk` (summing to 1). */
  costWith(wk: Tensor, arch: ArchSample): Cost {
    return tidy(() => {
      let params = zeros([]), flops = zeros([]);
      for (const m of this.parts.values()) {
        const c = m instanceof EntangledConv2d && m.factors.length ? mixCost(wk, m.candidateCosts()) : m.expectedCost(arch);
        params = params.add(c.params);
        flops = flops.add(c.flops);
      }
      return { params, flops };
    });
  }
}

class EdgeWE extends Module implements Costed {
  readonly sep: PrimitiveGroup;
  readonly dil: PrimitiveGroup;

  constructor(readonly choice: Choice<ToyCellPrimitive>, c: number, stride: number) {
    super();
    // Kernel factors: the edge choice's weights for (3x3, 5x5) of one family, normalised.
    this.sep = this.child('sep_conv', new PrimitiveGroup('sep', c, stride, new Factor('kernel', [3, 5])));
    this.dil = this.child('dil_conv', new PrimitiveGroup('dil', c, stride, new Factor('kernel', [3, 5])));
  }

  /** (group, mass, normalised kernel weights) per family; mass-0 groups are skipped (exact zero). */
  #groups(arch: ArchSample): { g: PrimitiveGroup; mass: Tensor; wk: Tensor }[] {
    const w = arch.weights(this.choice);
    const out: { g: PrimitiveGroup; mass: Tensor; wk: Tensor }[] = [];
    for (const [g, start] of [[this.sep, 0], [this.dil, 2]] as const) {
      const part = w.narrow(0, start, 2);
      const mass = part.sum();
      if (mass.item() === 0) continue;
      out.push({ g, mass, wk: part.div(mass) });
    }
    return out;
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return tidy(() => {
      if (arch.mode === 'discrete') {
        const i = arch.index(this.choice);
        const y = (i < 2 ? this.sep : this.dil).candidate(x, i % 2, arch);
        const s = arch.chosenWeight([this.choice]);
        return s ? y.mul(s) : y;
      }
      let out: Tensor | null = null;
      for (const { g, mass, wk } of this.#groups(arch)) {
        const y = g.mixed(x, wk, arch).mul(mass);
        out = out === null ? y : out.add(y);
      }
      return out!;
    });
  }

  expectedCost(arch: ArchSample): Cost {
    return tidy(() => {
      let params = zeros([]), flops = zeros([]);
      for (const { g, mass, wk } of this.#groups(arch)) {
        const c = g.costWith(wk, arch);
        params = params.add(c.params.mul(mass));
        flops = flops.add(c.flops.mul(mass));
      }
      return { params, flops };
    });
  }
}

class EdgeWS extends Module implements Costed {
  readonly ops: PrimitiveGroup[];

  constructor(readonly choice: Choice<ToyCellPrimitive>, c: number, stride: number) {
    super();
    // Four independent ops; each a group over a single fixed kernel.
    this.ops = TOY_CELL_PRIMITIVES.map((p) => {
      const { kind, k } = parse(p);
      return this.child(p, new PrimitiveGroup(kind, c, stride, new Factor('kernel', [k])));
    });
  }

  #one(i: number, x: Tensor, arch: ArchSample): Tensor {
    return this.ops[i].candidate(x, 0, arch);
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return tidy(() => {
      if (arch.mode === 'discrete') {
        const i = arch.index(this.choice);
        const s = arch.chosenWeight([this.choice]);
        const y = this.#one(i, x, arch);
        return s ? y.mul(s) : y;
      }
      return outputMixture(arch.weights(this.choice), this.ops.length, (i) => this.#one(i, x, arch));
    });
  }

  expectedCost(arch: ArchSample): Cost {
    return tidy(() => {
      const w = arch.weights(this.choice);
      let params = zeros([]), flops = zeros([]);
      this.ops.forEach((op, i) => {
        const c = op.costWith(tensorOf([1]), arch);
        params = params.add(c.params.mul(w.narrow(0, i, 1)).sum());
        flops = flops.add(c.flops.mul(w.narrow(0, i, 1)).sum());
      });
      return { params, flops };
    });
  }
}

class CellSupernet extends Module {
  readonly preConv: EntangledConv2d;
  readonly preBn: EntangledBatchNorm2d;
  readonly edges: (EdgeWE | EdgeWS)[];

  constructor(cfg: (typeof CELLS)[number], choices: Choice<ToyCellPrimitive>[], form: 'we' | 'ws') {
    super();
    this.preConv = this.child('pre_conv', new EntangledConv2d({ inChannels: cfg.cPrev, outChannels: cfg.c, kernel: 1, padding: 0, bias: 'none' }));
    this.preBn = this.child('pre_bn', new EntangledBatchNorm2d({ channels: cfg.c, affine: false }));
    this.edges = choices.map((ch, i) => {
      const stride = cfg.reduce && EDGE_SOURCES[i] === 0 ? 2 : 1;
      return this.child(`edge${i}`, form === 'we' ? new EdgeWE(ch, cfg.c, stride) : new EdgeWS(ch, cfg.c, stride));
    });
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return cellForward(x, (h) => this.preBn.forward(this.preConv.forward(relu(h), arch), arch), (i, h) => this.edges[i].forward(h, arch), this.training);
  }
}

class ToyCellSupernet extends Supernet {
  readonly cells: CellSupernet[];
  readonly fcs: EntangledLinear[];

  constructor(normal: Choice<ToyCellPrimitive>[], reduce: Choice<ToyCellPrimitive>[], form: 'we' | 'ws') {
    super();
    this.cells = CELLS.map((cfg, i) => this.child(`cell${i}`, new CellSupernet(cfg, cfg.reduce ? reduce : normal, form)));
    this.fcs = [this.child('fc1', new EntangledLinear({ inFeatures: 1152, outFeatures: 128 })), this.child('fc2', new EntangledLinear({ inFeatures: 128, outFeatures: 10 }))];
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return tidy(() => {
      let h = x;
      for (const c of this.cells) h = c.forward(h, arch);
      return headForward(h, (i, t) => this.fcs[i].forward(t, arch), this.training);
    });
  }
}

// ---------------------------------------------------------------- standalone sub-network

class Primitive extends Layer {
  readonly parts = new Map<string, Conv2d | BatchNorm2d>();

  constructor(readonly primitive: ToyCellPrimitive, c: number, stride: number) {
    super();
    const { kind, k } = parse(primitive);
    const dilation = kind === 'dil' ? 2 : 1;
    const add = (name: string, m: Conv2d | BatchNorm2d) => this.parts.set(name, this.child(name, m));
    const dw = (s: number) => new Conv2d(c, c, k, { stride: s, padding: (dilation * (k - 1)) / 2, dilation, groups: c, bias: false });
    add('dw1', dw(stride));
    add('pw1', new Conv2d(c, c, 1, { bias: false }));
    add('bn1', new BatchNorm2d(c, { affine: false }));
    if (kind === 'sep') {
      add('dw2', dw(1));
      add('pw2', new Conv2d(c, c, 1, { bias: false }));
      add('bn2', new BatchNorm2d(c, { affine: false }));
    }
  }

  forward(x: Tensor): Tensor {
    return primitiveForward(parse(this.primitive).kind, x, (name, h) => this.parts.get(name)!.forward(h));
  }
}

class CellSubnet extends Layer {
  readonly preConv: Conv2d;
  readonly preBn: BatchNorm2d;
  readonly edges: Primitive[];

  constructor(cfg: (typeof CELLS)[number], ops: ToyCellPrimitive[]) {
    super();
    this.preConv = this.child('pre_conv', new Conv2d(cfg.cPrev, cfg.c, 1, { bias: false }));
    this.preBn = this.child('pre_bn', new BatchNorm2d(cfg.c, { affine: false }));
    this.edges = ops.map((p, i) => this.child(`edge${i}`, new Primitive(p, cfg.c, cfg.reduce && EDGE_SOURCES[i] === 0 ? 2 : 1)));
  }

  forward(x: Tensor): Tensor {
    return cellForward(x, (h) => this.preBn.forward(this.preConv.forward(relu(h))), (i, h) => this.edges[i].forward(h), this.training);
  }
}

class ToyCellSubnet extends Layer {
  readonly cells: CellSubnet[];
  readonly fcs: Linear[];

  constructor(readonly normal: ToyCellPrimitive[], readonly reduce: ToyCellPrimitive[]) {
    super();
    this.cells = CELLS.map((cfg, i) => this.child(`cell${i}`, new CellSubnet(cfg, cfg.reduce ? reduce : normal)));
    this.fcs = [this.child('fc1', new Linear(1152, 128)), this.child('fc2', new Linear(128, 10))];
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let h = x;
      for (const c of this.cells) h = c.forward(h);
      return headForward(h, (i, t) => this.fcs[i].forward(t), this.training);
    });
  }
}

/** Copies a supernet part into a sub-network part: centred crop where kernels differ. */
function inheritPart(dst: Conv2d | BatchNorm2d, src: EntangledConv2d | EntangledBatchNorm2d): void {
  if (dst instanceof Conv2d && src instanceof EntangledConv2d) {
    const [kd, ks] = [dst.kernelSize[0], src.maxK];
    const s = (ks - kd) / 2;
    dst.weight.copy_(src.weight.narrow(2, s, kd).narrow(3, s, kd));
  } else if (dst instanceof BatchNorm2d && src instanceof EntangledBatchNorm2d) {
    dst.runningMean!.copy_(src.runningMean);
    dst.runningVar!.copy_(src.runningVar);
  } else {
    throw new Error(`toy-cell inherit: cannot copy ${src.constructor.name} into ${dst.constructor.name}`);
  }
}

// ---------------------------------------------------------------- the space

export class ToyCellSpace extends SearchSpace {
  readonly name = 'toy-cell';
  readonly inputShape = [1, 28, 28];
  readonly numClasses = 10;
  readonly normal: Choice<ToyCellPrimitive>[];
  readonly reduce: Choice<ToyCellPrimitive>[];
  readonly choices: readonly Choice[];
  readonly supernet: ToyCellSupernet;

  constructor(opts: SpaceOptions = {}) {
    super(opts);
    this.normal = [0, 1, 2].map((i) => choice(`normal_${i}`, TOY_CELL_PRIMITIVES));
    this.reduce = [0, 1, 2].map((i) => choice(`reduce_${i}`, TOY_CELL_PRIMITIVES));
    this.choices = [...this.normal, ...this.reduce];
    this.supernet = new ToyCellSupernet(this.normal, this.reduce, this.form);
  }

  #ops(arch: Architecture): { normal: ToyCellPrimitive[]; reduce: ToyCellPrimitive[] } {
    return { normal: this.normal.map((c) => this.value(arch, c)), reduce: this.reduce.map((c) => this.value(arch, c)) };
  }

  /** `str(Genotype(...))` exactly as the reference prints it. */
  benchmarkKey(arch: Architecture): string {
    const { normal, reduce } = this.#ops(arch);
    const edges = (ops: string[]) => `[${ops.map((o, i) => `('${o}', ${EDGE_SOURCES[i]})`).join(', ')}]`;
    return `Genotype(normal=${edges(normal)}, normal_concat=range(1, 3), reduce=${edges(reduce)}, reduce_concat=range(1, 3))`;
  }

  fromBenchmarkKey(key: string): Architecture {
    const edge = `\\('(\\w+)', (\\d)\\)`;
    const list = `\\[${edge}, ${edge}, ${edge}\\]`;
    const m = new RegExp(`^Genotype\\(normal=${list}, normal_concat=range\\(1, 3\\), reduce=${list}, reduce_concat=range\\(1, 3\\)\\)$`).exec(key.trim());
    if (!m) throw new Error(`toy-cell: '${key}' is not a Genotype(normal=[...], normal_concat=range(1, 3), reduce=[...], reduce_concat=range(1, 3)) key`);
    const g = m.slice(1);
    const arch: Architecture = {};
    for (let e = 0; e < 6; e++) {
      const [op, src] = [g[2 * e], Number(g[2 * e + 1])];
      if (src !== EDGE_SOURCES[e % 3]) throw new Error(`toy-cell: edge ${e % 3} must come from node ${EDGE_SOURCES[e % 3]}, key says ${src}`);
      const c = this.choices[e] as Choice<ToyCellPrimitive>;
      arch[c.name] = c.indexOf(op as ToyCellPrimitive);
    }
    return arch;
  }

  subnet(arch: Architecture, opts: { inherit: boolean }): ToyCellSubnet {
    const { normal, reduce } = this.#ops(arch);
    const net = new ToyCellSubnet(normal, reduce);
    if (!opts.inherit) return net;
    noGrad(() => {
      this.supernet.cells.forEach((sc, ci) => {
        const dc = net.cells[ci];
        inheritPart(dc.preConv, sc.preConv);
        inheritPart(dc.preBn, sc.preBn);
        sc.edges.forEach((se, ei) => {
          const prim = dc.edges[ei];
          const { kind } = parse(prim.primitive);
          const group = se instanceof EdgeWE ? (kind === 'sep' ? se.sep : se.dil) : se.ops[TOY_CELL_PRIMITIVES.indexOf(prim.primitive)];
          for (const [name, part] of prim.parts) inheritPart(part, group.parts.get(name)!);
        });
      });
      this.supernet.fcs.forEach((op, i) => {
        net.fcs[i].weight.copy_(op.weight);
        net.fcs[i].bias!.copy_(op.bias!);
      });
    });
    return net;
  }
}

// reference-facts 6.1 / 7: SGD nesterov 0.9, wd 5e-4, lr 0.025 to 1e-3, batch 64, split 0.5;
// SPOS lr 0.01; retraining as the benchmark was made (8.4): SGD 0.01, batch 256, 200 epochs.
const RETRAIN = { optimizer: 'sgd', lr: 0.01, momentum: 0.9, nesterov: false, weight_decay: 5e-4, lr_schedule: 'constant', lr_min: 0, batch_size: 256 } as const;

registerSpace({
  name: 'toy-cell',
  description: 'Toy cell (Fashion-MNIST): 3 cells x 3 edges, {sep,dil}_conv_{3x3,5x5}, 4096 architectures',
  task: 'classification',
  datasets: ['fashion-mnist'],
  inputShape: [1, 28, 28],
  benchmark: { file: 'toy_cell_bench.json', id: 'toy_cell', metric: 'accuracy', columns: ['test_acc', 'train_acc'] },
  metric: 'accuracy',
  recipes: {
    base: { optimizer: 'sgd', lr: 0.025, lr_min: 1e-3, momentum: 0.9, nesterov: true, population: 5, select: 10, mutation: 2, crossover: 2 },
    presets: {
      ...TOY_SEARCH_EPOCHS,
      'spos-es': { ...TOY_SEARCH_EPOCHS['spos-es'], lr: 0.01 },
      'spos-rs': { ...TOY_SEARCH_EPOCHS['spos-rs'], lr: 0.01 },
      retrain: { ...RETRAIN, epochs: 200 },
      finetune: { ...RETRAIN, epochs: 20 },
    },
    // The README's main job: TangleNAS within a few minutes. Short "epochs" of 25
    // steps, the epoch count fitted to the budget, and a 10x arch learning rate
    // because alpha gets a few hundred steps instead of 47,000.
    extra: [{ name: 'main', like: 'tanglenas', description: 'the README main job: TangleNAS on the toy cell in a 5-minute budget (short epochs, arch lr 3e-3)', values: { epochs: 40, steps_per_epoch: 25, budget_minutes: 5, budget_fit: true, arch_lr: 3e-3, eval_samples: 2048, checkpoint_minutes: 2, log_every: 5 } }],
    compare: IMAGE_COMPARE,
  },
  create: (o) => new ToyCellSpace(o),
});
