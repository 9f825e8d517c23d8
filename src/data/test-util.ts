// Helpers for the data tests: temporary directories, a tiny tar writer, and
// synthetic dataset files. Not used by the library itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'tanglenas-data-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a ustar archive holding regular files. */
export function makeTar(files: { path: string; data: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of files) {
    const h = new Uint8Array(512);
    const put = (s: string, off: number): void => {
      h.set(Buffer.from(s, 'utf8'), off);
    };
    put(f.path, 0);
    put('0000644\0', 100);
    put('0000000\0', 108);
    put('0000000\0', 116);
    put(`${f.data.length.toString(8).padStart(11, '0')}\0`, 124);
    put('00000000000\0', 136);
    h[156] = 0x30;
    put('ustar\0', 257);
    put('00', 263);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    parts.push(h, f.data, new Uint8Array((512 - (f.data.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

export function gzip(data: Uint8Array): Uint8Array {
  return gzipSync(data);
}

/** Deterministic pseudo-random bytes (not the library's PRNG, so tests stay independent). */
export function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The workspace's shared data folder (../shared/data from the repository root), or $TANGLENAS_SHARED_DATA. */
export function sharedDataDir(): string {
  if (process.env.TANGLENAS_SHARED_DATA) return process.env.TANGLENAS_SHARED_DATA;
  // dist/src/data/test-util.js -> repository root is three levels up.
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return join(root, '..', 'shared', 'data');
}
