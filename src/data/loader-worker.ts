// The ImageLoader's worker thread: assembles uint8 batches (crop, flip) into
// shared slots while the main thread computes. No libtorch here.
import { workerData } from 'node:worker_threads';
import { assembleBatch, type BatchPlan } from './augment.js';
import { CTRL, ERROR_BYTES, planWords, type WorkerInit } from './loader-shared.js';

const init = workerData as WorkerInit;
const ctrl = new Int32Array(init.ctrl);
const images = new Uint8Array(init.images, init.imagesOffset, init.imagesLength);
const plans = new Int32Array(init.plans);
const outs = new Uint8Array(init.outs);
const words = planWords(init.batchSize);
const sampleBytes = init.channels * init.height * init.width;
const geometry = { channels: init.channels, height: init.height, width: init.width };

let done = Atomics.load(ctrl, CTRL.DONE);
try {
  for (;;) {
    let posted = Atomics.load(ctrl, CTRL.POSTED);
    while (posted === done && Atomics.load(ctrl, CTRL.STOP) === 0) {
      Atomics.wait(ctrl, CTRL.POSTED, posted);
      posted = Atomics.load(ctrl, CTRL.POSTED);
    }
    if (Atomics.load(ctrl, CTRL.STOP) !== 0) break;
    const slot = done % init.slots;
    const p = slot * words;
    const bs = init.batchSize;
    const plan: BatchPlan = {
      count: plans[p],
      crop: plans[p + 1] !== 0,
      pad: plans[p + 2],
      indices: plans.subarray(p + 3, p + 3 + bs),
      dy: plans.subarray(p + 3 + bs, p + 3 + 2 * bs),
      dx: plans.subarray(p + 3 + 2 * bs, p + 3 + 3 * bs),
      flip: plans.subarray(p + 3 + 3 * bs, p + 3 + 4 * bs),
    };
    const out = outs.subarray(slot * bs * sampleBytes, (slot + 1) * bs * sampleBytes);
    assembleBatch(images, geometry, plan, out);
    done++;
    Atomics.store(ctrl, CTRL.DONE, done);
    Atomics.notify(ctrl, CTRL.DONE);
  }
} catch (e) {
  const msg = new TextEncoder().encode(String((e as Error)?.stack ?? e)).subarray(0, ERROR_BYTES);
  new Uint8Array(init.errors).set(msg);
  Atomics.store(ctrl, CTRL.ERROR_LEN, msg.length);
  Atomics.store(ctrl, CTRL.ERROR, 1);
  Atomics.notify(ctrl, CTRL.DONE);
}
