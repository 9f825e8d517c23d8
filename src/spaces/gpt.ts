// The language-model search space (paper 4.3.3, Table 18; reference-facts 6.7):
// a nanoGPT-style pre-norm transformer (learned positions, causal attention,
// tanh-GELU MLP, token embedding tied to the LM head) whose embedding dimension
// (one choice for the whole network), heads and MLP ratio per layer, and number
// of layers are searched, every weight entangled (combi-superposition over
// embed x heads and embed x ratio; depth as an output mixture).
//
// Supernet and standalone sub-network share one topology function, so the
// one-hot invariant (superposition == discrete == sub-network) holds by
// construction where the ops do; docs/lm.md explains the definitions.
import { Embedding } from '../nn/embedding.js';
import { Layer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Module, ModuleList } from '../nn/module.js';
import { LayerNorm } from '../nn/norm.js';
import { noGrad } from '../tensor/autograd.js';
import { gelu, softmax } from '../tensor/ops/activation.js';
import { stridedAttention } from '../tensor/ops/mix.js';
import { dropout } from '../tensor/ops/dropout.js';
import { linear } from '../tensor/ops/linear.js';
import { crossEntropy } from '../tensor/ops/loss.js';
import { multinomial, getRngState, manualSeed, setRngState } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { arange, cat, randint, Tensor, tensor, zeros } from '../tensor/tensor.js';
import type { ArchSample } from '../nas/arch.js';
import type { Architecture, Choice } from '../nas/choice.js';
import { measureCost, type ExactCost } from '../nas/cost.js';
import { EntangledAttention } from '../nas/entangled/attention.js';
import { derived, type Cost } from '../nas/entangled/common.js';
import { depthMixture, depthToCompute } from '../nas/entangled/depth.js';
import { EntangledEmbedding } from '../nas/entangled/embedding.js';
import { EntangledLayerNorm } from '../nas/entangled/layernorm.js';
import { EntangledLinear } from '../nas/entangled/linear.js';
import { registerSpace } from '../nas/registry.js';
import { Supernet, type SpaceOptions } from '../nas/space.js';
import { TransformerSpace, transformerChoices, type TransformerArchConfig } from './transformer.js';
import { LM_BASE, LM_COMPARE, LM_PRESETS } from './recipes.js';

/** A GPT search space: the candidate values of each choice and the fixed sizes. */
export interface GptConfig {
  vocabSize: number;
  /** Context length (nanoGPT's block_size); the position table has this many rows. */
  blockSize: number;
  embed: readonly number[];
  heads: readonly number[];
  mlpRatio: readonly number[];
  layers: readonly number[];
  /**
   * Biases in the linear layers (nanoGPT's `bias`; the reference configs run
   * without). LayerNorms always have weight and bias, as torch.nn.LayerNorm.
   */
  bias: boolean;
  /** Dropout on the embeddings and on each residual branch, in training mode only. */
  dropout: number;
}

export type GptPresetName = 'lm-paper' | 'lm-char' | 'lm-small' | 'lm-tiny';

export const GPT_PRESETS: Readonly<Record<GptPresetName, Readonly<GptConfig>>> = Object.freeze({
  // Table 18 and reference-facts 6.7 (TinyStories, GPT-2 BPE). The reference pads
  // the vocabulary to 50304 for speed; we use the tokenizer's 50257.
  'lm-paper': { vocabSize: 50257, blockSize: 224, embed: [384, 576, 768], heads: [6, 8, 12], mlpRatio: [2, 3, 4], layers: [5, 6, 7], bias: false, dropout: 0.2 },
  // Character-level Shakespeare (reference-facts 6.7): 65 characters, block 256.
  'lm-char': { vocabSize: 65, blockSize: 256, embed: [96, 192, 384], heads: [2, 4, 6], mlpRatio: [2, 3, 4], layers: [4, 5, 6], bias: false, dropout: 0.2 },
  // Ours: lm-char scaled down so a 3-seed comparison fits minutes per run on 2 CPU
  // cores (docs/results.md); 3^10 architectures, supernet 0.81M weights.
  'lm-small': { vocabSize: 65, blockSize: 64, embed: [64, 96, 128], heads: [2, 4, 8], mlpRatio: [2, 3, 4], layers: [2, 3, 4], bias: false, dropout: 0 },
  // Ours: searches in minutes on 2 CPU cores; for tests and demos.
  'lm-tiny': { vocabSize: 65, blockSize: 32, embed: [16, 32], heads: [2, 4], mlpRatio: [2, 4], layers: [1, 2], bias: false, dropout: 0 },
});

/** One sub-network (the form of the paper's G.2 listing). */
export type GptArchConfig = TransformerArchConfig;

/** Everything a standalone GPT needs. */
export interface GptNetConfig extends GptArchConfig {
  vocabSize: number;
  blockSize: number;
  bias: boolean;
  dropout: number;
}

function checkConfig(who: string, c: GptConfig): void {
  const posInt = (k: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${who}: ${k} must be a positive integer, got ${v}`);
  };
  posInt('vocabSize', c.vocabSize);
  posInt('blockSize', c.blockSize);
  for (const k of ['embed', 'heads', 'mlpRatio', 'layers'] as const) {
    if (c[k].length === 0) throw new RangeError(`${who}: ${k} needs at least one value`);
    c[k].forEach((v) => posInt(k, v));
  }
  // Every head count must divide every embedding width, since any pair can be chosen.
  for (const e of c.embed) {
    for (const h of c.heads) if (e % h !== 0) throw new RangeError(`${who}: embed ${e} is not divisible by ${h} heads; every head count must divide every embed candidate`);
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`${who}: dropout must be in [0, 1), got ${c.dropout}`);
}

/** nanoGPT's initialisation: N(0, 0.02) weights and embeddings, residual output projections N(0, 0.02 / sqrt(2 L)), zero biases. */
function gptInit(normal: Tensor[], residual: Tensor[], biases: (Tensor | null)[], nLayer: number): void {
  noGrad(() => {
    for (const t of normal) t.normal_(0, 0.02);
    for (const t of residual) t.normal_(0, 0.02 / Math.sqrt(2 * nLayer));
    for (const b of biases) b?.zero_();
  });
}

function checkTokens(who: string, x: Tensor, blockSize: number): void {
  const s = x.shape;
  if (s.length !== 2) throw new Error(`${who}: expected token ids [B, T], got [${s.join(', ')}]`);
  if (x.dtype !== 'int64' && x.dtype !== 'int32') throw new TypeError(`${who}: token ids must be int64 or int32, got ${x.dtype}`);
  if (s[1] < 1 || s[1] > blockSize) throw new RangeError(`${who}: sequence length ${s[1]} must be in [1, ${blockSize}] (the block size)`);
}

// ---------------------------------------------------------------------------
// Supernet

class SuperMlp extends Module {
  readonly c_fc: EntangledLinear;
  readonly c_proj: EntangledLinear;
  constructor(embed: Choice<number>, ratio: Choice<number>, bias: boolean) {
    super();
    const hidden = derived([embed, ratio], (e, r) => e * r);
    const b = bias ? 'weighted' : 'none';
    this.c_fc = this.child('c_fc', new EntangledLinear({ inFeatures: embed, outFeatures: hidden, bias: b }));
    this.c_proj = this.child('c_proj', new EntangledLinear({ inFeatures: hidden, outFeatures: embed, bias: b }));
  }
}

class SuperBlock extends Module {
  readonly ln_1: EntangledLayerNorm;
  readonly attn: EntangledAttention;
  readonly ln_2: EntangledLayerNorm;
  readonly mlp: SuperMlp;
  constructor(embed: Choice<number>, heads: Choice<number>, ratio: Choice<number>, bias: boolean) {
    super();
    this.ln_1 = this.child('ln_1', new EntangledLayerNorm(embed));
    this.attn = this.child('attn', new EntangledAttention({ embed, heads, causal: true, bias }));
    this.ln_2 = this.child('ln_2', new EntangledLayerNorm(embed));
    this.mlp = this.child('mlp', new SuperMlp(embed, ratio, bias));
  }
}


class SuperTransformer extends Module {
  readonly wte: EntangledEmbedding;
  readonly wpe: EntangledEmbedding;
  readonly h: ModuleList<SuperBlock>;
  readonly ln_f: EntangledLayerNorm;
  constructor(c: GptConfig, embed: Choice<number>, heads: Choice<number>[], ratios: Choice<number>[]) {
    super();
    this.wte = this.child('wte', new EntangledEmbedding(c.vocabSize, embed));
    this.wpe = this.child('wpe', new EntangledEmbedding(c.blockSize, embed));
    this.h = this.child('h', new ModuleList(heads.map((h, i) => new SuperBlock(embed, h, ratios[i], c.bias))));
    this.ln_f = this.child('ln_f', new EntangledLayerNorm(embed));
  }
}

export class GptSupernet extends Supernet {
  readonly transformer: SuperTransformer;
  /** Sequence length of the last forward (attention FLOPs per token depend on it). */
  seqLen: number | null = null;

  constructor(
    readonly config: Readonly<GptConfig>,
    readonly embed: Choice<number>,
    readonly heads: Choice<number>[],
    readonly ratios: Choice<number>[],
    readonly layers: Choice<number>,
  ) {
    super();
    this.transformer = this.child('transformer', new SuperTransformer(config, embed, heads, ratios));
    const t = this.transformer;
    const blocks = t.h.items;
    gptInit(
      [t.wte.weight, t.wpe.weight, ...blocks.flatMap((b) => [b.attn.qkv, b.mlp.c_fc.weight])],
      blocks.flatMap((b) => [b.attn.proj, b.mlp.c_proj.weight]),
      blocks.flatMap((b) => [b.attn.qkvBias, b.attn.projBias, b.mlp.c_fc.bias, b.mlp.c_proj.bias]),
      Math.max(...config.layers),
    );
  }

  get blocks(): SuperBlock[] {
    return this.transformer.h.items;
  }

  /** Token ids [B, T] (T <= blockSize) -> logits [B, T, vocabSize]. */
  forward(x: Tensor, arch: ArchSample): Tensor {
    checkTokens('GptSupernet', x, this.config.blockSize);
    const T = x.size(1);
    this.seqLen = T;
    const t = this.transformer;
    return gptForward(
      x,
      {
        embed: (idx) => t.wte.forward(idx, arch).add(t.wpe.forward(arange(0, T, 1, { dtype: 'int64' }), arch)),
        ln1: (i, h) => t.h.items[i].ln_1.forward(h, arch),
        attn: (i, h) => t.h.items[i].attn.forward(h, arch),
        ln2: (i, h) => t.h.items[i].ln_2.forward(h, arch),
        fc: (i, h) => t.h.items[i].mlp.c_fc.forward(h, arch),
        proj: (i, h) => t.h.items[i].mlp.c_proj.forward(h, arch),
        depth: (run) => {
          // Outputs after every candidate depth (superposition) or the chosen one.
          const n = depthToCompute(arch, this.layers);
          const outs: (Tensor | undefined)[] = this.layers.values.map(() => undefined);
          run(n, (i, h) => {
            const k = this.layers.values.indexOf(i + 1);
            if (k >= 0) outs[k] = h;
          });
          return depthMixture(outs, arch, this.layers);
        },
        lnf: (h) => t.ln_f.forward(h, arch),
        head: (h) => this.#head(h, arch),
        drop: (h) => this.#drop(h),
      },
    );
  }

  #drop(h: Tensor): Tensor {
    return this.config.dropout > 0 ? dropout(h, this.config.dropout, this.training) : h;
  }

  /**
   * The LM head, tied to the token table: logits = h (wte masked to e)^T. In
   * superposition h (W * m)^T == (h * m) W^T, so the features are masked, not
   * the vocab x maxE table (one [B, T, maxE] product instead of a table copy).
   */
  #head(h: Tensor, arch: ArchSample): Tensor {
    const wte = this.transformer.wte;
    if (arch.mode === 'superposition') return linear(h.mul(wte.sp.dimMask([arch.weights(this.embed)], 1)), wte.weight);
    const e = this.embed.values[arch.index(this.embed)];
    const y = linear(h, wte.weight.narrow(1, 0, e));
    // Straight-through (GDAS): the chosen slice carries its weight, like every entangled op.
    const scale = arch.chosenWeight([this.embed]);
    return scale ? y.mul(scale) : y;
  }
}

/** The pieces the shared topology calls (i: layer index). */
interface GptParts {
  /** Token plus position embedding. */
  embed(x: Tensor): Tensor;
  ln1(i: number, h: Tensor): Tensor;
  attn(i: number, h: Tensor): Tensor;
  ln2(i: number, h: Tensor): Tensor;
  fc(i: number, h: Tensor): Tensor;
  proj(i: number, h: Tensor): Tensor;
  /** Runs `run(n, collect)` over n blocks and returns the representation ln_f reads. */
  depth(run: (n: number, collect: (i: number, h: Tensor) => void) => void): Tensor;
  lnf(h: Tensor): Tensor;
  /** The tied LM head. */
  head(h: Tensor): Tensor;
  drop(h: Tensor): Tensor;
}

/** The network's topology (nanoGPT's pre-norm blocks), shared by the supernet and the standalone sub-network. */
function gptForward(x: Tensor, p: GptParts): Tensor {
  return tidy(() => {
    let h = p.drop(p.embed(x));
    const last = p.depth((n, collect) => {
      for (let i = 0; i < n; i++) {
        h = h.add(p.drop(p.attn(i, p.ln1(i, h))));
        h = h.add(p.drop(p.proj(i, gelu(p.fc(i, p.ln2(i, h)), 'tanh'))));
        collect(i, h);
      }
    });
    return p.head(p.lnf(last));
  });
}

// ---------------------------------------------------------------------------
// Standalone sub-network (plain src/nn layers; nanoGPT's state-dict names)

/** Counts multiply-accumulates that are not in a Linear (attention core, tied head) while on. */
interface MacCounter {
  on: boolean;
  macs: number;
}

class CausalSelfAttention extends Layer {
  readonly c_attn: Linear;
  readonly c_proj: Linear;
  constructor(readonly embed: number, readonly heads: number, bias: boolean, readonly counter: MacCounter) {
    super();
    this.c_attn = this.child('c_attn', new Linear(embed, 3 * embed, { bias }));
    this.c_proj = this.child('c_proj', new Linear(embed, embed, { bias }));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const [b, t] = x.shape;
      const e = this.embed, h = this.heads;
      const qkv = this.c_attn.forward(x);
      const [q, k, v] = [0, 1, 2].map((i) => qkv.narrow(-1, i * e, e));
      if (this.counter.on) this.counter.macs += 2 * b * t * t * e; // QK^T and AV over all t positions
      // The supernet's strided head layout (head i: features i, i+h, ...), so that inherited weights compute the same function.
      return this.c_proj.forward(stridedAttention(q, k, v, h, true));
    });
  }
}

/** Holds the MLP's linears (the topology applies them with the GELU between). */
class Mlp extends Module {
  readonly c_fc: Linear;
  readonly c_proj: Linear;
  constructor(embed: number, ratio: number, bias: boolean) {
    super();
    this.c_fc = this.child('c_fc', new Linear(embed, embed * ratio, { bias }));
    this.c_proj = this.child('c_proj', new Linear(embed * ratio, embed, { bias }));
  }
}

class Block extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln_2: LayerNorm;
  readonly mlp: Mlp;
  constructor(embed: number, heads: number, ratio: number, bias: boolean, counter: MacCounter) {
    super();
    this.ln_1 = this.child('ln_1', new LayerNorm(embed));
    this.attn = this.child('attn', new CausalSelfAttention(embed, heads, bias, counter));
    this.ln_2 = this.child('ln_2', new LayerNorm(embed));
    this.mlp = this.child('mlp', new Mlp(embed, ratio, bias));
  }
}

class Transformer extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly h: ModuleList<Block>;
  readonly ln_f: LayerNorm;
  constructor(c: GptNetConfig, counter: MacCounter) {
    super();
    this.wte = this.child('wte', new Embedding(c.vocabSize, c.embed));
    this.wpe = this.child('wpe', new Embedding(c.blockSize, c.embed));
    this.h = this.child('h', new ModuleList(c.heads.map((h, i) => new Block(c.embed, h, c.mlpRatio[i], c.bias, counter))));
    this.ln_f = this.child('ln_f', new LayerNorm(c.embed));
  }
}

/** A plain GPT: token ids [B, T] -> logits [B, T, vocabSize]; the LM head is the token table. */
export class GptSubnet extends Layer {
  readonly config: Readonly<GptNetConfig>;
  readonly transformer: Transformer;
  /** @internal */
  readonly counter: MacCounter = { on: false, macs: 0 };

  constructor(config: GptNetConfig) {
    super();
    const c = (this.config = Object.freeze({ ...config, heads: [...config.heads], mlpRatio: [...config.mlpRatio] }));
    if (c.heads.length !== c.mlpRatio.length || c.heads.length < 1) throw new RangeError(`GptSubnet: heads (${c.heads.length}) and mlpRatio (${c.mlpRatio.length}) need one entry per layer, at least one layer`);
    checkConfig('GptSubnet', { ...c, embed: [c.embed], heads: c.heads, mlpRatio: c.mlpRatio, layers: [c.heads.length] });
    this.transformer = this.child('transformer', new Transformer(c, this.counter));
    const blocks = this.transformer.h.items;
    gptInit(
      [this.transformer.wte.weight, this.transformer.wpe.weight, ...blocks.flatMap((b) => [b.attn.c_attn.weight, b.mlp.c_fc.weight])],
      blocks.flatMap((b) => [b.attn.c_proj.weight, b.mlp.c_proj.weight]),
      blocks.flatMap((b) => [b.attn.c_attn.bias, b.attn.c_proj.bias, b.mlp.c_fc.bias, b.mlp.c_proj.bias]),
      c.heads.length,
    );
  }

  get blockSize(): number {
    return this.config.blockSize;
  }

  get numLayers(): number {
    return this.config.heads.length;
  }

  forward(x: Tensor): Tensor {
    checkTokens('GptSubnet', x, this.config.blockSize);
    const t = this.transformer;
    const T = x.size(1);
    const drop = (h: Tensor) => (this.config.dropout > 0 ? dropout(h, this.config.dropout, this.training) : h);
    return gptForward(x, {
      embed: (idx) => t.wte.forward(idx).add(t.wpe.forward(arange(0, T, 1, { dtype: 'int64' }))),
      ln1: (i, h) => t.h.items[i].ln_1.forward(h),
      attn: (i, h) => t.h.items[i].attn.forward(h),
      ln2: (i, h) => t.h.items[i].ln_2.forward(h),
      fc: (i, h) => t.h.items[i].mlp.c_fc.forward(h),
      proj: (i, h) => t.h.items[i].mlp.c_proj.forward(h),
      depth: (run) => {
        let out: Tensor | undefined;
        run(this.numLayers, (i, h) => {
          if (i === this.numLayers - 1) out = h;
        });
        return out!;
      },
      lnf: (h) => t.ln_f.forward(h),
      head: (h) => {
        if (this.counter.on) this.counter.macs += h.numel * this.config.vocabSize; // tokens x e x vocab
        return linear(h, t.wte.weight); // tied: a matmul with the token table, not a Linear
      },
      drop,
    });
  }
}

// ---------------------------------------------------------------------------
// Text generation

export interface GenerateOptions {
  /** Softmax temperature; 0 picks the most likely token (greedy). Default 1. */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Seed for the sampling (the global generator is restored afterwards). */
  seed?: number;
}

/**
 * nanoGPT's generate: appends `n` tokens to `prompt` ([B, T] int64, or one
 * sequence as numbers), feeding at most the last blockSize tokens each step.
 * Runs in eval mode without gradients; returns [B, T + n] int64.
 */
export function generate(net: GptSubnet, prompt: Tensor | readonly number[], n: number, opts: GenerateOptions = {}): Tensor {
  const temperature = opts.temperature ?? 1;
  if (!(temperature >= 0 && Number.isFinite(temperature))) throw new RangeError(`generate: temperature must be finite and >= 0, got ${temperature}`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`generate: n must be a non-negative integer, got ${n}`);
  const V = net.config.vocabSize;
  if (opts.topK !== undefined && !(Number.isInteger(opts.topK) && opts.topK >= 1)) throw new RangeError(`generate: topK must be a positive integer, got ${opts.topK}`);
  const wasTraining = net.training;
  const saved = opts.seed === undefined ? null : getRngState();
  if (opts.seed !== undefined) manualSeed(opts.seed);
  net.eval();
  try {
    return noGrad(() =>
      tidy(() => {
        let idx = prompt instanceof Tensor ? prompt.to('int64') : tensor([[...prompt]], { dtype: 'int64' });
        if (idx.ndim !== 2 || idx.size(1) < 1) throw new Error(`generate: prompt must be [B, T] with T >= 1, got [${idx.shape.join(', ')}]`);
        for (let i = 0; i < n; i++) {
          const next = tidy(() => {
            const T = idx.size(1);
            const ctx = T > net.blockSize ? idx.narrow(1, T - net.blockSize, net.blockSize) : idx;
            let logits = net.forward(ctx).select(1, ctx.size(1) - 1); // [B, V]
            if (temperature === 0) return logits.argmax(-1, true);
            logits = logits.div(temperature);
            if (opts.topK !== undefined && opts.topK < V) {
              const kth = logits.topk(opts.topK, -1).values.narrow(-1, opts.topK - 1, 1);
              logits = logits.maskedFill(logits.lt(kth), -Infinity);
            }
            return multinomial(softmax(logits, -1), 1);
          });
          idx = cat([idx, next], 1); // earlier ones are freed with the scope (small: ints)
        }
        return idx;
      }),
    );
  } finally {
    net.train(wasTraining);
    if (saved) setRngState(saved);
  }
}

// ---------------------------------------------------------------------------
// The space

export class GptSpace extends TransformerSpace {
  protected readonly depthKey = 'num_layers';
  readonly name: string;
  readonly config: Readonly<GptConfig>;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly embed: Choice<number>;
  readonly heads: Choice<number>[];
  readonly ratios: Choice<number>[];
  readonly layers: Choice<number>;
  readonly choices: readonly Choice[];
  readonly supernet: GptSupernet;

  constructor(name: string, config: GptConfig, opts: SpaceOptions = {}) {
    super(opts);
    if (this.form !== 'we') throw new Error(`space '${name}': only the weight-entangled form ('we') exists for GPT spaces`);
    const c: GptConfig = { ...config, vocabSize: opts.vocabSize ?? config.vocabSize, blockSize: opts.blockSize ?? config.blockSize };
    checkConfig(`space '${name}'`, c);
    this.name = name;
    this.config = Object.freeze(c);
    this.inputShape = [c.blockSize];
    this.numClasses = c.vocabSize;
    ({ embed: this.embed, heads: this.heads, ratios: this.ratios, layers: this.layers } = transformerChoices(c));
    this.choices = [this.embed, ...this.heads, ...this.ratios, this.layers];
    this.supernet = new GptSupernet(this.config, this.embed, this.heads, this.ratios, this.layers);
  }

  get blockSize(): number {
    return this.config.blockSize;
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  /** Random token sequences: x [n, T] and the next tokens y [n, T] (int64). */
  override exampleBatch(n: number): { x: Tensor; y: Tensor } {
    return tidy(() => {
      const s = randint(0, this.vocabSize, [n, this.blockSize + 1]);
      return { x: s.narrow(1, 0, this.blockSize).contiguous(), y: s.narrow(1, 1, this.blockSize).contiguous() };
    });
  }

  /** Cross-entropy over the vocabulary, averaged over every position: logits [B, T, V], y [B, T]. */
  override loss(logits: Tensor, y: Tensor): Tensor {
    return tidy(() => crossEntropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1)));
  }

  subnet(arch: Architecture, opts: { inherit: boolean }): GptSubnet {
    const a = this.archConfig(arch);
    const { vocabSize, blockSize, bias, dropout: p } = this.config;
    const net = new GptSubnet({ ...a, vocabSize, blockSize, bias, dropout: p });
    if (opts.inherit) {
      const e = a.embed;
      const st = this.supernet.transformer, nt = net.transformer;
      const prefix = (t: Tensor, ...sizes: number[]) => sizes.reduce((z, s, d) => z.narrow(d, 0, s), t);
      const ln = (dst: LayerNorm, src: EntangledLayerNorm) => {
        dst.weight!.copy_(prefix(src.weight!, e));
        dst.bias!.copy_(prefix(src.bias!, e));
      };
      noGrad(() =>
        tidy(() => {
          nt.wte.weight.copy_(prefix(st.wte.weight, vocabSize, e));
          nt.wpe.weight.copy_(prefix(st.wpe.weight, blockSize, e));
          ln(nt.ln_f, st.ln_f);
          nt.h.items.forEach((b, i) => {
            const sb = st.h.items[i];
            const att = sb.attn;
            const E = att.maxE;
            ln(b.ln_1, sb.ln_1);
            ln(b.ln_2, sb.ln_2);
            // c_attn rows: the q, k and v blocks of the super-weight, each sliced to [:e, :e].
            b.attn.c_attn.weight.copy_(cat([0, 1, 2].map((j) => prefix(att.qkv.narrow(0, j * E, E), e, e)), 0));
            b.attn.c_proj.weight.copy_(prefix(att.proj, e, e));
            if (bias) {
              b.attn.c_attn.bias!.copy_(cat([0, 1, 2].map((j) => att.qkvBias!.narrow(0, j * E, e)), 0));
              b.attn.c_proj.bias!.copy_(prefix(att.projBias!, e));
            }
            const r = a.mlpRatio[i];
            b.mlp.c_fc.weight.copy_(prefix(sb.mlp.c_fc.weight, e * r, e));
            b.mlp.c_proj.weight.copy_(prefix(sb.mlp.c_proj.weight, e, e * r));
            if (bias) {
              b.mlp.c_fc.bias!.copy_(prefix(sb.mlp.c_fc.bias!, e * r));
              b.mlp.c_proj.bias!.copy_(prefix(sb.mlp.c_proj.bias!, e));
            }
          });
        }),
      );
    }
    return net;
  }

  /**
   * Expected params and FLOPs per token (multiply-accumulates) under the
   * sample's weights. Layer i counts with the probability that the depth
   * reaches it, sum_{d > i} w_d. The tied head costs vocab x e MACs per token
   * and no parameters (they are the token table's). Attention includes QK^T and
   * AV over the last forward's sequence length (blockSize before any forward).
   */
  override expectedCost(arch: ArchSample): Cost {
    const T = this.supernet.seqLen ?? this.blockSize;
    const t = this.supernet.transformer;
    return tidy(() => {
      let params = zeros([]), flops = zeros([]);
      const add = (c: Cost, w?: Tensor) => {
        params = params.add(w ? c.params.mul(w) : c.params);
        flops = flops.add(w ? c.flops.mul(w) : c.flops);
      };
      for (const m of [t.wte, t.wpe, t.ln_f]) add(m.expectedCost(arch));
      add({ params: zeros([]), flops: arch.weights(this.embed).mul(tensor(this.embed.values.map((e) => e * this.vocabSize))).sum() });
      const wd = arch.weights(this.layers);
      t.h.items.forEach((b, i) => {
        const reach = wd.mul(tensor(this.layers.values.map((d) => (d > i ? 1 : 0)))).sum();
        b.attn.seqLen = T;
        for (const m of [b.ln_1, b.attn, b.ln_2, b.mlp.c_fc, b.mlp.c_proj]) add(m.expectedCost(arch), reach);
      });
      return { params, flops };
    });
  }

  /** Per token: the Linears (measured), plus the attention core and the tied head (counted from the shapes the sub-network sees). */
  override measureSubnetCost(net: Layer, x: Tensor): ExactCost {
    if (!(net instanceof GptSubnet)) return super.measureSubnetCost(net, x);
    net.counter.on = true;
    net.counter.macs = 0;
    try {
      const c = measureCost(net, () => net.forward(x), x.numel);
      return { params: c.params, flops: c.flops + net.counter.macs / x.numel };
    } finally {
      net.counter.on = false;
    }
  }
}

const DESCRIPTIONS: Record<GptPresetName, string> = {
  'lm-paper': 'GPT (TinyStories, GPT-2 BPE; paper Table 18): embed {384,576,768} x heads {6,8,12} x MLP ratio {2,3,4} per layer x layers {5,6,7}',
  'lm-char': 'GPT (char-level Shakespeare): embed {96,192,384} x heads {2,4,6} x MLP ratio {2,3,4} per layer x layers {4,5,6}',
  'lm-small': 'GPT, small (char-level, block 64; the results table): embed {64,96,128} x heads {2,4,8} x MLP ratio {2,3,4} per layer x layers {2,3,4}',
  'lm-tiny': 'GPT, tiny (tests, demos; vocab 65, block 32): embed {16,32} x heads {2,4} x MLP ratio {2,4} per layer x layers {1,2}',
};

export function createGptSpace(preset: GptPresetName, opts: SpaceOptions = {}): GptSpace {
  return new GptSpace(preset, GPT_PRESETS[preset], opts);
}

// Per space (reference-facts 6.7): lm-char and lm-paper keep the reference's learning
// rates; lm-small and lm-tiny (ours, minutes on a CPU) use nanoGPT's shakespeare_char 1e-3.
const LM_SPACES: { name: GptPresetName; datasets: string[]; tokenizer: 'char' | 'gpt2'; recipe: Record<string, unknown>; heavy?: boolean; testOptions?: SpaceOptions }[] = [
  { name: 'lm-tiny', datasets: ['tinyshakespeare', 'tinystories', 'text'], tokenizer: 'char', recipe: { batch_size: 16, lr: 1e-3, lr_min: 1e-4, epochs: 20 } },
  { name: 'lm-small', datasets: ['tinyshakespeare', 'tinystories', 'text'], tokenizer: 'char', recipe: { batch_size: 32, lr: 1e-3, lr_min: 1e-4, epochs: 50 }, testOptions: { blockSize: 16 } },
  { name: 'lm-char', datasets: ['tinyshakespeare', 'tinystories', 'text'], tokenizer: 'char', recipe: { batch_size: 64, lr: 1e-4, lr_min: 1e-5, epochs: 60 }, testOptions: { blockSize: 16 } },
  { name: 'lm-paper', datasets: ['tinystories', 'tinyshakespeare', 'text'], tokenizer: 'gpt2', recipe: { batch_size: 12, lr: 5e-4, lr_min: 5e-5, epochs: 60 }, heavy: true, testOptions: { vocabSize: 512, blockSize: 16 } },
];
for (const s of LM_SPACES) {
  registerSpace({
    name: s.name,
    description: DESCRIPTIONS[s.name],
    task: 'language-model',
    datasets: s.datasets,
    tokenizer: s.tokenizer,
    metric: 'loss',
    forms: ['we'],
    heavy: s.heavy,
    testOptions: s.testOptions,
    recipes: { base: { ...LM_BASE, ...s.recipe }, presets: LM_PRESETS, compare: LM_COMPARE },
    create: (o) => createGptSpace(s.name, o),
  });
}
