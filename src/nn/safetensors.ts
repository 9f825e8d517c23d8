// The safetensors format (https://github.com/huggingface/safetensors):
//   8 bytes   N, the header length, unsigned little-endian
//   N bytes   JSON {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {str: str}},
//             padded with spaces to a multiple of 8
//   rest      the tensors' bytes, little-endian, C order, contiguous, offsets relative to here
// Written like the reference writer: tensors ordered by dtype alignment (widest
// first) then name, so every tensor starts aligned to its element size.
// Files are written atomically (atomic.ts: temporary name, fsync, rename), so a
// crash never leaves a half-written checkpoint under the real name. With the
// `checksum` option the metadata carries the sha256 of the whole file (its own
// 64 digits read as zeros), computed while the bytes stream out and verified
// by every load, so a file damaged after it was written is refused.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { tensor, Tensor, type DType, type Device, type TypedArray } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic.js';
import type { Module } from './module.js';

type StDtype = 'F64' | 'I64' | 'F32' | 'I32' | 'F16' | 'U8' | 'BOOL';

const TO_ST: Record<DType, StDtype> = {
  float64: 'F64', int64: 'I64', float32: 'F32', int32: 'I32', float16: 'F16', uint8: 'U8', bool: 'BOOL',
};
const FROM_ST: Record<StDtype, DType> = {
  F64: 'float64', I64: 'int64', F32: 'float32', I32: 'int32', F16: 'float16', U8: 'uint8', BOOL: 'bool',
};
const ITEM_SIZE: Record<StDtype, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, U8: 1, BOOL: 1 };
/** The reference writer's dtype order (its enum order, written widest first). */
const RANK: Record<StDtype, number> = { BOOL: 0, U8: 1, F16: 7, I32: 9, F32: 11, F64: 12, I64: 13 };
/** Format dtypes the engine has no tensor type for. */
const KNOWN_UNSUPPORTED = ['I8', 'I16', 'U16', 'U32', 'U64', 'BF16', 'F8_E4M3', 'F8_E5M2'];

/** Metadata key of the whole-file checksum: sha256 of the file with these 64 hex digits read as '0'. */
export const CHECKSUM_KEY = 'tanglenas.sha256';
const ZEROS = '0'.repeat(64);
/** Where the checksum digits begin in a header, or -1. */
function checksumAt(header: Uint8Array, digits: string): number {
  const prefix = `"${CHECKSUM_KEY}":"`;
  const at = Buffer.from(header.buffer, header.byteOffset, header.byteLength).indexOf(`${prefix}${digits}"`, 0, 'utf8');
  return at < 0 ? -1 : at + prefix.length;
}

/** The reference implementation's cap on the header size. */
const MAX_HEADER = 100_000_000;

export type NamedTensors = Map<string, Tensor>;
export type Metadata = Record<string, string>;

function checkHost(): void {
  // The format is little-endian and the engine copies raw bytes.
  if (endianness() !== 'LE') throw new Error('safetensors: big-endian hosts are not supported');
}

function toMap(tensors: NamedTensors | Record<string, Tensor>): NamedTensors {
  return tensors instanceof Map ? tensors : new Map(Object.entries(tensors));
}

interface Planned {
  name: string;
  t: Tensor;
  dtype: StDtype;
  shape: number[];
  begin: number;
  end: number;
}

function plan(tensors: NamedTensors, metadata: Metadata | undefined, where: string): { header: Buffer; items: Planned[] } {
  checkHost();
  const items: Planned[] = [];
  for (const [name, t] of tensors) {
    if (typeof name !== 'string' || name === '') throw new TypeError(`${where}: tensor names must be non-empty strings`);
    if (name === '__metadata__') throw new TypeError(`${where}: '__metadata__' is reserved and cannot name a tensor`);
    if (!(t instanceof Tensor)) throw new TypeError(`${where}: '${name}' is not a Tensor`);
    if (t.isDisposed) throw new Error(`${where}: '${name}' was disposed before saving`);
    items.push({ name, t, dtype: TO_ST[t.dtype], shape: t.shape, begin: 0, end: 0 });
  }
  items.sort((a, b) => RANK[b.dtype] - RANK[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let offset = 0;
  for (const it of items) {
    it.begin = offset;
    offset += it.t.numel * ITEM_SIZE[it.dtype];
    it.end = offset;
  }
  const json: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`${where}: metadata values must be strings; '${k}' is ${typeof v} (JSON.stringify it)`);
    }
    json.__metadata__ = metadata;
  }
  for (const it of items) json[it.name] = { dtype: it.dtype, shape: it.shape, data_offsets: [it.begin, it.end] };
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  const padded = Buffer.alloc(Math.ceil(text.length / 8) * 8, 0x20);
  text.copy(padded);
  return { header: padded, items };
}

function bytesOf(t: Tensor): Uint8Array {
  const d = t.dataSync();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function lengthPrefix(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** The file's bytes in memory. */
export function serialize(tensors: NamedTensors | Record<string, Tensor>, metadata?: Metadata): Buffer {
  const { header, items } = plan(toMap(tensors), metadata, 'safetensors.serialize');
  return Buffer.concat([lengthPrefix(header.length), header, ...items.map((it) => bytesOf(it.t))]);
}

export interface SaveOptions {
  /** Add the whole-file sha256 to the metadata (CHECKSUM_KEY); loading verifies it. */
  checksum?: boolean;
}

/**
 * Writes `tensors` (and optional string metadata) to `path` atomically: a
 * temporary file in the same folder, fsync, then rename over `path`.
 * Tensors on other devices are copied to the CPU one at a time.
 */
export function saveFile(path: string, tensors: NamedTensors | Record<string, Tensor>, metadata?: Metadata, opts: SaveOptions = {}): void {
  const meta = opts.checksum ? { ...metadata, [CHECKSUM_KEY]: ZEROS } : metadata;
  const { header, items } = plan(toMap(tensors), meta, `safetensors.saveFile(${path})`);
  const chunks = function* () {
    yield lengthPrefix(header.length);
    yield header;
    for (const it of items) yield bytesOf(it.t);
  };
  if (!opts.checksum) return writeFileAtomic(path, chunks());
  const hash = createHash('sha256');
  const hashed = function* () {
    for (const c of chunks()) {
      hash.update(c);
      yield c;
    }
  };
  // The digits are written over the placeholder once every byte has been hashed.
  const position = 8 + checksumAt(header, ZEROS);
  writeFileAtomic(path, hashed(), () => ({ position, bytes: Buffer.from(hash.digest('hex'), 'latin1') }));
}

export interface LoadOptions {
  /** Device of the loaded tensors (default 'cpu'). */
  device?: Device;
}

export interface Loaded {
  tensors: NamedTensors;
  metadata: Metadata;
}

/**
 * Reads a file written by any safetensors writer; every check failure names the
 * file. The tensors belong to the current scope (inside tidy, return or keep them).
 */
export function loadFile(path: string, opts: LoadOptions = {}): Loaded {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`safetensors: cannot read ${path}: ${(e as Error).message}`);
  }
  return deserialize(buf, { ...opts, source: path });
}

/** Parses the bytes of a safetensors file. `source` names it in errors. */
export function deserialize(buf: Uint8Array, opts: LoadOptions & { source?: string } = {}): Loaded {
  checkHost();
  const src = opts.source ?? '<buffer>';
  const fail = (msg: string): never => {
    throw new Error(`safetensors: ${src}: ${msg}`);
  };
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length < 8) fail(`truncated file: ${bytes.length} bytes, fewer than the 8-byte header length`);
  const n64 = bytes.readBigUInt64LE(0);
  if (n64 > BigInt(MAX_HEADER)) fail(`header length ${n64} exceeds the ${MAX_HEADER}-byte limit (not a safetensors file?)`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`truncated file: the header needs ${n} bytes but only ${bytes.length - 8} follow the length`);
  let headerText = '';
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('the header is not valid UTF-8');
  }
  if (!headerText.startsWith('{')) fail(`the header does not start with '{' (not a safetensors file?)`);
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    fail(`the header is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('the header must be a JSON object');
  const data = bytes.subarray(8 + n);
  const sum = (header as { __metadata__?: Record<string, unknown> }).__metadata__?.[CHECKSUM_KEY];
  if (sum !== undefined) verifyChecksum(bytes, n, sum, fail);

  const metadata: Metadata = {};
  const entries: { name: string; dtype: StDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(`__metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v as string;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object') fail(`tensor '${name}': entry must be an object`);
    const dt = info.dtype;
    if (typeof dt !== 'string' || !(dt in FROM_ST)) {
      const why = typeof dt === 'string' && KNOWN_UNSUPPORTED.includes(dt) ? 'is not supported by the engine' : 'is unknown';
      fail(`tensor '${name}': dtype ${JSON.stringify(dt)} ${why} (supported: ${Object.keys(FROM_ST).join(', ')})`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}': data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as number[];
    if (begin > end) fail(`tensor '${name}': data_offsets [${begin}, ${end}] end before they begin`);
    if (end > data.length) fail(`tensor '${name}': data_offsets [${begin}, ${end}] run past the ${data.length} data bytes (truncated file?)`);
    const dtype = dt as StDtype;
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (numel * ITEM_SIZE[dtype] !== end - begin) {
      fail(`tensor '${name}': shape ${JSON.stringify(shape)} of ${dtype} needs ${numel * ITEM_SIZE[dtype]} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // Like the reference reader: the tensors must tile the data exactly, with no
  // overlap, gap or trailing bytes.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of byOffset) {
    if (e.begin < cursor) fail(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap the previous tensor, which ends at ${cursor}`);
    if (e.begin > cursor) fail(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] leave a gap after byte ${cursor}`);
    cursor = e.end;
  }
  if (cursor !== data.length) fail(`the tensors cover ${cursor} data bytes but the file holds ${data.length} (trailing bytes or truncated header?)`);

  const tensors: NamedTensors = new Map();
  try {
    for (const e of entries) {
      const raw = data.subarray(e.begin, e.end);
      if (e.dtype === 'BOOL') {
        for (let i = 0; i < raw.length; i++) if (raw[i] > 1) fail(`tensor '${e.name}': BOOL byte ${i} is ${raw[i]}, not 0 or 1`);
      }
      tensors.set(e.name, tensor(typedView(raw, e.dtype), { shape: e.shape, dtype: FROM_ST[e.dtype], device: opts.device }));
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}

/** Checks the whole-file sha256 of a file saved with `checksum`. */
function verifyChecksum(bytes: Buffer, headerLength: number, sum: unknown, fail: (msg: string) => never): void {
  if (typeof sum !== 'string' || !/^[0-9a-f]{64}$/.test(sum)) fail(`__metadata__.${CHECKSUM_KEY} must be 64 lowercase hex digits, got ${JSON.stringify(sum)}`);
  const at = checksumAt(bytes.subarray(8, 8 + headerLength), sum as string);
  if (at < 0) fail(`__metadata__.${CHECKSUM_KEY} is not where the writer puts it (the header was rewritten)`);
  const pos = 8 + at;
  const got = createHash('sha256').update(bytes.subarray(0, pos)).update(ZEROS, 'latin1').update(bytes.subarray(pos + 64)).digest('hex');
  if (got !== sum) fail(`checksum mismatch: the file's sha256 is ${got}, it was written as ${sum as string}; its bytes changed after it was written (disk or copy error, or an edit)`);
}

/** A typed array over the bytes, copying only when they are misaligned for the type. */
function typedView(raw: Uint8Array, dtype: StDtype): TypedArray {
  const size = ITEM_SIZE[dtype];
  const src = raw.byteOffset % size === 0 ? raw : new Uint8Array(raw);
  const n = raw.length / size;
  switch (dtype) {
    case 'F64': return new Float64Array(src.buffer, src.byteOffset, n);
    case 'I64': return new BigInt64Array(src.buffer, src.byteOffset, n);
    case 'F32': return new Float32Array(src.buffer, src.byteOffset, n);
    case 'I32': return new Int32Array(src.buffer, src.byteOffset, n);
    case 'F16': return new Uint16Array(src.buffer, src.byteOffset, n);
    default: return src;
  }
}

/** Saves a module's parameters and buffers under their dotted state-dict names. */
export function saveStateDict(path: string, module: Module, metadata?: Metadata): void {
  saveFile(path, module.stateDict(), metadata);
}

/**
 * Loads a file saved by saveStateDict (or PyTorch's save_file of a state_dict)
 * into `module`; strict by default. Returns the file's metadata.
 */
export function loadStateDictFile(path: string, module: Module, opts: { strict?: boolean } = {}): Metadata {
  const { tensors, metadata } = loadFile(path);
  try {
    module.loadStateDict(tensors, opts);
  } catch (e) {
    (e as Error).message = `${(e as Error).message} (loading ${path})`;
    throw e;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  return metadata;
}
