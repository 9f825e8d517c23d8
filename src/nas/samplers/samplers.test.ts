import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choice } from '../choice.js';
import { createSampler, getSampler, listSamplers, registerSampler, sparsemax, hardGumbelSoftmax, klToUniformDirichlet, concentration } from './index.js';
import { conform } from '../options.js';
import { grad, manualSeed, noGrad, tensor, tidy } from '../../tensor/index.js';

test('registry: every entry is complete (options typed with valid defaults, preset layers, a working factory with state round-trip)', () => {
  for (const info of listSamplers()) {
    assert.ok(info.description.length > 0, info.name);
    assert.ok(info.stage === 'single-stage' || info.stage === 'two-stage', info.name);
    for (const [opt, spec] of Object.entries(info.options)) assert.ok(conform(spec.type, spec.default).ok, `${info.name}.${opt}: default ${JSON.stringify(spec.default)} is not of its type`);
    assert.ok(info.presets.length > 0, `${info.name} brings no preset layer`);
    const defaults = Object.fromEntries(Object.entries(info.options).map(([k, s]) => [k, s.default]));
    const s = createSampler(info.name, defaults);
    assert.equal(s.name, info.name);
    assert.equal(s.trainsAlpha, info.stage === 'single-stage');
    const c = choice('c', [1, 2, 3]);
    s.beforeEpoch(1, 4);
    const state = s.state();
    s.loadState(state);
    assert.deepEqual(s.state(), state);
    tidy(() => {
      const w = s.sample([c]).weights(c).toArray();
      assert.ok(Math.abs(w.reduce((a, b) => a + b) - 1) < 1e-5, `${info.name}: weights ${w} do not sum to 1`);
    });
    info.check?.(defaults);
  }
});

test('registry: a name registers once; the error names it', () => {
  assert.throws(() => registerSampler({ ...getSampler('darts') }), /sampler 'darts' is already registered/);
});

test('registry lists the four built-in samplers and rejects unknown names and options', () => {
  assert.deepEqual(listSamplers().map((s) => s.name).filter((n) => ['darts', 'drnas', 'gdas', 'spos'].includes(n)).sort(), ['darts', 'drnas', 'gdas', 'spos']);
  assert.throws(() => createSampler('enas'), /unknown sampler 'enas' \(available: /);
  assert.throws(() => createSampler('drnas', { regType: 'l1' }), /regType must be 'l2' or 'kl'/);
  assert.throws(() => createSampler('gdas', { tau: 3 }), /unknown option 'tau'/);
  assert.throws(() => createSampler('darts', { preprocess: 3 }), /must be a string/);
});

test('darts: softmax of alpha, superposition; sparsemax option', () => {
  const c = choice('c', [1, 2, 3]);
  noGrad(() => c.alpha.copy_(tensor([1, 0.5, -1])));
  const s = createSampler('darts').sample([c]);
  assert.equal(s.mode, 'superposition');
  const w = s.weights(c).toArray();
  const e = [1, 0.5, -1].map(Math.exp);
  const z = e.reduce((a, b) => a + b);
  w.forEach((v, i) => assert.ok(Math.abs(v - e[i] / z) < 1e-6));
  const sp = createSampler('darts', { preprocess: 'sparsemax' }).sample([c]).weights(c).toArray();
  // sparsemax([1, 0.5, -1]) = [0.75, 0.25, 0]
  [0.75, 0.25, 0].forEach((v, i) => assert.ok(Math.abs(sp[i] - v) < 1e-6, `sparsemax ${sp}`));
});

test('sparsemax: on the simplex, exact zeros, and the gradient of the support projection', () => {
  const p = sparsemax(tensor([[0.1, 0.2, 0.3, 0.4], [3, 0, 0, 0], [0, 0, 0, 0]])).toArray();
  const rows = [p.slice(0, 4), p.slice(4, 8), p.slice(8)];
  for (const r of rows) assert.ok(Math.abs(r.reduce((a, b) => a + b) - 1) < 1e-6);
  assert.deepEqual(rows[1], [1, 0, 0, 0]);
  rows[2].forEach((v) => assert.ok(Math.abs(v - 0.25) < 1e-6));
  // Jacobian on the support S: I - 11^T/|S|; zero outside.
  const z = tensor([1, 0.8, -2], { requiresGrad: true });
  const [g] = grad(sparsemax(z).mul(tensor([1, 0, 0])).sum(), [z]);
  const gv = g!.toArray();
  [0.5, -0.5, 0].forEach((v, i) => assert.ok(Math.abs(gv[i] - v) < 1e-6, `grad ${gv}`));
});

test('gdas: forward weights are exactly one-hot, the gradient reaches every alpha, tau goes 10 -> 0.1 linearly', () => {
  manualSeed(0);
  const c = choice('c', [1, 2, 3, 4]);
  for (let i = 0; i < 20; i++) {
    tidy(() => {
      const w = hardGumbelSoftmax(c.alpha, 1);
      const v = w.toArray();
      assert.equal(v.filter((x) => Math.abs(x - 1) < 1e-6).length, 1);
      assert.equal(v.filter((x) => Math.abs(x) < 1e-6).length, 3);
    });
  }
  const s = createSampler('gdas');
  const sample = s.sample([c]);
  assert.equal(sample.mode, 'discrete');
  assert.equal(sample.straightThrough, true);
  const [g] = grad(sample.chosenWeight([c])!.sum(), [c.alpha]);
  assert.ok(g!.abs().sum().item() > 0);
  const taus: number[] = [];
  for (let e = 0; e < 5; e++) {
    s.beforeEpoch(e, 5);
    taus.push(s.state().tau as number);
  }
  [10, 7.525, 5.05, 2.575, 0.1].forEach((t, i) => assert.ok(Math.abs(taus[i] - t) < 1e-9, `tau ${taus}`));
  const other = createSampler('gdas');
  other.loadState(s.state());
  assert.ok(Math.abs((other.state().tau as number) - 0.1) < 1e-12);
});

test('gdas: low temperature draws follow softmax(alpha)', () => {
  manualSeed(1);
  const c = choice('c', [1, 2, 3]);
  noGrad(() => c.alpha.copy_(tensor([Math.log(0.6), Math.log(0.3), Math.log(0.1)])));
  const counts = [0, 0, 0];
  const n = 3000;
  for (let i = 0; i < n; i++) counts[tidy(() => hardGumbelSoftmax(c.alpha, 0.5).argmax().item())]++;
  // Gumbel-max: argmax is distributed as softmax(alpha) for any tau.
  [0.6, 0.3, 0.1].forEach((p, i) => assert.ok(Math.abs(counts[i] / n - p) < 0.03, `counts ${counts}`));
});

test('drnas: samples lie on the simplex, their mean is beta / sum(beta), a new draw every forward', () => {
  manualSeed(2);
  const c = choice('c', [1, 2, 3]);
  noGrad(() => c.alpha.copy_(tensor([1, 0, -0.5])));
  const beta = concentration(c.alpha).toArray();
  const s = createSampler('drnas');
  const n = 4000;
  const mean = [0, 0, 0];
  let first: number[] | null = null;
  let changed = false;
  for (let i = 0; i < n; i++) {
    const w = tidy(() => s.sample([c]).weights(c).toArray());
    assert.ok(Math.abs(w.reduce((a, b) => a + b) - 1) < 1e-5 && w.every((v) => v >= 0));
    if (first === null) first = w;
    else if (w.some((v, j) => v !== first![j])) changed = true;
    w.forEach((v, j) => (mean[j] += v / n));
  }
  assert.ok(changed);
  const b0 = beta.reduce((a, b) => a + b);
  beta.forEach((b, j) => assert.ok(Math.abs(mean[j] - b / b0) < 0.015, `mean ${mean} vs ${beta.map((x) => x / b0)}`));
});

test('drnas: KL(Dir(beta) || Dir(1)) is 0 at beta = 1, positive elsewhere, and regularises alpha', () => {
  assert.ok(Math.abs(klToUniformDirichlet(tensor([1, 1, 1])).item()) < 1e-6);
  // KL(Dir(2,2) || Dir(1,1)) = ln(6) - 2 + ... computed independently: ln B(1,1)/B(2,2) + 2(psi(2)-psi(4))
  const psi2 = 1 - 0.5772156649, psi4 = 1 + 1 / 2 + 1 / 3 - 0.5772156649;
  const expect = Math.log(6) + 2 * (psi2 - psi4);
  assert.ok(Math.abs(klToUniformDirichlet(tensor([2, 2])).item() - expect) < 1e-5);
  const c = choice('c', [1, 2]);
  const l2 = createSampler('drnas');
  assert.equal(l2.regularizer([c]), null);
  assert.equal(l2.archWeightDecay(0.5), 1e-3);
  const kl = createSampler('drnas', { regType: 'kl', regScale: 0.1 });
  assert.equal(kl.archWeightDecay(0.5), 0);
  assert.ok(kl.regularizer([c])!.item() >= 0);
});

test('spos: uniform one-hot over many draws, discrete, alpha not trained', () => {
  manualSeed(3);
  const a = choice('a', [1, 2, 3]);
  const b = choice('b', ['x', 'y']);
  const s = createSampler('spos');
  assert.equal(s.trainsAlpha, false);
  const counts = [[0, 0, 0], [0, 0]];
  const n = 3000;
  for (let i = 0; i < n; i++) {
    tidy(() => {
      const sample = s.sample([a, b]);
      assert.equal(sample.mode, 'discrete');
      counts[0][sample.index(a)]++;
      counts[1][sample.index(b)]++;
    });
  }
  counts[0].forEach((k) => assert.ok(Math.abs(k / n - 1 / 3) < 0.03, `${counts[0]}`));
  counts[1].forEach((k) => assert.ok(Math.abs(k / n - 1 / 2) < 0.03, `${counts[1]}`));
});
