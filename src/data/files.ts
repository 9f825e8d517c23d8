// File helpers shared by the dataset modules: hashing, verified reads, gzip,
// the cache directory, atomic writes and downloads with a timeout.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** Writes via a temporary file and rename, so a crash never leaves a partial file. */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.part-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new DataError(path, `cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`, 'check that the cache directory is writable, or set TANGLENAS_CACHE to a writable directory', { cause: e });
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
  mkdirSync(dirname(dest), { recursive: true });
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
  if (!existsSync(path)) mkdirSync(path, { recursive: true });
}
