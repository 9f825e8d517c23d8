// ONNX export (src/nn/onnx.ts): every registered space's sub-network, traced in
// eval mode, runs in onnxruntime with tanglenas's logits (max abs difference
// <= 1e-4) at batch sizes other than the traced ones; a network using most
// supported ops does too; `tanglenas export --onnx` writes a model that
// onnxruntime runs; and what cannot be expressed fails with the op's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { createSpace, listSpaces } from '../src/spaces/index.js';
import { loadPlugins } from '../src/search/plugins.js';
import { loadFile } from '../src/nn/safetensors.js';
import { BatchNorm2d, LayerNorm } from '../src/nn/norm.js';
import { Conv2d } from '../src/nn/conv.js';
import { Embedding } from '../src/nn/embedding.js';
import { Layer } from '../src/nn/layer.js';
import { Linear } from '../src/nn/linear.js';
import { OnnxExportError, toOnnx } from '../src/nn/onnx.js';
import { arange, cat, eye, F, full, manualSeed, noGrad, oneHot, ones, randn, scalarPow, stack, tensor, tidy, where, zeros, type Tensor } from '../src/tensor/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TOL = 1e-4;

// A space registered by a plugin is exported like a built-in one.
await loadPlugins([join(ROOT, 'examples', 'tiny-cnn-plugin.js')]);

/** Runs the model in onnxruntime on x; returns the logits and their shape. */
async function runOrt(session: ort.InferenceSession, x: Tensor): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const input = new ort.Tensor(x.dtype === 'int64' ? 'int64' : 'float32', x.dataSync() as Float32Array | BigInt64Array, x.shape);
  const out = (await session.run({ input })).logits;
  return { data: out.data as Float32Array, dims: out.dims };
}

/** Max abs difference between tanglenas's forward and onnxruntime's over the inputs. */
async function compare(net: Layer, bytes: Uint8Array, inputs: Tensor[]): Promise<number> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  let diff = 0;
  try {
    for (const x of inputs) {
      const ref = tidy(() => noGrad(() => net.forward(x)));
      const got = await runOrt(session, x);
      assert.deepEqual([...got.dims], ref.shape, 'onnxruntime output shape');
      const want = ref.dataSync() as Float32Array;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Number.isNaN(want[i]) && Number.isNaN(got.data[i]) ? 0 : Math.abs(want[i] - got.data[i]));
      ref.dispose();
    }
  } finally {
    await session.release();
  }
  return diff;
}

const seeded = (seed: number) => () => (seed = (seed * 16807) % 2147483647) / 2147483647;

for (const { name, heavy, testOptions } of listSpaces()) {
  test(`onnx: ${name} sub-network (random architecture, inherited weights) == onnxruntime`, { skip: heavy ? 'heavy space' : false }, async (t) => {
    manualSeed(3);
    const space = createSpace(name, { ...testOptions });
    const arch = space.randomArchitecture(seeded(17));
    const net = space.subnet(arch, { inherit: true });
    const example = (n: number) => {
      const { x, y } = space.exampleBatch(n);
      y.dispose();
      return x;
    };
    // A few training-mode forwards give the BatchNorms running statistics that are not 0 and 1.
    net.train();
    noGrad(() => { for (let i = 0; i < 2; i++) tidy(() => { net.forward(example(4)); }); });
    net.eval();
    const model = toOnnx(net, { example });
    assert.equal(net.training, false);
    const inputs = [1, 4, 2].map(example); // 1 and 4: other batch sizes than the traced 2 and 3
    const diff = await compare(net, model.bytes, inputs);
    t.diagnostic(`${name} ${space.encode(arch)}: max |logit difference| ${diff.toExponential(2)}, ${Object.values(model.ops).reduce((a, b) => a + b, 0)} nodes ${JSON.stringify(model.ops)}`);
    assert.ok(diff <= TOL, `${name}: onnxruntime logits differ by ${diff}`);
    assert.equal(model.inputShape[0], 'batch');
    inputs.forEach((x) => x.dispose());
    net.dispose();
    space.supernet.dispose();
  });
}

/** Most supported ops, on [B, 3, 8, 8] images; the output concatenates every piece as [B, -1]. */
class Zoo extends Layer {
  readonly conv = this.child('conv', new Conv2d(3, 8, 3, { padding: 1 }));
  readonly dw = this.child('dw', new Conv2d(8, 8, 3, { groups: 8, stride: 2, dilation: 2, padding: 2 }));
  readonly same = this.child('same', new Conv2d(8, 4, 2, { padding: 'same', bias: false }));
  readonly bn = this.child('bn', new BatchNorm2d(8));
  readonly bnPlain = this.child('bn_plain', new BatchNorm2d(4, { affine: false }));
  readonly bnBatch = this.child('bn_batch', new BatchNorm2d(4, { trackRunningStats: false }));
  readonly fc = this.child('fc', new Linear(128, 16));
  readonly qkv = this.child('qkv', new Linear(8, 24, { bias: false }));
  readonly ln = this.child('ln', new LayerNorm(16));
  readonly emb = this.child('emb', new Embedding(8, 3));
  readonly mixWeights = this.param('mix_weights', tensor([0.2, 0.3, 0.5]));
  readonly mixScales = this.param('mix_scales', tensor([0.9, 0.5, 0.4]));
  readonly lnWeights = this.param('ln_weights', tensor([0.7, 0.3]));
  readonly gamma = this.param('gamma', randn([8]));
  readonly beta = this.param('beta', randn([8]));

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const B = x.size(0);
      const out: Tensor[] = [];
      const put = (t: Tensor) => out.push(t.reshape(B, -1).to('float32'));
      // convolutions, norms, pools
      const c = this.bn.forward(this.conv.forward(x)); // [B, 8, 8, 8]
      const d = F.relu(this.dw.forward(c)); // [B, 8, 4, 4]
      const s = this.same.forward(c); // [B, 4, 8, 8], even kernel: an explicit pad
      put(this.bnPlain.forward(s));
      put(this.bnBatch.forward(s));
      put(F.maxPool2d(c, 3, { stride: 2, padding: 1, ceilMode: true }));
      put(F.avgPool2d(c, 3, { stride: 2, padding: 1, countIncludePad: false }));
      put(F.avgPool2d(c, 2));
      put(F.adaptiveAvgPool2d(c, 2));
      put(F.adaptiveAvgPool2d(c, 1));
      put(F.dropout2d(d, 0.5, false));
      put(c.pad([1, 2, 0, 1], 'constant', 0.5));
      put(c.pad([1, 1, 2, 1], 'reflect'));
      put(c.pad([2, 0, 1, 1], 'replicate'));
      const h = F.dropout(this.fc.forward(d.flatten(1)), 0.3, false); // [B, 16]
      put(this.ln.forward(h));
      put(F.layerNorm(h.reshape(B, 4, 4), [4, 4], null, null, 1e-3));
      // elementwise
      const pos = h.abs().add(0.1);
      for (const t of [F.relu(h), F.sigmoid(h), F.tanh(h), F.silu(h), F.hardswish(h), F.hardsigmoid(h), F.elu(h, 0.7), F.leakyRelu(h, 0.1), F.softplus(h, 2, 1), F.gelu(h), F.gelu(h, 'tanh'), F.softmax(h, -1), F.logSoftmax(h, 1)]) put(t);
      for (const t of [h.abs(), h.neg(), h.sign(), h.clamp(-2, 2).exp(), pos.log(), pos.sqrt(), pos.rsqrt(), pos.reciprocal(), h.sin(), h.cos(), h.mul(3).floor(), h.mul(3).ceil(), h.mul(3).round(), pos.log1p(), h.expm1(), h.clamp(-0.5, 0.5), h.clamp(null, 0.2)]) put(t);
      for (const t of [h.pow(2), scalarPow(1.5, h), h.clone().contiguous().detach(), pos.pow(h), F.tanh(h).pow(pos), h.remainder(0.7), h.floorDiv(0.3), h.rsub(1), h.add(2).sub(0.5).mul(h).div(pos), h.maximum(pos.neg()), h.minimum(pos.mul(0.5))]) put(t);
      put(where(h.gt(0), h, h.mul(0.1)));
      put(h.maskedFill(h.lt(-0.2), -1));
      for (const t of [h.eq(h.round()), h.ne(0), h.le(0.1), h.ge(pos.neg()), h.gt(0).logicalAnd(h.lt(0.5)), h.gt(0).logicalOr(h.lt(-0.5)), h.gt(0).logicalNot(), h.isnan(), h.isfinite()]) put(t);
      // reductions
      put(h.sum(-1, true));
      put(h.mean(1, true));
      put(h.var(1, { keepdim: true }));
      put(h.var(1, { unbiased: false }));
      put(h.std().reshape(1, 1).expand(B, 1));
      put(h.norm(2, 1, true));
      put(h.norm(1, 1));
      put(h.max(1, true));
      put(h.min(1));
      put(h.maxWithIndices(1).indices);
      put(h.argmax(1, true));
      put(h.argmin(-1));
      put(h.logsumexp(1, true));
      put(h.cumsum(1));
      put(h.topk(3).values);
      put(h.topk(2, 1, false).indices);
      put(h.sort(1, true).values);
      put(pos.narrow(1, 0, 3).prod().reshape(1, 1).expand(B, 1));
      put(h.sum().reshape(1, 1).expand(B, 2));
      put(stack([h.max(), h.min()]).reshape(1, 2).expand(B, 2));
      // shapes and indexing
      const m = h.reshape(B, 4, 4);
      for (const t of [m.permute(0, 2, 1), m.transpose(1, 2), m.view(B, 2, 8), m.unsqueeze(1).squeeze(1), m.unsqueeze(-1).squeeze(), m.narrow(2, -3, 2), m.slice(1, 1, undefined, 2), m.select(1, 2), m.select(2, -1)]) put(t);
      put(m.indexSelect(2, tensor([3, 0, 0], { dtype: 'int64' })));
      put(m.gather(2, arange(0, 4).remainder(3).reshape(1, 1, 4).expand(B, 4, 4)));
      put(m.scatter(2, tensor([[[1, 0, 3, 2]]], { dtype: 'int64' }).expand(B, 4, 4), m.mul(2)));
      put(cat([m, m.flip(1)], 1));
      put(stack([m.select(1, 0), m.select(1, 3)], 1));
      for (const t of [...m.split(1, 2), ...m.split([1, 3], 1), ...m.chunk(2, 2)]) put(t);
      put(m.tril());
      put(m.triu(1));
      put(m.flip(1, 2));
      put(m.unsqueeze(1).expand(B, 2, 4, 4).reshape(B, 2, 16));
      // tensors made in the forward: fixed ones folded, batch-shaped ones computed
      put(h.add(arange(0, 16).float()));
      put(m.matmul(eye(4)).add(full([4, 4], 0.25)));
      put(zeros([B, 2]).add(ones([B, 1])));
      put(full([B, 3], 2).mul(h.narrow(1, 0, 3)));
      // linear algebra
      put(m.matmul(m.transpose(1, 2)));
      put(m.bmm(m));
      put(m.select(0, 0).mm(m.select(0, -1)).reshape(1, 16).expand(B, 16));
      put(h.select(0, 0).outer(h.select(0, 0)).reshape(1, 256).expand(B, 256));
      // integers
      const idx = h.narrow(1, 0, 6).argmax(-1, true); // [B, 1] int64
      put(idx.remainder(3).add(idx.floorDiv(2)).mul(2));
      put(oneHot(idx.squeeze(1), 6));
      put(this.emb.forward(idx.remainder(8)));
      put(h.to('float64').mul(1.5));
      // the fused ops: attention mixed over head counts (strided heads), LayerNorm mixed over widths
      const [q, k, v] = this.qkv.forward(c.flatten(2).transpose(1, 2).narrow(1, 0, 6)).chunk(3, -1); // [B, 6, 8] each
      put(F.attentionMix(q, k, v, [1, 2, 4], this.mixScales, this.mixWeights, false));
      put(F.stridedAttention(q, k, v, 2, true));
      put(F.layerNormMix(q, [4, 8], this.lnWeights, this.gamma, this.beta));
      return cat(out, 1);
    });
  }
}

test('onnx: a network with most supported ops (and the fused attention and LayerNorm mixtures) == onnxruntime', async (t) => {
  manualSeed(5);
  const net = new Zoo();
  net.train();
  noGrad(() => tidy(() => { net.forward(randn([4, 3, 8, 8])); }));
  net.eval();
  const model = toOnnx(net, { example: (n) => randn([n, 3, 8, 8]) });
  const inputs = [1, 5].map((n) => randn([n, 3, 8, 8]));
  const diff = await compare(net, model.bytes, inputs);
  t.diagnostic(`max |difference| ${diff.toExponential(2)}; traced ops: ${Object.keys(model.tracedOps).sort().join(' ')}`);
  assert.ok(diff <= TOL, `onnxruntime differs by ${diff}`);
  for (const op of ['pad', 'attentionMix', 'layerNormMix', 'batchNorm', 'expand', 'zeros', 'scatter', 'oneHot', 'embedding', 'topk', 'scalarPow', 'maxAll', 'minAll', 'clone']) assert.ok(op in model.tracedOps, `${op} was not traced`);
  inputs.forEach((x) => x.dispose());
  net.dispose();
});

/** A layer whose forward is `fn`, with one parameter `w` [4]. */
class Fn extends Layer {
  readonly w = this.param('w', ones([4]));
  constructor(readonly fn: (x: Tensor, w: Tensor) => Tensor) {
    super();
  }
  forward(x: Tensor): Tensor {
    return tidy(() => this.fn(x, this.w));
  }
}

test('onnx: what ONNX cannot express fails, naming the op and where it was called; nothing wrong is written', () => {
  const example = (n: number) => randn([n, 4]);
  const fails = (fn: (x: Tensor, w: Tensor) => Tensor, re: RegExp, ex = example) => {
    const net = new Fn(fn);
    assert.throws(() => toOnnx(net, { example: ex }), (e: unknown) => e instanceof OnnxExportError && re.test(e.message) && /onnx\.test\.js/.test(e.message), re.source);
    net.dispose();
  };
  fails((x) => x.roll([1], [1]), /'roll' \(called at .*\): no ONNX mapping for this op/);
  fails((x) => x.add(randn([4])), /'randn' .*random op/);
  fails((x) => F.dropout(x, 0.5, true), /'dropout' .*training mode/);
  fails((x, w) => x.mul(w.clone().mul_(2)), /'mul_' .*in-place/);
  fails((x) => x.narrow(1, 0, x.size(0)), /'narrow' .*change with the batch size/);
  fails((x) => x.narrow(0, 0, x.size(0) - 1), /dim 0 of the output of 'narrow' .* is 1 for a batch of 2 and 2 for 3/);
  // The two traced batches have sums of opposite signs.
  const signs = (n: number) => (n === 2 ? ones([n, 4]) : ones([n, 4]).neg());
  fails((x) => (x.sum().item() > 0 ? F.relu(x) : F.sigmoid(x)), /different things on two inputs.*'relu' .* once and 'sigmoid'.*reads tensor values into JavaScript \(item at/, signs);
  fails((x) => x.add(tensor([x.sum().item()])), /'fromBuffer' .*has other values for another input/);
  // Dead code is no trouble: only what the output depends on is exported.
  const net = new Fn((x, w) => {
    x.roll([1], [1]);
    return x.mul(w);
  });
  assert.deepEqual(toOnnx(net, { example }).tracedOps, { mul: 1 });
  net.dispose();
});

test('onnx: an output that is the input itself, or computed from a parameter and the batch size only, == onnxruntime', async () => {
  for (const fn of [(x: Tensor) => x, (x: Tensor, w: Tensor) => w.mul(2).expand(x.size(0), 4), (x: Tensor) => F.dropout(x, 0.5, false)]) {
    const net = new Fn(fn);
    const model = toOnnx(net, { example: (n) => randn([n, 4]) });
    const inputs = [randn([1, 4]), randn([6, 4])];
    assert.equal(await compare(net, model.bytes, inputs), 0);
    inputs.forEach((x) => x.dispose());
    net.dispose();
  }
});

test('onnx: tanglenas export RUN --onnx writes model.onnx, which onnxruntime runs with the logits of the exported weights', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-onnx-'));
  try {
    const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, TANGLENAS_THREADS: '1' }, timeout: 120_000 });
    const s = join(dir, 's');
    const r = run('search', '--space', 'toy-cell', '--dataset', 'synthetic', '--epochs', '1', '--set', 'steps_per_epoch=2', '--set', 'synthetic_train=64', '--set', 'synthetic_test=32', '--set', 'eval_samples=32', '--set', 'bn_calibration_samples=0', '--run-dir', s, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    const out = join(dir, 'out');
    const e = run('export', s, '--onnx', '--out', out);
    assert.equal(e.status, 0, e.stderr);
    assert.match(e.stdout, /model\.onnx/);
    const card = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    assert.deepEqual([card.onnx.file, card.onnx.opset, card.onnx.input, card.onnx.output.shape], ['model.onnx', 17, { name: 'input', shape: ['batch', 1, 28, 28], dtype: 'float32' }, ['batch', 10]]);

    manualSeed(0);
    const space = createSpace('toy-cell');
    const net = space.subnet(space.decode(JSON.stringify(card.architecture)), { inherit: false });
    noGrad(() => net.loadStateDict(loadFile(join(out, 'model.safetensors')).tensors));
    net.eval();
    const inputs = [randn([3, 1, 28, 28]), randn([1, 1, 28, 28])];
    const diff = await compare(net, readFileSync(join(out, 'model.onnx')), inputs);
    assert.ok(diff <= TOL, `model.onnx differs from the exported weights by ${diff}`);
    inputs.forEach((x) => x.dispose());
    net.dispose();
    space.supernet.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
