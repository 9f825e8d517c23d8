import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../tensor/index.js';
import { assertClose, pythonEarly, skipWithoutTorch } from '../test-util.js';
import { CosineAnnealingLR, LRScheduler, cosineAnnealing, cosineWithWarmup } from './schedule.js';
import { SGD } from './sgd.js';

test('cosineWithWarmup: linear warm-up, cosine decay, floor', () => {
  const f = cosineWithWarmup({ baseLr: 1, minLr: 0.1, warmupSteps: 4, totalSteps: 14 });
  assert.deepEqual([0, 1, 2, 3].map(f), [0.25, 0.5, 0.75, 1]);
  assert.equal(f(4), 1); // decay starts at baseLr
  assertClose(f(9), 0.55, 1e-12); // half-way: (1 + 0.1) / 2
  assertClose(f(6), 0.1 + 0.9 * (1 + Math.cos(Math.PI * 0.2)) / 2, 1e-12);
  assertClose(f(13), 0.1 + 0.9 * (1 + Math.cos(Math.PI * 0.9)) / 2, 1e-12);
  assert.equal(f(14), 0.1);
  assert.equal(f(1000), 0.1);
  for (let s = 4; s < 14; s++) assert.ok(f(s + 1) <= f(s), `monotone decay at ${s}`);
});

test('cosineWithWarmup without warm-up and with warm-up spanning everything', () => {
  const f = cosineWithWarmup({ baseLr: 2, warmupSteps: 0, totalSteps: 10 });
  assert.equal(f(0), 2);
  assertClose(f(5), 1, 1e-12);
  assert.equal(f(10), 0);
  const g = cosineWithWarmup({ baseLr: 2, warmupSteps: 10, totalSteps: 10 });
  assert.equal(g(9), 2);
  assert.equal(g(10), 0);
});

test('cosineWithWarmup validates its options', () => {
  assert.throws(() => cosineWithWarmup({ baseLr: 1, warmupSteps: 5, totalSteps: 4 }), /warmupSteps \(5\) exceeds totalSteps \(4\)/);
  assert.throws(() => cosineWithWarmup({ baseLr: -1, warmupSteps: 0, totalSteps: 4 }), /baseLr must be/);
  assert.throws(() => cosineWithWarmup({ baseLr: 1, warmupSteps: 0, totalSteps: 4 })(-1), /step must be a non-negative integer/);
});

test('cosineAnnealing: closed form at key epochs', () => {
  const f = cosineAnnealing({ baseLr: 0.1, tMax: 10, etaMin: 0.001 });
  assert.equal(f(0), 0.1);
  assertClose(f(5), (0.1 + 0.001) / 2, 1e-15);
  assertClose(f(10), 0.001, 1e-15);
  assertClose(f(15), (0.1 + 0.001) / 2, 1e-15); // rises again past tMax, like PyTorch
  assert.throws(() => cosineAnnealing({ baseLr: 0.1, tMax: 0 }), /tMax must be a positive integer/);
});

test('CosineAnnealingLR drives the optimizer per epoch and restores its position', () => {
  const opt = new SGD([{ params: [tensor([1], { requiresGrad: true })] }, { params: [tensor([1], { requiresGrad: true })], lr: 0.5 }], { lr: 0.1 });
  const s = new CosineAnnealingLR(opt, 4, 0.01);
  assert.deepEqual(s.getLastLr(), [0.1, 0.5]);
  s.step();
  s.step();
  assertClose(s.getLastLr(), [(0.1 + 0.01) / 2, (0.5 + 0.01) / 2], 1e-15);
  const saved = s.stateDict();
  const opt2 = new SGD([tensor([1], { requiresGrad: true }), tensor([2], { requiresGrad: true })].map((p) => ({ params: [p] })), { lr: 0.1 });
  const s2 = new LRScheduler(opt2, (e, base) => cosineAnnealing({ baseLr: base, tMax: 4, etaMin: 0.01 })(e));
  s2.loadStateDict(saved);
  assertClose(opt2.paramGroups.map((g) => g.lr), s.getLastLr(), 0);
});

// Started early so Python's start-up overlaps the other tests.
const PY = pythonEarly(`
import json, torch
p = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([p], lr=0.05)
s = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=0.001)
lrs = []
for epoch in range(20):
    lrs.append(opt.param_groups[0]['lr'])
    opt.step(); s.step()
print(json.dumps(lrs))
`);

test('CosineAnnealingLR matches torch.optim.lr_scheduler.CosineAnnealingLR', { skip: skipWithoutTorch() }, async () => {
  const py = await PY;
  const opt = new SGD([tensor([0], { requiresGrad: true })], { lr: 0.05 });
  const s = new CosineAnnealingLR(opt, 7, 0.001);
  const ours: number[] = [];
  for (let e = 0; e < 20; e++) {
    ours.push(opt.lr);
    s.step();
  }
  assertClose(ours, py, 1e-12, 0, 'lr');
});
