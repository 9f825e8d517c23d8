// The MobileNetV3 space of Once-for-All (paper 4.3.2, Tables 7 and 19;
// reference-facts 6.6): a stem (3x3, 16, h-swish), a fixed first block
// (depthwise 3x3, 16 -> 16, ReLU), five stages of up to four MBConv blocks
// (widths 24 / 40 / 80 / 112 / 160; ReLU, ReLU, h-swish, h-swish, h-swish;
// squeeze-excitation in stages 2, 4 and 5), then 1x1 to 960 (h-swish), global
// pooling, 1x1 to 1280 (h-swish, no BN), dropout 0.1 and the classifier.
// Searched: per block the kernel {3, 5, 7} and the expand ratio {3, 4, 6}, per
// stage the depth {2, 3, 4}.
//
// Weight entanglement: kernels centre-cropped (3 in 5 in 7), expanded channels
// as prefixes (make_divisible(round(in * ratio), 8), OFA's), the SE block's
// widths following the expand choice, every BatchNorm over the widest channels
// (gamma and beta masked, statistics per channel: a prefix is exact); the
// depthwise conv superposes (expand x kernel), so each block runs one conv of
// each kind. Depth is an output mixture per stage. OFA's kernel transformation
// matrices (7to5, 5to3) are not used: smaller kernels are plain centre crops
// (docs/superposition.md).
//
// Input: the CIFAR layout (32 x 32) by default: stem stride 1 and the first
// stage (24) at stride 1, so the three remaining strided stages leave a 4 x 4
// map before pooling; OFA's ImageNet layout (224 x 224, strides 2 / 2, 2, 2, 2,
// a 7 x 7 map) is `mbv3_layout: imagenet`.
import { BatchNorm2d } from '../nn/norm.js';
import { Conv2d } from '../nn/conv.js';
import { Layer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Module, ModuleList } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { hardsigmoid, hardswish, relu } from '../tensor/ops/activation.js';
import { dropout } from '../tensor/ops/dropout.js';
import { adaptiveAvgPool2d } from '../tensor/ops/pool.js';
import { tidy } from '../tensor/scope.js';
import { tensor, zeros, type Tensor } from '../tensor/tensor.js';
import type { ArchSample } from '../nas/arch.js';
import { choice, type Architecture, type Choice } from '../nas/choice.js';
import { derived, type Cost, type Size } from '../nas/entangled/common.js';
import { EntangledBatchNorm2d } from '../nas/entangled/batchnorm.js';
import { EntangledConv2d } from '../nas/entangled/conv2d.js';
import { depthMixture, depthToCompute } from '../nas/entangled/depth.js';
import { EntangledLinear } from '../nas/entangled/linear.js';
import { int, oneOf } from '../nas/options.js';
import { registerSpace } from '../nas/registry.js';
import { SearchSpace, Supernet, type SpaceOptions } from '../nas/space.js';

export const MBV3_KERNELS = [3, 5, 7] as const;
export const MBV3_EXPANDS = [3, 4, 6] as const;
export const MBV3_DEPTHS = [2, 3, 4] as const;

type Act = 'relu' | 'hswish';
/** OFA's stages: width, stride (ImageNet layout), activation, squeeze-excitation. */
const STAGES: readonly { width: number; stride: number; act: Act; se: boolean }[] = [
  { width: 24, stride: 2, act: 'relu', se: false },
  { width: 40, stride: 2, act: 'relu', se: true },
  { width: 80, stride: 2, act: 'hswish', se: false },
  { width: 112, stride: 1, act: 'hswish', se: true },
  { width: 160, stride: 2, act: 'hswish', se: true },
];
const STEM = 16;
const FINAL_EXPAND = 960;
const LAST = 1280;
const DROPOUT = 0.1;

export type Mbv3Layout = 'cifar' | 'imagenet';

/** Strides of the stem and of each stage in a layout. */
function strides(layout: Mbv3Layout): { stem: number; stages: number[] } {
  return layout === 'imagenet' ? { stem: 2, stages: STAGES.map((s) => s.stride) } : { stem: 1, stages: STAGES.map((s, i) => (i === 0 ? 1 : s.stride)) };
}

/** OFA's make_divisible: the nearest multiple of 8, at least 8, never below 90% of v. */
export function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}
/** Expanded width of a block with `cin` input channels (OFA: make_divisible(round(cin * ratio), 8)). */
const midOf = (cin: number, ratio: number) => makeDivisible(Math.round(cin * ratio));
/** The SE block's reduced width (OFA's DynamicSE: make_divisible(mid // 4, 8)). */
const seOf = (mid: number) => makeDivisible(Math.floor(mid / 4));

const activate = (x: Tensor, a: Act) => (a === 'relu' ? relu(x) : hardswish(x));

/** One sub-network: per stage the depth, and per block (4 per stage; those beyond the depth unused) kernel and expand ratio. */
export interface Mbv3ArchConfig {
  depths: number[];
  kernels: number[][];
  expands: number[][];
}

// ---------------------------------------------------------------------------
// The blocks, as functions of their layers (supernet and sub-network share them)

/** An MBConv block's layers: expand 1x1 (absent at ratio 1), depthwise, optional SE, project 1x1; BNs after each conv. */
interface MbParts {
  expand?: (x: Tensor) => Tensor;
  dw: (x: Tensor) => Tensor;
  se?: { reduce: (x: Tensor) => Tensor; expand: (x: Tensor) => Tensor };
  project: (x: Tensor) => Tensor;
}

function mbconv(x: Tensor, p: MbParts, act: Act, residual: boolean): Tensor {
  return tidy(() => {
    let h = p.expand ? activate(p.expand(x), act) : x;
    h = activate(p.dw(h), act);
    if (p.se) h = h.mul(hardsigmoid(p.se.expand(relu(p.se.reduce(adaptiveAvgPool2d(h, [1, 1]))))));
    const y = p.project(h);
    return residual ? y.add(x) : y;
  });
}

/** The network's topology: stem, first block, stages (depth via `stage`), tail. */
interface Mbv3Parts {
  stem(x: Tensor): Tensor;
  first(x: Tensor): Tensor;
  /** Runs stage s over its blocks and returns its output (a depth mixture in the supernet). */
  stage(s: number, x: Tensor): Tensor;
  finalExpand(x: Tensor): Tensor;
  featureMix(x: Tensor): Tensor;
  classifier(x: Tensor): Tensor;
}

function mbv3Forward(x: Tensor, p: Mbv3Parts, training: boolean): Tensor {
  return tidy(() => {
    let h = hardswish(p.stem(x));
    h = p.first(h);
    for (let s = 0; s < STAGES.length; s++) h = p.stage(s, h);
    h = hardswish(p.finalExpand(h));
    h = hardswish(p.featureMix(adaptiveAvgPool2d(h, [1, 1])));
    return p.classifier(dropout(h.flatten(1), DROPOUT, training));
  });
}

// ---------------------------------------------------------------------------
// Supernet

/** A conv followed by BatchNorm (no conv bias), entangled over the sizes given. */
class SuperConvBn extends Module {
  readonly conv: EntangledConv2d;
  readonly bn: EntangledBatchNorm2d;
  constructor(cin: Size, cout: Size, kernel: Size, stride: number, depthwise = false) {
    super();
    this.conv = this.child('conv', new EntangledConv2d({ inChannels: cin, outChannels: cout, kernel, stride, padding: 'same', bias: 'none', depthwise }));
    this.bn = this.child('bn', new EntangledBatchNorm2d({ channels: cout }));
  }
  forward(x: Tensor, arch: ArchSample): Tensor {
    return this.bn.forward(this.conv.forward(x, arch), arch);
  }
}

class SuperSE extends Module {
  readonly reduce: EntangledConv2d;
  readonly expand: EntangledConv2d;
  constructor(mid: Size, seMid: Size) {
    super();
    this.reduce = this.child('reduce', new EntangledConv2d({ inChannels: mid, outChannels: seMid, kernel: 1, padding: 0 }));
    this.expand = this.child('expand', new EntangledConv2d({ inChannels: seMid, outChannels: mid, kernel: 1, padding: 0 }));
  }
}

class SuperMBConv extends Module {
  readonly inverted_bottleneck: SuperConvBn;
  readonly depth_conv: SuperConvBn;
  readonly se: SuperSE | null;
  readonly point_linear: SuperConvBn;
  readonly residual: boolean;
  constructor(cin: number, cout: number, stride: number, readonly act: Act, se: boolean, kernel: Choice<number>, ratio: Choice<number>) {
    super();
    const mid = derived([ratio], (r) => midOf(cin, r));
    this.inverted_bottleneck = this.child('inverted_bottleneck', new SuperConvBn(cin, mid, 1, 1));
    this.depth_conv = this.child('depth_conv', new SuperConvBn(mid, mid, kernel, stride, true));
    this.se = se ? this.child('se', new SuperSE(mid, derived([ratio], (r) => seOf(midOf(cin, r))))) : null;
    this.point_linear = this.child('point_linear', new SuperConvBn(mid, cout, 1, 1));
    this.residual = stride === 1 && cin === cout;
  }
  forward(x: Tensor, arch: ArchSample): Tensor {
    const se = this.se;
    return mbconv(x, {
      expand: (h) => this.inverted_bottleneck.forward(h, arch),
      dw: (h) => this.depth_conv.forward(h, arch),
      se: se ? { reduce: (h) => se.reduce.forward(h, arch), expand: (h) => se.expand.forward(h, arch) } : undefined,
      project: (h) => this.point_linear.forward(h, arch),
    }, this.act, this.residual);
  }
}

/** OFA's first block: depthwise 3x3 (16), BN, ReLU, then 1x1 to 16, BN; residual. */
class SuperFirst extends Module {
  readonly depth_conv: SuperConvBn;
  readonly point_linear: SuperConvBn;
  constructor() {
    super();
    this.depth_conv = this.child('depth_conv', new SuperConvBn(STEM, STEM, 3, 1, true));
    this.point_linear = this.child('point_linear', new SuperConvBn(STEM, STEM, 1, 1));
  }
  forward(x: Tensor, arch: ArchSample): Tensor {
    return mbconv(x, { dw: (h) => this.depth_conv.forward(h, arch), project: (h) => this.point_linear.forward(h, arch) }, 'relu', true);
  }
}


export class Mbv3Supernet extends Supernet {
  readonly first_conv: SuperConvBn;
  readonly first_block: SuperFirst;
  readonly stages: ModuleList<ModuleList<SuperMBConv>>;
  readonly final_expand: SuperConvBn;
  readonly feature_mix: EntangledConv2d;
  readonly classifier: EntangledLinear;

  constructor(readonly layout: Mbv3Layout, numClasses: number, readonly kernels: Choice<number>[][], readonly expands: Choice<number>[][], readonly depths: Choice<number>[]) {
    super();
    const st = strides(layout);
    this.first_conv = this.child('first_conv', new SuperConvBn(3, STEM, 3, st.stem));
    this.first_block = this.child('first_block', new SuperFirst());
    let cin = STEM;
    this.stages = this.child('stages', new ModuleList(STAGES.map((s, i) => {
      const blocks = kernels[i].map((k, b) => new SuperMBConv(b === 0 ? cin : s.width, s.width, b === 0 ? st.stages[i] : 1, s.act, s.se, k, expands[i][b]));
      cin = s.width;
      return new ModuleList(blocks);
    })));
    this.final_expand = this.child('final_expand', new SuperConvBn(cin, FINAL_EXPAND, 1, 1));
    this.feature_mix = this.child('feature_mix', new EntangledConv2d({ inChannels: FINAL_EXPAND, outChannels: LAST, kernel: 1, padding: 0, bias: 'none' }));
    this.classifier = this.child('classifier', new EntangledLinear({ inFeatures: LAST, outFeatures: numClasses, bias: 'full' }));
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return mbv3Forward(x, {
      stem: (h) => this.first_conv.forward(h, arch),
      first: (h) => this.first_block.forward(h, arch),
      stage: (s, h) => {
        const d = this.depths[s];
        const outs: (Tensor | undefined)[] = d.values.map(() => undefined);
        const blocks = this.stages.items[s].items;
        for (let b = 0; b < depthToCompute(arch, d); b++) {
          h = blocks[b].forward(h, arch);
          const k = d.values.indexOf(b + 1);
          if (k >= 0) outs[k] = h;
        }
        return depthMixture(outs, arch, d);
      },
      finalExpand: (h) => this.final_expand.forward(h, arch),
      featureMix: (h) => this.feature_mix.forward(h, arch),
      classifier: (h) => this.classifier.forward(h, arch),
    }, this.training);
  }
}

// ---------------------------------------------------------------------------
// Standalone sub-network (plain src/nn layers; OFA's module names)

class ConvBn extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(cin: number, cout: number, k: number, stride: number, depthwise = false) {
    super();
    this.conv = this.child('conv', new Conv2d(cin, cout, k, { stride, padding: (k - 1) / 2, bias: false, groups: depthwise ? cin : 1 }));
    this.bn = this.child('bn', new BatchNorm2d(cout));
  }
  forward(x: Tensor): Tensor {
    return this.bn.forward(this.conv.forward(x));
  }
}

class SE extends Module {
  readonly reduce: Conv2d;
  readonly expand: Conv2d;
  constructor(mid: number) {
    super();
    this.reduce = this.child('reduce', new Conv2d(mid, seOf(mid), 1));
    this.expand = this.child('expand', new Conv2d(seOf(mid), mid, 1));
  }
}

class MBConv extends Module {
  readonly inverted_bottleneck: ConvBn;
  readonly depth_conv: ConvBn;
  readonly se: SE | null;
  readonly point_linear: ConvBn;
  readonly residual: boolean;
  constructor(cin: number, cout: number, stride: number, readonly act: Act, se: boolean, k: number, ratio: number) {
    super();
    const mid = midOf(cin, ratio);
    this.inverted_bottleneck = this.child('inverted_bottleneck', new ConvBn(cin, mid, 1, 1));
    this.depth_conv = this.child('depth_conv', new ConvBn(mid, mid, k, stride, true));
    this.se = se ? this.child('se', new SE(mid)) : null;
    this.point_linear = this.child('point_linear', new ConvBn(mid, cout, 1, 1));
    this.residual = stride === 1 && cin === cout;
  }
  forward(x: Tensor): Tensor {
    const se = this.se;
    return mbconv(x, {
      expand: (h) => this.inverted_bottleneck.forward(h),
      dw: (h) => this.depth_conv.forward(h),
      se: se ? { reduce: (h) => se.reduce.forward(h), expand: (h) => se.expand.forward(h) } : undefined,
      project: (h) => this.point_linear.forward(h),
    }, this.act, this.residual);
  }
}

class First extends Module {
  readonly depth_conv: ConvBn;
  readonly point_linear: ConvBn;
  constructor() {
    super();
    this.depth_conv = this.child('depth_conv', new ConvBn(STEM, STEM, 3, 1, true));
    this.point_linear = this.child('point_linear', new ConvBn(STEM, STEM, 1, 1));
  }
  forward(x: Tensor): Tensor {
    return mbconv(x, { dw: (h) => this.depth_conv.forward(h), project: (h) => this.point_linear.forward(h) }, 'relu', true);
  }
}

/** A plain MobileNetV3: images -> logits. */
export class Mbv3Subnet extends Layer {
  readonly first_conv: ConvBn;
  readonly first_block: First;
  readonly stages: ModuleList<ModuleList<MBConv>>;
  readonly final_expand: ConvBn;
  readonly feature_mix: Conv2d;
  readonly classifier: Linear;

  constructor(readonly arch: Readonly<Mbv3ArchConfig>, readonly layout: Mbv3Layout, numClasses: number) {
    super();
    const st = strides(layout);
    this.first_conv = this.child('first_conv', new ConvBn(3, STEM, 3, st.stem));
    this.first_block = this.child('first_block', new First());
    let cin = STEM;
    this.stages = this.child('stages', new ModuleList(STAGES.map((s, i) => {
      const blocks = Array.from({ length: arch.depths[i] }, (_, b) => new MBConv(b === 0 ? cin : s.width, s.width, b === 0 ? st.stages[i] : 1, s.act, s.se, arch.kernels[i][b], arch.expands[i][b]));
      cin = s.width;
      return new ModuleList(blocks);
    })));
    this.final_expand = this.child('final_expand', new ConvBn(cin, FINAL_EXPAND, 1, 1));
    this.feature_mix = this.child('feature_mix', new Conv2d(FINAL_EXPAND, LAST, 1, { bias: false }));
    this.classifier = this.child('classifier', new Linear(LAST, numClasses));
  }

  forward(x: Tensor): Tensor {
    return mbv3Forward(x, {
      stem: (h) => this.first_conv.forward(h),
      first: (h) => this.first_block.forward(h),
      stage: (s, h) => this.stages.items[s].items.reduce((z, b) => b.forward(z), h),
      finalExpand: (h) => this.final_expand.forward(h),
      featureMix: (h) => this.feature_mix.forward(h),
      classifier: (h) => this.classifier.forward(h),
    }, this.training);
  }
}

// ---------------------------------------------------------------------------
// The space

const OPTIONS = {
  imageSize: { key: 'mbv3_image_size', type: int(0), default: 0, doc: "MobileNetV3: the image size the space assumes for its example batches, costs and latency tables (0 = the layout's: 32 or 224); a conv net takes any size, so set it to the dataset's" },
  layout: { key: 'mbv3_layout', type: oneOf('cifar', 'imagenet'), default: 'cifar', doc: "MobileNetV3: 'cifar' (32 x 32; stem and first stage at stride 1, a 4 x 4 map before pooling) or OFA's 'imagenet' (224 x 224, a 7 x 7 map)" },
} as const;

export class Mbv3Space extends SearchSpace {
  readonly name = 'mobilenetv3';
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly layout: Mbv3Layout;
  readonly kernels: Choice<number>[][];
  readonly expands: Choice<number>[][];
  readonly depths: Choice<number>[];
  readonly choices: readonly Choice[];
  readonly supernet: Mbv3Supernet;

  constructor(opts: SpaceOptions = {}) {
    super(opts);
    if (this.form !== 'we') throw new Error("space 'mobilenetv3': only the weight-entangled form ('we') exists (a WS supernet of 20 blocks x 9 candidates does not fit)");
    this.layout = (opts.layout as Mbv3Layout | undefined) ?? 'cifar';
    this.numClasses = opts.numClasses ?? 10;
    const size = (opts.imageSize as number | undefined) || (this.layout === 'imagenet' ? 224 : 32);
    this.inputShape = [3, size, size];
    this.kernels = STAGES.map((_, s) => [0, 1, 2, 3].map((b) => choice(`kernel_${s + 1}_${b + 1}`, MBV3_KERNELS)));
    this.expands = STAGES.map((_, s) => [0, 1, 2, 3].map((b) => choice(`expand_${s + 1}_${b + 1}`, MBV3_EXPANDS)));
    this.depths = STAGES.map((_, s) => choice(`depth_${s + 1}`, MBV3_DEPTHS));
    this.choices = [...this.kernels.flat(), ...this.expands.flat(), ...this.depths];
    this.supernet = new Mbv3Supernet(this.layout, this.numClasses, this.kernels, this.expands, this.depths);
  }

  archConfig(arch: Architecture): Mbv3ArchConfig {
    const depths = this.depths.map((d) => this.value(arch, d));
    return {
      depths,
      kernels: this.kernels.map((row, s) => row.slice(0, depths[s]).map((c) => this.value(arch, c))),
      expands: this.expands.map((row, s) => row.slice(0, depths[s]).map((c) => this.value(arch, c))),
    };
  }

  override activeChoices(arch: Architecture): Choice[] {
    const d = this.depths.map((c) => this.value(arch, c));
    return [...this.kernels.flatMap((row, s) => row.slice(0, d[s])), ...this.expands.flatMap((row, s) => row.slice(0, d[s])), ...this.depths];
  }

  /** A stage's output enters the next stage's first conv and its BatchNorm (no residual there). */
  override scaleInvariantChoices(): readonly Choice[] {
    return this.depths;
  }

  override canonical(arch: Architecture): Architecture {
    return this.inactiveAtFirst(arch);
  }

  /** No tabular benchmark; the key is OFA's net config ({ks, e, d}: 20 kernels, 20 ratios, 5 depths), so it round-trips. */
  benchmarkKey(arch: Architecture): string {
    return JSON.stringify({ ks: this.kernels.flat().map((c) => this.value(arch, c)), e: this.expands.flat().map((c) => this.value(arch, c)), d: this.depths.map((c) => this.value(arch, c)) });
  }

  fromBenchmarkKey(key: string): Architecture {
    let o: { ks?: unknown; e?: unknown; d?: unknown };
    try {
      o = JSON.parse(key);
    } catch {
      throw new Error(`mobilenetv3: '${key}' is not a JSON architecture key ({"ks": [20], "e": [20], "d": [5]})`);
    }
    const list = (v: unknown, n: number, what: string) => {
      if (!Array.isArray(v) || v.length !== n) throw new Error(`mobilenetv3: key field '${what}' must list ${n} values`);
      return v as number[];
    };
    const arch: Architecture = {};
    const ks = list(o.ks, 20, 'ks'), e = list(o.e, 20, 'e'), d = list(o.d, 5, 'd');
    this.kernels.flat().forEach((c, i) => (arch[c.name] = c.indexOf(ks[i])));
    this.expands.flat().forEach((c, i) => (arch[c.name] = c.indexOf(e[i])));
    this.depths.forEach((c, i) => (arch[c.name] = c.indexOf(d[i])));
    return arch;
  }

  subnet(arch: Architecture, opts: { inherit: boolean }): Mbv3Subnet {
    const a = this.archConfig(arch);
    const net = new Mbv3Subnet(a, this.layout, this.numClasses);
    if (opts.inherit) inherit(net, this.supernet);
    return net;
  }

  /**
   * Expected params and MACs per image: block b of a stage counts with the
   * probability that the stage's depth reaches it (sum_{d > b} w_d). The
   * supernet must have run one forward (convs record their input sizes).
   */
  override expectedCost(arch: ArchSample): Cost {
    const n = this.supernet;
    return tidy(() => {
      let params = zeros([]), flops = zeros([]);
      const add = (m: Module, w?: Tensor) => {
        for (const [, c] of m.namedModules()) {
          if (!(c instanceof EntangledConv2d || c instanceof EntangledBatchNorm2d || c instanceof EntangledLinear)) continue;
          const k = c.expectedCost(arch);
          params = params.add(w ? k.params.mul(w) : k.params);
          flops = flops.add(w ? k.flops.mul(w) : k.flops);
        }
      };
      for (const m of [n.first_conv, n.first_block, n.final_expand, n.feature_mix, n.classifier]) add(m);
      n.stages.items.forEach((stage, s) => {
        const wd = arch.weights(this.depths[s]);
        stage.items.forEach((block, b) => add(block, wd.mul(tensor(this.depths[s].values.map((d) => (d > b ? 1 : 0)))).sum()));
      });
      return { params, flops };
    });
  }
}

/** Copies the supernet's slices for `a` into a fresh sub-network. */
function inherit(net: Mbv3Subnet, s: Mbv3Supernet): void {
  const prefix = (t: Tensor, ...sizes: number[]) => sizes.reduce((z, n, d) => z.narrow(d, 0, n), t);
  const centre = (t: Tensor, k: number) => {
    const o = (t.size(2) - k) / 2;
    return t.narrow(2, o, k).narrow(3, o, k);
  };
  const convBn = (dst: ConvBn, src: SuperConvBn) => {
    const w = dst.conv.weight;
    const [cout, cin, k] = [w.size(0), w.size(1), w.size(2)];
    w.copy_(centre(prefix(src.conv.weight, cout, cin), k));
    dst.bn.weight!.copy_(prefix(src.bn.weight!, cout));
    dst.bn.bias!.copy_(prefix(src.bn.bias!, cout));
    dst.bn.runningMean!.copy_(prefix(src.bn.runningMean, cout));
    dst.bn.runningVar!.copy_(prefix(src.bn.runningVar, cout));
  };
  const conv = (dst: Conv2d, src: EntangledConv2d) => {
    dst.weight.copy_(prefix(src.weight, dst.weight.size(0), dst.weight.size(1)));
    if (dst.bias) dst.bias.copy_(prefix(src.bias!, dst.weight.size(0)));
  };
  noGrad(() =>
    tidy(() => {
      convBn(net.first_conv, s.first_conv);
      convBn(net.first_block.depth_conv, s.first_block.depth_conv);
      convBn(net.first_block.point_linear, s.first_block.point_linear);
      net.stages.items.forEach((stage, i) =>
        stage.items.forEach((b, j) => {
          const sb = s.stages.items[i].items[j];
          convBn(b.inverted_bottleneck, sb.inverted_bottleneck);
          convBn(b.depth_conv, sb.depth_conv);
          convBn(b.point_linear, sb.point_linear);
          if (b.se && sb.se) {
            conv(b.se.reduce, sb.se.reduce);
            conv(b.se.expand, sb.se.expand);
          }
        }),
      );
      convBn(net.final_expand, s.final_expand);
      conv(net.feature_mix, s.feature_mix);
      net.classifier.weight.copy_(s.classifier.weight);
      net.classifier.bias!.copy_(s.classifier.bias!);
    }),
  );
}

// OFA's recipe (reference-facts 6.6): SGD Nesterov 0.9, lr 3e-2 per 256 images
// (batch 64 here: 7.5e-3), 5 warm-up epochs, cosine, weight decay 3e-5 (OFA:
// not on BN and bias; here on every weight, docs/search.md), label smoothing
// 0.1; arch Adam 3e-4, weight decay 1e-3; 500 epochs. ES as OFA's
// (population 100, parents 0.25, mutation 0.5 of the population, m_prob 0.1).
const BATCH = 64;
const MBV3_BASE = {
  dataset: 'cifar10', arch_update: 'simultaneous', optimizer: 'sgd', lr: (3e-2 * BATCH) / 256, lr_min: 0, lr_schedule: 'cosine', warmup_epochs: 5, momentum: 0.9, nesterov: true, weight_decay: 3e-5, grad_clip: 0,
  batch_size: BATCH, epochs: 500, train_portion: 0.8, augment: true, label_smoothing: 0.1,
  arch_lr: 3e-4, arch_betas: [0.5, 0.999], arch_weight_decay: 1e-3,
  population: 100, select: 25, mutation: 50, crossover: 50, m_prob: 0.1, generations: 500, rs_iters: 10000,
  eval_batch_size: 256, fitness_samples: 2000, eval_samples: 2000, bn_calibration_samples: 2000,
} as const;

registerSpace({
  name: 'mobilenetv3',
  description: "MobileNetV3 (OFA; CIFAR-10 layout by default): 5 stages x up to 4 MBConv blocks, kernel {3,5,7} and expand {3,4,6} per block, depth {2,3,4} per stage",
  task: 'classification',
  datasets: ['cifar10', 'cifar100', 'imagefolder-32', 'imagefolder'],
  inputShape: [3, 32, 32],
  metric: 'accuracy',
  forms: ['we'],
  options: OPTIONS,
  // The invariant tests: 24 x 24 images (a 3 x 3 map in the last stage, where 5 x 5 still differs from 3 x 3; at 16 x 16 it would not).
  testOptions: { imageSize: 24 },
  recipes: { base: MBV3_BASE, presets: { 'darts-v2': { arch_update: 'alternating' }, finetune: { epochs: 50, warmup_epochs: 1 }, retrain: { epochs: 500 } }, compare: ['tanglenas', 'spos-rs', 'spos-es'] },
  create: (o) => new Mbv3Space(o),
});
