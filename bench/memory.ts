// bench/memory: peak RSS of one bi-level step at batch 64, each configuration in
// its own process: the TangleNAS (WE) supernet, the WS supernet, and plain
// training of the largest sub-network. Run by hand:
//
//   node dist/bench/memory.js [--repeats R] [--batch B] [--spaces toy-cell,toy-conv-macro,nb201,darts] [--malloc default]
//
// Targets: WE <= 1.2 x largest sub-network and WS / WE >= 1.4 on the toy cell
// (issue 3; the reference: 957 MB vs 646 MB); WE / WS <= 0.75 on nb201 and
// <= 0.65 on darts (issue 12; the paper's GPU figures: 25.28% and 35.54% less).
// The paper measures allocated GPU memory, which has no libtorch code in it, so
// each configuration also reports its peak above the process's RSS once the
// engine is loaded and before anything is built ("above engine").
// glibc's malloc raises its mmap threshold as large blocks are freed, after
// which activations of a few MB come from the heap, whose freed holes stay
// resident: RSS then measures fragmentation as much as tensors. The children
// run with MALLOC_MMAP_THRESHOLD_=65536 (fixed: every tensor of 64 kB or more
// is its own mapping, returned on free), the CPU analogue of the allocated-bytes
// figure the paper reads on the GPU; --malloc default keeps glibc's behaviour.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { manualSeed } from '../src/tensor/random.js';
import { tidy } from '../src/tensor/scope.js';
import { SGD } from '../src/nn/optim/sgd.js';
import { Architect } from '../src/nas/architect.js';
import { bilevelStep } from '../src/nas/bilevel.js';
import { createSampler } from '../src/nas/samplers/index.js';
import { createSpace } from '../src/spaces/index.js';
import { largestArchitecture, median, randomBatch, referenceOptimizer } from './nas-setup.js';

type Mode = 'we' | 'ws' | 'largest';

/** WE / WS ceilings (issue 12) and WS / WE floors (issue 3), where a space has one. */
const TARGETS: Record<string, string> = {
  'toy-cell': 'WS / WE >= 1.4',
  nb201: 'WE / WS <= 0.75',
  darts: 'WE / WS <= 0.65',
};

function child(spaceName: string, mode: Mode, batch: number): void {
  manualSeed(0);
  const engine = process.memoryUsage().rss;
  const space = createSpace(spaceName, { form: mode === 'ws' ? 'ws' : 'we' });
  const train = randomBatch(space, batch);
  const val = randomBatch(space, batch);
  let step: () => void;
  if (mode === 'largest') {
    const net = space.subnet(largestArchitecture(space), { inherit: false });
    space.supernet.dispose();
    const opt = new SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
    step = () => tidy(() => {
      opt.zeroGrad();
      space.loss(net.forward(train.x), train.y).backward();
      opt.step();
    });
  } else {
    const sampler = createSampler('drnas');
    const architect = new Architect(space, sampler);
    const opt = referenceOptimizer(space, space.supernet.parameters());
    step = () => { bilevelStep(space, sampler, architect, opt, train, val); };
  }
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 2; i++) step();
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ engine, before, peak }) + '\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const ci = args.indexOf('--child');
  const batch = Number(args[args.indexOf('--batch') + 1] ?? 64) || 64;
  if (ci >= 0) return child(args[ci + 1], args[ci + 2] as Mode, batch);
  const repeats = Number(args[args.indexOf('--repeats') + 1] ?? 3) || 3;
  const si = args.indexOf('--spaces');
  const spaces = si >= 0 ? args[si + 1].split(',') : ['toy-cell', 'toy-conv-macro'];
  const me = fileURLToPath(import.meta.url);
  const mi = args.indexOf('--malloc');
  const env = mi >= 0 && args[mi + 1] === 'default' ? process.env : { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536' };
  const mb = (b: number) => (b / 2 ** 20).toFixed(0);
  console.log(`peak RSS of one bi-level step (DrNAS), batch ${batch}, median of ${repeats} processes each; threads ${process.env.OMP_NUM_THREADS ?? 'all'}; MALLOC_MMAP_THRESHOLD_ ${env.MALLOC_MMAP_THRESHOLD_ ?? 'glibc default (dynamic)'}`);
  type Peak = { engine: number; before: number; peak: number };
  for (const space of spaces) {
    const res: Record<Mode, Peak> = {} as never;
    for (const mode of ['we', 'ws', 'largest'] as Mode[]) {
      const runs: Peak[] = [];
      for (let r = 0; r < repeats; r++) {
        const p = spawnSync(process.execPath, [me, '--child', space, mode, '--batch', String(batch)], { encoding: 'utf8', env });
        if (p.status !== 0) throw new Error(`child ${space} ${mode} failed: ${p.stderr}`);
        runs.push(JSON.parse(p.stdout.trim().split('\n').pop()!));
      }
      res[mode] = { engine: median(runs.map((r) => r.engine)), before: median(runs.map((r) => r.before)), peak: median(runs.map((r) => r.peak)) };
      const r = res[mode];
      console.log(`  ${space.padEnd(15)} ${mode.padEnd(8)} peak ${mb(r.peak).padStart(6)} MB, above engine ${mb(r.peak - r.engine).padStart(6)} MB   (RSS: engine loaded ${mb(r.engine)} MB, before the step ${mb(r.before)} MB)`);
    }
    const above = (m: Mode) => res[m].peak - res[m].engine;
    console.log(`  ${space}: WE / largest = ${(res.we.peak / res.largest.peak).toFixed(2)}${space.startsWith('toy') ? ' (target <= 1.2)' : ' (cell spaces: parameter-free ops are output-mixed, no target)'},  WE / WS = ${(res.we.peak / res.ws.peak).toFixed(2)} peak, ${(above('we') / above('ws')).toFixed(2)} above engine; WS / WE = ${(res.ws.peak / res.we.peak).toFixed(2)}${TARGETS[space] ? ` (target ${TARGETS[space]})` : ''}`);
  }
}

main();
