// Error reporting: bad calls throw a JS Error naming the op and the input shapes,
// and no C++ exception takes the process down. A child process also calls every
// native op with malformed arguments and must exit normally.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { F, Tensor, arange, cat, ones, randint, tensor, tidy, zeros } from '../src/tensor/index.js';
import { native } from '../src/tensor/native.js';

const CHILD = process.env.TANGLENAS_ERRORS_CHILD === '1';

/** Asserts fn throws an Error whose message matches every pattern. */
function throwsWith(fn: () => unknown, ...patterns: RegExp[]): Error {
  let caught: unknown;
  try {
    tidy(() => {
      fn();
    });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, `expected an Error, got ${caught === undefined ? 'no throw' : String(caught)}`);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

/** The process still computes correctly after errors. */
function stillWorks(): void {
  tidy(() => assert.deepEqual(tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]])).toArray(), [3, 7]));
}

if (CHILD) {
  runFuzz();
} else {
  describe('shape mismatches name the op and the input shapes', () => {
    test('matmul, mm, bmm', () => {
      throwsWith(() => ones([2, 3]).matmul(ones([4, 5])), /^matmul: /, /2x3 and 4x5/, /\(inputs: \[2,3\] float32, \[4,5\] float32\)/);
      throwsWith(() => ones([2, 3]).mm(ones([2, 3])), /^mm: /, /\[2,3\] float32, \[2,3\] float32/);
      throwsWith(() => ones([2, 3]).bmm(ones([2, 3, 4])), /^bmm: /, /\[2,3\] float32, \[2,3,4\] float32/);
      stillWorks();
    });
    test('conv2d channel and rank mismatches', () => {
      throwsWith(() => F.conv2d(ones([1, 3, 8, 8]), ones([4, 2, 3, 3])), /^conv2d: /, /channels/, /\[1,3,8,8\] float32, \[4,2,3,3\] float32/);
      throwsWith(() => F.conv2d(ones([1, 4, 8, 8]), ones([4, 2, 3, 3]), null, { groups: 3 }), /^conv2d: /, /\[1,4,8,8\]/);
      throwsWith(() => F.conv2d(ones([1, 1, 2, 2]), ones([1, 1, 3, 3])), /^conv2d: /, /Kernel size|too small|larger/i, /\[1,1,2,2\]/);
      throwsWith(() => F.conv2d(ones([1, 1, 4, 4]), ones([1, 1, 3, 3]), ones([2])), /^conv2d: /, /bias|\[2\]/);
      stillWorks();
    });
    test('cat, stack, add broadcasting, linear, view', () => {
      throwsWith(() => cat([ones([2, 3]), ones([2, 4])], 0), /^cat: /, /Sizes of tensors must match/, /\[2,3\] float32, \[2,4\] float32/);
      throwsWith(() => cat([ones([2, 3]), ones([2, 3])], 5), /^cat: /, /[Dd]imension out of range/);
      throwsWith(() => ones([2, 3]).add(ones([4])), /^add: /, /size of tensor a \(3\) must match/, /\[2,3\] float32, \[4\] float32/);
      throwsWith(() => F.linear(ones([2, 3]), ones([5, 4])), /^linear: /, /\[2,3\] float32, \[5,4\] float32/);
      throwsWith(() => ones([2, 3]).view(4, 2), /^view: /, /invalid for input of size 6/, /\[2,3\]/);
      throwsWith(() => ones([2, 3]).transpose(0, 1).view(6), /^view: /, /stride|contiguous/);
      stillWorks();
    });
    test('batch_norm and layer_norm with wrong dims', () => {
      throwsWith(() => F.batchNorm(ones([3]), { training: true }), /^batchNorm: /, /\[3\] float32/);
      throwsWith(() => F.batchNorm(ones([2, 3, 4]), { training: true, weight: ones([5]) }), /^batchNorm: /, /weight should contain 3 elements not 5/, /\[2,3,4\] float32, \[5\] float32/);
      throwsWith(() => F.batchNorm(ones([1, 3]), { training: true }), /^batchNorm: /, /more than 1 value per channel/);
      throwsWith(() => F.batchNorm(ones([2, 3]), { training: false, runningMean: zeros([2]), runningVar: ones([2]) }), /^batchNorm: /, /\[2,3\] float32, \[2\] float32/);
      throwsWith(() => F.layerNorm(ones([2, 3]), [4]), /^layerNorm: /, /normalized_shape/, /\[2,3\]/);
      stillWorks();
    });
  });

  describe('wrong dtypes and out-of-range indices', () => {
    test('float indices to embedding, indexSelect, gather, oneHot', () => {
      throwsWith(() => F.embedding(ones([4, 3]), tensor([0, 1])), /^embedding: /, /Long, Int/, /\[4,3\] float32, \[2\] float32/);
      throwsWith(() => ones([4, 3]).indexSelect(0, tensor([0, 1])), /^indexSelect: /, /int32 or int64/, /\[2\] float32/);
      throwsWith(() => ones([4, 3]).gather(1, tensor([[0], [1], [0], [1]])), /^gather: /, /int64/);
      throwsWith(() => F.crossEntropy(ones([2, 3]), tensor([0, 1], { dtype: 'int32' })), /^crossEntropy: /, /\[2,3\] float32, \[2\] int32/);
      throwsWith(() => ones([2]).to('float128' as never), /^to: /, /unknown dtype 'float128'/);
      throwsWith(() => ones([2], { dtype: 'int64' }).pow(-1), /^pow: /, /negative integer powers/);
      stillWorks();
    });
    test('out-of-range gather, narrow, select, indexSelect, embedding, crossEntropy target, oneHot', () => {
      throwsWith(() => ones([4, 3]).gather(1, tensor([[0], [5], [1], [1]], { dtype: 'int64' })), /^gather: /, /index 5 is out of bounds for dimension 1 with size 3/, /\[4,3\] float32, \[4,1\] int64/);
      throwsWith(() => ones([4, 3]).narrow(1, 2, 3), /^narrow: /, /exceeds dimension size/, /\[4,3\]/);
      throwsWith(() => ones([4, 3]).select(0, 9), /^select: /, /index 9 out of range/, /\[4,3\]/);
      throwsWith(() => ones([4, 3]).select(2, 0), /^select: /, /[Dd]imension out of range/);
      throwsWith(() => ones([4, 3]).indexSelect(0, tensor([0, 7], { dtype: 'int64' })), /^indexSelect: /, /out of range/, /\[2\] int64/);
      throwsWith(() => F.embedding(ones([4, 3]), tensor([0, 4], { dtype: 'int64' })), /^embedding: /, /out of range/);
      throwsWith(() => F.embedding(ones([4, 3]), tensor([-1], { dtype: 'int64' })), /^embedding: /, /out of range/);
      throwsWith(() => F.crossEntropy(ones([2, 3]), tensor([0, 7], { dtype: 'int64' })), /^crossEntropy: /, /out of bounds/);
      throwsWith(() => F.crossEntropy(ones([2, 3]), tensor([0, 1, 2], { dtype: 'int64' })), /^crossEntropy: /, /\[2,3\] float32, \[3\] int64/);
      throwsWith(() => tensor([0, 3], { dtype: 'int64' }).gather(0, tensor([2], { dtype: 'int64' })), /^gather: /, /out of bounds/);
      throwsWith(() => F.maxPool2d(ones([1, 1, 2, 2]), 3), /^maxPool2d: /, /\[1,1,2,2\]/);
      stillWorks();
    });
  });

  describe('disposed tensors and non-tensors', () => {
    test('using a disposed tensor names the op and the argument', () => {
      const a = ones([2, 3]);
      a.dispose();
      assert.equal(a.isDisposed, true);
      a.dispose(); // idempotent
      throwsWith(() => a.add(1), /^add: argument 0: tensor was disposed/);
      throwsWith(() => ones([2, 3]).add(a), /^add: argument 1: tensor was disposed/, /inputs: \[2,3\] float32, <disposed>/);
      throwsWith(() => ones([3, 2]).matmul(a), /^matmul: argument 1: tensor was disposed/);
      throwsWith(() => cat([ones([2, 3]), a]), /^cat: argument 0\[1\]: tensor was disposed/);
      throwsWith(() => a.toArray(), /disposed/);
      throwsWith(() => a.sum(), /^sum: .*disposed/);
      // A tensor disposed by tidy: the classic mistake of using a scope-local result outside.
      let leaked: Tensor | undefined;
      tidy(() => {
        leaked = ones([2]).mul(2);
      });
      throwsWith(() => leaked!.sum(), /^sum: argument 0: tensor was disposed/);
      stillWorks();
    });

    test('passing a non-tensor where a tensor is expected', () => {
      const x = ones([2, 2]);
      throwsWith(() => x.matmul(null as never), /^matmul: argument 1: expected a Tensor/, /inputs: \[2,2\] float32/);
      throwsWith(() => x.matmul(undefined as never), /^matmul: argument 1: expected a Tensor/);
      throwsWith(() => x.matmul(3 as never), /^matmul: argument 1: expected a Tensor/);
      throwsWith(() => x.add({} as never), /^add: argument 1: expected a Tensor or a number/);
      throwsWith(() => x.add('1' as never), /^add: argument 1: expected a Tensor or a number/);
      throwsWith(() => x.mul([1, 2] as never), /^mul: argument 1: expected a Tensor or a number/);
      throwsWith(() => cat([x, null as never]), /^cat: argument 0\[1\]: expected a Tensor/);
      throwsWith(() => cat(null as never), /^cat: argument 0: expected an array of Tensors/);
      throwsWith(() => F.relu(null as never), /^relu: argument 0: expected a Tensor/);
      throwsWith(() => F.relu([1, 2] as never), /^relu: argument 0: expected a Tensor/);
      throwsWith(() => F.conv2d(ones([1, 1, 3, 3]), 'w' as never), /^conv2d: argument 1: expected a Tensor/, /\[1,1,3,3\] float32/);
      throwsWith(() => F.embedding(ones([3, 2]), [0, 1] as never), /^embedding: argument 1: expected a Tensor/);
      throwsWith(() => x.gather(0, {} as never), /^gather: argument 2: expected a Tensor/);
      throwsWith(() => x.reshape(2, 'a' as never), /^reshape: argument 1\[1\]: expected an integer/);
      throwsWith(() => x.narrow(0, 0.5, 1), /^narrow: argument 2: expected an integer, got 0.5/);
      throwsWith(() => x.narrow(0, NaN, 1), /^narrow: argument 2: expected an integer/);
      throwsWith(() => x.select(0, Infinity), /^select: argument 2: expected an integer/);
      throwsWith(() => x.transpose(0, 2 ** 70), /^transpose: argument 2: expected an integer/);
      throwsWith(() => native.free({}), /^free: argument 0: expected a Tensor/);
      throwsWith(() => native.shape(42), /^shape: argument 0: expected a Tensor/);
      stillWorks();
    });
  });

  describe('bad creation arguments', () => {
    test('negative or fractional shapes, bad ranges', () => {
      throwsWith(() => zeros([-1]), /^zeros: shape \[-1\]/);
      throwsWith(() => ones([2.5]), /^ones: shape/);
      throwsWith(() => native.zeros([-1, 2], 'float32', 'cpu'), /^zeros: .*negative dimension -1/);
      throwsWith(() => native.randn([2, -3], 'float32', 'cpu'), /^randn: .*negative dimension/);
      throwsWith(() => ones([6]).reshape(-1, -1), /^reshape: .*only one dimension can be inferred/);
      throwsWith(() => ones([6]).reshape(-2, 3), /^reshape: .*invalid shape dimension -2/);
      throwsWith(() => arange(0, 1, 0), /^arange: .*step must be nonzero/);
      throwsWith(() => arange(0, 10, -1), /^arange: /);
      throwsWith(() => randint(5, 1, [3]), /^randint: .*from.*to|^randint: /);
      throwsWith(() => ones([2]).split(0), /^split: /);
      throwsWith(() => ones([2]).chunk(0), /^chunk: .*greater than 0/);
      throwsWith(() => tensor([1, 2]).item(), /^item: .*one element, got 2/);
      throwsWith(() => ones([2]).toDevice('gpu'), /^toDevice: .*unknown device 'gpu'/);
      throwsWith(() => F.crossEntropy(ones([2, 3]), tensor([0, 1], { dtype: 'int64' }), { reduction: 'avg' as never }), /^crossEntropy: .*unknown reduction 'avg'/);
      throwsWith(() => ones([2]).pad([1], 'reflect'), /^pad: /);
      stillWorks();
    });

    test('autograd misuse', () => {
      const x = ones([2], { requiresGrad: true });
      throwsWith(() => x.mul(2).backward(), /^backward: .*scalar/);
      throwsWith(() => x.add_(1), /^add_: .*leaf Variable that requires grad/);
      throwsWith(() => ones([2]).sum().backward(), /^backward: .*does not require grad/);
      const y = x.exp().sum();
      y.backward();
      throwsWith(() => y.backward(), /^backward: .*second time/);
      throwsWith(() => x.mul(2).sum().backward(ones([3])), /^backward: .*shape/);
      throwsWith(() => {
        x.grad = zeros([3]);
      }, /^setGrad: assigned grad \[3\] float32 on cpu does not match the tensor \[2\] float32/);
      throwsWith(() => {
        x.grad = zeros([2], { dtype: 'float64' });
      }, /^setGrad: .*float64.*does not match/);
      x.grad = zeros([2]);
      x.dispose();
      y.dispose();
      stillWorks();
    });
  });

  test('many errors in a row leave the engine usable and memory bounded', () => {
    for (let i = 0; i < 300; i++) {
      assert.throws(() => tidy(() => ones([2, 3]).matmul(ones([4, 5]))), /matmul/);
      assert.throws(() => tidy(() => ones([4, 3]).gather(1, tensor([[9]], { dtype: 'int64' }))), /gather/);
      assert.throws(() => tidy(() => F.conv2d(ones([1, 3, 4, 4]), ones([1, 2, 3, 3]))), /conv2d/);
    }
    stillWorks();
  });

  test('every native op survives malformed arguments (child process must exit normally)', () => {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, TANGLENAS_ERRORS_CHILD: '1', TANGLENAS_THREADS: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.signal, null, `child killed by ${r.signal} (a C++ exception or crash aborted it)\n${r.stderr.slice(-2000)}`);
    assert.equal(r.status, 0, `child exited with ${r.status}\n${r.stdout.slice(-1000)}\n${r.stderr.slice(-2000)}`);
    const m = /fuzz calls=(\d+) threw=(\d+)/.exec(r.stdout);
    assert.ok(m, `no summary line in child output:\n${r.stdout.slice(-1000)}`);
    assert.ok(Number(m[1]) > 1000, `only ${m[1]} calls made`);
    assert.ok(Number(m[2]) > Number(m[1]) / 2, 'most malformed calls should throw');
  });
}

/**
 * Calls every registered native op with combinations of malformed arguments.
 * Any throw must be a JS Error; anything else (abort, segfault) kills the
 * process, which the parent test reports.
 */
function runFuzz(): void {
  // Ops that would change process-wide state in ways that slow the run down.
  const skip = new Set(['setNumThreads']);
  const t = (): unknown => ones([2, 3]).h;
  const disposed = (): unknown => {
    const d = ones([2]);
    d.dispose();
    return d.h;
  };
  const atoms: (() => unknown)[] = [
    () => undefined, () => null, () => 0, () => -1, () => 1.5, () => NaN, () => -Infinity, () => 2 ** 64, () => 'x', () => '',
    () => true, () => 'float32', () => ({}), () => [], () => [2, 3], () => [-1], () => [1.5], () => ['a'], () => [null], () => new Float32Array(3),
    () => new Uint8Array(0), t, () => tensor([1, 2], { dtype: 'int64' }).h, () => tensor([true]).h, () => zeros([0]).h, disposed,
    () => [t(), t()], () => [t(), 1], () => [disposed()],
  ];
  let calls = 0;
  let threw = 0;
  const rnd = (() => {
    let s = 12345;
    return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  })();
  for (const name of Object.keys(native).sort()) {
    if (skip.has(name)) continue;
    const fn = native[name];
    const argLists: unknown[][] = [[]];
    for (const a of atoms) argLists.push([a()], [t(), a()], [t(), a(), a()]);
    for (let k = 0; k < 40; k++) {
      const n = 1 + Math.floor(rnd() * 6);
      argLists.push(Array.from({ length: n }, () => atoms[Math.floor(rnd() * atoms.length)]()));
    }
    for (const args of argLists) {
      calls++;
      try {
        tidy(() => {
          const out = fn(...args);
          // Free native results so the run stays small.
          const free = (h: unknown): void => {
            if (Array.isArray(h)) h.forEach(free);
            else if (h !== null && typeof h === 'object' && !(h instanceof ArrayBuffer)) {
              try {
                native.free(h);
              } catch {
                /* not a handle */
              }
            }
          };
          free(out);
        });
      } catch (e) {
        threw++;
        if (!(e instanceof Error)) {
          console.log(`op ${name} threw a non-Error: ${String(e)}`);
          process.exit(3);
        }
      }
    }
    native.setGradEnabled(true);
  }
  stillWorks();
  console.log(`fuzz calls=${calls} threw=${threw}`);
}
