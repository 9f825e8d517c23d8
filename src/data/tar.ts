// A minimal tar reader (ustar, GNU long names, pax path records): enough for the
// official cifar-10-binary.tar.gz and npm package tarballs. Regular files only.
import { DataError } from './errors.js';

export interface TarEntry {
  path: string;
  data: Uint8Array;
}

function field(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + off, end - off).toString('utf8');
}

function octal(b: Uint8Array, off: number, len: number, file: string): number {
  if (b[off] & 0x80) {
    // GNU base-256 encoding for large sizes.
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + b[i];
    return v;
  }
  const s = field(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new DataError(file, `corrupt tar header (size field '${s}')`, 'delete the archive and fetch it again');
  return parseInt(s, 8);
}

/** Lists the regular files of an (uncompressed) tar archive. `file` names it in errors. */
export function readTar(tar: Uint8Array, file: string): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((x) => x === 0)) return out; // end-of-archive marker
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== octal(h, 148, 8, file)) throw new DataError(file, `corrupt tar header at byte ${off} (checksum mismatch)`, 'delete the archive and fetch it again');
    const size = octal(h, 124, 12, file);
    const type = String.fromCharCode(h[156] || 48);
    const start = off + 512;
    if (start + size > tar.length) throw new DataError(file, `tar archive truncated inside entry '${field(h, 0, 100)}' (needs ${start + size} bytes, has ${tar.length})`, 'delete the archive and fetch it again');
    const data = tar.subarray(start, start + size);
    off = start + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(Buffer.from(data).toString('utf8'));
      paxPath = m?.[1];
      continue;
    }
    if (type === 'g') continue;
    const prefix = field(h, 345, 155);
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    longName = paxPath = undefined;
    if (type === '0' || type === '7') out.push({ path: name, data });
  }
  // Ending on an entry boundary without the zero blocks is tolerated (callers
  // check that every file they need is present); stray bytes are not.
  if (off === tar.length) return out;
  throw new DataError(file, `tar archive truncated (${tar.length - off} stray bytes at the end)`, 'delete the archive and fetch it again');
}
