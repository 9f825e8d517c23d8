#!/usr/bin/env node
// The front of k separate constrained searches, scored like a pareto.json:
// per seed, the architectures that one method found under each bound (one
// compare folder per bound), their non-dominated set by (params, benchmark
// accuracy) and its hypervolume relative to the table's true front (same
// reference point as pareto.json: the table's largest params, lowest accuracy).
//
//   node scripts/constrained-front.mjs --method tanglenas --seeds 0,1,2 runs/toy-cell-params-le-180k runs/toy-cell-params-le-185k ...
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSpace } from '../dist/src/spaces/index.js';
import { benchmarkFor } from '../dist/src/search/benchmark.js';
import { frontQuality } from '../dist/src/search/pareto.js';
import { smallestArchitecture } from '../dist/src/nas/constraint.js';

const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(k) ? args.splice(args.indexOf(k), 2)[1] : d);
const method = opt('--method', 'tanglenas');
const seeds = opt('--seeds', '0,1,2').split(',').map(Number);
const dirs = args;
if (!dirs.length) throw new Error('give the compare folders, one per bound');
const first = JSON.parse(readFileSync(join(dirs[0], `${method}-seed${seeds[0]}`, 'config.json'), 'utf8'));
const space = createSpace(first.space);
const bench = benchmarkFor(space.name, first.benchmark_dir ?? null);
if (!bench) throw new Error(`no benchmark table for ${space.name}`);
smallestArchitecture(space, 'params'); // one forward first: the ops learn their input sizes (exact costs need them)
const ratios = [];
for (const seed of seeds) {
  const found = [];
  for (const d of dirs) {
    const f = join(d, `${method}-seed${seed}`, 'architecture.json');
    if (!existsSync(f)) continue;
    const a = JSON.parse(readFileSync(f, 'utf8'));
    found.push({ params: a.params, flops: a.flops, benchmark_test_acc: a.benchmark?.testAcc ?? null, valid_acc: 0, front: true });
  }
  const q = frontQuality(space, bench, 'params', found);
  ratios.push(q.hypervolume_ratio);
  console.log(`seed ${seed}: ${found.length} architectures, hypervolume ratio ${q.hypervolume_ratio.toFixed(4)}`);
}
const m = ratios.reduce((a, b) => a + b, 0) / ratios.length;
const sd = Math.sqrt(ratios.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, ratios.length - 1));
console.log(`${method}: hypervolume ratio ${m.toFixed(4)} ± ${(sd / Math.sqrt(ratios.length)).toFixed(4)} (mean ± standard error over ${ratios.length} seeds)`);
