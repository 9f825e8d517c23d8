// bench/step: seconds per TangleNAS bi-level step (DrNAS + WE superposition,
// batch 64) on the toy conv-macro space, against the FLOPs of that step and the
// machine's sgemm peak measured in the same run. Run by hand:
//
//   node dist/bench/step.js [--steps N] [--batch B] [--all]
//
// FLOPs of one step: the superposed convs and linears always run at full size,
// so one forward costs F = MACs of the largest architecture. The architect's
// backward needs input gradients and the mixed weights' gradients (alpha depends
// on them): 2F; the weight step is another F + 2F. Step = 6F MACs = 12F FLOPs
// per sample. Target: time / (FLOPs / peak) <= 1.25. The reference takes 2.26 s
// per such step on this machine class (2 threads; reference-facts 10.2).
import { performance } from 'node:perf_hooks';
import { manualSeed } from '../src/tensor/random.js';
import { getNumThreads } from '../src/tensor/runtime.js';
import { tidy } from '../src/tensor/scope.js';
import { Architect } from '../src/nas/architect.js';
import { bilevelStep } from '../src/nas/bilevel.js';
import { createSampler } from '../src/nas/samplers/index.js';
import { createSpace } from '../src/spaces/index.js';
import { largestArchitecture, median, randomBatch, referenceOptimizer, sgemmGflops } from './nas-setup.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function timeSteps(spaceName: string, form: 'we' | 'ws', samplerName: string, batch: number, steps: number): { median: number; flops: number } {
  manualSeed(0);
  const space = createSpace(spaceName, { form });
  const sampler = createSampler(samplerName);
  const architect = new Architect(space, sampler);
  const opt = referenceOptimizer(space, space.supernet.parameters());
  const train = randomBatch(space, batch);
  const val = randomBatch(space, batch);
  const largest = largestArchitecture(space);
  const F = tidy(() => space.expectedCost(space.fixed(largest, 'superposition')).flops.item());
  bilevelStep(space, sampler, architect, opt, train, val); // warm-up: masks, allocator
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    bilevelStep(space, sampler, architect, opt, train, val);
    times.push((performance.now() - t0) / 1000);
  }
  space.supernet.dispose();
  return { median: median(times), flops: 12 * F * batch };
}

const steps = arg('--steps', 5);
const batch = arg('--batch', 64);
const peak = sgemmGflops();
console.log(`threads ${getNumThreads()}, sgemm peak ${peak.toFixed(1)} GFLOP/s (2048x2048, median of 5)`);
const we = timeSteps('toy-conv-macro', 'we', 'drnas', batch, steps);
const ideal = we.flops / (peak * 1e9);
console.log(`TangleNAS (DrNAS, WE) toy-conv-macro, batch ${batch}: median ${we.median.toFixed(3)} s/step over ${steps} steps; ` +
  `${(we.flops / 1e9).toFixed(1)} GFLOP/step -> ideal ${ideal.toFixed(3)} s at peak; ratio ${(we.median / ideal).toFixed(2)} (target <= 1.25); reference 2.26 s`);
// The same ratio for plain training of the largest sub-network (forward + backward
// = 3F MACs per sample): how close libtorch's kernels themselves get to the peak.
{
  manualSeed(0);
  const space = createSpace('toy-conv-macro');
  const net = space.subnet(largestArchitecture(space), { inherit: false });
  const opt = referenceOptimizer(space, net.parameters());
  const { x, y } = randomBatch(space, batch);
  const F = tidy(() => space.expectedCost(space.fixed(largestArchitecture(space), 'superposition')).flops.item());
  const step = () => tidy(() => { opt.zeroGrad(); space.loss(net.forward(x), y).backward(); opt.step(); });
  step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push((performance.now() - t0) / 1000);
  }
  const ideal2 = (6 * F * batch) / (peak * 1e9);
  console.log(`plain training of the largest sub-network: median ${median(times).toFixed(3)} s/step, ideal ${ideal2.toFixed(3)} s, ratio ${(median(times) / ideal2).toFixed(2)} (kernel efficiency bound)`);
}
if (process.argv.includes('--all')) {
  for (const [form, s] of [['ws', 'drnas'], ['we', 'gdas'], ['we', 'spos'], ['we', 'darts']] as const) {
    const r = timeSteps('toy-conv-macro', form, s, batch, steps);
    console.log(`  ${s.padEnd(6)} ${form}: median ${r.median.toFixed(3)} s/step`);
  }
}
