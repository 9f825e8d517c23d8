import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, type Tensor } from '../../tensor/index.js';
import { assertClose, pythonEarly, skipWithoutTorch } from '../test-util.js';
import { clipGradNorm } from './clip.js';

function withGrads(gs: number[][]): Tensor[] {
  return gs.map((g) => {
    const p = tensor(g.map(() => 0), { requiresGrad: true });
    p.grad = tensor(g);
    return p;
  });
}

// Parity data: Python starts now so its start-up overlaps the other tests.
const gs = [[0.5, -1.5, 2.25], [3, -0.125], [-4, 0.75, 1, 1]];
const cases: [number, number][] = [[1, 2], [10, 2], [2, 1], [0.5, Infinity], [3, 3]];
const PY = pythonEarly(`
import json, sys, torch
inp = json.load(sys.stdin)
out = []
for max_norm, p in inp['cases']:
    ps = []
    for g in inp['gs']:
        t = torch.zeros(len(g), requires_grad=True); t.grad = torch.tensor(g); ps.append(t)
    total = torch.nn.utils.clip_grad_norm_(ps, max_norm, float('inf') if p is None else p)
    out.append([float(total), [t.grad.tolist() for t in ps]])
print(json.dumps(out))
`, { gs, cases: cases.map(([m, p]) => [m, p === Infinity ? null : p]) });

test('clipGradNorm scales by maxNorm / (total + 1e-6) when the total exceeds maxNorm', () => {
  const ps = withGrads([[3, 0], [0, 4]]); // total 2-norm 5
  const total = clipGradNorm(ps, 1);
  assertClose(total, 5, 1e-6);
  const c = 1 / (5 + 1e-6);
  assertClose(ps[0].grad!.toArray(), [3 * c, 0], 1e-7);
  assertClose(ps[1].grad!.toArray(), [0, 4 * c], 1e-7);
});

test('clipGradNorm leaves small gradients alone and returns their norm', () => {
  const ps = withGrads([[0.3, -0.4]]);
  assertClose(clipGradNorm(ps, 1), 0.5, 1e-7);
  assertClose(ps[0].grad!.toArray(), [0.3, -0.4], 1e-7);
});

test('clipGradNorm supports other p-norms and the max norm', () => {
  let ps = withGrads([[1, -2], [3]]);
  assertClose(clipGradNorm(ps, 100, 1), 6, 1e-6);
  ps = withGrads([[1, -2], [3]]);
  assertClose(clipGradNorm(ps, 1.5, Infinity), 3, 1e-6);
  assertClose(ps[1].grad!.toArray(), [3 * (1.5 / (3 + 1e-6))], 1e-6);
  assertClose(ps[0].grad!.toArray(), [0.5, -1], 1e-6);
});

test('clipGradNorm skips parameters without gradients and reports non-finite norms', () => {
  const none = tensor([1, 2], { requiresGrad: true });
  assert.equal(clipGradNorm([none], 1), 0);
  const ps = withGrads([[NaN, 1]]);
  assert.ok(Number.isNaN(clipGradNorm(ps, 1)));
  assert.throws(() => clipGradNorm(withGrads([[Infinity]]), 1, 2, { errorIfNonfinite: true }), /total 2-norm of the gradients is Infinity/);
  assert.throws(() => clipGradNorm([], -1), /maxNorm must be/);
});

test('clipGradNorm matches torch.nn.utils.clip_grad_norm_', { skip: skipWithoutTorch() }, async () => {
  const py = await PY;
  cases.forEach(([m, p], i) => {
    const ps = withGrads(gs);
    assertClose(clipGradNorm(ps, m, p), py[i][0], 1e-6, 1e-6, `total ${i}`);
    ps.forEach((t, j) => assertClose(t.grad!.toArray(), py[i][1][j], 1e-6, 1e-6, `case ${i} grad ${j}`));
  });
});
