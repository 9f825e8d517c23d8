#!/usr/bin/env node
// The tanglenas command line. Every error becomes one clear line and exit
// code 1 (2 for usage errors); nothing aborts the process.
import { parseArgs } from 'node:util';
import { runDemo } from './demo.js';

const USAGE = `usage: tanglenas <command> [options]

commands:
  demo       a short TangleNAS search on the toy cell space (Fashion-MNIST)
  spaces     list the registered search spaces
  samplers   list the registered architecture samplers
  info       libtorch build, threads and devices

run 'tanglenas <command> --help' for a command's options.`;

const DEMO_USAGE = `usage: tanglenas demo [options]

  --minutes M      search budget in minutes (default 4)
  --seed N         random seed (default 0)
  --batch-size B   batch size (default 64)
  --arch-lr X      Adam learning rate of alpha (default 3e-3; the paper's 3e-4 is for 100 epochs)
  --data-dir DIR   Fashion-MNIST IDX files (default: Debian's dataset-fashion-mnist, else download)
  --run-dir DIR    where to write the run's files (default runs/demo-<time>)
  --benchmark FILE toy_cell_bench.json (default: ../shared/data/toy-bench or $TANGLENAS_BENCH_DIR)
  --quiet          print nothing but errors`;

class UsageError extends Error {}

function num(name: string, v: string | undefined, def: number, integer: boolean): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${v}'`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return;
  }
  switch (cmd) {
    case 'demo': {
      const { values } = parseArgs({
        args: rest,
        strict: true,
        options: {
          minutes: { type: 'string' }, seed: { type: 'string' }, 'batch-size': { type: 'string' }, 'arch-lr': { type: 'string' },
          'data-dir': { type: 'string' }, 'run-dir': { type: 'string' }, benchmark: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        },
      });
      if (values.help) return void console.log(DEMO_USAGE);
      const seed = values.seed === undefined ? 0 : Number(values.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${values.seed}'`);
      await runDemo({
        minutes: num('minutes', values.minutes, 4, false),
        seed,
        batchSize: num('batch-size', values['batch-size'], 64, true),
        archLr: num('arch-lr', values['arch-lr'], 3e-3, false),
        dataDir: values['data-dir'],
        runDir: values['run-dir'] ?? `runs/demo-${new Date().toISOString().replace(/[:.]/g, '-')}`,
        benchmark: values.benchmark,
        quiet: values.quiet ?? false,
      });
      return;
    }
    case 'spaces': {
      const { listSpaces } = await import('../spaces/index.js');
      for (const s of listSpaces()) console.log(`${s.name.padEnd(16)} ${s.description}`);
      return;
    }
    case 'samplers': {
      const { listSamplers } = await import('../nas/samplers/index.js');
      for (const s of listSamplers()) console.log(`${s.name.padEnd(8)} ${s.description}`);
      return;
    }
    case 'info': {
      const rt = await import('../tensor/runtime.js');
      console.log(`threads ${rt.getNumThreads()} (TANGLENAS_THREADS / OMP_NUM_THREADS, default all cores); cuda ${rt.cudaIsAvailable() ? `${rt.cudaDeviceCount()} device(s)` : 'not available'}`);
      console.log(rt.buildInfo().parallel);
      return;
    }
    default:
      throw new UsageError(`unknown command '${cmd}'\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const err = e as Error & { code?: string };
  const usage = e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS');
  console.error(`tanglenas: ${err.message}`);
  if (process.env.TANGLENAS_DEBUG) console.error(err.stack);
  process.exitCode = usage ? 2 : 1;
});
