// IDX file format (MNIST / Fashion-MNIST): magic 0x00 0x00 <type> <ndims>, then
// ndims big-endian uint32 sizes, then the data. Only unsigned bytes (type 0x08).
import { DataError } from './errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const FIX = 'delete the file and fetch it again (see docs/data.md)';

/** Parses an uncompressed IDX buffer; `file` names it in errors. The data is a view on `buf`. */
export function parseIdx(buf: Uint8Array, file: string): IdxArray {
  if (buf.length < 4) throw new DataError(file, `too short for an IDX header (${buf.length} bytes); the file is truncated`, FIX);
  if (buf[0] !== 0 || buf[1] !== 0) throw new DataError(file, 'not an IDX file (bad magic number)', FIX);
  if (buf[2] !== 0x08) throw new DataError(file, `IDX element type 0x${buf[2].toString(16)} is not unsigned byte (0x08)`, 'use the official Fashion-MNIST/MNIST files');
  const ndims = buf[3];
  if (ndims < 1) throw new DataError(file, 'IDX header declares 0 dimensions', FIX);
  const header = 4 + 4 * ndims;
  if (buf.length < header) throw new DataError(file, `IDX header truncated (${buf.length} of ${header} bytes)`, FIX);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = dv.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const have = buf.length - header;
  if (have < count) throw new DataError(file, `IDX data truncated: dims [${dims.join(', ')}] need ${count} bytes, the file has ${have}`, FIX);
  if (have > count) throw new DataError(file, `IDX file has ${have - count} bytes beyond dims [${dims.join(', ')}]; it is corrupt`, FIX);
  return { dims, data: buf.subarray(header) };
}

/** Serialises a uint8 IDX array (tests, tools). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`encodeIdx: dims [${dims.join(', ')}] need ${count} bytes, got ${data.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const dv = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
