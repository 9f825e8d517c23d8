// CIFAR-100 (official 50k/10k split, binary version; the 100 fine labels): a
// user directory (train.bin + test.bin, or the official archive) -> the cache ->
// the official download -> a clear error.
//
// Verification. The archive cifar-100-binary.tar.gz is checked by its sha256,
// 58a81ae1...40d8ec (168,513,733 bytes), as tensorflow-datasets records it
// (url_checksums/cifar100.txt); the official page lists its md5,
// 03b5dce01913d631647c71ecec9e9cb8. We found no per-file sha256 of train.bin /
// test.bin published by two independent sources, so the .bin files themselves
// (a directory you give, or the cache) are checked by structure: whole
// 3074-byte records (coarse label, fine label, 3072 pixel bytes), exactly
// 50,000 / 10,000 of them, coarse labels < 20, fine labels < 100, every fine
// label always under the same coarse label, and 500 / 100 images of every fine
// class. A damaged or foreign file fails one of these; a re-encoding that keeps
// them would not be caught, which the archive's checksum does catch.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkLabels, sharedBytes, type ImageDataset, type ImageDatasetInfo, type ImageSplit, type DatasetSource } from './dataset.js';
import { DataError } from './errors.js';
import { download, gunzipOrThrow, isFile, readFileOrThrow, verifySha256, writeFileAtomic } from './files.js';
import { Attempts, datasetCacheDir, downloadAllowed, type FetchOptions } from './sources.js';
import { readTar } from './tar.js';

export const CIFAR100_URL = 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz';
export const CIFAR100_TARBALL = 'cifar-100-binary.tar.gz';
/** sha256 of the official archive (tensorflow-datasets' url_checksums/cifar100.txt). */
export const CIFAR100_TARBALL_SHA256 = '58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec';
/** The folder the official archive unpacks to. */
export const CIFAR100_BIN_DIR = 'cifar-100-binary';
export const CIFAR100_FILES = { train: 'train.bin', test: 'test.bin' } as const;
/** 1 coarse label byte, 1 fine label byte, 3 x 32 x 32 pixel bytes (planar R, G, B). */
export const CIFAR100_RECORD_BYTES = 3074;
/** Records of the official files. */
export const CIFAR100_RECORDS = { train: 50_000, test: 10_000 } as const;

/** The fine labels in label order (fine_label_names.txt of the archive). */
export const CIFAR100_CLASSES = [
  'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle',
  'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
  'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur',
  'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard',
  'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain',
  'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree',
  'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
  'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider',
  'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor',
  'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
] as const;

/** The reference's CIFAR-100 transform: mean (129.3, 124.1, 112.4)/255, std (68.2, 65.4, 70.4)/255; crop + flip as CIFAR-10. */
export const CIFAR100_INFO: ImageDatasetInfo = Object.freeze({
  name: 'cifar100',
  channels: 3,
  height: 32,
  width: 32,
  numClasses: 100,
  classNames: CIFAR100_CLASSES,
  mean: [129.3 / 255, 124.1 / 255, 112.4 / 255],
  std: [68.2 / 255, 65.4 / 255, 70.4 / 255],
  augment: { cropPadding: 4, hflip: true },
});

export interface Cifar100Options extends FetchOptions {
  /** Official archive URL (override for a private mirror). */
  url?: string;
  /** Records expected per file (tests with small files; default the official 50,000 / 10,000). */
  records?: { train: number; test: number };
}

type Split = keyof typeof CIFAR100_FILES;

const FIX = `delete it and fetch the official ${CIFAR100_TARBALL} again (${CIFAR100_URL})`;

/**
 * Parses and checks one .bin file of `expected` records: images (planar uint8
 * on shared memory) and fine labels. `coarseOf` (fine -> coarse, -1 unknown)
 * is filled in and checked across files.
 */
export function parseCifar100Records(buf: Uint8Array, file: string, expected: number, coarseOf: Int16Array = new Int16Array(100).fill(-1)): ImageSplit {
  if (buf.length % CIFAR100_RECORD_BYTES !== 0 || buf.length / CIFAR100_RECORD_BYTES !== expected) {
    const whole = buf.length % CIFAR100_RECORD_BYTES === 0;
    throw new DataError(file, `${buf.length} bytes ${whole ? `hold ${buf.length / CIFAR100_RECORD_BYTES} records` : `is not a whole number of ${CIFAR100_RECORD_BYTES}-byte records`}; the official file has ${expected} records of ${CIFAR100_RECORD_BYTES} bytes (${expected * CIFAR100_RECORD_BYTES} bytes)`, FIX);
  }
  const n = expected;
  const images = sharedBytes(n * 3072);
  const labels = new Uint8Array(n);
  const perClass = new Array<number>(100).fill(0);
  for (let i = 0; i < n; i++) {
    const o = i * CIFAR100_RECORD_BYTES;
    const [coarse, fine] = [buf[o], buf[o + 1]];
    if (coarse >= 20) throw new DataError(file, `coarse label ${coarse} at record ${i} is outside 0..19; the file is corrupt or not CIFAR-100`, FIX);
    if (fine < 100) {
      if (coarseOf[fine] === -1) coarseOf[fine] = coarse;
      else if (coarseOf[fine] !== coarse) throw new DataError(file, `fine label ${fine} (${CIFAR100_CLASSES[fine]}) has coarse label ${coarse} at record ${i} but ${coarseOf[fine]} elsewhere; the file is corrupt`, FIX);
      perClass[fine]++;
    }
    labels[i] = fine;
    images.set(buf.subarray(o + 2, o + CIFAR100_RECORD_BYTES), i * 3072);
  }
  checkLabels(labels, 100, file);
  const bad = perClass.findIndex((k) => k * 100 !== n);
  if (bad >= 0) throw new DataError(file, `fine class ${bad} (${CIFAR100_CLASSES[bad]}) has ${perClass[bad]} images, not ${n / 100} (the official split has the same number of every class); the file is corrupt or not the official one`, FIX);
  return { images, labels, size: n };
}

/** train.bin and test.bin in `dir` or `dir/cifar-100-binary`: both, none, or a DataError for one alone. */
function findInDir(dir: string): { dir: string; paths: Record<Split, string> } | null {
  for (const d of [dir, join(dir, CIFAR100_BIN_DIR)]) {
    const paths = { train: join(d, CIFAR100_FILES.train), test: join(d, CIFAR100_FILES.test) };
    const have = [isFile(paths.train), isFile(paths.test)];
    if (have[0] && have[1]) return { dir: d, paths };
    if (have[0] || have[1]) throw new DataError(d, `incomplete CIFAR-100: ${have[0] ? CIFAR100_FILES.test : CIFAR100_FILES.train} missing`, `put both ${CIFAR100_FILES.train} and ${CIFAR100_FILES.test} of ${CIFAR100_TARBALL} there, or remove the partial set`);
  }
  return null;
}

/** Verifies the official archive's sha256 and returns its train.bin and test.bin. */
export function extractCifar100Tarball(tgz: Uint8Array, file: string, opts: FetchOptions = {}): Record<Split, Uint8Array> {
  verifySha256(tgz, opts.checksums?.[CIFAR100_TARBALL] ?? CIFAR100_TARBALL_SHA256, file, `download ${CIFAR100_URL} again`);
  const entries = new Map(readTar(gunzipOrThrow(tgz, file), file).map((e) => [e.path.replace(/^\.\//, ''), e.data]));
  const get = (name: string): Uint8Array => {
    const data = entries.get(`${CIFAR100_BIN_DIR}/${name}`) ?? entries.get(name);
    if (data === undefined) throw new DataError(file, `the archive has no ${CIFAR100_BIN_DIR}/${name}; it is not the binary version`, `download ${CIFAR100_URL} again`);
    return data;
  };
  return { train: get(CIFAR100_FILES.train), test: get(CIFAR100_FILES.test) };
}

export interface ResolvedCifar100 {
  source: DatasetSource;
  dir: string;
  paths: Record<Split, string>;
  contents: Record<Split, Uint8Array>;
}

function store(files: Record<Split, Uint8Array>, dir: string): Record<Split, string> {
  const paths = { train: join(dir, CIFAR100_FILES.train), test: join(dir, CIFAR100_FILES.test) };
  writeFileAtomic(paths.train, files.train);
  writeFileAtomic(paths.test, files.test);
  return paths;
}

function readDir(hit: { dir: string; paths: Record<Split, string> }): Record<Split, Uint8Array> {
  return { train: readFileOrThrow(hit.paths.train, 'CIFAR-100 file'), test: readFileOrThrow(hit.paths.test, 'CIFAR-100 file') };
}

/** Locates (fetching if needed) CIFAR-100's train.bin and test.bin; the archive is sha256-checked, the files by structure when loaded. */
export async function resolveCifar100(opts: Cifar100Options = {}): Promise<ResolvedCifar100> {
  const attempts = new Attempts();
  const cacheBase = datasetCacheDir(opts, 'cifar100');
  const cacheBin = join(cacheBase, CIFAR100_BIN_DIR);

  // 1. A user directory: the two .bin files, or the official archive.
  if (opts.dir !== undefined) {
    const hit = findInDir(opts.dir);
    if (hit !== null) {
      opts.log?.(`CIFAR-100: using ${hit.dir}`);
      return { source: 'user', dir: hit.dir, paths: hit.paths, contents: readDir(hit) };
    }
    const tarball = join(opts.dir, CIFAR100_TARBALL);
    if (isFile(tarball)) {
      opts.log?.(`CIFAR-100: extracting ${tarball} into ${cacheBin}`);
      const files = extractCifar100Tarball(readFileOrThrow(tarball, 'CIFAR-100 archive'), tarball, opts);
      return { source: 'user', dir: cacheBin, paths: store(files, cacheBin), contents: files };
    }
    attempts.add(`user directory ${opts.dir}`, existsSync(opts.dir) ? `no ${CIFAR100_FILES.train}/${CIFAR100_FILES.test} and no ${CIFAR100_TARBALL}` : 'does not exist');
  }

  // 2. The cache.
  const hit = findInDir(cacheBase);
  if (hit !== null) {
    opts.log?.(`CIFAR-100: using the cache ${hit.dir}`);
    return { source: 'cache', dir: hit.dir, paths: hit.paths, contents: readDir(hit) };
  }
  attempts.add(`cache ${cacheBin}`, 'empty');

  // 3. The official archive.
  if (!downloadAllowed(opts)) {
    attempts.add('official download', 'skipped (download disabled or TANGLENAS_OFFLINE set)');
  } else {
    const url = opts.url ?? CIFAR100_URL;
    const tmp = join(cacheBase, `${CIFAR100_TARBALL}.download`);
    try {
      await download(url, tmp, { connectTimeoutMs: opts.connectTimeoutMs ?? 10_000, stallTimeoutMs: opts.stallTimeoutMs, log: opts.log });
      const files = extractCifar100Tarball(readFileOrThrow(tmp, 'CIFAR-100 archive'), url, opts);
      return { source: 'official', dir: cacheBin, paths: store(files, cacheBin), contents: files };
    } catch (e) {
      attempts.add(`official download ${url}`, (e as Error).message);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  throw new DataError(
    opts.dir ?? cacheBin,
    `CIFAR-100 not found. Tried:\n${attempts}\n`,
    `download ${CIFAR100_URL} on a machine with network access and pass the directory holding it (or its unpacked ${CIFAR100_BIN_DIR}/) as the data directory (--data DIR, config key data_dir)`,
  );
}

/** Loads CIFAR-100 (50k train / 10k test, 3x32x32 uint8, fine labels), checked as described above. */
export async function loadCifar100(opts: Cifar100Options = {}): Promise<ImageDataset> {
  const r = await resolveCifar100(opts);
  const records = opts.records ?? CIFAR100_RECORDS;
  const coarseOf = new Int16Array(100).fill(-1);
  return {
    ...CIFAR100_INFO,
    train: parseCifar100Records(r.contents.train, r.paths.train, records.train, coarseOf),
    test: parseCifar100Records(r.contents.test, r.paths.test, records.test, coarseOf),
    source: r.source,
    files: { train: [r.paths.train], test: [r.paths.test] },
  };
}
