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
// The edges and primitives are the cell spaces' shared ones (cell-ops.ts).
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
import { cat, type Tensor } from '../tensor/tensor.js';
import type { ArchSample } from '../nas/arch.js';
import { choice, type Architecture, type Choice } from '../nas/choice.js';
import { EntangledBatchNorm2d } from '../nas/entangled/batchnorm.js';
import { EntangledConv2d } from '../nas/entangled/conv2d.js';
import { EntangledLinear } from '../nas/entangled/linear.js';
import { registerSpace } from '../nas/registry.js';
import { SearchSpace, Supernet, type SpaceOptions } from '../nas/space.js';
import { CellEdge, ConvOp, inheritOp, inheritPart } from './cell-ops.js';
import { IMAGE_COMPARE, TOY_SEARCH_EPOCHS } from './recipes.js';

export const TOY_CELL_PRIMITIVES = ['sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'] as const;
export type ToyCellPrimitive = (typeof TOY_CELL_PRIMITIVES)[number];
const EDGE_SOURCES = [0, 0, 1];
const DROPOUT = 0.2;

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

const CELLS = [
  { reduce: true, cPrev: 1, c: 32 },
  { reduce: false, cPrev: 64, c: 32 },
  { reduce: true, cPrev: 64, c: 64 },
];

// ---------------------------------------------------------------- supernet

class CellSupernet extends Module {
  readonly preConv: EntangledConv2d;
  readonly preBn: EntangledBatchNorm2d;
  readonly edges: CellEdge[];

  constructor(cfg: (typeof CELLS)[number], choices: Choice<ToyCellPrimitive>[], form: 'we' | 'ws') {
    super();
    this.preConv = this.child('pre_conv', new EntangledConv2d({ inChannels: cfg.cPrev, outChannels: cfg.c, kernel: 1, padding: 0, bias: 'none' }));
    this.preBn = this.child('pre_bn', new EntangledBatchNorm2d({ channels: cfg.c, affine: false }));
    this.edges = choices.map((ch, i) => {
      const stride = cfg.reduce && EDGE_SOURCES[i] === 0 ? 2 : 1;
      return this.child(`edge${i}`, new CellEdge(ch, cfg.c, stride, form === 'we'));
    });
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return cellForward(x, (h) => this.preBn.forward(this.preConv.forward(relu(h), arch), arch), (i, h) => this.edges[i].forward(h, arch)!, this.training);
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

class CellSubnet extends Layer {
  readonly preConv: Conv2d;
  readonly preBn: BatchNorm2d;
  readonly edges: ConvOp[];

  constructor(cfg: (typeof CELLS)[number], ops: ToyCellPrimitive[]) {
    super();
    this.preConv = this.child('pre_conv', new Conv2d(cfg.cPrev, cfg.c, 1, { bias: false }));
    this.preBn = this.child('pre_bn', new BatchNorm2d(cfg.c, { affine: false }));
    this.edges = ops.map((p, i) => this.child(`edge${i}`, new ConvOp(p, cfg.c, cfg.reduce && EDGE_SOURCES[i] === 0 ? 2 : 1)));
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
        sc.edges.forEach((se, ei) => inheritOp(dc.edges[ei], se, dc.edges[ei].primitive));
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
