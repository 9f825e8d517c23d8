// bench/prune: what progressive pruning (prune_below) saves per bi-level step.
// Per space and form, DrNAS bi-level steps with every option live and with one
// option pruned per choice (its largest value: the most a WS mixture can skip;
// or its first with --first), alternated round by round on one supernet so
// that machine noise hits both alike. Run by hand:
//
//   node dist/bench/prune.js [--rounds R] [--steps N] [--batch B] [--first]
//
// Expected: weight-sharing mixtures (WS forms) skip the pruned candidates; the
// toy cell's WE groups skip a group only when all its options are pruned (not
// here: one option each); the entangled ops of WE macro spaces keep their
// largest box, so their step time does not change.
import { performance } from 'node:perf_hooks';
import { manualSeed } from '../src/tensor/random.js';
import { Architect } from '../src/nas/architect.js';
import { bilevelStep } from '../src/nas/bilevel.js';
import { withPruning } from '../src/nas/prune.js';
import { createSampler } from '../src/nas/samplers/index.js';
import { createSpace } from '../src/spaces/index.js';
import { median, randomBatch, referenceOptimizer } from './nas-setup.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const rounds = arg('--rounds', 3);
const steps = arg('--steps', 3);
const batch = arg('--batch', 32);
const first = process.argv.includes('--first');

for (const [name, form] of [['toy-conv-macro', 'ws'], ['toy-conv-macro', 'we'], ['toy-cell', 'ws'], ['toy-cell', 'we']] as const) {
  manualSeed(0);
  const space = createSpace(name, { form });
  const sampler = withPruning(createSampler('drnas'));
  const architect = new Architect(space, sampler);
  const opt = referenceOptimizer(space, space.supernet.parameters());
  const train = randomBatch(space, batch);
  const val = randomBatch(space, batch);
  const step = () => bilevelStep(space, sampler, architect, opt, train, val);
  const setPruned = (on: boolean) => space.choices.forEach((c) => c.setPruned(on ? [first ? 0 : c.size - 1] : []));
  step(); // warm-up: masks, allocator
  const times = { live: [] as number[], pruned: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    for (const on of r % 2 ? [true, false] : [false, true]) {
      setPruned(on);
      for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        step();
        (on ? times.pruned : times.live).push((performance.now() - t0) / 1000);
      }
    }
  }
  const live = median(times.live);
  const pruned = median(times.pruned);
  console.log(`${name} ${form}: every option live ${live.toFixed(3)} s/step, one ${first ? 'first' : 'largest'} option pruned per choice ${pruned.toFixed(3)} s/step: ratio ${(pruned / live).toFixed(2)} (median of ${rounds * steps} each, batch ${batch})`);
  space.supernet.dispose();
}
