// The DARTS search space (Liu et al. 2019; reference-facts 3.8, 6.4) on CIFAR-10.
//
// Search network (model_search.py): stem 3x3 conv (3 -> 3C) + BN, 8 cells of
// C = 16 channels, the cells at 1/3 and 2/3 of the depth (2 and 5) reduction
// cells (stride 2, channels doubled); a cell preprocesses its two inputs (the
// outputs of the two cells before it: FactorizedReduce after a reduction cell,
// else ReLU-1x1 conv-BN), then 4 nodes, node i the sum of one edge from every
// earlier state (14 edges), and outputs the concatenation of the 4 nodes
// (multiplier 4). Global average pool, linear classifier. Every edge chooses
// among the 8 primitives of cell-ops.ts; the normal cells share one set of 14
// edge choices, the reduction cells another (28 choices). Ops have no affine
// BN parameters in the search network.
//
// WE (TangleNAS): per edge, sep 3x3 within sep 5x5 and dil 3x3 within dil 5x5
// are entangled groups; pools, skip and none are output-mixed. WS: the classic
// mixed op. One-hot superposition == discrete == the extracted sub-network.
//
// An architecture is one primitive per edge; a discretised DARTS cell keeps two
// edges per node and sets the others to 'none'. The search's result is the
// DARTS genotype (discretize): per node the 2 incoming edges with the largest
// non-none softmax(alpha) weight, each with its best non-none primitive.
// Its key is the genotype string; `train` trains it as DARTS's evaluation
// network (20 cells of 36 channels, auxiliary head, drop-path; options below).
import { BatchNorm2d } from '../nn/norm.js';
import { Conv2d } from '../nn/conv.js';
import { Layer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { relu } from '../tensor/ops/activation.js';
import { adaptiveAvgPool2d, avgPool2d } from '../tensor/ops/pool.js';
import { dropPath } from '../tensor/ops/dropout.js';
import { tidy } from '../tensor/scope.js';
import { cat, zeros, type Tensor } from '../tensor/tensor.js';
import type { ArchSample } from '../nas/arch.js';
import { choice, type Architecture, type Choice } from '../nas/choice.js';
import { EntangledBatchNorm2d } from '../nas/entangled/batchnorm.js';
import { EntangledConv2d } from '../nas/entangled/conv2d.js';
import { EntangledLinear } from '../nas/entangled/linear.js';
import { int, num } from '../nas/options.js';
import type { ExactCost } from '../nas/cost.js';
import { registerSpace } from '../nas/registry.js';
import { liveSoftmax } from '../nas/prune.js';
import { SearchSpace, Supernet, type SpaceOptions } from '../nas/space.js';
import { CELL_PRIMITIVES, CellEdge, cellOp, FactorizedReduce, FactorizedReduceWE, IdentityOp, inheritOp, inheritPart, inheritReduce, inheritReluConvBn, ReLUConvBN, ReLUConvBNWE, type CellPrimitive } from './cell-ops.js';
import { IMAGE_COMPARE } from './recipes.js';

export const DARTS_PRIMITIVES = CELL_PRIMITIVES;
export type DartsPrimitive = CellPrimitive;
const NONE = 0;
const STEPS = 4;
const STEM_MULTIPLIER = 3;
/** The states a cell concatenates: its nodes 2..5 (DARTS's `range(2, 6)`). */
const CONCAT = [2, 3, 4, 5];

/** The 14 edges of a cell in DARTS's order: node 2 from states 0, 1; node 3 from 0, 1, 2; ... */
export const DARTS_EDGES: readonly { node: number; source: number }[] = Object.freeze(
  Array.from({ length: STEPS }, (_, i) => Array.from({ length: i + 2 }, (_, j) => ({ node: i + 2, source: j }))).flat(),
);
const edgesInto = (node: number): number[] => DARTS_EDGES.flatMap((e, k) => (e.node === node ? [k] : []));

export type CellType = 'normal' | 'reduce';
const CELL_TYPES: readonly CellType[] = ['normal', 'reduce'];

/** The choice name of an edge: `normal_n3_s1` = normal cells, node 3, from state 1. */
export function edgeName(type: CellType, k: number): string {
  return `${type}_n${DARTS_EDGES[k].node}_s${DARTS_EDGES[k].source}`;
}

/** One cell of a network of `layers` cells with C channels: its channels and whether it (and the cell before it) reduce. */
interface CellShape {
  reduce: boolean;
  reducePrev: boolean;
  cPrevPrev: number;
  cPrev: number;
  c: number;
}

/** DARTS's channel plan: reductions at layers//3 and 2*layers//3 (channels doubled there). */
export function cellShapes(channels: number, layers: number): CellShape[] {
  const out: CellShape[] = [];
  let [cpp, cp, c] = [STEM_MULTIPLIER * channels, STEM_MULTIPLIER * channels, channels];
  let reducePrev = false;
  for (let i = 0; i < layers; i++) {
    const reduce = i === Math.floor(layers / 3) || i === Math.floor((2 * layers) / 3);
    if (reduce) c *= 2;
    out.push({ reduce, reducePrev, cPrevPrev: cpp, cPrev: cp, c });
    reducePrev = reduce;
    [cpp, cp] = [cp, CONCAT.length * c];
  }
  return out;
}

/** The cell whose output feeds the auxiliary head (DARTS: 2*layers//3, the second reduction). */
const auxCell = (layers: number) => Math.floor((2 * layers) / 3);

// ---------------------------------------------------------------- shared topology

/**
 * A cell: preprocess both inputs, node i = sum of its edges' outputs (an edge
 * may give none; a node with no input is zero), concatenate nodes 2..5.
 */
function cellForward(s0: Tensor, s1: Tensor, pre: (i: 0 | 1, h: Tensor) => Tensor, edge: (k: number, h: Tensor) => Tensor | null, reduce: boolean): Tensor {
  return tidy(() => {
    const states = [pre(0, s0), pre(1, s1)];
    const [n, c, h, w] = states[1].shape;
    const down = (v: number) => (reduce ? Math.floor((v - 1) / 2) + 1 : v);
    for (let node = 2; node < 2 + STEPS; node++) {
      let s: Tensor | null = null;
      for (const k of edgesInto(node)) {
        const y = edge(k, states[DARTS_EDGES[k].source]);
        if (y) s = s === null ? y : s.add(y);
      }
      states.push(s ?? zeros([n, c, down(h), down(w)], { dtype: states[1].dtype, device: states[1].device }));
    }
    return cat(CONCAT.map((i) => states[i]), 1);
  });
}

/**
 * Stem, cells (s0, s1 <- s1, cell(s0, s1)), global average pool, classifier;
 * `side(i, s1)` sees every cell's output and may return a tensor (the
 * auxiliary head's logits), which is returned as `side`.
 */
function networkForward(x: Tensor, stem: (h: Tensor) => Tensor, cells: ((s0: Tensor, s1: Tensor) => Tensor)[], classifier: (h: Tensor) => Tensor, side?: (i: number, s1: Tensor) => Tensor | null): { logits: Tensor; side: Tensor | null } {
  return tidy(() => {
    let s0 = stem(x);
    let s1 = s0;
    let out: Tensor | null = null;
    cells.forEach((cell, i) => {
      [s0, s1] = [s1, cell(s0, s1)];
      out = side?.(i, s1) ?? out;
    });
    return { logits: classifier(adaptiveAvgPool2d(s1, 1).flatten(1)), side: out };
  });
}

// ---------------------------------------------------------------- supernet

class SearchCell extends Module {
  readonly pre0: FactorizedReduceWE | ReLUConvBNWE;
  readonly pre1: ReLUConvBNWE;
  readonly edges: CellEdge[];

  constructor(readonly shape: CellShape, choices: readonly Choice<DartsPrimitive>[], entangle: boolean) {
    super();
    const { reduce, reducePrev, cPrevPrev, cPrev, c } = shape;
    this.pre0 = this.child('pre0', reducePrev ? new FactorizedReduceWE(cPrevPrev, c, false) : new ReLUConvBNWE(cPrevPrev, c, false));
    this.pre1 = this.child('pre1', new ReLUConvBNWE(cPrev, c, false));
    this.edges = choices.map((ch, k) => this.child(`edge${k}`, new CellEdge(ch, c, reduce && DARTS_EDGES[k].source < 2 ? 2 : 1, entangle)));
  }

  forward(s0: Tensor, s1: Tensor, arch: ArchSample): Tensor {
    return cellForward(s0, s1, (i, h) => (i === 0 ? this.pre0 : this.pre1).forward(h, arch), (k, h) => this.edges[k].forward(h, arch), this.shape.reduce);
  }
}

export class DartsSupernet extends Supernet {
  readonly stemConv: EntangledConv2d;
  readonly stemBn: EntangledBatchNorm2d;
  readonly cells: SearchCell[];
  readonly classifier: EntangledLinear;

  constructor(channels: number, layers: number, numClasses: number, normal: readonly Choice<DartsPrimitive>[], reduce: readonly Choice<DartsPrimitive>[], entangle: boolean) {
    super();
    const c0 = STEM_MULTIPLIER * channels;
    this.stemConv = this.child('stem_conv', new EntangledConv2d({ inChannels: 3, outChannels: c0, kernel: 3, padding: 1, bias: 'none' }));
    this.stemBn = this.child('stem_bn', new EntangledBatchNorm2d({ channels: c0 }));
    const shapes = cellShapes(channels, layers);
    this.cells = shapes.map((sh, i) => this.child(`cell${i}`, new SearchCell(sh, sh.reduce ? reduce : normal, entangle)));
    this.classifier = this.child('classifier', new EntangledLinear({ inFeatures: CONCAT.length * shapes[shapes.length - 1].c, outFeatures: numClasses }));
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return networkForward(
      x,
      (h) => this.stemBn.forward(this.stemConv.forward(h, arch), arch),
      this.cells.map((cell) => (s0: Tensor, s1: Tensor) => cell.forward(s0, s1, arch)),
      (h) => this.classifier.forward(h, arch),
    ).logits;
  }
}

// ---------------------------------------------------------------- standalone networks

/** A discrete cell: the chosen operation per edge ('none': no edge). */
class DartsCell extends Module {
  readonly pre0: FactorizedReduce | ReLUConvBN;
  readonly pre1: ReLUConvBN;
  /** Operation per edge (null: none). */
  readonly ops: (Layer | null)[];

  constructor(readonly shape: CellShape, readonly primitives: readonly DartsPrimitive[], o: { affine: boolean; poolBn: boolean }) {
    super();
    const { reduce, reducePrev, cPrevPrev, cPrev, c } = shape;
    this.pre0 = this.child('pre0', reducePrev ? new FactorizedReduce(cPrevPrev, c, o.affine) : new ReLUConvBN(cPrevPrev, c, o.affine));
    this.pre1 = this.child('pre1', new ReLUConvBN(cPrev, c, o.affine));
    this.ops = primitives.map((p, k) => {
      const op = cellOp(p, c, reduce && DARTS_EDGES[k].source < 2 ? 2 : 1, o);
      return op && this.child(`edge${k}`, op);
    });
  }

  /** `dropProb`: drop-path on every edge output but identities (training mode only). */
  forward(s0: Tensor, s1: Tensor, dropProb: number): Tensor {
    const drop = this.training && dropProb > 0;
    return cellForward(
      s0,
      s1,
      (i, h) => (i === 0 ? this.pre0 : this.pre1).forward(h),
      (k, h) => {
        const op = this.ops[k];
        if (!op) return null;
        const y = op.forward(h);
        return drop && !(op instanceof IdentityOp) ? dropPath(y, dropProb) : y;
      },
      this.shape.reduce,
    );
  }
}

/** DARTS's AuxiliaryHeadCIFAR (for 8 x 8 inputs): ReLU, avg pool 5 / 3, 1x1 conv 128, BN, ReLU, 2x2 conv 768, BN, ReLU, linear. */
class AuxiliaryHead extends Layer {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly classifier: Linear;

  constructor(c: number, numClasses: number) {
    super();
    this.conv1 = this.child('conv1', new Conv2d(c, 128, 1, { bias: false }));
    this.bn1 = this.child('bn1', new BatchNorm2d(128));
    this.conv2 = this.child('conv2', new Conv2d(128, 768, 2, { bias: false }));
    this.bn2 = this.child('bn2', new BatchNorm2d(768));
    this.classifier = this.child('classifier', new Linear(768, numClasses));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      if (x.size(2) !== 8 || x.size(3) !== 8) throw new Error(`darts: the auxiliary head takes the 8 x 8 maps after the second reduction (CIFAR's 32 x 32 input), got ${x.size(2)} x ${x.size(3)}`);
      let h = avgPool2d(relu(x), 5, { stride: 3, padding: 0, countIncludePad: false });
      h = relu(this.bn1.forward(this.conv1.forward(h)));
      h = relu(this.bn2.forward(this.conv2.forward(h)));
      return this.classifier.forward(h.flatten(1));
    });
  }
}

export interface DartsNetworkOptions {
  channels: number;
  layers: number;
  numClasses: number;
  /** Primitive per edge of the normal and the reduction cells (14 each). */
  normal: readonly DartsPrimitive[];
  reduce: readonly DartsPrimitive[];
  /** Affine BN parameters in the cells (the evaluation network; the search network has none). */
  affine: boolean;
  /** Pools followed by BN(affine=False) (the search network's sub-networks). */
  poolBn: boolean;
  /** Weight of the auxiliary head's loss (0: no head). */
  auxiliaryWeight?: number;
  /** Drop-path probability at the end of training (scheduled linearly from 0 over the epochs). */
  dropPathProb?: number;
}

/**
 * A discrete DARTS network: the sub-networks of the search network (8 cells
 * of 16 channels, affine-free ops, BN after pools) and DARTS's evaluation
 * network NetworkCIFAR (20 cells of 36 channels, affine ops, auxiliary head,
 * drop-path).
 */
export class DartsNetwork extends Layer {
  readonly stemConv: Conv2d;
  readonly stemBn: BatchNorm2d;
  readonly cells: DartsCell[];
  readonly auxHead: AuxiliaryHead | null;
  readonly classifier: Linear;
  readonly auxiliaryWeight: number;
  /** The drop-path probability of the last epoch (DARTS's args.drop_path_prob). */
  readonly maxDropPath: number;
  /** The drop-path probability now (set per epoch by the space's beforeTrainingEpoch). */
  dropPathProb = 0;

  constructor(readonly o: DartsNetworkOptions) {
    super();
    const c0 = STEM_MULTIPLIER * o.channels;
    this.auxiliaryWeight = o.auxiliaryWeight ?? 0;
    this.maxDropPath = o.dropPathProb ?? 0;
    this.stemConv = this.child('stem_conv', new Conv2d(3, c0, 3, { padding: 1, bias: false }));
    this.stemBn = this.child('stem_bn', new BatchNorm2d(c0));
    const shapes = cellShapes(o.channels, o.layers);
    this.cells = shapes.map((sh, i) => this.child(`cell${i}`, new DartsCell(sh, sh.reduce ? o.reduce : o.normal, o)));
    const cAux = CONCAT.length * shapes[auxCell(o.layers)].c;
    this.auxHead = this.auxiliaryWeight > 0 ? this.child('aux_head', new AuxiliaryHead(cAux, o.numClasses)) : null;
    this.classifier = this.child('classifier', new Linear(CONCAT.length * shapes[shapes.length - 1].c, o.numClasses));
  }

  /** Logits, and in training mode with an auxiliary head, the head's logits (else null). */
  forwardWithAux(x: Tensor): { logits: Tensor; aux: Tensor | null } {
    return this.#run(x, this.auxHead !== null && this.training);
  }

  forward(x: Tensor): Tensor {
    return this.#run(x, false).logits;
  }

  #run(x: Tensor, withAux: boolean): { logits: Tensor; aux: Tensor | null } {
    const at = withAux ? auxCell(this.o.layers) : -1;
    const { logits, side } = networkForward(
      x,
      (h) => this.stemBn.forward(this.stemConv.forward(h)),
      this.cells.map((cell) => (s0: Tensor, s1: Tensor) => cell.forward(s0, s1, this.dropPathProb)),
      (h) => this.classifier.forward(h),
      (i, s1) => (i === at ? this.auxHead!.forward(s1) : null),
    );
    return { logits, aux: side };
  }

  /** Parameters without the auxiliary head's (the size DARTS reports). */
  numParametersWithoutAux(): number {
    return this.numParameters() - (this.auxHead?.numParameters() ?? 0);
  }
}

/** Copies the supernet's weights (the chosen slices) and BN statistics into its sub-network. */
function inheritNetwork(net: DartsNetwork, sup: DartsSupernet): void {
  inheritPart(net.stemConv, sup.stemConv);
  inheritPart(net.stemBn, sup.stemBn);
  inheritPart(net.classifier, sup.classifier);
  for (const [i, sc] of sup.cells.entries()) {
    const dc = net.cells[i];
    if (dc.pre0 instanceof FactorizedReduce) inheritReduce(dc.pre0, sc.pre0 as FactorizedReduceWE);
    else inheritReluConvBn(dc.pre0, sc.pre0 as ReLUConvBNWE);
    inheritReluConvBn(dc.pre1, sc.pre1);
    dc.ops.forEach((op, k) => op && inheritOp(op, sc.edges[k], dc.primitives[k]));
  }
}

// ---------------------------------------------------------------- genotypes

/** A DARTS genotype: per cell type, (primitive, source state) for nodes 2..5, two each. */
export interface Genotype {
  normal: [DartsPrimitive, number][];
  reduce: [DartsPrimitive, number][];
}

/**
 * DARTS's genotype derivation (model_search.py `_parse`) from per-edge weights
 * (rows of 8, softmax(alpha) in DARTS): per node, the 2 incoming edges with
 * the largest non-'none' weight (ties: the lower source), each with its
 * largest non-'none' primitive (ties: the first); written strongest edge first.
 */
export function deriveCell(weights: readonly (readonly number[])[]): [DartsPrimitive, number][] {
  if (weights.length !== DARTS_EDGES.length) throw new Error(`deriveCell: ${weights.length} edges, a DARTS cell has ${DARTS_EDGES.length}`);
  const gene: [DartsPrimitive, number][] = [];
  for (let node = 2; node < 2 + STEPS; node++) {
    const ks = edgesInto(node);
    const best = (k: number) => {
      let b = -1;
      weights[k].forEach((v, p) => {
        if (p !== NONE && (b < 0 || v > weights[k][b])) b = p;
      });
      return b;
    };
    // A stable sort keeps the lower source first among equal weights, as Python's sorted.
    const top = [...ks].sort((a, b) => weights[b][best(b)] - weights[a][best(a)]).slice(0, 2);
    for (const k of top) gene.push([DARTS_PRIMITIVES[best(k)], DARTS_EDGES[k].source]);
  }
  return gene;
}

/** `str(Genotype(...))` as DARTS prints a search result. */
export function genotypeString(g: Genotype): string {
  const list = (l: [DartsPrimitive, number][]) => `[${l.map(([p, s]) => `('${p}', ${s})`).join(', ')}]`;
  return `Genotype(normal=${list(g.normal)}, normal_concat=range(2, 6), reduce=${list(g.reduce)}, reduce_concat=range(2, 6))`;
}

/**
 * Parses a DARTS genotype string: `Genotype(normal=[('sep_conv_3x3', 0), ...],
 * normal_concat=range(2, 6), reduce=[...], reduce_concat=range(2, 6))`; the
 * concats may also be written [2, 3, 4, 5] (genotypes.py), quotes ' or ".
 */
export function parseGenotype(text: string): Genotype {
  const m = /^Genotype\(\s*normal\s*=\s*\[([^\]]*)\]\s*,\s*normal_concat\s*=\s*(.*?)\s*,\s*reduce\s*=\s*\[([^\]]*)\]\s*,\s*reduce_concat\s*=\s*(.*?)\s*\)$/s.exec(text.trim());
  if (!m) throw new Error(`darts: '${text}' is not a genotype; expected Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=range(2, 6), reduce=[...], reduce_concat=range(2, 6))`);
  const out = {} as Genotype;
  ([['normal', m[1], m[2]], ['reduce', m[3], m[4]]] as const).forEach(([type, body, concat]) => {
    if (!/^(range\(\s*2\s*,\s*6\s*\)|\[\s*2\s*,\s*3\s*,\s*4\s*,\s*5\s*\])$/.test(concat)) throw new Error(`darts: ${type}_concat is '${concat}'; DARTS cells concatenate nodes 2-5: range(2, 6)`);
    const item = /\(\s*(['"])(\w+)\1\s*,\s*(\d+)\s*\)/g;
    const rest = body.replace(item, '').replace(/[\s,]/g, '');
    if (rest !== '') throw new Error(`darts: the ${type} list [${body}] is not a list of ('primitive', source) pairs`);
    const gene: [DartsPrimitive, number][] = [];
    for (const e of body.matchAll(item)) {
      const op = e[2] as DartsPrimitive;
      if (!DARTS_PRIMITIVES.includes(op)) throw new Error(`darts: unknown primitive '${e[2]}' in ${type} (primitives: ${DARTS_PRIMITIVES.filter((p) => p !== 'none').join(', ')})`);
      if (op === 'none') throw new Error(`darts: 'none' in ${type}: a genotype lists the edges a node keeps, never 'none'`);
      gene.push([op, Number(e[3])]);
    }
    if (gene.length !== 2 * STEPS) throw new Error(`darts: ${type} has ${gene.length} edges; a DARTS genotype has ${2 * STEPS} (2 per node, nodes 2-5)`);
    gene.forEach(([op, src], i) => {
      const node = 2 + Math.floor(i / 2);
      if (src >= node) throw new Error(`darts: ${type} edge ${i} ('${op}', ${src}) belongs to node ${node}, which takes states 0-${node - 1}`);
    });
    for (let i = 0; i < gene.length; i += 2) {
      if (gene[i][1] === gene[i + 1][1]) throw new Error(`darts: ${type} node ${2 + i / 2} lists state ${gene[i][1]} twice`);
    }
    out[type] = gene;
  });
  return out;
}

// ---------------------------------------------------------------- the space

export interface DartsOptions {
  searchLayers: number;
  searchChannels: number;
  evalLayers: number;
  evalChannels: number;
  auxiliaryWeight: number;
  dropPathProb: number;
}

const OPTIONS = {
  searchLayers: { key: 'search_layers', type: int(2), default: 8, doc: 'DARTS: cells of the search network (reductions at 1/3 and 2/3)' },
  searchChannels: { key: 'search_channels', type: int(2), default: 16, doc: 'DARTS: channels of the search network (C; even)' },
  evalLayers: { key: 'eval_layers', type: int(2), default: 20, doc: "DARTS: cells of the network 'train' trains (the evaluation network)" },
  evalChannels: { key: 'eval_channels', type: int(2), default: 36, doc: "DARTS: channels (C; even) of the network 'train' trains" },
  auxiliaryWeight: { key: 'auxiliary_weight', type: num(0), default: 0.4, doc: "DARTS: weight of the auxiliary head's loss when training the evaluation network (0 = no head)" },
  dropPathProb: { key: 'drop_path_prob', type: num(0, 1, { maxOpen: true }), default: 0.2, doc: 'DARTS: drop-path probability of the evaluation network, raised linearly from 0 over the epochs (0 = off)' },
} as const;

export class DartsSpace extends SearchSpace {
  readonly name = 'darts';
  readonly inputShape = [3, 32, 32];
  readonly numClasses: number;
  readonly normal: Choice<DartsPrimitive>[];
  readonly reduce: Choice<DartsPrimitive>[];
  readonly choices: readonly Choice[];
  readonly supernet: DartsSupernet;
  readonly options: DartsOptions;

  constructor(opts: SpaceOptions = {}) {
    super(opts);
    const o = { ...Object.fromEntries(Object.entries(OPTIONS).map(([k, s]) => [k, s.default])), ...opts } as unknown as DartsOptions;
    this.options = o;
    this.numClasses = opts.numClasses ?? 10;
    this.normal = DARTS_EDGES.map((_, k) => choice(edgeName('normal', k), DARTS_PRIMITIVES));
    this.reduce = DARTS_EDGES.map((_, k) => choice(edgeName('reduce', k), DARTS_PRIMITIVES));
    this.choices = [...this.normal, ...this.reduce];
    this.supernet = new DartsSupernet(o.searchChannels, o.searchLayers, this.numClasses, this.normal, this.reduce, this.form === 'we');
  }

  #edges(type: CellType): Choice<DartsPrimitive>[] {
    return type === 'normal' ? this.normal : this.reduce;
  }

  #ops(arch: Architecture): { normal: DartsPrimitive[]; reduce: DartsPrimitive[] } {
    return { normal: this.normal.map((c) => this.value(arch, c)), reduce: this.reduce.map((c) => this.value(arch, c)) };
  }

  /** The DARTS genotype of the current alpha (softmax per edge, top-2 edges per node). */
  derivedGenotype(): Genotype {
    // Over the live options: a pruned one (prune_below) is 0, as in the search's draws.
    const rows = (type: CellType) => this.#edges(type).map((c) => liveSoftmax(c));
    return { normal: deriveCell(rows('normal')), reduce: deriveCell(rows('reduce')) };
  }

  /** The search's architecture: the derived genotype, every other edge 'none'. */
  override discretize(): Architecture {
    return this.fromGenotype(this.derivedGenotype());
  }

  fromGenotype(g: Genotype): Architecture {
    const arch: Architecture = {};
    for (const type of CELL_TYPES) {
      const edges = this.#edges(type);
      for (const c of edges) arch[c.name] = NONE;
      g[type].forEach(([op, src], i) => {
        const node = 2 + Math.floor(i / 2);
        const k = DARTS_EDGES.findIndex((e) => e.node === node && e.source === src);
        arch[edges[k].name] = edges[k].indexOf(op);
      });
    }
    return arch;
  }

  /** The genotype of an architecture with exactly 2 edges per node (else null); edges in source order. */
  toGenotype(arch: Architecture): Genotype | null {
    const ops = this.#ops(arch);
    const out = {} as Genotype;
    for (const type of CELL_TYPES) {
      const gene: [DartsPrimitive, number][] = [];
      for (let node = 2; node < 2 + STEPS; node++) {
        const kept = edgesInto(node).filter((k) => ops[type][k] !== 'none');
        if (kept.length !== 2) return null;
        for (const k of kept) gene.push([ops[type][k], DARTS_EDGES[k].source]);
      }
      out[type] = gene;
    }
    return out;
  }

  /**
   * The genotype string of a DARTS cell (2 edges per node, written in source
   * order). An architecture that is not one (a node with another number of
   * edges: a mutant of the two-stage search) has no genotype; its key is its
   * canonical JSON.
   */
  benchmarkKey(arch: Architecture): string {
    const g = this.toGenotype(arch);
    return g ? genotypeString(g) : this.encode(arch);
  }

  fromBenchmarkKey(key: string): Architecture {
    const k = key.trim();
    return k.startsWith('{') ? this.decode(k) : this.fromGenotype(parseGenotype(k));
  }

  /** A uniform DARTS cell per cell type: per node 2 distinct sources, each with a non-'none' primitive. */
  override randomArchitecture(random: () => number): Architecture {
    const pick = (n: number) => Math.min(n - 1, Math.floor(random() * n));
    const g = {} as Genotype;
    for (const type of CELL_TYPES) {
      const gene: [DartsPrimitive, number][] = [];
      for (let node = 2; node < 2 + STEPS; node++) {
        const a = pick(node);
        let b = pick(node - 1);
        if (b >= a) b++;
        for (const src of [a, b].sort((x, y) => x - y)) gene.push([DARTS_PRIMITIVES[1 + pick(DARTS_PRIMITIVES.length - 1)], src]);
      }
      g[type] = gene;
    }
    return this.fromGenotype(g);
  }

  /**
   * The choices the output depends on in training mode: an edge counts when
   * it is not 'none', its source carries a signal (a node without such an
   * input is zero, and so is everything a zero state feeds: BN of a constant
   * batch) and its cell's output reaches the classifier. Both through the
   * cells of the search network, whose cells of a type share the choices.
   */
  override activeChoices(arch: Architecture): Choice[] {
    const ops = this.#ops(arch);
    const shapes = cellShapes(this.options.searchChannels, this.options.searchLayers);
    const L = shapes.length;
    const type = (i: number): CellType => (shapes[i].reduce ? 'reduce' : 'normal');
    const usesInput = (i: number, input: 0 | 1) => DARTS_EDGES.some((e, k) => e.source === input && ops[type(i)][k] !== 'none');
    // Backward: does cell i's output reach the logits?
    const used = new Array<boolean>(L).fill(false);
    used[L - 1] = true;
    for (let i = L - 2; i >= 0; i--) used[i] = (used[i + 1] && usesInput(i + 1, 1)) || (i + 2 < L && used[i + 2] && usesInput(i + 2, 0));
    // Forward: which states carry a signal.
    const active = new Set<Choice>();
    let [live0, live1] = [true, true];
    for (let i = 0; i < L; i++) {
      const live = [live0, live1];
      const edges = this.#edges(type(i));
      for (let node = 2; node < 2 + STEPS; node++) {
        let any = false;
        for (const k of edgesInto(node)) {
          if (ops[type(i)][k] === 'none' || !live[DARTS_EDGES[k].source]) continue;
          any = true;
          if (used[i]) active.add(edges[k]);
        }
        live.push(any);
      }
      [live0, live1] = [live1, CONCAT.some((n) => live[n])];
    }
    return this.choices.filter((c) => active.has(c));
  }

  #network(arch: Architecture, o: Omit<DartsNetworkOptions, 'normal' | 'reduce' | 'numClasses'>): DartsNetwork {
    return new DartsNetwork({ ...this.#ops(arch), numClasses: this.numClasses, ...o });
  }

  /** The discrete sub-network of the search network (its sizes, no affine BN, BN after pools). */
  subnet(arch: Architecture, opts: { inherit: boolean }): DartsNetwork {
    const net = this.#network(arch, { channels: this.options.searchChannels, layers: this.options.searchLayers, affine: false, poolBn: true });
    if (opts.inherit) noGrad(() => inheritNetwork(net, this.supernet));
    return net;
  }

  /** DARTS's evaluation network (NetworkCIFAR): eval_layers cells of eval_channels, affine ops, auxiliary head, drop-path. */
  override evaluationNetwork(arch: Architecture): DartsNetwork {
    const o = this.options;
    return this.#network(arch, { channels: o.evalChannels, layers: o.evalLayers, affine: true, poolBn: false, auxiliaryWeight: o.auxiliaryWeight, dropPathProb: o.dropPathProb });
  }

  /** The loss plus auxiliary_weight x the auxiliary head's loss (training mode, evaluation network). */
  override trainingLoss(net: Layer, x: Tensor, y: Tensor): { loss: Tensor; logits: Tensor } {
    if (!(net instanceof DartsNetwork) || !net.auxHead || !net.training) return super.trainingLoss(net, x, y);
    return tidy(() => {
      const { logits, aux } = net.forwardWithAux(x);
      return { logits, loss: this.loss(logits, y).add(this.loss(aux!, y).mul(net.auxiliaryWeight)) };
    });
  }

  /** Params without the auxiliary head, as DARTS reports them (it only trains, never serves). */
  override measureSubnetCost(net: Layer, x: Tensor): ExactCost {
    const cost = super.measureSubnetCost(net, x);
    return net instanceof DartsNetwork ? { ...cost, params: net.numParametersWithoutAux() } : cost;
  }

  /** DARTS's schedule: drop_path_prob x epoch / epochs at the start of each epoch. */
  override beforeTrainingEpoch(net: Layer, epoch: number, epochs: number): void {
    if (net instanceof DartsNetwork) net.dropPathProb = (net.maxDropPath * epoch) / epochs;
  }
}

// Recipes (reference-facts 6.4). Search: DrNAS SGD 0.025 nesterov, weight decay
// 3e-4, 50 epochs, batch 64, split 0.5, cosine to 0; DARTS 50 epochs; GDAS and
// SPOS 250 epochs at batch 256 (SPOS split 0.8). Retraining: 600 epochs, batch
// 96, SGD 0.025 (momentum 0.9), weight decay 3e-4, cosine to 0, clip 5, cutout
// 16, drop-path 0.2, auxiliary 0.4 (the option defaults).
const SEARCH = { optimizer: 'sgd', lr: 0.025, lr_min: 0, momentum: 0.9, nesterov: true, weight_decay: 3e-4, batch_size: 64, train_portion: 0.5, epochs: 50 } as const;
const RETRAIN = { optimizer: 'sgd', lr: 0.025, lr_min: 0, lr_schedule: 'cosine', momentum: 0.9, nesterov: false, weight_decay: 3e-4, batch_size: 96, grad_clip: 5, cutout_length: 16, train_portion: 1 } as const;
const LONG = { epochs: 250, batch_size: 256 } as const;

registerSpace({
  name: 'darts',
  description: 'DARTS (CIFAR-10): 8 cells x 14 edges x 8 primitives, normal and reduction cells; genotypes retrained as 20-cell networks',
  task: 'classification',
  datasets: ['cifar10'],
  inputShape: [3, 32, 32],
  metric: 'accuracy',
  forms: ['we', 'ws'],
  options: OPTIONS,
  check(opts) {
    for (const [opt, key] of [['searchChannels', 'search_channels'], ['evalChannels', 'eval_channels']] as const) {
      const v = opts[opt];
      if (typeof v === 'number' && v % 2 !== 0) throw new Error(`${key} (${v}) must be even: FactorizedReduce splits the channels in two halves`);
    }
  },
  // The invariant tests run a small search network (4 cells: normal, two reductions, normal).
  testOptions: { searchLayers: 4, searchChannels: 4 },
  recipes: {
    base: SEARCH,
    presets: {
      gdas: LONG,
      'gdas-ws': LONG,
      'spos-es': { ...LONG, train_portion: 0.8 },
      'spos-rs': { ...LONG, train_portion: 0.8 },
      retrain: { ...RETRAIN, epochs: 600 },
      finetune: { ...RETRAIN, epochs: 60 },
    },
    compare: IMAGE_COMPARE,
  },
  create: (o) => new DartsSpace(o),
});
