// The AutoFormer vision-transformer spaces (paper 4.3.1, Tables 5, 9, 16;
// reference-facts 6.5): a pre-norm ViT with a cls token, learned absolute
// positions, 2-D relative position embeddings (max distance 14), qkv bias,
// heads of a fixed 64 features (AutoFormer's change_qkv), GELU MLPs, drop-path
// rising linearly over the layers, and mean pooling over the patch tokens.
// Searched: the embedding dimension (one for the network), per layer the heads
// and the MLP ratio, and the depth. Every weight is entangled: the patch
// embedding, cls and position embeddings and LayerNorms over embed; q, k, v
// and the output projection over embed x heads, fc1 and fc2 over embed x ratio
// (combi-superposition, one matmul each); the classifier over embed; depth is
// an output mixture.
//
// Heads are contiguous blocks of 64 features, so h heads are the first 64 h
// rows of q, k and v: at a one-hot weight the heads beyond h see q = k = v = 0
// and the projection's columns for them are zero, which makes the superposed
// attention exactly the h-head one (the reference's interleaved qkv rows do
// not line up for h < max heads; reference-facts 9.1, docs/superposition.md).
//
// Input: the `cifar` layout (32 x 32, patch 4: 64 patch tokens) by default;
// AutoFormer's 224 x 224 with patch 16 is `image_size: 224, patch_size: 16`
// (smaller images are up-sampled inside the network, nearest neighbour).
import { Conv2d } from '../nn/conv.js';
import { headAttention, RelativePosition2D } from '../nn/attention.js';
import { Layer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Module, ModuleList } from '../nn/module.js';
import { LayerNorm } from '../nn/norm.js';
import { noGrad } from '../tensor/autograd.js';
import { gelu } from '../tensor/ops/activation.js';
import { dropPath } from '../tensor/ops/dropout.js';
import { tidy } from '../tensor/scope.js';
import { cat, tensor, zeros, type Tensor } from '../tensor/tensor.js';
import type { ArchSample } from '../nas/arch.js';
import type { Architecture, Choice } from '../nas/choice.js';
import type { ExactCost } from '../nas/cost.js';
import { measureCost } from '../nas/cost.js';
import { derived, type Cost } from '../nas/entangled/common.js';
import { EntangledConv2d } from '../nas/entangled/conv2d.js';
import { depthMixture, depthToCompute } from '../nas/entangled/depth.js';
import { EntangledLayerNorm } from '../nas/entangled/layernorm.js';
import { EntangledLinear } from '../nas/entangled/linear.js';
import { bool, int, num } from '../nas/options.js';
import { registerSpace } from '../nas/registry.js';
import { Supernet, type SpaceOptions } from '../nas/space.js';
import { TransformerSpace, transformerChoices, type TransformerArchConfig } from './transformer.js';
import { prefixRule, Superposition } from '../nas/superposition.js';

/** AutoFormer's head dimension with change_qkv. */
export const HEAD_DIM = 64;
/** AutoFormer's relative position range (tokens further apart share the last row). */
const REL_POS_MAX = 14;

export interface ViTSpaceConfig {
  embed: readonly number[];
  heads: readonly number[];
  mlpRatio: readonly number[];
  layers: readonly number[];
}

export const VIT_PRESETS = Object.freeze({
  'autoformer-t': { embed: [192, 216, 240], heads: [3, 4], mlpRatio: [3.5, 4], layers: [12, 13, 14] },
  'autoformer-s': { embed: [320, 384, 448], heads: [5, 6, 7], mlpRatio: [3, 3.5, 4], layers: [12, 13, 14] },
} satisfies Record<string, ViTSpaceConfig>);
export type ViTPresetName = keyof typeof VIT_PRESETS;

/** The network options (config keys in OPTIONS). */
export interface ViTOptions {
  imageSize: number;
  patchSize: number;
  dropPath: number;
  relPos: boolean;
  numClasses: number;
}

/** One sub-network: embed, and heads and MLP ratio per layer. */
export type ViTArchConfig = TransformerArchConfig;

const hidden = (e: number, r: number) => Math.floor(e * r); // AutoFormer's int(e * r)

/** Drop-path rate of layer i: linear from 0 to `p` over the deepest network's layers (timm, AutoFormer). */
function dropRate(p: number, i: number, maxLayers: number): number {
  return maxLayers > 1 ? (p * i) / (maxLayers - 1) : 0;
}

/** Images [B, C, H, W] -> [B, C, S, S] by nearest neighbour when they are smaller than the network's input. */
function resize(x: Tensor, size: number): Tensor {
  const [, , H, W] = x.shape;
  if (H === size && W === size) return x;
  if (H > size || W > size) throw new Error(`ViT: images of ${H} x ${W} are larger than the network's ${size} x ${size} input; set image_size`);
  return tidy(() => {
    const rows = tensor(Array.from({ length: size }, (_, i) => Math.floor((i * H) / size)), { dtype: 'int64', device: x.device });
    const cols = tensor(Array.from({ length: size }, (_, i) => Math.floor((i * W) / size)), { dtype: 'int64', device: x.device });
    return x.indexSelect(2, rows).indexSelect(3, cols);
  });
}

function checkImages(who: string, x: Tensor, channels: number): void {
  const s = x.shape;
  if (s.length !== 4 || s[1] !== channels) throw new Error(`${who}: expected images [B, ${channels}, H, W], got [${s.join(', ')}]`);
}

/** Multiply-accumulates of the attention core per image: q k^T and p v (and both relative-position terms). */
function attentionCoreMacs(tokens: number, heads: number, relPos: boolean): number {
  return (relPos ? 4 : 2) * tokens * tokens * HEAD_DIM * heads;
}

/** The pieces the shared topology calls (i: layer index). */
interface ViTParts {
  /** Patch embedding, cls token and positions: images -> tokens [B, N, e]. */
  embed(x: Tensor): Tensor;
  ln1(i: number, h: Tensor): Tensor;
  attn(i: number, h: Tensor): Tensor;
  ln2(i: number, h: Tensor): Tensor;
  fc1(i: number, h: Tensor): Tensor;
  fc2(i: number, h: Tensor): Tensor;
  /** Runs `run(n, collect)` over n blocks and returns the representation the final norm reads. */
  depth(run: (n: number, collect: (i: number, h: Tensor) => void) => void): Tensor;
  norm(h: Tensor): Tensor;
  head(h: Tensor): Tensor;
  drop(i: number, h: Tensor): Tensor;
}

/** AutoFormer's topology (pre-norm blocks; norm, then the mean of the patch tokens), shared by supernet and sub-network. */
function vitForward(x: Tensor, p: ViTParts): Tensor {
  return tidy(() => {
    let h = p.embed(x);
    const last = p.depth((n, collect) => {
      for (let i = 0; i < n; i++) {
        h = h.add(p.drop(i, p.attn(i, p.ln1(i, h))));
        h = h.add(p.drop(i, p.fc2(i, gelu(p.fc1(i, p.ln2(i, h))))));
        collect(i, h);
      }
    });
    const y = p.norm(last);
    return p.head(y.narrow(1, 1, y.size(1) - 1).mean(1));
  });
}

/** Splits q, k or v [B, N, heads * 64] into heads [B, heads, N, 64]. */
const splitHeads = (t: Tensor) => t.reshape(t.size(0), t.size(1), t.size(2) / HEAD_DIM, HEAD_DIM).transpose(1, 2);
/** [B, heads, N, 64] -> [B, N, heads * 64]. */
const mergeHeads = (t: Tensor) => t.transpose(1, 2).reshape(t.size(0), t.size(2), t.size(1) * HEAD_DIM);

// ---------------------------------------------------------------------------
// Supernet

class SuperAttention extends Module {
  readonly q: EntangledLinear;
  readonly k: EntangledLinear;
  readonly v: EntangledLinear;
  readonly proj: EntangledLinear;
  readonly rel_pos_k: RelativePosition2D | null;
  readonly rel_pos_v: RelativePosition2D | null;
  constructor(embed: Choice<number>, heads: Choice<number>, relPos: boolean) {
    super();
    const width = derived([heads], (h) => h * HEAD_DIM);
    // q, k and v as three entangled linears (rows [:64 h], columns [:e]): the same
    // function as AutoFormer's one qkv matrix, with the heads as prefixes.
    this.q = this.child('q', new EntangledLinear({ inFeatures: embed, outFeatures: width }));
    this.k = this.child('k', new EntangledLinear({ inFeatures: embed, outFeatures: width }));
    this.v = this.child('v', new EntangledLinear({ inFeatures: embed, outFeatures: width }));
    this.proj = this.child('proj', new EntangledLinear({ inFeatures: width, outFeatures: embed }));
    this.rel_pos_k = relPos ? this.child('rel_pos_k', new RelativePosition2D(HEAD_DIM, REL_POS_MAX)) : null;
    this.rel_pos_v = relPos ? this.child('rel_pos_v', new RelativePosition2D(HEAD_DIM, REL_POS_MAX)) : null;
  }
  forward(x: Tensor, arch: ArchSample): Tensor {
    return tidy(() => {
      const [q, k, v] = [this.q, this.k, this.v].map((l) => splitHeads(l.forward(x, arch)));
      return this.proj.forward(mergeHeads(headAttention(q, k, v, HEAD_DIM ** -0.5, relOf(this.rel_pos_k, this.rel_pos_v, x.size(1)))), arch);
    });
  }
}

function relOf(k: RelativePosition2D | null, v: RelativePosition2D | null, tokens: number): { k: Tensor; v: Tensor } | null {
  return k && v ? { k: k.forward(tokens), v: v.forward(tokens) } : null;
}

class SuperBlock extends Module {
  readonly norm1: EntangledLayerNorm;
  readonly attn: SuperAttention;
  readonly norm2: EntangledLayerNorm;
  readonly fc1: EntangledLinear;
  readonly fc2: EntangledLinear;
  constructor(embed: Choice<number>, heads: Choice<number>, ratio: Choice<number>, relPos: boolean) {
    super();
    const mlp = derived([embed, ratio], hidden);
    this.norm1 = this.child('norm1', new EntangledLayerNorm(embed));
    this.attn = this.child('attn', new SuperAttention(embed, heads, relPos));
    this.norm2 = this.child('norm2', new EntangledLayerNorm(embed));
    this.fc1 = this.child('fc1', new EntangledLinear({ inFeatures: embed, outFeatures: mlp }));
    this.fc2 = this.child('fc2', new EntangledLinear({ inFeatures: mlp, outFeatures: embed }));
  }
}

/** cls token and position table [1, tokens, maxE]; a candidate takes the first e features. */
class SuperTokens extends Module {
  readonly cls_token: Tensor;
  readonly pos_embed: Tensor;
  readonly sp: Superposition;
  constructor(readonly embed: Choice<number>, tokens: number) {
    super();
    const E = Math.max(...embed.values);
    this.sp = new Superposition([E], [embed], [prefixRule(0, [0], (v) => Number(v[0]))]);
    this.cls_token = this.param('cls_token', noGrad(() => zeros([1, 1, E]).normal_(0, 0.02)));
    this.pos_embed = this.param('pos_embed', noGrad(() => zeros([1, tokens, E]).normal_(0, 0.02)));
  }
  /** Patch tokens [B, n, E or e] -> [cls; patches] + positions, masked (superposition) or sliced to e. */
  forward(patches: Tensor, arch: ArchSample): Tensor {
    return tidy(() => {
      const B = patches.size(0);
      if (arch.mode === 'superposition') {
        const m = this.sp.dimMask([arch.weights(this.embed)], 0);
        return cat([this.cls_token.mul(m).expand(B, 1, -1), patches], 1).add(this.pos_embed.mul(m));
      }
      const e = this.embed.values[arch.index(this.embed)];
      const scale = arch.chosenWeight([this.embed]);
      const w = (t: Tensor) => (scale ? t.narrow(2, 0, e).mul(scale) : t.narrow(2, 0, e));
      return cat([w(this.cls_token).expand(B, 1, -1), patches], 1).add(w(this.pos_embed));
    });
  }
}


export class ViTSupernet extends Supernet {
  readonly patch_embed: EntangledConv2d;
  readonly tokens: SuperTokens;
  readonly blocks: ModuleList<SuperBlock>;
  readonly norm: EntangledLayerNorm;
  readonly head: EntangledLinear;
  readonly maxLayers: number;

  constructor(
    readonly opts: Readonly<ViTOptions>,
    readonly embed: Choice<number>,
    readonly heads: Choice<number>[],
    readonly ratios: Choice<number>[],
    readonly layers: Choice<number>,
  ) {
    super();
    const P = opts.patchSize;
    const tokens = (opts.imageSize / P) ** 2 + 1;
    this.maxLayers = Math.max(...layers.values);
    this.patch_embed = this.child('patch_embed', new EntangledConv2d({ inChannels: 3, outChannels: embed, kernel: P, stride: P, padding: 0 }));
    this.tokens = this.child('tokens', new SuperTokens(embed, tokens));
    this.blocks = this.child('blocks', new ModuleList(heads.map((h, i) => new SuperBlock(embed, h, ratios[i], opts.relPos))));
    this.norm = this.child('norm', new EntangledLayerNorm(embed));
    // AutoFormer's classifier: weight [:, :e] weighted, bias unweighted (reference-facts 3.12).
    this.head = this.child('head', new EntangledLinear({ inFeatures: embed, outFeatures: opts.numClasses, bias: 'full' }));
    vitInit(this.blocks.items.flatMap((b) => [b.attn.q, b.attn.k, b.attn.v, b.attn.proj, b.fc1, b.fc2]).concat([this.head]));
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    checkImages('ViTSupernet', x, 3);
    const b = this.blocks.items;
    return vitForward(resize(x, this.opts.imageSize), {
      embed: (img) => this.tokens.forward(this.patch_embed.forward(img, arch).flatten(2).transpose(1, 2), arch),
      ln1: (i, h) => b[i].norm1.forward(h, arch),
      attn: (i, h) => b[i].attn.forward(h, arch),
      ln2: (i, h) => b[i].norm2.forward(h, arch),
      fc1: (i, h) => b[i].fc1.forward(h, arch),
      fc2: (i, h) => b[i].fc2.forward(h, arch),
      depth: (run) => {
        const outs: (Tensor | undefined)[] = this.layers.values.map(() => undefined);
        run(depthToCompute(arch, this.layers), (i, h) => {
          const k = this.layers.values.indexOf(i + 1);
          if (k >= 0) outs[k] = h;
        });
        return depthMixture(outs, arch, this.layers);
      },
      norm: (h) => this.norm.forward(h, arch),
      head: (h) => this.head.forward(h, arch),
      drop: (i, h) => dropPath(h, dropRate(this.opts.dropPath, i, this.maxLayers), this.training),
    });
  }
}

/** timm's ViT init: linear weights N(0, 0.02) (timm: truncated), zero biases; LayerNorms at 1 and 0; the patch conv keeps its default. */
function vitInit(linears: { weight: Tensor; bias: Tensor | null }[]): void {
  noGrad(() => {
    for (const l of linears) {
      l.weight.normal_(0, 0.02);
      l.bias?.zero_();
    }
  });
}

// ---------------------------------------------------------------------------
// Standalone sub-network (plain src/nn layers)

/** Counts the attention core's multiply-accumulates while on (they are not in a Linear). */
interface MacCounter {
  on: boolean;
  macs: number;
}

class Attention extends Module {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly proj: Linear;
  readonly rel_pos_k: RelativePosition2D | null;
  readonly rel_pos_v: RelativePosition2D | null;
  constructor(embed: number, readonly heads: number, relPos: boolean, readonly counter: MacCounter) {
    super();
    const w = heads * HEAD_DIM;
    this.q = this.child('q', new Linear(embed, w));
    this.k = this.child('k', new Linear(embed, w));
    this.v = this.child('v', new Linear(embed, w));
    this.proj = this.child('proj', new Linear(w, embed));
    this.rel_pos_k = relPos ? this.child('rel_pos_k', new RelativePosition2D(HEAD_DIM, REL_POS_MAX)) : null;
    this.rel_pos_v = relPos ? this.child('rel_pos_v', new RelativePosition2D(HEAD_DIM, REL_POS_MAX)) : null;
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const N = x.size(1);
      if (this.counter.on) this.counter.macs += x.size(0) * attentionCoreMacs(N, this.heads, this.rel_pos_k !== null);
      const [q, k, v] = [this.q, this.k, this.v].map((l) => splitHeads(l.forward(x)));
      return this.proj.forward(mergeHeads(headAttention(q, k, v, HEAD_DIM ** -0.5, relOf(this.rel_pos_k, this.rel_pos_v, N))));
    });
  }
}

class Block extends Module {
  readonly norm1: LayerNorm;
  readonly attn: Attention;
  readonly norm2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(embed: number, heads: number, ratio: number, relPos: boolean, counter: MacCounter) {
    super();
    this.norm1 = this.child('norm1', new LayerNorm(embed));
    this.attn = this.child('attn', new Attention(embed, heads, relPos, counter));
    this.norm2 = this.child('norm2', new LayerNorm(embed));
    this.fc1 = this.child('fc1', new Linear(embed, hidden(embed, ratio)));
    this.fc2 = this.child('fc2', new Linear(hidden(embed, ratio), embed));
  }
}

class Tokens extends Module {
  readonly cls_token: Tensor;
  readonly pos_embed: Tensor;
  constructor(embed: number, tokens: number) {
    super();
    this.cls_token = this.param('cls_token', noGrad(() => zeros([1, 1, embed]).normal_(0, 0.02)));
    this.pos_embed = this.param('pos_embed', noGrad(() => zeros([1, tokens, embed]).normal_(0, 0.02)));
  }
  forward(patches: Tensor): Tensor {
    return tidy(() => cat([this.cls_token.expand(patches.size(0), 1, -1), patches], 1).add(this.pos_embed));
  }
}

/** A plain ViT: images [B, 3, H, W] -> logits [B, classes]. */
export class ViTSubnet extends Layer {
  readonly patch_embed: Conv2d;
  readonly tokens: Tokens;
  readonly blocks: ModuleList<Block>;
  readonly norm: LayerNorm;
  readonly head: Linear;
  /** @internal */
  readonly counter: MacCounter = { on: false, macs: 0 };

  constructor(readonly arch: Readonly<ViTArchConfig>, readonly opts: Readonly<ViTOptions>, readonly maxLayers: number) {
    super();
    const { embed, heads, mlpRatio } = arch;
    if (heads.length !== mlpRatio.length || heads.length < 1) throw new RangeError(`ViTSubnet: heads (${heads.length}) and mlpRatio (${mlpRatio.length}) need one entry per layer, at least one layer`);
    const P = opts.patchSize;
    this.patch_embed = this.child('patch_embed', new Conv2d(3, embed, P, { stride: P }));
    this.tokens = this.child('tokens', new Tokens(embed, (opts.imageSize / P) ** 2 + 1));
    this.blocks = this.child('blocks', new ModuleList(heads.map((h, i) => new Block(embed, h, mlpRatio[i], opts.relPos, this.counter))));
    this.norm = this.child('norm', new LayerNorm(embed));
    this.head = this.child('head', new Linear(embed, opts.numClasses));
    vitInit(this.blocks.items.flatMap((b) => [b.attn.q, b.attn.k, b.attn.v, b.attn.proj, b.fc1, b.fc2]).concat([this.head]));
  }

  forward(x: Tensor): Tensor {
    checkImages('ViTSubnet', x, 3);
    const b = this.blocks.items;
    const n = b.length;
    return vitForward(resize(x, this.opts.imageSize), {
      embed: (img) => this.tokens.forward(this.patch_embed.forward(img).flatten(2).transpose(1, 2)),
      ln1: (i, h) => b[i].norm1.forward(h),
      attn: (i, h) => b[i].attn.forward(h),
      ln2: (i, h) => b[i].norm2.forward(h),
      fc1: (i, h) => b[i].fc1.forward(h),
      fc2: (i, h) => b[i].fc2.forward(h),
      depth: (run) => {
        let out: Tensor | undefined;
        run(n, (i, h) => {
          if (i === n - 1) out = h;
        });
        return out!;
      },
      norm: (h) => this.norm.forward(h),
      head: (h) => this.head.forward(h),
      // The supernet's per-layer rates, so inherited and retrained networks regularise alike.
      drop: (i, h) => dropPath(h, dropRate(this.opts.dropPath, i, this.maxLayers), this.training),
    });
  }
}

// ---------------------------------------------------------------------------
// The space

const OPTIONS = {
  imageSize: { key: 'image_size', type: int(8), default: 32, doc: "ViT: the network's input size; smaller images are up-sampled (nearest); AutoFormer: 224" },
  patchSize: { key: 'patch_size', type: int(1), default: 4, doc: 'ViT: patch size (a divisor of image_size); AutoFormer: 16' },
  dropPath: { key: 'drop_path', type: num(0, 1, { maxOpen: true }), default: 0.1, doc: 'ViT: drop-path rate of the last layer, linear from 0 over the layers (training mode only)' },
  relPos: { key: 'rel_pos', type: bool, default: true, doc: "ViT: AutoFormer's 2-D relative position embeddings in every attention layer" },
} as const;

export class ViTSpace extends TransformerSpace {
  protected readonly depthKey = 'layer_num';
  readonly name: string;
  readonly inputShape: readonly number[] = [3, 32, 32];
  readonly numClasses: number;
  readonly options: Readonly<ViTOptions>;
  readonly embed: Choice<number>;
  readonly heads: Choice<number>[];
  readonly ratios: Choice<number>[];
  readonly layers: Choice<number>;
  readonly choices: readonly Choice[];
  readonly supernet: ViTSupernet;

  constructor(name: ViTPresetName, opts: SpaceOptions = {}) {
    super(opts);
    if (this.form !== 'we') throw new Error(`space '${name}': only the weight-entangled form ('we') exists for the ViT spaces (DrNAS-WS does not fit in memory: bench/memory)`);
    const o: ViTOptions = {
      imageSize: (opts.imageSize as number | undefined) ?? OPTIONS.imageSize.default,
      patchSize: (opts.patchSize as number | undefined) ?? OPTIONS.patchSize.default,
      dropPath: (opts.dropPath as number | undefined) ?? OPTIONS.dropPath.default,
      relPos: (opts.relPos as boolean | undefined) ?? OPTIONS.relPos.default,
      numClasses: opts.numClasses ?? 10,
    };
    checkOptions(o);
    const c = VIT_PRESETS[name];
    this.name = name;
    this.options = Object.freeze(o);
    this.numClasses = o.numClasses;
    ({ embed: this.embed, heads: this.heads, ratios: this.ratios, layers: this.layers } = transformerChoices(c));
    this.choices = [this.embed, ...this.heads, ...this.ratios, this.layers];
    this.supernet = new ViTSupernet(this.options, this.embed, this.heads, this.ratios, this.layers);
  }

  get tokens(): number {
    return (this.options.imageSize / this.options.patchSize) ** 2 + 1;
  }

  subnet(arch: Architecture, opts: { inherit: boolean }): ViTSubnet {
    const a = this.archConfig(arch);
    const net = new ViTSubnet(a, this.options, this.supernet.maxLayers);
    if (opts.inherit) inherit(net, this.supernet, a);
    return net;
  }

  /**
   * Expected params and MACs per image under the sample's weights: the linears
   * count once per token, layer i with the probability that the depth reaches
   * it (sum_{d > i} w_d); the attention core per head count.
   */
  override expectedCost(arch: ArchSample): Cost {
    const s = this.supernet;
    const N = this.tokens;
    const rel = this.options.relPos;
    return tidy(() => {
      let params = zeros([]), flops = zeros([]);
      const add = (c: Cost, perToken: boolean, w?: Tensor) => {
        const f = perToken ? c.flops.mul(N) : c.flops;
        params = params.add(w ? c.params.mul(w) : c.params);
        flops = flops.add(w ? f.mul(w) : f);
      };
      const we = arch.weights(this.embed);
      add(s.patch_embed.expectedCost(arch), false);
      add({ params: we.mul(tensor(this.embed.values.map((e) => N * e + e))).sum(), flops: zeros([]) }, false); // positions and cls
      add(s.norm.expectedCost(arch), true);
      add(s.head.expectedCost(arch), false);
      const wd = arch.weights(this.layers);
      const relParams = rel ? 2 * 2 * (2 * REL_POS_MAX + 2) * HEAD_DIM : 0;
      s.blocks.items.forEach((b, i) => {
        const reach = wd.mul(tensor(this.layers.values.map((d) => (d > i ? 1 : 0)))).sum();
        for (const m of [b.norm1, b.attn.q, b.attn.k, b.attn.v, b.attn.proj, b.norm2, b.fc1, b.fc2]) add(m.expectedCost(arch), true, reach);
        const core = arch.weights(this.heads[i]).mul(tensor(this.heads[i].values.map((h) => attentionCoreMacs(N, h, rel)))).sum();
        add({ params: tensor(relParams), flops: core }, false, reach);
      });
      return { params, flops };
    });
  }

  /** Per image: the convs and linears (measured) plus the attention core (counted from the shapes it sees). */
  override measureSubnetCost(net: Layer, x: Tensor): ExactCost {
    if (!(net instanceof ViTSubnet)) return super.measureSubnetCost(net, x);
    net.counter.on = true;
    net.counter.macs = 0;
    try {
      const c = measureCost(net, () => net.forward(x), x.size(0));
      return { params: c.params, flops: c.flops + net.counter.macs / x.size(0) };
    } finally {
      net.counter.on = false;
    }
  }
}

function checkOptions(o: ViTOptions): void {
  if (o.imageSize % o.patchSize !== 0) throw new RangeError(`image_size (${o.imageSize}) must be a multiple of patch_size (${o.patchSize})`);
  if (!Number.isInteger(o.numClasses) || o.numClasses < 1) throw new RangeError(`ViT: numClasses must be a positive integer, got ${o.numClasses}`);
}

/** Copies the supernet's slices for `a` into a fresh sub-network. */
function inherit(net: ViTSubnet, s: ViTSupernet, a: ViTArchConfig): void {
  const e = a.embed;
  const prefix = (t: Tensor, ...sizes: number[]) => sizes.reduce((z, n, d) => z.narrow(d, 0, n), t);
  const linear = (dst: Linear, src: EntangledLinear, out: number, inp: number) => {
    dst.weight.copy_(prefix(src.weight, out, inp));
    dst.bias!.copy_(src.opts.bias === 'full' ? src.bias! : prefix(src.bias!, out));
  };
  const ln = (dst: LayerNorm, src: EntangledLayerNorm) => {
    dst.weight!.copy_(prefix(src.weight!, e));
    dst.bias!.copy_(prefix(src.bias!, e));
  };
  const rel = (dst: RelativePosition2D | null, src: RelativePosition2D | null) => {
    if (!dst || !src) return;
    dst.tableV.copy_(src.tableV);
    dst.tableH.copy_(src.tableH);
  };
  noGrad(() =>
    tidy(() => {
      net.patch_embed.weight.copy_(prefix(s.patch_embed.weight, e));
      net.patch_embed.bias!.copy_(prefix(s.patch_embed.bias!, e));
      net.tokens.cls_token.copy_(prefix(s.tokens.cls_token, 1, 1, e));
      net.tokens.pos_embed.copy_(prefix(s.tokens.pos_embed, 1, s.tokens.pos_embed.size(1), e));
      net.blocks.items.forEach((b, i) => {
        const sb = s.blocks.items[i];
        const w = a.heads[i] * HEAD_DIM;
        const m = hidden(e, a.mlpRatio[i]);
        ln(b.norm1, sb.norm1);
        ln(b.norm2, sb.norm2);
        linear(b.attn.q, sb.attn.q, w, e);
        linear(b.attn.k, sb.attn.k, w, e);
        linear(b.attn.v, sb.attn.v, w, e);
        linear(b.attn.proj, sb.attn.proj, e, w);
        rel(b.attn.rel_pos_k, sb.attn.rel_pos_k);
        rel(b.attn.rel_pos_v, sb.attn.rel_pos_v);
        linear(b.fc1, sb.fc1, m, e);
        linear(b.fc2, sb.fc2, e, m);
      });
      ln(net.norm, s.norm);
      linear(net.head, s.head, s.head.maxOut, e);
    }),
  );
}

export function createViTSpace(preset: ViTPresetName, opts: SpaceOptions = {}): ViTSpace {
  return new ViTSpace(preset, opts);
}

// The AutoFormer recipe (reference-facts 6.5): AdamW at lr 1e-3 per 1024 images
// (here batch 64: 6.25e-5), weight decay 0.05, 20 warm-up epochs then cosine to
// 1e-5 over 500, label smoothing 0.1, mixup 0.8, cutmix 1.0, RandAugment m9
// mstd 0.5 (2 ops), random erasing 0.25, drop-path 0.1 (the space option); arch
// Adam lr 6e-4 per 1024 (3e-4 per 512), weight decay 1e-3; an 80/20 split.
// ES as AutoFormer's: 50 / 10 / 25 / 25, m_prob 0.2, 20 generations; RS with as
// many candidates (1000).
const BATCH = 64;
const VIT_BASE = {
  dataset: 'cifar10', optimizer: 'adamw', lr: (1e-3 * BATCH) / 1024, lr_min: 1e-5, lr_schedule: 'cosine', warmup_epochs: 20, weight_decay: 0.05, adam_betas: [0.9, 0.999], grad_clip: 0,
  batch_size: BATCH, epochs: 500, train_portion: 0.8, augment: true, label_smoothing: 0.1, mixup: 0.8, cutmix: 1, randaugment: 2, randaugment_magnitude: 9, randaugment_mstd: 0.5, random_erase: 0.25,
  arch_lr: (6e-4 * BATCH) / 1024, arch_betas: [0.5, 0.999], arch_weight_decay: 1e-3,
  population: 50, select: 10, mutation: 25, crossover: 25, m_prob: 0.2, generations: 20, rs_iters: 1000,
  eval_batch_size: 128, fitness_samples: 1000, eval_samples: 1000,
} as const;
// Fine-tuning and retraining (paper Table 9) keep the recipe; fine-tuning for 10% of the epochs, as the LM spaces.
const VIT_PRESETS_LAYERS = { finetune: { epochs: 50, warmup_epochs: 2 }, retrain: { epochs: 500 } } as const;

const DESCRIPTIONS: Record<ViTPresetName, string> = {
  'autoformer-t': 'AutoFormer-T ViT (CIFAR-10, 32x32 patch 4 by default): embed {192,216,240} x heads {3,4} x MLP ratio {3.5,4} per layer x layers {12,13,14}',
  'autoformer-s': 'AutoFormer-S ViT (CIFAR-10, 32x32 patch 4 by default): embed {320,384,448} x heads {5,6,7} x MLP ratio {3,3.5,4} per layer x layers {12,13,14}',
};

for (const name of Object.keys(VIT_PRESETS) as ViTPresetName[]) {
  registerSpace({
    name,
    description: DESCRIPTIONS[name],
    task: 'classification',
    datasets: ['cifar10', 'cifar100'],
    inputShape: [3, 32, 32],
    metric: 'accuracy',
    forms: ['we'],
    options: OPTIONS,
    check(opts) {
      const [s, p] = [opts.imageSize as number, opts.patchSize as number];
      if (s % p !== 0) throw new Error(`image_size (${s}) must be a multiple of patch_size (${p}); AutoFormer's layout is image_size 224, patch_size 16`);
    },
    // The invariant tests: 4 x 4 patches of 8 x 8 pixels (17 tokens).
    testOptions: { imageSize: 32, patchSize: 8 },
    recipes: { base: VIT_BASE, presets: VIT_PRESETS_LAYERS, compare: ['tanglenas', 'spos-rs', 'spos-es'] },
    create: (o) => createViTSpace(name, o),
  });
}
