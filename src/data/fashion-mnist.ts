// Fashion-MNIST (official 60k/10k split) from gzipped or plain IDX files: a
// user directory (used, or refused when it holds none), else Debian's
// dataset-fashion-mnist, else the cache, else the official download into the
// cache. Every file's decompressed content is checked against the official
// sha256.
import { join } from 'node:path';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { FASHION_MNIST_DEBIAN_GZ_SHA256, FASHION_MNIST_RAW_SHA256 } from './checksums.js';
import { DATASET_INFO, checkLabels, sharedBytes, type DatasetSource, type ImageDataset, type ImageSplit } from './dataset.js';
import { DataError } from './errors.js';
import { download, gunzipOrThrow, isFile, readFileOrThrow, sha256, unusableDataDir, verifySha256 } from './files.js';
import { parseIdx } from './idx.js';
import { Attempts, datasetCacheDir, downloadAllowed, type FetchOptions } from './sources.js';

export const FASHION_MNIST_FILES = Object.freeze({
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'] as const,
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] as const,
});
const ALL = [...FASHION_MNIST_FILES.train, ...FASHION_MNIST_FILES.test];

/** Where Debian's dataset-fashion-mnist installs the four .gz files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
/** The official download location (zalandoresearch/fashion-mnist README). */
export const FASHION_MNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

export interface FashionMnistOptions extends FetchOptions {
  /** Debian's directory; null skips it (tests). */
  debianDir?: string | null;
  /** Base URL of the official download; override for a private mirror. */
  baseUrl?: string;
}

export interface ResolvedFiles {
  source: DatasetSource;
  dir: string;
  /** Path per raw file name. */
  paths: Record<string, string>;
  /** Verified, decompressed contents per raw file name. */
  contents: Record<string, Uint8Array>;
}

const FIX_FETCH = 'delete it so that the library fetches the file again, or replace it with the official file';

function expectedRaw(opts: FetchOptions, name: string): string {
  return opts.checksums?.[name] ?? FASHION_MNIST_RAW_SHA256[name];
}

/** Reads one Fashion-MNIST file (.gz or plain), decompresses, and verifies its content hash. */
export function readFashionMnistFile(path: string, rawName: string, opts: FetchOptions = {}): Uint8Array {
  const buf = readFileOrThrow(path, 'Fashion-MNIST file');
  const isGz = buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  if (path.endsWith('.gz') && !isGz) throw new DataError(path, 'not a gzip file although it is named .gz; it is corrupt', FIX_FETCH);
  const raw = isGz ? gunzipOrThrow(buf, path) : buf;
  verifySha256(raw, expectedRaw(opts, rawName), path, `${FIX_FETCH}${isGz ? ' (the hash is of the decompressed content)' : ''}`);
  if (isGz && FASHION_MNIST_DEBIAN_GZ_SHA256[`${rawName}.gz`] === sha256(buf)) opts.log?.(`${path}: Debian's re-gzipped file, content verified`);
  return raw;
}

/** Finds the four files (plain or .gz) in a directory: all, none, or a DataError for a partial set. */
function findInDir(dir: string): Record<string, string> | null {
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of ALL) {
    const p = [join(dir, `${name}.gz`), join(dir, name)].find(isFile);
    if (p === undefined) missing.push(name);
    else found[name] = p;
  }
  if (missing.length === ALL.length) return null;
  if (missing.length > 0) {
    throw new DataError(dir, `incomplete Fashion-MNIST: ${missing.map((m) => `${m}(.gz)`).join(', ')} missing`, `put all four files there (${ALL.join(', ')}, gzipped or not), or remove the partial set`);
  }
  return found;
}

function readAll(paths: Record<string, string>, opts: FetchOptions): Record<string, Uint8Array> {
  const contents: Record<string, Uint8Array> = {};
  for (const name of ALL) contents[name] = readFashionMnistFile(paths[name], name, opts);
  return contents;
}

/**
 * Locates, fetches if needed, and verifies the Fashion-MNIST files. A `dir`
 * given is used, or refused when it holds no files (never passed over).
 */
export async function resolveFashionMnist(opts: FashionMnistOptions = {}): Promise<ResolvedFiles> {
  if (opts.dir !== undefined) {
    const paths = findInDir(opts.dir);
    if (paths === null) throw unusableDataDir(opts.dir, 'Fashion-MNIST', ALL.map((n) => `${n}(.gz)`).join(', '));
    opts.log?.(`Fashion-MNIST: using user directory ${opts.dir}`);
    return { source: 'user', dir: opts.dir, paths, contents: readAll(paths, opts) };
  }
  const attempts = new Attempts();
  const cache = datasetCacheDir(opts, 'fashion-mnist');
  const places: [DatasetSource, string | null | undefined][] = [
    ['debian', opts.debianDir === undefined ? FASHION_MNIST_DEBIAN_DIR : opts.debianDir],
    ['cache', cache],
  ];
  for (const [source, dir] of places) {
    if (dir === undefined || dir === null) continue;
    const paths = findInDir(dir);
    if (paths === null) {
      attempts.add(`${source} directory ${dir}`, existsSync(dir) ? 'no Fashion-MNIST files' : 'does not exist');
      continue;
    }
    opts.log?.(`Fashion-MNIST: using ${source} directory ${dir}`);
    return { source, dir, paths, contents: readAll(paths, opts) };
  }
  if (!downloadAllowed(opts)) {
    attempts.add('official download', 'skipped (download disabled or TANGLENAS_OFFLINE set)');
  } else {
    const base = opts.baseUrl ?? FASHION_MNIST_URL;
    const paths: Record<string, string> = {};
    const contents: Record<string, Uint8Array> = {};
    try {
      for (const name of ALL) {
        const dest = join(cache, `${name}.gz`);
        const tmp = `${dest}.download`;
        await download(`${base}${name}.gz`, tmp, { connectTimeoutMs: opts.connectTimeoutMs, stallTimeoutMs: opts.stallTimeoutMs, log: opts.log });
        try {
          contents[name] = readFashionMnistFile(tmp, name, opts);
        } catch (e) {
          rmSync(tmp, { force: true });
          throw e;
        }
        renameSync(tmp, dest);
        paths[name] = dest;
      }
      return { source: 'official', dir: cache, paths, contents };
    } catch (e) {
      if (e instanceof DataError) throw e; // downloaded but wrong: say so, do not fall through
      attempts.add(`official download ${base}`, (e as Error).message);
    }
  }
  throw new DataError(
    cache,
    `Fashion-MNIST not found. Tried:\n${attempts}\n`,
    `put the four official files (${ALL.map((n) => `${n}.gz`).join(', ')}) into a directory and give it as the data directory (option 'dir'), or install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or allow network access to ${opts.baseUrl ?? FASHION_MNIST_URL}`,
  );
}

function toSplit(images: Uint8Array, labels: Uint8Array, imgPath: string, lblPath: string): ImageSplit {
  const img = parseIdx(images, imgPath);
  const lbl = parseIdx(labels, lblPath);
  const info = DATASET_INFO['fashion-mnist'];
  if (img.dims.length !== 3 || img.dims[1] !== info.height || img.dims[2] !== info.width) {
    throw new DataError(imgPath, `image dims [${img.dims.join(', ')}] are not [n, 28, 28]`, 'use the official Fashion-MNIST files');
  }
  if (lbl.dims.length !== 1 || lbl.dims[0] !== img.dims[0]) {
    throw new DataError(lblPath, `label dims [${lbl.dims.join(', ')}] do not match ${img.dims[0]} images in ${imgPath}`, 'use matching official files');
  }
  const n = img.dims[0];
  const shared = sharedBytes(img.data.length);
  shared.set(img.data);
  const lab = new Uint8Array(lbl.data);
  checkLabels(lab, info.numClasses, lblPath);
  return { images: shared, labels: lab, size: n };
}

/** Loads Fashion-MNIST (60k train / 10k test, 1x28x28 uint8). */
export async function loadFashionMnist(opts: FashionMnistOptions = {}): Promise<ImageDataset> {
  const r = await resolveFashionMnist(opts);
  const [ti, tl] = FASHION_MNIST_FILES.train;
  const [vi, vl] = FASHION_MNIST_FILES.test;
  return {
    ...DATASET_INFO['fashion-mnist'],
    train: toSplit(r.contents[ti], r.contents[tl], r.paths[ti], r.paths[tl]),
    test: toSplit(r.contents[vi], r.contents[vl], r.paths[vi], r.paths[vl]),
    source: r.source,
    files: { train: [r.paths[ti], r.paths[tl]], test: [r.paths[vi], r.paths[vl]] },
  };
}
