import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveTensorCount, noGrad, tensor, type Tensor } from '../../tensor/index.js';
import { loadFile, saveFile } from '../safetensors.js';
import { Adam } from './adam.js';
import { AdamW } from './adamw.js';
import { clipGradNorm } from './clip.js';
import type { Optimizer, Hyper, OptimizerMeta } from './optimizer.js';
import { SGD } from './sgd.js';

function params(): Tensor[] {
  return [tensor([1, -2, 3], { requiresGrad: true }), tensor([[0.5, 0.25], [-1, 2]], { requiresGrad: true })];
}
function grads(k: number): number[][] {
  return [[0.5 * k, -1, 2 - k], [0.1, -0.2 * k, 0.3, 0.4 + k]];
}
function stepWith<H extends Hyper>(opt: Optimizer<H>, ps: Tensor[], k: number): void {
  grads(k).forEach((g, i) => (ps[i].grad = tensor(g, { shape: ps[i].shape })));
  opt.step();
}
function clone(ps: Tensor[]): Tensor[] {
  return ps.map((p) => noGrad(() => p.detach().clone()).requiresGrad_(true));
}

const makers: [string, (ps: Tensor[]) => Optimizer<Hyper>][] = [
  ['SGD', (ps) => new SGD([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.05 }], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }) as never],
  ['Adam', (ps) => new Adam(ps, { lr: 0.01, amsgrad: true }) as never],
  ['AdamW', (ps) => new AdamW(ps, { lr: 0.02 }) as never],
];

for (const [name, make] of makers) {
  test(`${name}: exported and re-imported state gives identical subsequent steps`, () => {
    const a = params();
    const optA = make(a);
    stepWith(optA, a, 1);
    stepWith(optA, a, 2);
    const sd = optA.stateDict();
    // JSON part survives a text round trip; tensors are copies.
    const meta = JSON.parse(JSON.stringify(sd.meta)) as OptimizerMeta;
    assert.equal(meta.kind, name);
    assert.deepEqual(meta.state, { 0: { step: 2 }, 1: { step: 2 } });
    assert.deepEqual(meta.paramGroups.flatMap((g) => g.params), [0, 1]);

    const b = clone(a);
    const optB = make(b);
    optB.setLr(123); // overwritten by the load
    optB.loadStateDict({ meta, tensors: sd.tensors });
    for (const t of sd.tensors.values()) t.dispose(); // the optimizer holds copies
    assert.deepEqual(optB.paramGroups.map((g) => g.lr), optA.paramGroups.map((g) => g.lr));
    for (const k of [3, 4]) {
      stepWith(optA, a, k);
      stepWith(optB, b, k);
    }
    a.forEach((p, i) => assert.deepEqual(b[i].toArray(), p.toArray(), `param ${i}`));
    optA.dispose();
    optB.dispose();
  });
}

test('optimizer state goes through a safetensors file (JSON in the metadata)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tn-optim-'));
  try {
    const a = params();
    const optA = new Adam(a, { lr: 0.05, weightDecay: 0.1 });
    stepWith(optA, a, 1);
    const sd = optA.stateDict();
    assert.deepEqual([...sd.tensors.keys()].sort(), ['state.0.exp_avg', 'state.0.exp_avg_sq', 'state.1.exp_avg', 'state.1.exp_avg_sq']);
    saveFile(join(dir, 'optim.safetensors'), sd.tensors, { optimizer: JSON.stringify(sd.meta) });

    const b = clone(a);
    const optB = new Adam(b, { lr: 0.05, weightDecay: 0.1 });
    const { tensors, metadata } = loadFile(join(dir, 'optim.safetensors'));
    optB.loadStateDict({ meta: JSON.parse(metadata.optimizer), tensors });
    stepWith(optA, a, 2);
    stepWith(optB, b, 2);
    a.forEach((p, i) => assert.deepEqual(b[i].toArray(), p.toArray()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadStateDict rejects mismatched states and changes nothing when it does', () => {
  const a = params();
  const adam = new Adam(a, { lr: 0.01 });
  stepWith(adam, a, 1);
  const sd = adam.stateDict();
  const sgd = new SGD(clone(a), { lr: 0.1, momentum: 0.9 });
  assert.throws(() => sgd.loadStateDict(sd), /saved by Adam, not SGD/);

  const other = new Adam([tensor([1, 2], { requiresGrad: true }), tensor([[1, 2], [3, 4]], { requiresGrad: true })]);
  assert.throws(() => other.loadStateDict(sd), /'state\.0\.exp_avg' has shape \[3\] but parameter 0 has shape \[2\]/);
  assert.equal(other.getState(other.paramGroups[0].params[0]), undefined);

  const two = new Adam([{ params: [clone(a)[0]] }, { params: [clone(a)[1]] }]);
  assert.throws(() => two.loadStateDict(sd), /the state has 1 param groups, this optimizer 2/);

  const b = clone(a);
  const fresh = new Adam(b, { lr: 0.01 });
  const missing = new Map(sd.tensors);
  missing.delete('state.1.exp_avg_sq');
  assert.throws(() => fresh.loadStateDict({ meta: sd.meta, tensors: missing }), /parameter 1 has taken 1 steps but its 'exp_avg_sq' buffer is missing/);
  const stray = new Map(sd.tensors).set('state.0.bogus name', tensor([1, 2, 3]));
  assert.throws(() => fresh.loadStateDict({ meta: sd.meta, tensors: stray }), /unexpected tensor name 'state\.0\.bogus name'/);
  assert.throws(() => fresh.loadStateDict({ meta: { ...sd.meta, paramGroups: [{ ...sd.meta.paramGroups[0], lr: -1 }] }, tensors: sd.tensors }), /lr must be/);
  assert.equal(fresh.lr, 0.01);
  assert.equal(fresh.getState(b[0]), undefined);
});

test('step(), zeroGrad() and clipGradNorm() leave no tensors behind', () => {
  for (const [name, make] of makers) {
    const ps = params();
    const opt = make(ps);
    const setGrads = (k: number): void => {
      grads(k).forEach((g, i) => {
        const t = tensor(g, { shape: ps[i].shape });
        ps[i].grad = t;
        t.dispose(); // the parameter keeps its own reference
      });
    };
    setGrads(1);
    opt.step(); // creates the state buffers
    const before = liveTensorCount();
    for (let k = 2; k < 5; k++) {
      setGrads(k);
      clipGradNorm(ps, 0.5);
      opt.step();
      opt.zeroGrad(k % 2 === 0);
    }
    const sd = opt.stateDict();
    opt.loadStateDict(sd);
    for (const t of sd.tensors.values()) t.dispose();
    // Only a growth is a leak: the garbage collector may free earlier tests' undisposed tensors meanwhile.
    assert.ok(liveTensorCount() <= before, `${name} leaked tensors: ${liveTensorCount()} live, ${before} before`);
    opt.dispose();
  }
});
