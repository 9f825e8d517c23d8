// `tanglenas lookup`: the benchmark accuracy of an architecture (--arch, or a
// run's with --run) in the space's tabular benchmark (the toy tables,
// NAS-Bench-201), or the table's top N.
import { join } from 'node:path';
import { getSpace } from '../../nas/registry.js';
import type { Lookup } from '../../search/benchmark.js';
import { checkSpaceFlag, loadRunPlugins, parse, runConfigOf, str, UsageError } from '../args.js';

const LOOKUP_USAGE = `usage: tanglenas lookup (--arch ARCH | --run RUN_DIR | --top N) [--space S] [--benchmark-dir DIR] [--json]

Benchmark accuracy of an architecture in the space's tabular benchmark (the toy
tables; NAS-Bench-201's CSV for nb201: CIFAR-10, CIFAR-100 and ImageNet16-120).
ARCH: JSON {"choice": value}, the benchmark key (nb201: the NB201 string
'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|'), or an architecture.json. The table
comes from --benchmark-dir, $TANGLENAS_BENCH_DIR or ../shared/data/<its folder>.`;

/** The columns of a hit: 'cifar10_test_200ep 94.37%  cifar100_test_200ep 73.51%  ...'. */
function columnsText(hit: Lookup): string {
  return Object.entries(hit.columns).map(([c, v]) => `${c} ${v.toFixed(2)}%`).join('  ');
}

export async function run(args: string[]): Promise<void> {
  const { values } = parse(args, { space: { type: 'string' }, arch: { type: 'string' }, run: { type: 'string' }, top: { type: 'string' }, 'benchmark-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return void console.log(LOOKUP_USAGE);
  const given = ['arch', 'run', 'top'].filter((k) => values[k] !== undefined);
  if (given.length !== 1) throw new UsageError(`lookup needs exactly one of --arch, --run, --top\n\n${LOOKUP_USAGE}`);
  let space = str(values.space);
  const runDir = str(values.run);
  if (runDir !== undefined) {
    const rc = runConfigOf(runDir);
    if (!rc) throw new UsageError(`--run '${runDir}' is not a run directory (no config.json)`);
    await loadRunPlugins(runDir);
    space ??= String(rc.config.space);
  }
  space ??= 'toy-cell';
  checkSpaceFlag(space);
  const { benchmarkFor } = await import('../../search/benchmark.js');
  const bench = benchmarkFor(space, str(values['benchmark-dir']) ?? null);
  if (!bench) throw new Error(`no benchmark table for ${space} found: pass --benchmark-dir DIR or set TANGLENAS_BENCH_DIR (the folder holding ${getSpace(space).benchmark?.file ?? 'its table'})`);
  if (values.top !== undefined) {
    const n = Number(values.top);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--top must be a positive integer, got '${values.top}'`);
    const top = bench.top(n);
    if (values.json) return void console.log(JSON.stringify(top, null, 2));
    top.forEach((e, i) => console.log(`${String(i + 1).padStart(4)}  ${columnsText(e)}  ${e.key}`));
    return;
  }
  const { createSpace } = await import('../../spaces/index.js');
  const { parseArchitecture } = await import('../../search/common.js');
  const sp = createSpace(space);
  let arch;
  try {
    arch = parseArchitecture(sp, runDir !== undefined ? join(runDir, 'architecture.json') : str(values.arch)!);
  } finally {
    sp.supernet.dispose();
  }
  const key = sp.benchmarkKey(arch);
  const hit = bench.lookup(key);
  if (values.json) return void console.log(JSON.stringify({ space, architecture: JSON.parse(sp.encode(arch)), ...hit, key }, null, 2));
  console.log(key);
  if (!hit) throw new Error(`'${key}' is not in ${bench.file}; the table is incomplete or damaged`);
  console.log(`${columnsText(hit)}  rank ${hit.rank} of ${hit.size} by ${bench.primary} (better than ${hit.percentile.toFixed(1)}%)  optimum ${hit.optimum.toFixed(2)}%`);
}
