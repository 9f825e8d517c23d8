import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, type DType, type Tensor } from '../../tensor/index.js';
import { assertClose, pythonEarly, skipWithoutTorch } from '../test-util.js';
import { SGD, type SGDHyper } from './sgd.js';

function param(values: number[], dtype: DType = 'float64'): Tensor {
  return tensor(values, { dtype, requiresGrad: true });
}
function setGrad(p: Tensor, g: number[]): void {
  p.grad = tensor(g, { dtype: p.dtype });
}

/** torch.optim.SGD's update written out in plain JS. */
function reference(p0: number[], grads: number[][], h: Partial<SGDHyper> & { lr: number }): number[] {
  const { lr, momentum = 0, dampening = 0, weightDecay: wd = 0, nesterov = false } = h;
  let p = [...p0];
  let buf: number[] | null = null;
  for (const g of grads) {
    let d = g.map((gi, i) => gi + wd * p[i]);
    if (momentum !== 0) {
      buf = buf === null ? [...d] : buf.map((b, i) => momentum * b + (1 - dampening) * d[i]);
      const b = buf;
      d = nesterov ? d.map((x, i) => x + momentum * b[i]) : b;
    }
    p = p.map((x, i) => x - lr * d[i]);
  }
  return p;
}

const GRADS = [[0.5, -1, 2], [0.25, 0.5, -1.5], [-0.75, 0.1, 0.3]];

// Parity data: Python starts now so its start-up overlaps the other tests.
const cfgs = [
  { lr: 0.1, momentum: 0.9, weight_decay: 0.1, nesterov: true },
  { lr: 0.05, momentum: 0.7, dampening: 0.2, weight_decay: 0.01 },
  { lr: 0.3, maximize: true, weight_decay: 0.5 },
];
const PY = pythonEarly(`
import json, sys, torch
inp = json.load(sys.stdin)
out = []
for cfg in inp['cfgs']:
    p = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = torch.optim.SGD([p], **cfg)
    for g in inp['grads']:
        p.grad = torch.tensor(g)
        opt.step()
    out.append(p.tolist())
print(json.dumps(out))
`, { cfgs, grads: GRADS });

test('SGD with momentum, Nesterov and weight decay: hand-computed values', () => {
  const p = param([1]);
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true });
  const want = [0.886, 0.725566, 0.525363646];
  for (const w of want) {
    setGrad(p, [0.5]);
    opt.step();
    assertClose(p.item(), w, 1e-12);
  }
  assert.equal(opt.getState(p)!.step, 3);
});

test('SGD variants follow the reference formulas for 3 steps', () => {
  const cases: (Partial<SGDHyper> & { lr: number })[] = [
    { lr: 0.1 },
    { lr: 0.05, weightDecay: 0.01 },
    { lr: 0.1, momentum: 0.9 },
    { lr: 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 0.02 },
    { lr: 0.2, momentum: 0.5, nesterov: true, weightDecay: 0.05 },
  ];
  for (const h of cases) {
    const p = param([1, -2, 3]);
    const opt = new SGD([p], h);
    for (const g of GRADS) {
      setGrad(p, g);
      opt.step();
    }
    assertClose(p.toArray(), reference([1, -2, 3], GRADS, h), 1e-12, 0, JSON.stringify(h));
  }
});

test('SGD maximize ascends; parameters without a gradient are skipped', () => {
  const p = param([1]), q = param([5]);
  const opt = new SGD([p, q], { lr: 0.5, maximize: true });
  setGrad(p, [2]);
  opt.step();
  assert.equal(p.item(), 2);
  assert.equal(q.item(), 5);
  assert.equal(opt.getState(q), undefined);
});

test('SGD param groups have their own hyperparameters; setLr sets all', () => {
  const a = param([1]), b = param([1]);
  const opt = new SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.1 });
  setGrad(a, [1]);
  setGrad(b, [1]);
  opt.step();
  assertClose([a.item(), b.item()], [0.9, 0], 1e-12);
  opt.setLr(0.5);
  assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.5, 0.5]);
  assert.equal(opt.lr, 0.5);
});

test('SGD validates hyperparameters and parameters', () => {
  const p = param([1]);
  assert.throws(() => new SGD([p], { lr: -1 }), /lr must be a finite number in \[0, Infinity\], got -1/);
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /nesterov needs momentum > 0 and dampening 0/);
  assert.throws(() => new SGD([], { lr: 0.1 }), /empty parameter list/);
  assert.throws(() => new SGD([p, p], { lr: 0.1 }), /appears more than once/);
  assert.throws(() => new SGD([p.mul(2)], { lr: 0.1 }), /not a leaf tensor/);
  assert.throws(() => new SGD([{ params: [p], weight_decay: 1 } as never], { lr: 0.1 }), /unknown hyperparameter 'weight_decay'/);
});

test('zeroGrad drops or zeroes gradients', () => {
  const p = param([1, 2]);
  const opt = new SGD([p], { lr: 0.1 });
  setGrad(p, [3, 4]);
  opt.zeroGrad(false);
  assert.deepEqual(p.grad!.toArray(), [0, 0]);
  opt.zeroGrad();
  assert.equal(p.grad, null);
});

test('SGD matches torch.optim.SGD for 3 steps', { skip: skipWithoutTorch() }, async () => {
  const py = await PY;
  const ours: (Partial<SGDHyper> & { lr: number })[] = [
    { lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true },
    { lr: 0.05, momentum: 0.7, dampening: 0.2, weightDecay: 0.01 },
    { lr: 0.3, maximize: true, weightDecay: 0.5 },
  ];
  ours.forEach((h, i) => {
    const p = param([1, -2, 3], 'float32');
    const opt = new SGD([p], h);
    for (const g of GRADS) {
      setGrad(p, g);
      opt.step();
    }
    assertClose(p.toArray(), py[i], 1e-6, 0, `config ${i}`);
  });
});
