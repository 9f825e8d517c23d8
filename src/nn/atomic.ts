// Atomic file writes: the bytes go to a temporary file in the same folder,
// which is fsynced and then renamed over the real name, so a kill or a crash
// at any moment leaves either the old file or the complete new one, never a
// torn one. The one implementation for safetensors files (nn/safetensors.ts)
// and every whole-file write of a run directory (search/rundir.ts). It sits
// on the nn floor so both may import it; it uses nothing but node:fs.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What a temporary file of writeFileAtomic is named like (left behind only by a kill). */
export function isAtomicTemp(name: string): boolean {
  return /^\..*\.tmp$/.test(name);
}

/**
 * Writes `data` to `path` atomically: a temporary file beside it
 * (`.<name>.<pid>.<time>.tmp`), every chunk written in order, fsync, rename
 * over `path`. Chunks may be produced lazily (a generator), so large files are
 * never assembled in memory. On any failure the temporary file is removed and
 * `path` keeps its old content.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<Uint8Array>): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const chunks: Iterable<Uint8Array> = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  const fd = openSync(tmp, 'wx');
  let ok = false;
  try {
    for (const b of chunks) {
      let off = 0;
      while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    }
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) unlinkSync(tmp);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
}
