// File helpers shared by the dataset modules: hashing, verified reads, gzip,
// the cache directory, atomic writes and downloads with a timeout; and, for
// them and the run directories (search/rundir.ts), folders made level by
// level with errors that name the path and the cause, refusing the kernel's
// pseudo file systems (/proc, /sys), where a recursive mkdir never returns.
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The cache root: $TANGLENAS_CACHE, else ~/.cache/tanglenas. */
export function cacheRoot(): string {
  const env = process.env.TANGLENAS_CACHE;
  return env !== undefined && env !== '' ? env : join(homedir(), '.cache', 'tanglenas');
}

/** True when network fetches are switched off ($TANGLENAS_OFFLINE=1). */
export function offline(): boolean {
  const v = process.env.TANGLENAS_OFFLINE;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Reads a whole file; a missing or unreadable file is a DataError. */
export function readFileOrThrow(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(path, `${what} not found`, 'check the path, or let the library fetch the dataset (see docs/data.md)', { cause: e });
    throw new DataError(path, `${what} cannot be read (${code ?? String(e)})`, 'check the file permissions', { cause: e });
  }
}

/** Gunzips a .gz buffer; truncated or corrupt archives are a DataError. */
export function gunzipOrThrow(data: Uint8Array, path: string): Buffer {
  try {
    return gunzipSync(data);
  } catch (e) {
    throw new DataError(path, `not a valid gzip file (${(e as Error).message}); it is truncated or corrupt`, 'delete the file and fetch it again (see docs/data.md)', { cause: e });
  }
}

/** Throws a DataError unless sha256(data) equals `expected`. */
export function verifySha256(data: Uint8Array, expected: string, path: string, fix?: string): void {
  const got = sha256(data);
  if (got !== expected) {
    throw new DataError(
      path,
      `sha256 mismatch (expected ${expected}, got ${got}${data.length === 0 ? '; the file is empty' : ''}); the file is corrupt, truncated or not the official one`,
      fix ?? 'delete the file and let the library fetch it again, or replace it with the official file (see docs/data.md)',
    );
  }
}

/** The cause of a file-system error in words, with its code: 'no space left on device (ENOSPC)'. */
export function fsCause(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const words = /^[A-Z0-9]+: ([^,]+)/.exec(err?.message ?? '')?.[1] ?? String(err?.message ?? e);
  return err?.code ? `${words} (${err.code})` : words;
}

/** A file-system error that names the path and the cause; `code` is the errno code (ENOSPC, EROFS, ...). */
export class FsError extends Error {
  override name = 'FsError';
  readonly code: string | undefined;
  constructor(readonly path: string, message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.code = options?.code ?? (options?.cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** Linux pseudo file systems (statfs f_type) that hold no files of ours. */
const SPECIAL_FS: Record<number, string> = {
  0x9fa0: 'proc', 0x62656572: 'sysfs', 0x27e0eb: 'cgroup', 0x63677270: 'cgroup2', 0x64626720: 'debugfs', 0x74726163: 'tracefs',
  0x73636673: 'securityfs', 0x6165676c: 'pstore', 0xcafe4a11: 'bpf', 0x62656570: 'configfs', 0x1cd1: 'devpts', 0x65735543: 'fusectl',
  0x42494e4d: 'binfmt_misc', 0xde5e81e4: 'efivarfs', 0x19800202: 'mqueue', 0xf97cff8c: 'selinuxfs', 0x6e736673: 'nsfs',
};

/** The name of the kernel pseudo file system `path` is on ('proc', 'sysfs', ...), or null for storage (or when unknown). */
export function specialFileSystem(path: string): string | null {
  try {
    return SPECIAL_FS[statfsSync(path).type >>> 0] ?? null;
  } catch {
    return null;
  }
}

/**
 * Makes `path` and its missing parents, one level at a time (Node's recursive
 * mkdir loops forever under /proc). Throws an FsError naming the path and the
 * cause: a parent that is a file, a pseudo file system, a read-only file
 * system, no permission, no space. `what` names the folder in messages.
 */
export function makeDirs(path: string, what = 'folder'): void {
  const abs = resolve(path);
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new FsError(p, `cannot use ${what} '${abs}': '${p}' cannot be read: ${fsCause(e)}`, { cause: e });
      missing.push(p);
      if (dirname(p) === p) break;
      p = dirname(p);
      continue;
    }
    if (!isDir) throw new FsError(p, `cannot use ${what} '${abs}': '${p}' is a file, not a folder`, { code: 'ENOTDIR' });
    break;
  }
  const special = specialFileSystem(p);
  if (special) throw new FsError(p, `cannot use ${what} '${abs}': '${p}' is on the kernel's ${special} file system, which holds no files`, { code: 'EINVAL' });
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && isDirectory(d)) continue;
      throw new FsError(d, `cannot create ${what} '${d}': ${fsCause(e)}`, { cause: e });
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The error for a data folder the user gave that holds no usable files (it is
 * missing, a file, or lacks `expected`): a usage error, never a silent fallback
 * to another copy of the dataset.
 */
export function unusableDataDir(dir: string, dataset: string, expected: string): DataError {
  const st = statSync(dir, { throwIfNoEntry: false });
  const problem = !st ? 'does not exist' : !st.isDirectory() ? 'is a file, not a folder' : `holds no ${dataset} files (looked for ${expected})`;
  return Object.assign(new DataError(dir, `the data folder given ${problem}`, `give the folder that holds the ${dataset} files, or leave the data folder out to use the default places (docs/data.md)`), { usage: true });
}

/** Writes via a temporary file and rename, so a crash never leaves a partial file. */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  cacheDirOrThrow(dirname(path));
  const tmp = `${path}.part-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new DataError(path, `cannot write: ${fsCause(e)}`, 'check that the cache directory is writable, or set TANGLENAS_CACHE to a writable directory', { cause: e });
  }
}

/** makeDirs for the dataset cache, as a DataError. */
function cacheDirOrThrow(dir: string): void {
  try {
    makeDirs(dir, 'the cache folder');
  } catch (e) {
    throw new DataError(dir, (e as Error).message, 'set TANGLENAS_CACHE (or --cache) to a writable folder on a disk', { cause: e });
  }
}

export interface DownloadOptions {
  /** Abort when the server has not answered (headers) within this time. Default 15 s. */
  connectTimeoutMs?: number;
  /** Abort when no bytes arrive for this long during the transfer. Default 60 s. */
  stallTimeoutMs?: number;
  log?: (msg: string) => void;
}

/**
 * Downloads `url` to `dest` (through `dest.part`, renamed on success). Rejects
 * with a plain Error describing the network failure; callers fall through.
 */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<void> {
  const connectMs = opts.connectTimeoutMs ?? 15_000;
  const stallMs = opts.stallTimeoutMs ?? 60_000;
  cacheDirOrThrow(dirname(dest));
  const part = `${dest}.part-${process.pid}`;
  const ctl = new AbortController();
  let timer = setTimeout(() => ctl.abort(new Error(`no answer within ${connectMs} ms`)), connectMs);
  try {
    const res = await fetch(url, { signal: ctl.signal, redirect: 'follow' });
    if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    const total = Number(res.headers.get('content-length') ?? 0);
    opts.log?.(`downloading ${url}${total ? ` (${(total / 1e6).toFixed(1)} MB)` : ''}`);
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    const rearm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => ctl.abort(new Error(`transfer stalled for ${stallMs} ms`)), stallMs);
    };
    rearm();
    body.on('data', rearm);
    await pipeline(body, createWriteStream(part));
    renameSync(part, dest);
  } catch (e) {
    rmSync(part, { force: true });
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = ctl.signal.aborted ? String((ctl.signal.reason as Error)?.message ?? ctl.signal.reason) : err.cause?.code ?? err.cause?.message ?? err.message;
    throw new Error(`download of ${url} failed: ${why}`);
  } finally {
    clearTimeout(timer);
  }
}

export function ensureDir(path: string): void {
  makeDirs(path);
}
