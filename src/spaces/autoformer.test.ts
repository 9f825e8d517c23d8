// The AutoFormer ViT spaces beyond the registry's invariant tests: the relative
// position tables read as AutoFormer's, the attention's position terms, the
// training-mode invariant, the 224 / 16 layout (up-sampling), parameter counts
// by hand, and the errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSpace } from './index.js';
import { ViTSpace, HEAD_DIM } from './autoformer.js';
import { headAttention, RelativePosition2D } from '../nn/attention.js';
import { oneHotOutputs } from './test-util.js';
import { softmax } from '../tensor/ops/activation.js';
import { manualSeed, noGrad, randn, tensor, tidy, zeros, type Tensor } from '../tensor/index.js';
import { Rng } from '../data/rng.js';

const seeded = (seed: number) => { const r = new Rng(seed); return () => r.float(); };
const maxDiff = (a: Tensor, b: Tensor) => tidy(() => a.sub(b).abs().max().item());

test('RelativePosition2D: a 2 x 2 grid reads the rows of AutoFormer’s index (cls pairs row 0)', () => {
  tidy(() => {
    const rp = new RelativePosition2D(1, 14);
    // Row r of both tables holds r (vertical) and 100 r (horizontal): the sum names both rows.
    noGrad(() => {
      rp.tableV.copy_(rows(30, 1));
      rp.tableH.copy_(rows(30, 100));
    });
    const e = rp.forward(5).reshape(25).toArray() as number[];
    // Patches 0..3 at (row, col) = (0,0), (0,1), (1,0), (1,1); offset M + 1 = 15.
    const at = (i: number, j: number) => e[i * 5 + j];
    assert.equal(at(0, 0), 0);
    assert.equal(at(0, 3), 0);
    assert.equal(at(2, 0), 0);
    assert.equal(at(1, 1), 15 + 1500); // same patch: distance (0, 0)
    assert.equal(at(1, 4), 16 + 1600); // (0,0) -> (1,1): one row down, one column right
    assert.equal(at(4, 1), 14 + 1400);
    assert.equal(at(2, 3), 16 + 1400); // (0,1) -> (1,0)
    rp.dispose();
  });
});

/** [n, 1] with row r = r * scale. */
function rows(n: number, scale: number): Tensor {
  return tensor(Array.from({ length: n }, (_, i) => [i * scale]));
}

test('headAttention: zero position tables give plain attention; the terms match a hand computation', () => {
  manualSeed(4);
  tidy(() => {
    const [B, H, N, D] = [2, 3, 5, 4];
    const q = randn([B, H, N, D]), k = randn([B, H, N, D]), v = randn([B, H, N, D]);
    const plain = softmax(q.matmul(k.transpose(-2, -1)).mul(0.5), -1).matmul(v);
    assert.ok(maxDiff(headAttention(q, k, v, 0.5, null), plain) < 1e-6);
    assert.ok(maxDiff(headAttention(q, k, v, 0.5, { k: zeros([N, N, D]), v: zeros([N, N, D]) }), plain) < 1e-6);
    // With tables: logits_ij = (q_i . k_j + q_i . rk_ij) s, out_i = sum_j p_ij (v_j + rv_ij), per batch and head.
    const rk = randn([N, N, D]), rv = randn([N, N, D]);
    const got = headAttention(q, k, v, 0.5, { k: rk, v: rv });
    const qk = q.unsqueeze(3).mul(k.unsqueeze(2)).sum(-1); // [B, H, N, N]
    const qr = q.unsqueeze(3).mul(rk.reshape(1, 1, N, N, D)).sum(-1);
    const p = softmax(qk.add(qr).mul(0.5), -1);
    const want = p.matmul(v).add(p.unsqueeze(-1).mul(rv.reshape(1, 1, N, N, D)).sum(3));
    assert.ok(maxDiff(got, want) < 1e-5, `differs by ${maxDiff(got, want)}`);
  });
});

test('autoformer-t: one-hot superposition == discrete == sub-network in training mode (drop-path off) and at 224 / 16 (up-sampled)', () => {
  for (const opts of [{ imageSize: 32, patchSize: 8, dropPath: 0 }, { imageSize: 64, patchSize: 16, dropPath: 0 }]) {
    manualSeed(5);
    const space = createSpace('autoformer-t', opts) as ViTSpace;
    const x = space.exampleBatch(2).x;
    const rnd = seeded(9);
    for (let i = 0; i < 2; i++) {
      const arch = space.randomArchitecture(rnd);
      tidy(() => {
        const { sup, disc, sub } = oneHotOutputs(space, arch, x, 'train');
        assert.ok(maxDiff(sup, disc) <= 1e-5 && maxDiff(sup, sub) <= 1e-5, `${JSON.stringify(opts)}: ${maxDiff(sup, disc)}, ${maxDiff(sup, sub)}`);
      });
    }
    space.supernet.dispose();
  }
});

test('autoformer-t: the largest sub-network has the hand-counted parameters; drop-path changes training outputs only', () => {
  manualSeed(6);
  const space = createSpace('autoformer-t', { imageSize: 32, patchSize: 4 }) as ViTSpace;
  const largest = Object.fromEntries(space.choices.map((c) => [c.name, c.size - 1]));
  const net = space.subnet(largest, { inherit: false });
  const [E, W, M, L, T] = [240, 4 * HEAD_DIM, 960, 14, 65];
  const perLayer = 2 * 2 * E + 3 * (W * E + W) + (E * W + E) + (M * E + M) + (E * M + E) + 2 * 2 * 30 * HEAD_DIM;
  const expected = 3 * 16 * E + E + E + T * E + L * perLayer + 2 * E + (E * 10 + 10);
  assert.equal(net.numParameters(), expected);
  tidy(() => {
    const x = space.exampleBatch(4).x;
    net.eval();
    const a = noGrad(() => net.forward(x)), b = noGrad(() => net.forward(x));
    assert.equal(maxDiff(a, b), 0, 'eval mode is deterministic');
    net.train();
    const c = noGrad(() => net.forward(x));
    assert.ok(maxDiff(a, c) > 0, 'drop-path 0.1 changes training-mode outputs');
  });
  net.dispose();
  space.supernet.dispose();
});

test('autoformer: option and input errors name the fix', () => {
  assert.throws(() => createSpace('autoformer-t', { imageSize: 32, patchSize: 5 }), /image_size \(32\) must be a multiple of patch_size \(5\)/);
  assert.throws(() => createSpace('autoformer-s', { form: 'ws' }), /has no 'ws' form/);
  const space = createSpace('autoformer-t', { imageSize: 32, patchSize: 8 });
  tidy(() => {
    const arch = space.fixed(space.randomArchitecture(seeded(1)));
    assert.throws(() => space.supernet.forward(randn([2, 1, 32, 32]), arch), /expected images \[B, 3, H, W\], got \[2, 1, 32, 32\]/);
    assert.throws(() => space.supernet.forward(randn([2, 3, 48, 48]), arch), /larger than the network's 32 x 32 input; set image_size/);
  });
  space.supernet.dispose();
});

test('autoformer-t: canonical form puts the choices of layers beyond the depth first; evolution names depth and embed', () => {
  const space = createSpace('autoformer-t', { imageSize: 32, patchSize: 8 }) as ViTSpace;
  const arch = space.randomArchitecture(seeded(2));
  arch.num_layers = 0; // 12 layers
  arch.num_heads_13 = 1;
  arch.mlp_ratio_14 = 1;
  const c = space.canonical(arch);
  assert.equal(c.num_heads_13, 0);
  assert.equal(c.mlp_ratio_14, 0);
  assert.equal(c.num_heads_12, arch.num_heads_12);
  assert.deepEqual(space.archConfig(c), space.archConfig(arch), 'the same network');
  const ev = space.evolution();
  assert.deepEqual(ev.structural.map((x) => x.name), ['embed_dim', 'num_layers']);
  assert.equal(ev.depth?.name, 'num_layers');
  space.supernet.dispose();
});
