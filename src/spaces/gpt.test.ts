// The GPT space beyond the registry's invariant tests: every lm-tiny
// architecture one-hot (with biases and perturbed norms, so that inheritance
// of every weight is checked), depth semantics, cost, the paper's parameter
// count, batches and loss, generation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oneHotOutputs } from './test-util.js';
import { createSpace } from './index.js';
import { createGptSpace, generate, GptSpace, GptSubnet, GPT_PRESETS } from './gpt.js';
import { ArchSample } from '../nas/arch.js';
import type { Architecture, Choice } from '../nas/choice.js';
import { createSampler } from '../nas/samplers/index.js';
import { cat, F, getRngState, manualSeed, noGrad, randn, randint, setNumThreads, tensor, tidy, type Tensor } from '../tensor/index.js';
import { assertClose } from '../tensor/testing.js';

// Tiny tensors: one intra-op thread avoids OpenMP hand-offs, which cost more than
// the work itself on a shared 2-core machine (10x here).
setNumThreads(1);

function maxDiff(a: Tensor, b: Tensor): number {
  return tidy(() => a.sub(b).abs().max().item());
}

function allArchs(choices: readonly Choice[]): Architecture[] {
  let out: Architecture[] = [{}];
  for (const c of choices) out = out.flatMap((a) => c.values.map((_, i) => ({ ...a, [c.name]: i })));
  return out;
}

/** Moves every supernet weight away from its initial value (zero biases, unit norms hide copy mistakes). */
function perturb(space: GptSpace): void {
  noGrad(() => {
    for (const p of space.supernet.parameters()) p.add_(randn(p.shape).mul(0.1));
  });
}

test('lm-tiny with biases: every architecture, one-hot superposition == discrete == inherited sub-network', () => {
  manualSeed(0);
  const space = new GptSpace('tiny-bias', { ...GPT_PRESETS['lm-tiny'], bias: true, blockSize: 8 });
  perturb(space);
  space.supernet.eval();
  const x = space.exampleBatch(2).x;
  const archs = allArchs(space.choices);
  assert.equal(archs.length, 64);
  let worst = 0;
  for (const arch of archs) {
    tidy(() => {
      const { sup, disc, sub } = oneHotOutputs(space, arch, x);
      assert.deepEqual(sup.shape, [2, 8, 65]);
      const scale = Math.max(1, sup.abs().max().item());
      const d = Math.max(maxDiff(sup, disc), maxDiff(sup, sub)) / scale;
      worst = Math.max(worst, d);
      assert.ok(d <= 1e-5, `differ by ${d} for ${space.encode(arch)}`);
    });
  }
  assert.ok(worst < 1e-5);
  space.supernet.dispose();
});

test('lm-char: one-hot invariant for random architectures of every depth and embed (perturbed weights, short context)', () => {
  manualSeed(1);
  const space = createGptSpace('lm-char', { blockSize: 8 });
  perturb(space);
  space.supernet.eval();
  const x = space.exampleBatch(1).x;
  let r = 0;
  const rnd = () => ((r = (r * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  // Every (embed, depth) pair once, the per-layer heads and ratios at random.
  for (let e = 0; e < 3; e++) {
    for (let d = 0; d < 3; d++) {
      const arch = { ...space.randomArchitecture(rnd), embed_dim: e, num_layers: d };
      tidy(() => {
        const { sup, disc, sub } = oneHotOutputs(space, arch, x);
        const scale = Math.max(1, sup.abs().max().item());
        assert.ok(maxDiff(sup, disc) <= 1e-5 * scale && maxDiff(sup, sub) <= 1e-5 * scale, `differ for ${space.encode(arch)}`);
      });
    }
  }
  space.supernet.dispose();
});

test('depth: discrete mode computes only the chosen layers; their choices are the only active ones', () => {
  manualSeed(2);
  const space = createGptSpace('lm-tiny');
  const arch: Architecture = { ...Object.fromEntries(space.choices.map((c) => [c.name, 0])), num_layers: 0 }; // 1 layer
  // Layer 2 poisoned: a discrete depth-1 forward must not touch it.
  noGrad(() => { for (const p of space.supernet.blocks[1].parameters()) p.fill_(NaN); });
  tidy(() => {
    const x = space.exampleBatch(2).x;
    const y = noGrad(() => space.supernet.forward(x, space.fixed(arch, 'discrete')));
    assert.ok(y.isfinite().all().item());
    // Superposition computes every layer (weight 0 x NaN is NaN): all depths always run.
    const s = noGrad(() => space.supernet.forward(x, space.fixed(arch, 'superposition')));
    assert.equal(s.isfinite().all().item(), 0);
  });
  assert.deepEqual(space.activeChoices(arch).map((c) => c.name), ['embed_dim', 'num_heads_1', 'mlp_ratio_1', 'num_layers']);
  assert.equal(space.activeChoices({ ...arch, num_layers: 1 }).length, space.choices.length);
  space.supernet.dispose();
});

test('expected cost: exact for every lm-tiny architecture; depth-weighted under soft depth weights; heads cost nothing', () => {
  manualSeed(3);
  const space = createGptSpace('lm-tiny');
  const x = space.exampleBatch(1).x;
  noGrad(() => tidy(() => space.supernet.forward(x, space.fixed(space.randomArchitecture(() => 0.5), 'superposition'))));
  const cost = (a: ArchSample) => tidy(() => { const c = space.expectedCost(a); return { params: c.params.item(), flops: c.flops.item() }; });
  const exact = new Map<string, { params: number; flops: number }>();
  for (const arch of allArchs(space.choices)) {
    const net = space.subnet(arch, { inherit: false });
    const m = tidy(() => space.measureSubnetCost(net, x));
    net.dispose();
    const c = cost(space.fixed(arch, 'superposition'));
    assert.equal(Math.round(c.params), m.params, `params of ${space.encode(arch)}`);
    assert.ok(Math.abs(c.flops - m.flops) < 1e-3 * m.flops, `flops ${c.flops} vs ${m.flops} for ${space.encode(arch)}`);
    exact.set(space.encode(arch), m);
  }
  // By hand for one: embed 32, 2 layers (heads 4, 2; ratios 4, 2), T = 32, vocab 65, no biases.
  const a: Architecture = { embed_dim: 1, num_layers: 1, num_heads_1: 1, num_heads_2: 0, mlp_ratio_1: 1, mlp_ratio_2: 0 };
  const e = 32, T = 32, V = 65;
  const layer = (r: number) => ({ params: 2 * 2 * e + 4 * e * e + 2 * e * e * r, flops: 4 * e * e + 2 * T * e + 2 * e * e * r });
  const want = { params: V * e + T * e + 2 * e + layer(4).params + layer(2).params, flops: V * e + layer(4).flops + layer(2).flops };
  assert.deepEqual(exact.get(space.encode(a)), want);
  // Soft depth weights, everything else one-hot: layer 2 counts with w(depth 2).
  const one = space.fixed(a, 'superposition');
  const w = new Map(space.choices.map((c) => [c, c === space.layers ? tensor([0.25, 0.75]) : one.weights(c)]));
  const soft = cost(new ArchSample('superposition', w));
  const d1 = exact.get(space.encode({ ...a, num_layers: 0 }))!, d2 = exact.get(space.encode(a))!;
  assert.ok(Math.abs(soft.params - (0.25 * d1.params + 0.75 * d2.params)) < 1e-2);
  assert.ok(Math.abs(soft.flops - (0.25 * d1.flops + 0.75 * d2.flops)) < 1e-2);
  // Heads change neither params nor MACs.
  assert.deepEqual(exact.get(space.encode({ ...a, num_heads_1: 0 })), d2);
  space.supernet.dispose();
});

test("paper Table 8b: TangleNAS's TinyStories architecture (G.2) has 87.010M parameters", () => {
  // G.2: 7 layers, embed 768, 12 heads, MLP ratios [3, 4, 4, 4, 4, 4, 4]. The
  // reference counts with vocab 50304, LayerNorms without bias and without the
  // position table (nanoGPT's get_num_params). Built with vocab 1 and context 1;
  // the token table adds (50304 - 1) x 768.
  manualSeed(4);
  const e = 768;
  const net = new GptSubnet({ vocabSize: 1, blockSize: 1, embed: e, heads: [12, 12, 12, 12, 12, 12, 12], mlpRatio: [3, 4, 4, 4, 4, 4, 4], bias: false, dropout: 0.2 });
  const lnBiases = (2 * 7 + 1) * e;
  const count = net.numParameters() + (50304 - 1) * e - 1 * e - lnBiases;
  net.dispose();
  assert.equal(count, 87_010_560);
});

test('sub-network state dict uses nanoGPT names; the LM head is the token table', () => {
  manualSeed(5);
  const space = createGptSpace('lm-tiny');
  const net = space.subnet({ embed_dim: 0, num_layers: 0, num_heads_1: 0, num_heads_2: 0, mlp_ratio_1: 0, mlp_ratio_2: 0 }, { inherit: true });
  const keys = [...net.stateDict().keys()];
  assert.deepEqual(keys, [
    'transformer.wte.weight', 'transformer.wpe.weight',
    'transformer.h.0.ln_1.weight', 'transformer.h.0.ln_1.bias',
    'transformer.h.0.attn.c_attn.weight', 'transformer.h.0.attn.c_proj.weight',
    'transformer.h.0.ln_2.weight', 'transformer.h.0.ln_2.bias',
    'transformer.h.0.mlp.c_fc.weight', 'transformer.h.0.mlp.c_proj.weight',
    'transformer.ln_f.weight', 'transformer.ln_f.bias',
  ]);
  assert.deepEqual(net.stateDict().get('transformer.h.0.mlp.c_fc.weight')!.shape, [32, 16]);
  // Tied head: perturbing the token table changes the logits of a fixed hidden state.
  tidy(() => {
    const x = space.exampleBatch(1).x;
    const a = noGrad(() => net.forward(x));
    noGrad(() => net.transformer.wte.weight.narrow(0, 0, 1).add_(1)); // token 0's row
    const b = noGrad(() => net.forward(x));
    assert.ok(maxDiff(a.select(2, 0), b.select(2, 0)) > 0);
  });
  net.dispose();
  space.supernet.dispose();
});

test('standalone attention uses strided heads (head i: features i, i+h, ...), as the supernet; permuting q/k/v rows and c_proj columns gives contiguous (nanoGPT) heads', () => {
  manualSeed(7);
  const net = new GptSubnet({ vocabSize: 5, blockSize: 2, embed: 4, heads: [2], mlpRatio: [1], bias: false, dropout: 0 });
  const attn = net.transformer.h.items[0].attn;
  const eye4 = tensor([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);
  noGrad(() => {
    attn.c_attn.weight.copy_(cat([eye4, eye4, eye4], 0));
    attn.c_proj.weight.copy_(eye4);
  });
  // q = k = v = x with x_t = (a_t, b_t, 0, 0): features 0 and 1 are in different heads
  // (strided: {0, 2}, {1, 3}), so feature 0 of position 1 attends with scores a_1 a_u / sqrt(2).
  const [a0, b0, a1, b1] = [0.3, -1.2, 0.8, 0.5];
  const y = noGrad(() => attn.forward(tensor([[[a0, b0, 0, 0], [a1, b1, 0, 0]]]))).toArray();
  const mix = (z1: number, z0: number) => {
    const [s0, s1] = [Math.exp((z1 * z0) / Math.SQRT2), Math.exp((z1 * z1) / Math.SQRT2)];
    return (s0 * z0 + s1 * z1) / (s0 + s1);
  };
  assertClose(y, [a0, b0, 0, 0, mix(a1, a0), mix(b1, b0), 0, 0], { atol: 1e-6 });
  // nanoGPT's contiguous heads on the permuted weights compute the same function: P = [0, 2, 1, 3].
  tidy(() => {
    const x = randn([2, 2, 4]);
    const W = randn([12, 4]), Wo = randn([4, 4]);
    noGrad(() => { attn.c_attn.weight.copy_(W); attn.c_proj.weight.copy_(Wo); });
    const P = tensor([0, 2, 1, 3], { dtype: 'int64' });
    const qkv = [0, 1, 2].map((i) => F.linear(x, W.narrow(0, 4 * i, 4).indexSelect(0, P)).reshape(2, 2, 2, 2).transpose(1, 2)); // [B, h, T, d]
    const p = F.softmax(qkv[0].matmul(qkv[1].transpose(-2, -1)).div(Math.SQRT2).maskedFill(tensor([[0, 1], [0, 0]]).gt(0), -1e9), -1);
    const contiguous = F.linear(p.matmul(qkv[2]).transpose(1, 2).reshape(2, 2, 4), Wo.indexSelect(1, P));
    assert.ok(maxDiff(noGrad(() => attn.forward(x)), contiguous) < 1e-6);
  });
  net.dispose();
});

test('exampleBatch: int64 [n, T] tokens, y is x shifted by one; loss is mean cross-entropy over every position', () => {
  manualSeed(6);
  const space = createSpace('lm-tiny') as GptSpace;
  assert.deepEqual(space.inputShape, [32]);
  assert.equal(space.numClasses, 65);
  tidy(() => {
    const { x, y } = space.exampleBatch(3);
    assert.deepEqual([x.shape, x.dtype, y.shape, y.dtype], [[3, 32], 'int64', [3, 32], 'int64']);
    assert.ok(x.narrow(1, 1, 31).eq(y.narrow(1, 0, 31)).all().item());
    assert.ok(Math.abs(space.loss(F.logSoftmax(randn([3, 32, 65]).mul(0), -1), y).item() - Math.log(65)) < 1e-5);
    const logits = randn([3, 32, 65]);
    const manual = F.logSoftmax(logits, -1).gather(2, y.unsqueeze(2)).mean().neg();
    assert.ok(Math.abs(space.loss(logits, y).item() - manual.item()) < 1e-5);
  });
  space.supernet.dispose();
});

test('options: no WS form, vocab and block size override the preset, divisibility is checked', () => {
  assert.throws(() => createSpace('lm-tiny', { form: 'ws' }), /space 'lm-tiny' has no 'ws' form \(forms: we\)/);
  const s = createSpace('lm-tiny', { vocabSize: 10, blockSize: 4 }) as GptSpace;
  assert.deepEqual([s.numClasses, s.inputShape, s.supernet.transformer.wpe.weight.shape], [10, [4], [4, 32]]);
  assert.throws(() => tidy(() => s.supernet.forward(randint(0, 10, [1, 5]), s.fixed(s.genotype()))), /sequence length 5 must be in \[1, 4\]/);
  s.supernet.dispose();
  assert.throws(() => new GptSpace('bad', { ...GPT_PRESETS['lm-tiny'], heads: [3] }), /embed 16 is not divisible by 3 heads/);
  // The paper's and the char presets satisfy it for every pair.
  for (const p of ['lm-paper', 'lm-char'] as const) for (const e of GPT_PRESETS[p].embed) for (const h of GPT_PRESETS[p].heads) assert.equal(e % h, 0);
});

test('DrNAS: every alpha and every supernet weight gets a gradient', () => {
  manualSeed(7);
  const space = new GptSpace('tiny-bias', { ...GPT_PRESETS['lm-tiny'], bias: true, blockSize: 8 });
  tidy(() => {
    const { x, y } = space.exampleBatch(4);
    space.loss(space.supernet.forward(x, createSampler('drnas').sample(space.choices)), y).backward();
  });
  for (const c of space.choices) assert.ok(tidy(() => c.alpha.grad!.abs().sum().item() > 0), c.name);
  for (const [n, p] of space.supernet.namedParameters()) assert.ok(tidy(() => (p.grad?.abs().sum().item() ?? 0) > 0), `no gradient for ${n}`);
  space.supernet.dispose();
});

test('generate: shape, greedy == topK 1, seeded sampling is reproducible, context cropped to the block size', () => {
  manualSeed(8);
  const space = createGptSpace('lm-tiny');
  const net = space.subnet(space.randomArchitecture(() => 0.7), { inherit: true });
  tidy(() => {
    const out = generate(net, [1, 2, 3], 5, { seed: 1 });
    assert.deepEqual([out.shape, out.dtype], [[1, 8], 'int64']);
    assert.deepEqual(out.narrow(1, 0, 3).toArray(), [1, 2, 3]);
    assert.deepEqual(generate(net, [1, 2, 3], 5, { seed: 1 }).toArray(), out.toArray());
    // The global generator is left as it was.
    const before = getRngState();
    generate(net, [1, 2, 3], 3, { seed: 9 });
    assert.deepEqual(getRngState(), before);
    // Greedy is deterministic and equals top-1 sampling; batches of prompts work.
    const prompt = randint(0, 65, [2, 40]); // longer than the block size (32)
    const g = generate(net, prompt, 4, { temperature: 0 });
    assert.deepEqual(g.shape, [2, 44]);
    assert.deepEqual(generate(net, prompt, 4, { temperature: 0.7, topK: 1 }).toArray(), g.toArray());
    // Only the last 32 tokens are seen: dropping the first 8 changes nothing.
    assert.deepEqual(generate(net, prompt.narrow(1, 8, 32), 4, { temperature: 0 }).narrow(1, 32, 4).toArray(), g.narrow(1, 40, 4).toArray());
    // Sampled tokens lie in the vocabulary.
    const s = generate(net, prompt, 20, { seed: 3, temperature: 2 });
    assert.ok(s.min().item() >= 0 && s.max().item() < 65);
  });
  assert.equal(net.training, true, 'training mode restored');
  assert.throws(() => generate(net, [1], 2, { temperature: -1 }), /temperature/);
  net.dispose();
  space.supernet.dispose();
});
