// `tanglenas evaluate RUN_DIR`: test (or validation) accuracy of a run's result
// in eval mode: a trained or fine-tuned network, or a search run's architecture
// with the supernet's weights.
import { getSpace, hasSpace, metricOf } from '../../nas/registry.js';
import { parseOverride, type PartialConfig } from '../../search/config.js';
import { parse, prepareRunDir, str, UsageError } from '../args.js';

const EVALUATE_USAGE = `usage: tanglenas evaluate RUN_DIR [--split test|valid] [--arch ARCH] [--data-dir DIR] [--threads N] [--device D] [--json]

The accuracy of a run's result in eval mode: a trained or fine-tuned network, or a
search run's architecture with the supernet's weights (--arch: another one).`;

export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { split: { type: 'string' }, arch: { type: 'string' }, 'data-dir': { type: 'string' }, threads: { type: 'string' }, device: { type: 'string' }, 'benchmark-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) return void console.log(EVALUATE_USAGE);
  if (positionals.length !== 1) throw new UsageError(`evaluate takes one run directory, got ${positionals.length ? positionals.join(' ') : 'none'}\n\n${EVALUATE_USAGE}`);
  const split = str(values.split) ?? 'test';
  if (split !== 'test' && split !== 'valid') throw new UsageError(`--split must be 'test' or 'valid', got '${split}'`);
  const overrides: PartialConfig = {};
  for (const [flag, key] of [['data-dir', 'data_dir'], ['threads', 'threads'], ['device', 'device'], ['benchmark-dir', 'benchmark_dir']] as const) {
    const v = str(values[flag]);
    if (v !== undefined) overrides[key] = parseOverride(key, v, `--${flag}`);
  }
  await prepareRunDir(positionals[0], overrides.threads as number | undefined);
  const { evaluateRun } = await import('../../search/pipeline.js');
  const r = await evaluateRun(positionals[0], { split, arch: str(values.arch), overrides });
  if (values.json) return void console.log(JSON.stringify(r, null, 2));
  console.log(`${r.kind === 'model' ? 'trained network' : "architecture with the supernet's weights"} of ${r.dir}`);
  console.log(`  ${JSON.stringify(r.architecture)}`);
  if (metricOf(r.space) === 'loss') {
    console.log(`  ${split} loss ${r.loss.toFixed(4)} (perplexity ${Math.exp(r.loss).toFixed(2)}), token accuracy ${(100 * r.acc).toFixed(2)}% (${r.n} tokens, eval mode)`);
    return;
  }
  console.log(`  ${split} accuracy ${(100 * r.acc).toFixed(2)}% (loss ${r.loss.toFixed(4)}, ${r.n} images, eval mode)`);
  if (r.benchmark) console.log(`  benchmark test accuracy ${r.benchmark.testAcc}% (rank ${r.benchmark.rank} of ${r.benchmark.size}; optimum ${r.benchmark.optimum}%)`);
  else if (hasSpace(r.space) && getSpace(r.space).benchmark) console.log('  benchmark: table not available');
}
