import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, type DType, type Tensor } from '../../tensor/index.js';
import { assertClose, pythonEarly, skipWithoutTorch } from '../test-util.js';
import { Adam, type AdamHyper } from './adam.js';
import { AdamW } from './adamw.js';

function param(values: number[], dtype: DType = 'float64'): Tensor {
  return tensor(values, { dtype, requiresGrad: true });
}
function setGrad(p: Tensor, g: number[]): void {
  p.grad = tensor(g, { dtype: p.dtype });
}

/** torch.optim.Adam / AdamW written out in plain JS. */
function reference(p0: number[], grads: number[][], h: Partial<AdamHyper>, decoupled: boolean): number[] {
  const { lr = 1e-3, betas: [b1, b2] = [0.9, 0.999], eps = 1e-8, weightDecay: wd = decoupled ? 0.01 : 0, amsgrad = false } = h;
  let p = [...p0];
  let m = p.map(() => 0), v = p.map(() => 0), vmax = p.map(() => 0);
  grads.forEach((g0, k) => {
    const t = k + 1;
    if (decoupled) p = p.map((x) => x * (1 - lr * wd));
    const g = decoupled ? g0 : g0.map((gi, i) => gi + wd * p[i]);
    m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]);
    v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i] * g[i]);
    vmax = vmax.map((x, i) => Math.max(x, v[i]));
    const vv = amsgrad ? vmax : v;
    p = p.map((x, i) => x - (lr / (1 - b1 ** t)) * (m[i] / (Math.sqrt(vv[i]) / Math.sqrt(1 - b2 ** t) + eps)));
  });
  return p;
}

const GRADS = [[0.5, -1, 2], [0.25, 0.5, -1.5], [-0.75, 0.1, 0.3]];

// Parity data: Python starts now so its start-up overlaps the other tests.
const cfgs: [string, Record<string, unknown>, Partial<AdamHyper>][] = [
  ['Adam', { lr: 0.1 }, { lr: 0.1 }],
  ['Adam', { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weight_decay: 0.1 }, { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 }],
  ['Adam', { lr: 0.05, amsgrad: true, maximize: true }, { lr: 0.05, amsgrad: true, maximize: true }],
  ['AdamW', { lr: 0.05, weight_decay: 0.3 }, { lr: 0.05, weightDecay: 0.3 }],
  ['AdamW', { lr: 0.02, amsgrad: true }, { lr: 0.02, amsgrad: true }],
];
const PY = pythonEarly(`
import json, sys, torch
inp = json.load(sys.stdin)
out = []
for kind, cfg in inp['cfgs']:
    p = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = getattr(torch.optim, kind)([p], foreach=False, **cfg)
    for g in inp['grads']:
        p.grad = torch.tensor(g)
        opt.step()
    out.append(p.tolist())
print(json.dumps(out))
`, { cfgs: cfgs.map(([k, c]) => [k, c]), grads: GRADS });

test('Adam: hand-computed first step moves each weight by about lr', () => {
  const p = param([1, -1]);
  const opt = new Adam([p], { lr: 0.1 });
  setGrad(p, [0.5, -3]);
  opt.step();
  // m = 0.1 g, v = 0.001 g^2; with bias correction the step is lr * g / (|g| + 1e-8)
  assertClose(p.toArray(), [1 - 0.1 * 0.5 / (0.5 + 1e-8), -1 + 0.1 * 3 / (3 + 1e-8)], 1e-12);
  const st = opt.getState(p)!;
  assert.equal(st.step, 1);
  assertClose(st.buffers.get('exp_avg')!.toArray(), [0.05, -0.3], 1e-12);
  assertClose(st.buffers.get('exp_avg_sq')!.toArray(), [0.00025, 0.009], 1e-12);
});

test('Adam and AdamW follow the reference formulas for 3 steps', () => {
  const cases: [Partial<AdamHyper>, boolean][] = [
    [{ lr: 0.1 }, false],
    [{ lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 }, false],
    [{ lr: 0.05, amsgrad: true, weightDecay: 0.01 }, false],
    [{ lr: 0.1 }, true],
    [{ lr: 0.05, weightDecay: 0.3, betas: [0.5, 0.9] }, true],
    [{ lr: 0.05, weightDecay: 0.3, amsgrad: true }, true],
  ];
  for (const [h, decoupled] of cases) {
    const p = param([1, -2, 3]);
    const opt = decoupled ? new AdamW([p], h) : new Adam([p], h);
    for (const g of GRADS) {
      setGrad(p, g);
      opt.step();
    }
    assertClose(p.toArray(), reference([1, -2, 3], GRADS, h, decoupled), 1e-12, 0, `${decoupled ? 'AdamW' : 'Adam'} ${JSON.stringify(h)}`);
  }
});

test('AdamW decays weights even with a zero gradient; Adam with L2 does too, differently', () => {
  const a = param([2]), b = param([2]);
  const w = new AdamW([a], { lr: 0.1, weightDecay: 0.5 });
  const l2 = new Adam([b], { lr: 0.1, weightDecay: 0.5 });
  setGrad(a, [0]);
  setGrad(b, [0]);
  w.step();
  l2.step();
  assertClose(a.item(), 2 * (1 - 0.05), 1e-12); // m = 0: only the decay acts
  assertClose(b.item(), 2 - 0.1 * 1 / (1 + 1e-8), 1e-12); // the L2 gradient 1 goes through Adam
  assert.equal(w.kind, 'AdamW');
  assert.equal(w.paramGroups[0].weightDecay, 0.5);
  assert.equal(new AdamW([param([1])]).defaults.weightDecay, 0.01);
});

test('Adam validates betas and eps', () => {
  const p = param([1]);
  assert.throws(() => new Adam([p], { betas: [1, 0.999] }), /betas\[0\] must be a finite number in \[0, 1\), got 1/);
  assert.throws(() => new Adam([p], { betas: [0.9] as never }), /betas must be a pair/);
  assert.throws(() => new Adam([p], { eps: -1 }), /eps must be/);
});

test('Adam, AMSGrad and AdamW match torch.optim for 3 steps', { skip: skipWithoutTorch() }, async () => {
  const py = await PY;
  cfgs.forEach(([kind, , h], i) => {
    const p = param([1, -2, 3], 'float32');
    const opt = kind === 'AdamW' ? new AdamW([p], h) : new Adam([p], h);
    for (const g of GRADS) {
      setGrad(p, g);
      opt.step();
    }
    assertClose(p.toArray(), py[i], 1e-6, 0, `${kind} config ${i}`);
  });
});
