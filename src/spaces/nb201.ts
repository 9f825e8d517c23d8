// NAS-Bench-201 (Dong & Yang 2020; reference-facts 3.7, 6.3): stem conv 3x3
// (3 -> 16) + BN; three stages of 5 search cells (C = 16, 32, 64) with a ResNet
// basic block (stride 2) between them; BN, ReLU, global average pool, linear.
// A cell has 4 nodes; node j sums one edge from every earlier node (6 edges),
// and its output is node 3. Every edge chooses among 5 ops, in the reference's
// order; the 6 edge choices are shared by all 15 cells: 5^6 = 15,625 cells.
//
// WE: nor_conv_1x1 is the centre tap of nor_conv_3x3 (one ReLU-Conv-BN per edge,
// a kernel factor {3, 1}; conv bias unweighted, BN affine=False), the
// parameter-free ops are output-mixed. Like the toy cell, the conv group's
// output is its weight mass s = w3 + w1 times the group run with its weights
// normalised by s, and a group of mass 0 is not run; the reference runs it on
// the unnormalised weights, which its BN cancels in training, but in eval mode
// a one-hot non-conv edge then still adds (bias - mean) / std. Ours is exact at
// one-hot in both modes (docs/superposition.md).
// WS: each op its own module, outputs mixed (the classic DARTS/DrNAS mixed op).
//
// A node that receives nothing (every edge into it 'none', or from such a node)
// is absent: the edges out of it are not run, and the sub-network drops them
// with the 'none' edges. In NB201's own networks such an edge adds a constant
// (the BN of a zero input); here it is not part of the network.
import { BatchNorm2d } from '../nn/norm.js';
import { Conv2d } from '../nn/conv.js';
import { Layer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { relu } from '../tensor/ops/activation.js';
import { avgPool2d } from '../tensor/ops/pool.js';
import { tidy } from '../tensor/scope.js';
import { zeros, zerosLike, type Tensor } from '../tensor/tensor.js';
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

/** The ops of an edge in the reference's order (the reversed NB201 list; 3x3 before 1x1). */
export const NB201_OPS = ['avg_pool_3x3', 'nor_conv_3x3', 'nor_conv_1x1', 'skip_connect', 'none'] as const;
export type Nb201Op = (typeof NB201_OPS)[number];
/** The edges [to, from] in the order of the NB201 string (and of alpha's rows). */
export const NB201_EDGES: readonly (readonly [number, number])[] = [[1, 0], [2, 0], [2, 1], [3, 0], [3, 1], [3, 2]];
const [POOL, CONV3, CONV1, SKIP, NONE] = [0, 1, 2, 3, 4];
const STAGES = [16, 32, 64];
const CELLS_PER_STAGE = 5;

// ---------------------------------------------------------------- shared topology

/** Node j = sum of the edges into it from present nodes; an edge returns null when it adds nothing. */
function cellForward(x: Tensor, edge: (e: number, h: Tensor) => Tensor | null): Tensor {
  return tidy(() => {
    const nodes: (Tensor | null)[] = [x, null, null, null];
    NB201_EDGES.forEach(([to, from], e) => {
      const h = nodes[from];
      const y = h === null ? null : edge(e, h);
      if (y !== null) nodes[to] = nodes[to] === null ? y : nodes[to]!.add(y);
    });
    return nodes[3] ?? zerosLike(x);
  });
}

/** Which edges are run for per-edge "adds something" flags: those whose source node is present. */
function runEdges(adds: readonly boolean[]): boolean[] {
  const present = [true, false, false, false];
  return NB201_EDGES.map(([to, from], e) => {
    const run = present[from] && adds[e];
    if (run) present[to] = true;
    return run;
  });
}

/** ReLU-Conv-BN: the nor_conv ops (conv bias, BN affine=False) and the ResNet block's halves. */
function reluConvBn(x: Tensor, conv: (h: Tensor) => Tensor, bn: (h: Tensor) => Tensor): Tensor {
  return tidy(() => bn(conv(relu(x))));
}

const pool3 = (x: Tensor): Tensor => avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false });

/** ResNet basic block (stride 2): a = RCB(x), b = RCB(a); shortcut = conv1x1(avgpool2(x)); b + shortcut. */
function resBlockForward(x: Tensor, part: (name: 'conv_a' | 'bn_a' | 'conv_b' | 'bn_b' | 'shortcut', h: Tensor) => Tensor): Tensor {
  return tidy(() => {
    const a = reluConvBn(x, (h) => part('conv_a', h), (h) => part('bn_a', h));
    const b = reluConvBn(a, (h) => part('conv_b', h), (h) => part('bn_b', h));
    return part('shortcut', avgPool2d(x, 2, { stride: 2 })).add(b);
  });
}

/** stem; 5 cells, reduction, 5 cells, reduction, 5 cells; BN, ReLU, global average pool, linear. */
function netForward(x: Tensor, n: { stem: (h: Tensor) => Tensor; cell: (i: number, h: Tensor) => Tensor; reduce: (s: number, h: Tensor) => Tensor; bn: (h: Tensor) => Tensor; fc: (h: Tensor) => Tensor }): Tensor {
  return tidy(() => {
    let h = n.stem(x);
    for (let s = 0; s < STAGES.length; s++) {
      if (s > 0) h = n.reduce(s - 1, h);
      for (let i = 0; i < CELLS_PER_STAGE; i++) h = n.cell(s * CELLS_PER_STAGE + i, h);
    }
    return n.fc(relu(n.bn(h)).mean([2, 3]));
  });
}

// ---------------------------------------------------------------- supernet

/** A nor_conv op: ReLU, conv (WE: kernel factor {3, 1}; WS: one kernel) with its full bias, BN affine=False. */
class ConvBn extends Module {
  readonly conv: EntangledConv2d;
  readonly bn: EntangledBatchNorm2d;

  constructor(c: number, kernel: number | Factor<number>) {
    super();
    this.conv = this.child('conv', new EntangledConv2d({ inChannels: c, outChannels: c, kernel, padding: 'same', bias: 'full' }));
    this.bn = this.child('bn', new EntangledBatchNorm2d({ channels: c, affine: false }));
  }

  /** Candidate `k` of the kernel factor alone (WS convs: 0). */
  candidate(x: Tensor, k: number, arch: ArchSample): Tensor {
    return reluConvBn(x, (h) => this.conv.forwardCandidate(h, this.conv.factors.length ? [k] : []), (h) => this.bn.forward(h, arch));
  }

  /** Superposition of the kernels with weights `wk` (summing to 1). */
  mixed(x: Tensor, wk: Tensor, arch: ArchSample): Tensor {
    return reluConvBn(x, (h) => this.conv.forwardMixed(h, [wk]), (h) => this.bn.forward(h, arch));
  }
}

/** One edge of one cell; a forward returns null when the edge adds nothing. */
class Edge extends Module {
  /** WE: one entangled conv (3x3 with the 1x1 as its centre); WS: the 3x3 and the 1x1. */
  readonly convs: ConvBn[];

  constructor(readonly choice: Choice<Nb201Op>, c: number, readonly form: 'we' | 'ws') {
    super();
    this.convs = form === 'we' ? [this.child('nor_conv', new ConvBn(c, new Factor('kernel', [3, 1])))] : [this.child('nor_conv_3x3', new ConvBn(c, 3)), this.child('nor_conv_1x1', new ConvBn(c, 1))];
  }

  /** Op `i` alone (null for none). */
  op(i: number, x: Tensor, arch: ArchSample): Tensor | null {
    if (i === POOL) return pool3(x);
    if (i === SKIP) return x;
    if (i === NONE) return null;
    return this.form === 'we' ? this.convs[0].candidate(x, i - CONV3, arch) : this.convs[i - CONV3].candidate(x, 0, arch);
  }

  /** Per op whether its weight is non-zero (exact zeros: one-hot weights, sparsemax). */
  static used(arch: ArchSample, c: Choice): boolean[] {
    const w = noGrad(() => arch.weights(c).toArray());
    return w.map((v) => v !== 0);
  }

  forward(x: Tensor, arch: ArchSample): Tensor | null {
    return tidy(() => {
      if (arch.mode === 'discrete') {
        const y = this.op(arch.index(this.choice), x, arch);
        const s = arch.chosenWeight([this.choice]);
        return y && s ? y.mul(s) : y;
      }
      const w = arch.weights(this.choice);
      const used = Edge.used(arch, this.choice);
      if (this.form === 'ws') return used.slice(0, NONE).some(Boolean) ? outputMixture(w, NB201_OPS.length, (i) => (used[i] ? this.op(i, x, arch) : null)) : null;
      let out: Tensor | null = null;
      const add = (y: Tensor) => (out = out === null ? y : out.add(y));
      if (used[POOL]) add(pool3(x).mul(w.narrow(0, POOL, 1)));
      if (used[CONV3] || used[CONV1]) {
        const part = w.narrow(0, CONV3, 2);
        const mass = part.sum();
        add(this.convs[0].mixed(x, part.div(mass), arch).mul(mass));
      }
      if (used[SKIP]) add(x.mul(w.narrow(0, SKIP, 1)));
      return out;
    });
  }

  /**
   * Cost when the edge is run: its convs' candidates weighted by their ops' weights
   * (mass * the group's normalised mixture, for WE); pool and skip have no weights.
   */
  cost(arch: ArchSample): Cost {
    return tidy(() => {
      const w = arch.weights(this.choice);
      const used = Edge.used(arch, this.choice);
      let params = zeros([]), flops = zeros([]);
      this.convs.forEach((cb, k) => {
        const ops = this.form === 'we' ? [CONV3, CONV1] : [CONV3 + k];
        if (!ops.some((i) => used[i])) return;
        const c = mixCost(w.narrow(0, ops[0], ops.length), cb.conv.candidateCosts());
        [params, flops] = [params.add(c.params), flops.add(c.flops)];
      });
      return { params, flops };
    });
  }
}

class CellSupernet extends Module implements Costed {
  readonly edges: Edge[];

  constructor(choices: readonly Choice<Nb201Op>[], c: number, form: 'we' | 'ws') {
    super();
    this.edges = choices.map((ch, e) => this.child(`edge${e}`, new Edge(ch, c, form)));
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return cellForward(x, (e, h) => this.edges[e].forward(h, arch));
  }

  /** The edges that are run (source present, some op other than none weighted). */
  #run(arch: ArchSample): boolean[] {
    return runEdges(this.edges.map((ed) => (arch.mode === 'discrete' ? arch.index(ed.choice) !== NONE : Edge.used(arch, ed.choice).slice(0, NONE).some(Boolean))));
  }

  expectedCost(arch: ArchSample): Cost {
    return tidy(() => {
      let params = zeros([]), flops = zeros([]);
      const run = this.#run(arch);
      this.edges.forEach((ed, e) => {
        if (!run[e]) return;
        const c = ed.cost(arch);
        [params, flops] = [params.add(c.params), flops.add(c.flops)];
      });
      return { params, flops };
    });
  }
}

/** Fixed-size parts (stem, ResNet blocks, head) are entangled ops without factors, so they have a cost model. */
const fixedConv = (cin: number, cout: number, k: number, stride = 1) => new EntangledConv2d({ inChannels: cin, outChannels: cout, kernel: k, stride, padding: 'same', bias: 'none' });

class ResBlockSupernet extends Module {
  readonly parts = new Map<string, EntangledConv2d | EntangledBatchNorm2d>();

  constructor(cin: number, cout: number) {
    super();
    const add = (name: string, m: EntangledConv2d | EntangledBatchNorm2d) => this.parts.set(name, this.child(name, m));
    add('conv_a', fixedConv(cin, cout, 3, 2));
    add('bn_a', new EntangledBatchNorm2d({ channels: cout }));
    add('conv_b', fixedConv(cout, cout, 3));
    add('bn_b', new EntangledBatchNorm2d({ channels: cout }));
    add('shortcut', fixedConv(cin, cout, 1));
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return resBlockForward(x, (name, h) => this.parts.get(name)!.forward(h, arch));
  }
}

class Nb201Supernet extends Supernet {
  readonly stemConv: EntangledConv2d;
  readonly stemBn: EntangledBatchNorm2d;
  readonly cells: CellSupernet[];
  readonly reductions: ResBlockSupernet[];
  readonly lastBn: EntangledBatchNorm2d;
  readonly classifier: EntangledLinear;

  constructor(choices: readonly Choice<Nb201Op>[], numClasses: number, form: 'we' | 'ws') {
    super();
    this.stemConv = this.child('stem_conv', fixedConv(3, STAGES[0], 3));
    this.stemBn = this.child('stem_bn', new EntangledBatchNorm2d({ channels: STAGES[0] }));
    this.cells = STAGES.flatMap((c, s) => Array.from({ length: CELLS_PER_STAGE }, (_, i) => this.child(`cell${s * CELLS_PER_STAGE + i}`, new CellSupernet(choices, c, form))));
    this.reductions = STAGES.slice(1).map((c, s) => this.child(`reduce${s}`, new ResBlockSupernet(STAGES[s], c)));
    this.lastBn = this.child('last_bn', new EntangledBatchNorm2d({ channels: STAGES[2] }));
    this.classifier = this.child('classifier', new EntangledLinear({ inFeatures: STAGES[2], outFeatures: numClasses }));
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return netForward(x, {
      stem: (h) => this.stemBn.forward(this.stemConv.forward(h, arch), arch),
      cell: (i, h) => this.cells[i].forward(h, arch),
      reduce: (s, h) => this.reductions[s].forward(h, arch),
      bn: (h) => this.lastBn.forward(h, arch),
      fc: (h) => this.classifier.forward(h, arch),
    });
  }
}

// ---------------------------------------------------------------- standalone sub-network

class ConvBnNet extends Layer {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(c: number, readonly k: number) {
    super();
    this.conv = this.child('conv', new Conv2d(c, c, k, { padding: (k - 1) / 2, bias: true }));
    this.bn = this.child('bn', new BatchNorm2d(c, { affine: false }));
  }

  forward(x: Tensor): Tensor {
    return reluConvBn(x, (h) => this.conv.forward(h), (h) => this.bn.forward(h));
  }
}

class CellNet extends Layer {
  /** Per edge: its conv, 'pool', 'skip', or null when dropped ('none', or its source is absent). */
  readonly edges: (ConvBnNet | 'pool' | 'skip' | null)[];

  constructor(readonly ops: readonly Nb201Op[], c: number) {
    super();
    const run = runEdges(ops.map((o) => o !== 'none'));
    this.edges = ops.map((op, e) => {
      if (!run[e]) return null;
      if (op === 'avg_pool_3x3') return 'pool';
      if (op === 'skip_connect') return 'skip';
      return this.child(`edge${e}`, new ConvBnNet(c, op === 'nor_conv_3x3' ? 3 : 1));
    });
  }

  forward(x: Tensor): Tensor {
    return cellForward(x, (e, h) => {
      const op = this.edges[e];
      return op === null ? null : op === 'pool' ? pool3(h) : op === 'skip' ? h : op.forward(h);
    });
  }
}

class ResBlockNet extends Layer {
  readonly parts = new Map<string, Conv2d | BatchNorm2d>();

  constructor(cin: number, cout: number) {
    super();
    const add = (name: string, m: Conv2d | BatchNorm2d) => this.parts.set(name, this.child(name, m));
    add('conv_a', new Conv2d(cin, cout, 3, { stride: 2, padding: 1, bias: false }));
    add('bn_a', new BatchNorm2d(cout));
    add('conv_b', new Conv2d(cout, cout, 3, { padding: 1, bias: false }));
    add('bn_b', new BatchNorm2d(cout));
    add('shortcut', new Conv2d(cin, cout, 1, { bias: false }));
  }

  forward(x: Tensor): Tensor {
    return resBlockForward(x, (name, h) => this.parts.get(name)!.forward(h));
  }
}

/** The standalone network of one cell (as NB201 trains it, minus the edges out of absent nodes). */
export class Nb201Net extends Layer {
  readonly stemConv: Conv2d;
  readonly stemBn: BatchNorm2d;
  readonly cells: CellNet[];
  readonly reductions: ResBlockNet[];
  readonly lastBn: BatchNorm2d;
  readonly classifier: Linear;

  constructor(readonly ops: readonly Nb201Op[], numClasses: number) {
    super();
    this.stemConv = this.child('stem_conv', new Conv2d(3, STAGES[0], 3, { padding: 1, bias: false }));
    this.stemBn = this.child('stem_bn', new BatchNorm2d(STAGES[0]));
    this.cells = STAGES.flatMap((c, s) => Array.from({ length: CELLS_PER_STAGE }, (_, i) => this.child(`cell${s * CELLS_PER_STAGE + i}`, new CellNet(ops, c))));
    this.reductions = STAGES.slice(1).map((c, s) => this.child(`reduce${s}`, new ResBlockNet(STAGES[s], c)));
    this.lastBn = this.child('last_bn', new BatchNorm2d(STAGES[2]));
    this.classifier = this.child('classifier', new Linear(STAGES[2], numClasses));
  }

  forward(x: Tensor): Tensor {
    return netForward(x, {
      stem: (h) => this.stemBn.forward(this.stemConv.forward(h)),
      cell: (i, h) => this.cells[i].forward(h),
      reduce: (s, h) => this.reductions[s].forward(h),
      bn: (h) => this.lastBn.forward(h),
      fc: (h) => this.classifier.forward(h),
    });
  }
}

/** Copies a supernet part into a sub-network part; `k`: the kernel candidate of an entangled conv. */
function inherit(dst: Conv2d | BatchNorm2d, src: EntangledConv2d | EntangledBatchNorm2d, k = 0): void {
  if (dst instanceof Conv2d && src instanceof EntangledConv2d) {
    dst.weight.copy_(src.sp.slice(src.weight, src.factors.length ? [k] : []));
    if (dst.bias) dst.bias.copy_(src.bias!);
  } else if (dst instanceof BatchNorm2d && src instanceof EntangledBatchNorm2d) {
    if (dst.weight) dst.weight.copy_(src.weight!);
    if (dst.bias) dst.bias.copy_(src.bias!);
    dst.runningMean!.copy_(src.runningMean);
    dst.runningVar!.copy_(src.runningVar);
  } else {
    throw new Error(`nb201 inherit: cannot copy ${src.constructor.name} into ${dst.constructor.name}`);
  }
}

// ---------------------------------------------------------------- the space

export class Nb201Space extends SearchSpace {
  readonly name = 'nb201';
  readonly inputShape = [3, 32, 32];
  readonly numClasses: number;
  /** edge_<to>_<from>, in the order of NB201_EDGES. */
  readonly choices: readonly Choice<Nb201Op>[];
  readonly supernet: Nb201Supernet;

  constructor(opts: SpaceOptions = {}) {
    super(opts);
    this.numClasses = opts.numClasses ?? 10;
    this.choices = NB201_EDGES.map(([to, from]) => choice(`edge_${to}_${from}`, NB201_OPS));
    this.supernet = new Nb201Supernet(this.choices, this.numClasses, this.form);
  }

  ops(arch: Architecture): Nb201Op[] {
    return this.choices.map((c) => this.value(arch, c));
  }

  /**
   * The edges that get a gradient in a training-mode discrete forward (GDAS):
   * not 'none', from a present node, into a node that reaches the cell's output.
   */
  override activeChoices(arch: Architecture): Choice[] {
    const ops = this.ops(arch);
    const run = runEdges(ops.map((o) => o !== 'none'));
    const reaches = [false, false, false, true];
    for (let e = NB201_EDGES.length - 1; e >= 0; e--) if (run[e] && reaches[NB201_EDGES[e][0]]) reaches[NB201_EDGES[e][1]] = true;
    return this.choices.filter((_, e) => run[e] && reaches[NB201_EDGES[e][0]]);
  }

  /** The NB201 cell string: |op~0|+|op~0|op~1|+|op~0|op~1|op~2|. */
  benchmarkKey(arch: Architecture): string {
    const ops = this.ops(arch);
    return [1, 2, 3].map((to) => `|${NB201_EDGES.map(([t, from], e) => [t, `${ops[e]}~${from}`] as const).filter(([t]) => t === to).map(([, s]) => s).join('|')}|`).join('+');
  }

  fromBenchmarkKey(key: string): Architecture {
    const fail = (why: string) => new Error(`nb201: '${key}' is not an NB201 cell string: ${why}; expected |op~0|+|op~0|op~1|+|op~0|op~1|op~2| with ops from ${NB201_OPS.join(', ')}`);
    const groups = key.trim().split('+');
    if (groups.length !== 3) throw fail(`${groups.length} node group${groups.length === 1 ? '' : 's'} joined by '+', not 3`);
    const arch: Architecture = {};
    groups.forEach((g, n) => {
      const to = n + 1;
      if (g.length < 2 || !g.startsWith('|') || !g.endsWith('|')) throw fail(`node ${to}'s group '${g}' does not start and end with '|'`);
      const items = g.slice(1, -1).split('|');
      if (items.length !== to) throw fail(`node ${to} lists ${items.length} edge${items.length === 1 ? '' : 's'}, not ${to}`);
      items.forEach((item, from) => {
        const m = /^(.*)~(\d+)$/.exec(item);
        if (!m) throw fail(`edge '${item}' of node ${to} is not op~source`);
        if (Number(m[2]) !== from) throw fail(`edge '${item}' of node ${to} must come from node ${from}`);
        if (!(NB201_OPS as readonly string[]).includes(m[1])) throw new Error(`nb201: unknown op '${m[1]}' in '${key}' (ops: ${NB201_OPS.join(', ')})`);
        arch[`edge_${to}_${from}`] = NB201_OPS.indexOf(m[1] as Nb201Op);
      });
    });
    return arch;
  }

  subnet(arch: Architecture, opts: { inherit: boolean }): Nb201Net {
    const ops = this.ops(arch);
    const net = new Nb201Net(ops, this.numClasses);
    if (!opts.inherit) return net;
    const sn = this.supernet;
    noGrad(() => {
      inherit(net.stemConv, sn.stemConv);
      inherit(net.stemBn, sn.stemBn);
      sn.reductions.forEach((r, s) => {
        for (const [name, part] of net.reductions[s].parts) inherit(part, r.parts.get(name)!);
      });
      sn.cells.forEach((cell, i) => {
        net.cells[i].edges.forEach((op, e) => {
          if (!(op instanceof ConvBnNet)) return;
          const k = op.k === 3 ? 0 : 1;
          const src = cell.edges[e].convs[this.form === 'we' ? 0 : k];
          inherit(op.conv, src.conv, k);
          inherit(op.bn, src.bn);
        });
      });
      inherit(net.lastBn, sn.lastBn);
      net.classifier.weight.copy_(sn.classifier.weight);
      net.classifier.bias!.copy_(sn.classifier.bias!);
    });
    return net;
  }
}

// reference-facts 6.3: SGD lr 0.025, momentum 0.9, no nesterov, weight decay 3e-4, batch 64,
// cosine to 1e-3, split 0.5; DrNAS 100 epochs, DARTS 50, GDAS 250, SPOS 250 with split 0.8.
// Retraining as NB201 trained its networks (Dong & Yang 2020): SGD 0.1 nesterov, weight decay
// 5e-4, batch 256, cosine to 0, 200 epochs.
const RETRAIN = { optimizer: 'sgd', lr: 0.1, lr_min: 0, lr_schedule: 'cosine', momentum: 0.9, nesterov: true, weight_decay: 5e-4, batch_size: 256 } as const;

registerSpace({
  name: 'nb201',
  description: 'NAS-Bench-201 (CIFAR-10/100): 15 cells x 6 edges, {avg_pool_3x3, nor_conv_3x3, nor_conv_1x1, skip_connect, none}, 15,625 architectures',
  task: 'classification',
  datasets: ['cifar10', 'cifar100'],
  inputShape: [3, 32, 32],
  benchmark: { file: 'nb201_merged.csv', format: 'csv', dir: 'nasbench201', id: 'nb201', metric: 'accuracy', columns: ['cifar10_test_200ep', 'cifar100_test_200ep', 'imagenet16_120_test_200ep'] },
  metric: 'accuracy',
  recipes: {
    base: { optimizer: 'sgd', lr: 0.025, lr_min: 1e-3, momentum: 0.9, nesterov: false, weight_decay: 3e-4, batch_size: 64, train_portion: 0.5 },
    presets: {
      ...TOY_SEARCH_EPOCHS,
      'spos-es': { ...TOY_SEARCH_EPOCHS['spos-es'], train_portion: 0.8 },
      'spos-rs': { ...TOY_SEARCH_EPOCHS['spos-rs'], train_portion: 0.8 },
      retrain: { ...RETRAIN, epochs: 200 },
      finetune: { ...RETRAIN, epochs: 20 },
    },
    compare: IMAGE_COMPARE,
  },
  create: (o) => new Nb201Space(o),
});
