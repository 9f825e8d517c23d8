// Atomic file writes: the bytes go to a temporary file in the same folder,
// which is fsynced and then renamed over the real name, so a kill or a crash
// at any moment leaves either the old file or the complete new one, never a
// torn one. The one implementation for safetensors files (nn/safetensors.ts)
// and every whole-file write of a run directory (search/rundir.ts). It sits
// on the nn floor so both may import it; it uses nothing but node:fs.
// A failure names the file and the cause ("no space left on device"), which
// Node's own errors of write and fsync do not.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What a temporary file of writeFileAtomic is named like (left behind only by a kill). */
export function isAtomicTemp(name: string): boolean {
  return /^\..*\.tmp$/.test(name);
}

/** Bytes written over the file after its chunks and before the fsync (a header field computed from the content). */
export interface Patch {
  position: number;
  bytes: Uint8Array;
}

/** `cannot write 'PATH': no space left on device (ENOSPC)`, keeping the errno code. */
function writeError(path: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (!err?.code) return err instanceof Error ? err : new Error(String(e));
  const words = /^[A-Z0-9]+: ([^,]+)/.exec(err.message)?.[1] ?? err.message;
  return Object.assign(new Error(`cannot write '${path}': ${words} (${err.code})`, { cause: e }), { code: err.code, path });
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // cleanup after a failure: the first error is the one to report
  }
}

function writeAll(fd: number, b: Uint8Array, position?: number): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off, position === undefined ? null : position + off);
}

/**
 * Writes `data` to `path` atomically: a temporary file beside it
 * (`.<name>.<pid>.<time>.tmp`), every chunk written in order, then `patch()`
 * if given, fsync, rename over `path`. Chunks may be produced lazily (a
 * generator), so large files are never assembled in memory. On any failure
 * the temporary file is removed, `path` keeps its old content, and the error
 * names `path` and the cause.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<Uint8Array>, patch?: () => Patch): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const chunks: Iterable<Uint8Array> = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  let fd: number;
  try {
    fd = openSync(tmp, 'wx');
  } catch (e) {
    throw writeError(path, e);
  }
  let ok = false;
  try {
    for (const b of chunks) writeAll(fd, b);
    if (patch) {
      const p = patch();
      writeAll(fd, p.bytes, p.position);
    }
    fsyncSync(fd);
    ok = true;
  } catch (e) {
    throw writeError(path, e);
  } finally {
    quietly(() => closeSync(fd));
    if (!ok) quietly(() => unlinkSync(tmp));
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    quietly(() => unlinkSync(tmp));
    throw writeError(path, e);
  }
}
