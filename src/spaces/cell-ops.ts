// The operations of cell spaces (the toy cell, DARTS), shared by their
// supernets and standalone networks (reference-facts 3.6, 3.8, 3.13).
//
// Primitives, in DARTS's order: none, max_pool_3x3, avg_pool_3x3,
// skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5.
// - sep_conv_k: ReLU, depthwise k x k (stride), pointwise, BN, ReLU, depthwise
//   k x k, pointwise, BN; dil_conv_k: ReLU, depthwise k x k dilation 2
//   (stride), pointwise, BN. Padding d(k-1)/2: sep 3 -> 1, 5 -> 2; dil 3 -> 2,
//   5 -> 4. No conv bias.
// - Pools: 3 x 3, padding 1 (average without the padding); in a search cell
//   followed by BatchNorm(affine=False), as DARTS's MixedOp.
// - skip_connect: identity, or FactorizedReduce at stride 2.
// - none: no output (a zero contribution).
//
// A supernet edge (CellEdge) holds one mixed operation over an edge choice:
// WE (TangleNAS): the convs of one family (sep or dil) form one entangled group
// whose 3 x 3 is the centre of the 5 x 5 (pointwise convs and BNs shared); a
// group contributes its weight mass s times the group run with its kernel
// weights normalised by s, and a group or operation of weight exactly 0 is
// skipped (exact at one-hot, train and eval mode; docs/superposition.md). The
// parameter-free operations (pools, skip, none) are output-mixed.
// WS: one independent operation per primitive, outputs mixed (classic DARTS).
import { BatchNorm2d } from '../nn/norm.js';
import { Conv2d } from '../nn/conv.js';
import { Layer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { relu } from '../tensor/ops/activation.js';
import { avgPool2d, maxPool2d } from '../tensor/ops/pool.js';
import { tidy } from '../tensor/scope.js';
import { cat, tensor as tensorOf, zeros, type Tensor } from '../tensor/tensor.js';
import type { ArchSample } from '../nas/arch.js';
import { Factor, type Choice } from '../nas/choice.js';
import { EntangledBatchNorm2d } from '../nas/entangled/batchnorm.js';
import { mixCost, type Cost, type Costed } from '../nas/entangled/common.js';
import { EntangledConv2d } from '../nas/entangled/conv2d.js';
import { EntangledLinear } from '../nas/entangled/linear.js';
import { outputMixture } from '../nas/ws.js';

export const CELL_PRIMITIVES = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'] as const;
export type CellPrimitive = (typeof CELL_PRIMITIVES)[number];
export type ConvKind = 'sep' | 'dil';

/** The conv family and kernel of a conv primitive; null for the others. */
export function convOf(p: CellPrimitive): { kind: ConvKind; k: number } | null {
  if (!p.startsWith('sep_conv') && !p.startsWith('dil_conv')) return null;
  return { kind: p.startsWith('sep') ? 'sep' : 'dil', k: p.endsWith('5x5') ? 5 : 3 };
}

function add(a: Tensor | null, b: Tensor): Tensor {
  return a === null ? b : a.add(b);
}

// ---------------------------------------------------------------- conv primitives

/** Layer order of the conv primitives' parts: sep = dw1 pw1 bn1 dw2 pw2 bn2, dil = dw1 pw1 bn1. */
export function primitiveForward(kind: ConvKind, x: Tensor, part: (name: string, h: Tensor) => Tensor): Tensor {
  return tidy(() => {
    let h = part('bn1', part('pw1', part('dw1', relu(x))));
    if (kind === 'sep') h = part('bn2', part('pw2', part('dw2', relu(h))));
    return h;
  });
}

/** One conv family (sep or dil) over a kernel factor: entangled depthwise convs, shared pointwise convs and BNs. */
export class PrimitiveGroup extends Module {
  readonly parts = new Map<string, EntangledConv2d | EntangledBatchNorm2d>();

  constructor(readonly kind: ConvKind, readonly c: number, stride: number, readonly kernel: Factor<number>) {
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

/** A standalone sep or dil conv primitive. */
export class ConvOp extends Layer {
  readonly parts = new Map<string, Conv2d | BatchNorm2d>();
  readonly kind: ConvKind;

  constructor(readonly primitive: CellPrimitive, c: number, stride: number, affine = false) {
    super();
    const conv = convOf(primitive);
    if (!conv) throw new Error(`ConvOp: '${primitive}' is not a conv primitive`);
    const { kind, k } = conv;
    this.kind = kind;
    const dilation = kind === 'dil' ? 2 : 1;
    const add = (name: string, m: Conv2d | BatchNorm2d) => this.parts.set(name, this.child(name, m));
    const dw = (s: number) => new Conv2d(c, c, k, { stride: s, padding: (dilation * (k - 1)) / 2, dilation, groups: c, bias: false });
    add('dw1', dw(stride));
    add('pw1', new Conv2d(c, c, 1, { bias: false }));
    add('bn1', new BatchNorm2d(c, { affine }));
    if (kind === 'sep') {
      add('dw2', dw(1));
      add('pw2', new Conv2d(c, c, 1, { bias: false }));
      add('bn2', new BatchNorm2d(c, { affine }));
    }
  }

  forward(x: Tensor): Tensor {
    return primitiveForward(this.kind, x, (name, h) => this.parts.get(name)!.forward(h));
  }
}

// ---------------------------------------------------------------- the other primitives and cell preprocessing

/** A 3 x 3 max or average pool, padding 1 (the average leaves the padding out). */
export function pool3x3(kind: 'max' | 'avg', x: Tensor, stride: number): Tensor {
  return kind === 'max' ? maxPool2d(x, 3, { stride, padding: 1 }) : avgPool2d(x, 3, { stride, padding: 1, countIncludePad: false });
}

/** FactorizedReduce's topology: ReLU, two 1 x 1 stride-2 convs on x and on x shifted by one pixel, concatenated, BN. */
function factorizedReduceForward(x: Tensor, conv: (i: 0 | 1, h: Tensor) => Tensor, bn: (h: Tensor) => Tensor): Tensor {
  return tidy(() => {
    const h = relu(x);
    const [H, W] = [h.size(2), h.size(3)];
    return bn(cat([conv(0, h), conv(1, h.narrow(2, 1, H - 1).narrow(3, 1, W - 1))], 1));
  });
}

/** A pool primitive of a standalone network; `bn`: followed by BatchNorm(affine=False), as in a search cell. */
export class PoolOp extends Layer {
  readonly bn: BatchNorm2d | null;
  constructor(readonly kind: 'max' | 'avg', c: number, readonly stride: number, bn: boolean) {
    super();
    this.bn = bn ? this.child('bn', new BatchNorm2d(c, { affine: false })) : null;
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const y = pool3x3(this.kind, x, this.stride);
      return this.bn ? this.bn.forward(y) : y;
    });
  }
}

/** skip_connect at stride 1. */
export class IdentityOp extends Layer {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** ReLU, 1 x 1 conv, BN (DARTS's ReLUConvBN at kernel 1, the cells' preprocessing). */
export class ReLUConvBN extends Layer {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(cin: number, cout: number, affine: boolean) {
    super();
    this.conv = this.child('conv', new Conv2d(cin, cout, 1, { bias: false }));
    this.bn = this.child('bn', new BatchNorm2d(cout, { affine }));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => this.bn.forward(this.conv.forward(relu(x))));
  }
}

/** The output channels of each of FactorizedReduce's two convs. */
function halfOf(cout: number): number {
  if (cout % 2 !== 0) throw new Error(`FactorizedReduce: ${cout} output channels; it needs an even number`);
  return cout / 2;
}

export class FactorizedReduce extends Layer {
  readonly convs: Conv2d[];
  readonly bn: BatchNorm2d;
  constructor(cin: number, cout: number, affine: boolean) {
    super();
    this.convs = [1, 2].map((i) => this.child(`conv_${i}`, new Conv2d(cin, halfOf(cout), 1, { stride: 2, bias: false })));
    this.bn = this.child('bn', new BatchNorm2d(cout, { affine }));
  }
  forward(x: Tensor): Tensor {
    return factorizedReduceForward(x, (i, h) => this.convs[i].forward(h), (h) => this.bn.forward(h));
  }
}

/** ReLUConvBN of a supernet (fixed sizes, built from entangled ops for the cost model). */
export class ReLUConvBNWE extends Module {
  readonly conv: EntangledConv2d;
  readonly bn: EntangledBatchNorm2d;
  constructor(cin: number, cout: number, affine: boolean) {
    super();
    this.conv = this.child('conv', new EntangledConv2d({ inChannels: cin, outChannels: cout, kernel: 1, padding: 0, bias: 'none' }));
    this.bn = this.child('bn', new EntangledBatchNorm2d({ channels: cout, affine }));
  }
  forward(x: Tensor, arch: ArchSample): Tensor {
    return tidy(() => this.bn.forward(this.conv.forward(relu(x), arch), arch));
  }
}

/** FactorizedReduce of a supernet. */
export class FactorizedReduceWE extends Module {
  readonly convs: EntangledConv2d[];
  readonly bn: EntangledBatchNorm2d;
  constructor(cin: number, cout: number, affine: boolean) {
    super();
    this.convs = [1, 2].map((i) => this.child(`conv_${i}`, new EntangledConv2d({ inChannels: cin, outChannels: halfOf(cout), kernel: 1, stride: 2, padding: 0, bias: 'none' })));
    this.bn = this.child('bn', new EntangledBatchNorm2d({ channels: cout, affine }));
  }
  forward(x: Tensor, arch: ArchSample): Tensor {
    return factorizedReduceForward(x, (i, h) => this.convs[i].forward(h, arch), (h) => this.bn.forward(h, arch));
  }
  expectedCost(arch: ArchSample): Cost {
    return tidy(() => {
      const cs = [...this.convs, this.bn].map((m) => m.expectedCost(arch));
      return { params: cs.reduce((a, c) => a.add(c.params), zeros([])), flops: cs.reduce((a, c) => a.add(c.flops), zeros([])) };
    });
  }
}

// ---------------------------------------------------------------- the supernet edge

/** What one value of an edge choice runs. */
type Member =
  /** WE: a conv family over a kernel factor; choice indices [start, start + size). */
  | { kind: 'group'; start: number; size: number; group: PrimitiveGroup }
  /** WS: one conv primitive on its own. */
  | { kind: 'conv'; index: number; group: PrimitiveGroup }
  | { kind: 'pool'; index: number; pool: 'max' | 'avg'; bn: EntangledBatchNorm2d }
  | { kind: 'skip'; index: number; reduce: FactorizedReduceWE | null };

/** A mixed operation over one edge choice (module names as the toy cell's: sep_conv, dil_conv in WE; one per primitive in WS). */
export class CellEdge extends Module implements Costed {
  readonly members: Member[] = [];
  /** Member per choice index (null: 'none'). */
  readonly #of: (Member | null)[];

  constructor(readonly choice: Choice<CellPrimitive>, c: number, readonly stride: number, readonly entangle: boolean) {
    super();
    const values = choice.values;
    this.#of = values.map(() => null);
    const groups = new Map<ConvKind, number[]>();
    values.forEach((p, i) => {
      const conv = convOf(p);
      if (conv && entangle) {
        const at = groups.get(conv.kind);
        if (at) {
          if (at[at.length - 1] !== i - 1) throw new Error(`CellEdge: the ${conv.kind} convs of choice '${choice.name}' must be adjacent values`);
          at.push(i);
        } else groups.set(conv.kind, [i]);
      }
    });
    values.forEach((p, i) => {
      const conv = convOf(p);
      let m: Member | null = null;
      if (conv && entangle) {
        const at = groups.get(conv.kind)!;
        if (at[0] !== i) return;
        const kernel = new Factor('kernel', at.map((j) => convOf(values[j])!.k));
        m = { kind: 'group', start: i, size: at.length, group: this.child(`${conv.kind}_conv`, new PrimitiveGroup(conv.kind, c, stride, kernel)) };
        for (const j of at) this.#of[j] = m;
        this.members.push(m);
        return;
      }
      if (conv) m = { kind: 'conv', index: i, group: this.child(p, new PrimitiveGroup(conv.kind, c, stride, new Factor('kernel', [conv.k]))) };
      else if (p === 'max_pool_3x3' || p === 'avg_pool_3x3') m = { kind: 'pool', index: i, pool: p === 'max_pool_3x3' ? 'max' : 'avg', bn: this.child(p, new EntangledBatchNorm2d({ channels: c, affine: false })) };
      else if (p === 'skip_connect') m = { kind: 'skip', index: i, reduce: stride === 1 ? null : this.child(p, new FactorizedReduceWE(c, c, false)) };
      if (m) {
        this.#of[i] = m;
        this.members.push(m);
      }
    });
  }

  /** The module a standalone primitive inherits its weights from (null for parameter-free ones and 'none'). */
  source(p: CellPrimitive): PrimitiveGroup | EntangledBatchNorm2d | FactorizedReduceWE | null {
    const m = this.#of[this.choice.indexOf(p)];
    if (!m) return null;
    return m.kind === 'group' || m.kind === 'conv' ? m.group : m.kind === 'pool' ? m.bn : m.reduce;
  }

  /** Choice value `i` alone (no weight); null for 'none'. */
  #run(i: number, x: Tensor, arch: ArchSample): Tensor | null {
    const m = this.#of[i];
    if (!m) return null;
    switch (m.kind) {
      case 'group':
        return m.group.candidate(x, i - m.start, arch);
      case 'conv':
        return m.group.candidate(x, 0, arch);
      case 'pool':
        return tidy(() => m.bn.forward(pool3x3(m.pool, x, this.stride), arch));
      case 'skip':
        return m.reduce ? m.reduce.forward(x, arch) : x;
    }
  }

  /** The edge's output; null when it contributes nothing ('none', or every weight 0). */
  forward(x: Tensor, arch: ArchSample): Tensor | null {
    return tidy(() => {
      if (arch.mode === 'discrete') {
        const y = this.#run(arch.index(this.choice), x, arch);
        const s = arch.chosenWeight([this.choice]);
        return y && s ? y.mul(s) : y;
      }
      const w = arch.weights(this.choice);
      if (!this.entangle) {
        // A pruned option has weight 0: not running it is exact (prune_below); with only 'none' live the edge adds nothing.
        const live = (i: number) => this.choice.isLive(i) && this.#of[i] !== null;
        return this.choice.values.some((_, i) => live(i)) ? outputMixture(w, this.choice.size, (i) => (live(i) ? this.#run(i, x, arch) : null)) : null;
      }
      let out: Tensor | null = null;
      for (const { m, mass, wk } of this.#weighted(w)) {
        const y = m.kind === 'group' ? m.group.mixed(x, wk!, arch) : this.#run(m.index, x, arch)!;
        out = add(out, y.mul(mass));
      }
      return out;
    });
  }

  /** WE: the members with a non-zero weight: (member, weight or group mass, the group's normalised kernel weights). */
  #weighted(w: Tensor): { m: Member; mass: Tensor; wk: Tensor | null }[] {
    const out: { m: Member; mass: Tensor; wk: Tensor | null }[] = [];
    let values: number[] | null = null;
    for (const m of this.members) {
      if (m.kind === 'group') {
        const part = w.narrow(0, m.start, m.size);
        const mass = part.sum();
        if (mass.item() === 0) continue;
        out.push({ m, mass, wk: part.div(mass) });
      } else {
        const i = (m as { index: number }).index;
        values ??= noGrad(() => w.toArray());
        if (values[i] === 0) continue;
        out.push({ m, mass: w.narrow(0, i, 1), wk: null });
      }
    }
    return out;
  }

  /** Cost of one member for kernel weights `wk` (groups) or alone. */
  #cost(m: Member, wk: Tensor | null, arch: ArchSample): Cost {
    switch (m.kind) {
      case 'group':
        return m.group.costWith(wk!, arch);
      case 'conv':
        return m.group.costWith(tensorOf([1]), arch);
      case 'pool':
        return m.bn.expectedCost(arch);
      case 'skip':
        return m.reduce ? m.reduce.expectedCost(arch) : { params: zeros([]), flops: zeros([]) };
    }
  }

  expectedCost(arch: ArchSample): Cost {
    return tidy(() => {
      const w = arch.weights(this.choice);
      let params = zeros([]), flops = zeros([]);
      const terms = this.entangle ? this.#weighted(w) : this.members.map((m) => ({ m, mass: w.narrow(0, (m as { index: number }).index, 1), wk: null }));
      for (const { m, mass, wk } of terms) {
        const c = this.#cost(m, wk, arch);
        params = params.add(c.params.mul(mass).sum());
        flops = flops.add(c.flops.mul(mass).sum());
      }
      return { params, flops };
    });
  }
}

// ---------------------------------------------------------------- standalone primitives and weight inheritance

/** The standalone operation of a primitive ('none' has none). `poolBn`: pools followed by BN(affine=False), as in a search cell. */
export function cellOp(p: CellPrimitive, c: number, stride: number, o: { affine: boolean; poolBn: boolean }): Layer | null {
  if (p === 'none') return null;
  if (convOf(p)) return new ConvOp(p, c, stride, o.affine);
  if (p === 'max_pool_3x3' || p === 'avg_pool_3x3') return new PoolOp(p === 'max_pool_3x3' ? 'max' : 'avg', c, stride, o.poolBn);
  return stride === 1 ? new IdentityOp() : new FactorizedReduce(c, c, o.affine);
}

/** Copies a supernet part into a standalone part: centred crop where kernels differ; BN affine parameters and running statistics. */
export function inheritPart(dst: Conv2d | BatchNorm2d | Linear, src: EntangledConv2d | EntangledBatchNorm2d | EntangledLinear): void {
  if (dst instanceof Conv2d && src instanceof EntangledConv2d) {
    const [kd, ks] = [dst.kernelSize[0], src.maxK];
    const s = (ks - kd) / 2;
    dst.weight.copy_(src.weight.narrow(2, s, kd).narrow(3, s, kd));
    if (dst.bias && src.bias) dst.bias.copy_(src.bias);
  } else if (dst instanceof BatchNorm2d && src instanceof EntangledBatchNorm2d) {
    dst.runningMean!.copy_(src.runningMean);
    dst.runningVar!.copy_(src.runningVar);
    if (dst.weight && src.weight) dst.weight.copy_(src.weight);
    if (dst.bias && src.bias) dst.bias.copy_(src.bias);
  } else if (dst instanceof Linear && src instanceof EntangledLinear) {
    dst.weight.copy_(src.weight);
    if (dst.bias && src.bias) dst.bias.copy_(src.bias);
  } else {
    throw new Error(`inherit: cannot copy ${src.constructor.name} into ${dst.constructor.name}`);
  }
}

/** Copies an edge's weights for primitive `p` into its standalone operation (call under noGrad). */
export function inheritOp(dst: Layer, edge: CellEdge, p: CellPrimitive): void {
  const src = edge.source(p);
  if (dst instanceof ConvOp && src instanceof PrimitiveGroup) {
    for (const [name, part] of dst.parts) inheritPart(part, src.parts.get(name)!);
  } else if (dst instanceof PoolOp && src instanceof EntangledBatchNorm2d) {
    if (dst.bn) inheritPart(dst.bn, src);
  } else if (dst instanceof FactorizedReduce && src instanceof FactorizedReduceWE) {
    inheritReduce(dst, src);
  } else if (!(dst instanceof IdentityOp)) {
    throw new Error(`inherit: cannot copy the ${p} of edge '${edge.choice.name}' into ${dst.constructor.name}`);
  }
}

export function inheritReduce(dst: FactorizedReduce, src: FactorizedReduceWE): void {
  dst.convs.forEach((c, i) => inheritPart(c, src.convs[i]));
  inheritPart(dst.bn, src.bn);
}

export function inheritReluConvBn(dst: ReLUConvBN, src: ReLUConvBNWE): void {
  inheritPart(dst.conv, src.conv);
  inheritPart(dst.bn, src.bn);
}
