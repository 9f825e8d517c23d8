import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, randn, scalar, tensor, tidy, zeros, type Tensor } from '../tensor/index.js';
import { Flatten, ReLU } from './activation.js';
import { isAtomicTemp, writeFileAtomic } from './atomic.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';
import { BatchNorm2d } from './norm.js';
import { CHECKSUM_KEY, deserialize, loadFile, loadStateDictFile, saveFile, saveStateDict, serialize } from './safetensors.js';
import { Sequential } from './sequential.js';
import { runPython, skipWithoutTorch } from './test-util.js';

const dir = mkdtempSync(join(tmpdir(), 'tn-safetensors-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** One tensor of every dtype, plus 0-dim and empty ones. */
function sample(): Map<string, Tensor> {
  return new Map<string, Tensor>([
    ['f32', tensor([[1.5, -2.25, 3], [0, 1e-8, -1e30]])],
    ['f64', tensor([Math.PI, -Math.E, 1e-300], { dtype: 'float64' })],
    ['i64', tensor(new BigInt64Array([9007199254740993n, -5n]))],
    ['i32', tensor([-2147483648, 7, 2147483647], { dtype: 'int32' })],
    ['u8', tensor([0, 255, 128], { dtype: 'uint8' })],
    ['bool', tensor([true, false, true, true])],
    ['f16', tensor([0.5, -65504, 1 / 3]).to('float16')],
    ['scalar', scalar(42.5)],
    ['scalar_i64', scalar(-3, { dtype: 'int64' })],
    ['empty', zeros([0, 3])],
    ['empty_f16', zeros([2, 0]).to('float16')],
  ]);
}

function assertSameTensors(got: Map<string, Tensor>, want: Map<string, Tensor>): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [k, w] of want) {
    const g = got.get(k)!;
    assert.equal(g.dtype, w.dtype, `${k} dtype`);
    assert.deepEqual(g.shape, w.shape, `${k} shape`);
    assert.deepEqual(g.dataSync(), w.dataSync(), `${k} data`);
  }
}

test('round trip of every dtype, 0-dim and empty tensors, and metadata', () => {
  const want = sample();
  const path = join(dir, 'all.safetensors');
  saveFile(path, want, { format: 'pt', note: 'héllo "quoted"' });
  const { tensors, metadata } = loadFile(path);
  assertSameTensors(tensors, want);
  assert.deepEqual(metadata, { format: 'pt', note: 'héllo "quoted"' });
  // A plain object works too, and no metadata gives {}.
  assert.deepEqual(deserialize(serialize({ a: scalar(1) })).metadata, {});
});

test('layout: 8-byte length, space-padded header, widest dtypes first then names, aligned data', () => {
  const buf = serialize(sample(), { k: 'v' });
  const n = Number(buf.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const text = buf.subarray(8, 8 + n).toString('utf8');
  assert.match(text, /^\{"__metadata__":\{"k":"v"\},/);
  assert.match(text, /\}\s*$/);
  assert.ok(/^ *$/.test(text.slice(text.lastIndexOf('}') + 1)));
  const header = JSON.parse(text);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  assert.deepEqual(names, ['i64', 'scalar_i64', 'f64', 'empty', 'f32', 'scalar', 'i32', 'empty_f16', 'f16', 'u8', 'bool']);
  let end = 0;
  for (const k of names) {
    const [b, e] = header[k].data_offsets;
    assert.equal(b, end, `${k} starts where the previous ends`);
    const size = { I64: 8, F64: 8, F32: 4, I32: 4, F16: 2, U8: 1, BOOL: 1 }[header[k].dtype as string]!;
    assert.equal((8 + n + b) % size, 0, `${k} aligned`);
    end = e;
  }
  assert.equal(buf.length, 8 + n + end);
});

test('byte-exact with the reference writer on its own examples', () => {
  // From the safetensors project's serialisation tests: a [1, 2, 3] F32 tensor 0..5
  // named 'attn.0' (64-byte header, no padding needed), and empty files.
  const t = tensor([0, 1, 2, 3, 4, 5], { shape: [1, 2, 3] });
  const out = serialize({ 'attn.0': t });
  const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(header.length, 64);
  const f32 = Buffer.from(new Float32Array([0, 1, 2, 3, 4, 5]).buffer);
  assert.deepEqual(out, Buffer.concat([Buffer.from([64, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(header), f32]));
  assert.deepEqual(serialize({}), Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]));
  const withMeta = serialize({}, { framework: 'pt' });
  assert.equal(withMeta.readBigUInt64LE(0), 40n);
  assert.equal(withMeta.subarray(8).toString(), '{"__metadata__":{"framework":"pt"}}     ');
});

test('saving is atomic: overwrites in place and leaves no temporary files, also on failure', () => {
  const path = join(dir, 'atomic.safetensors');
  saveFile(path, { a: tensor([1, 2]) });
  saveFile(path, { a: tensor([3, 4]) });
  assert.deepEqual(loadFile(path).tensors.get('a')!.toArray(), [3, 4]);
  assert.throws(() => saveFile(path, { a: tensor([5]) }, { bad: 1 as never }), /metadata values must be strings; 'bad' is number/);
  assert.throws(() => saveFile(path, { __metadata__: tensor([5]) }), /reserved/);
  const disposed = tensor([1]);
  disposed.dispose();
  assert.throws(() => saveFile(path, { d: disposed }), /'d' was disposed/);
  assert.deepEqual(loadFile(path).tensors.get('a')!.toArray(), [3, 4], 'the old file survives failed saves');
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), []);
});

test('writeFileAtomic (safetensors and run directories): text, bytes or lazy chunks; a failure keeps the old file and removes the temporary one', () => {
  const path = join(dir, 'atomic.txt');
  writeFileAtomic(path, 'old');
  assert.equal(readFileSync(path, 'utf8'), 'old');
  writeFileAtomic(path, Buffer.from('bytes'));
  assert.equal(readFileSync(path, 'utf8'), 'bytes');
  writeFileAtomic(path, (function* () {
    yield Buffer.from('a');
    yield new Uint8Array(0);
    yield Buffer.from('b');
  })());
  assert.equal(readFileSync(path, 'utf8'), 'ab');
  const failing = function* (): Generator<Uint8Array> {
    yield Buffer.from('half');
    throw new Error('chunk failed');
  };
  assert.throws(() => writeFileAtomic(path, failing()), /chunk failed/);
  assert.equal(readFileSync(path, 'utf8'), 'ab', 'the old file survives a failed write');
  assert.throws(() => writeFileAtomic(join(dir, 'no-such-folder', 'x.txt'), 'x'), (e: Error & { code?: string }) => /^cannot write '.*no-such-folder\/x\.txt': no such file or directory \(ENOENT\)$/.test(e.message) && e.code === 'ENOENT');
  assert.deepEqual(readdirSync(dir).filter(isAtomicTemp), []);
  assert.ok(isAtomicTemp('.last.safetensors.12.34.tmp') && !isAtomicTemp('last.safetensors') && !isAtomicTemp('notes.tmp'));
});

test('checksum: the whole-file sha256 in the metadata, computed while writing, verified by every load; without it the bytes are unchanged', () => {
  const path = join(dir, 'sum.safetensors');
  const tensors = sample();
  const meta = { note: 'a "quoted" value', n: '1' };
  saveFile(path, tensors, meta, { checksum: true });
  const bytes = readFileSync(path);
  const got = loadFile(path);
  assertSameTensors(got.tensors, tensors);
  assert.match(got.metadata[CHECKSUM_KEY], /^[0-9a-f]{64}$/);
  assert.equal(got.metadata.note, meta.note);
  // The digits are the sha256 of the file with them read as zeros.
  const at = bytes.indexOf(got.metadata[CHECKSUM_KEY]);
  const zeroed = Buffer.from(bytes);
  zeroed.write('0'.repeat(64), at, 'latin1');
  assert.equal(createHash('sha256').update(zeroed).digest('hex'), got.metadata[CHECKSUM_KEY]);
  // Any changed byte, in the data or in the header, fails the load by name.
  for (const pos of [bytes.length - 3, bytes.indexOf('"n":"1"') + 5, bytes.indexOf('"f32"') + 1, at + 10]) {
    const bad = Buffer.from(bytes);
    bad[pos] ^= 0x04;
    writeFileSync(path, bad);
    assert.throws(() => loadFile(path), (e: Error) => e.message.includes(path) && /checksum/.test(e.message), `byte ${pos}`);
  }
  const flipped = Buffer.from(bytes);
  flipped[bytes.length - 3] ^= 0x01;
  writeFileSync(path, flipped);
  assert.throws(() => loadFile(path), /sum\.safetensors: checksum mismatch: the file's sha256 is [0-9a-f]{64}, it was written as [0-9a-f]{64}; its bytes changed after it was written/);
  // Without the option: exactly serialize()'s bytes, as before.
  saveFile(path, tensors, meta);
  assert.ok(readFileSync(path).equals(serialize(tensors, meta)));
});

/** A raw file from a header object and data bytes. */
function raw(header: unknown, data: number[] | Buffer = [], lengthOverride?: number): Buffer {
  const h = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(lengthOverride ?? h.length));
  return Buffer.concat([len, h, Buffer.from(data as number[])]);
}

test('loading rejects corrupt files with errors naming the file and the problem', () => {
  const path = join(dir, 'bad.safetensors');
  const expectError = (bytes: Buffer, pattern: RegExp): void => {
    writeFileSync(path, bytes);
    assert.throws(() => loadFile(path), (e: Error) => {
      assert.ok(e.message.includes(path), `names the file: ${e.message}`);
      assert.match(e.message, pattern);
      return true;
    });
  };
  const f32 = (shape: number[], offs: number[]): unknown => ({ dtype: 'F32', shape, data_offsets: offs });
  const good = serialize({ a: tensor([1, 2]), b: tensor([3]) });
  expectError(good.subarray(0, 5), /truncated file: 5 bytes/);
  expectError(good.subarray(0, 20), /truncated file: the header needs \d+ bytes but only 12 follow/);
  expectError(good.subarray(0, good.length - 2), /run past the \d+ data bytes|cover/);
  expectError(raw('{"a": ', [], 6), /not valid JSON/);
  expectError(raw('[1, 2]'), /does not start with '\{'/);
  expectError(raw(Buffer.concat([Buffer.from('{"'), Buffer.from([0xff, 0xfe]), Buffer.from('":1}')])), /not valid UTF-8/);
  expectError(raw('{}', [], 2 ** 40), /exceeds the 100000000-byte limit/);
  expectError(raw({ a: f32([2], [0, 16]) }, new Array(8).fill(0)), /tensor 'a': data_offsets \[0, 16\] run past the 8 data bytes/);
  expectError(raw({ a: f32([2], [0, 8]), b: f32([1], [4, 8]) }, new Array(8).fill(0)), /shape \[1\] of F32 needs 4 bytes but data_offsets \[4, 8\] hold 4|overlap/);
  expectError(raw({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, new Array(12).fill(0)), /tensor 'b': data_offsets \[4, 12\] overlap the previous tensor, which ends at 8/);
  expectError(raw({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, new Array(12).fill(0)), /tensor 'b': .* leave a gap after byte 4/);
  expectError(raw({ a: f32([1], [0, 4]) }, new Array(6).fill(0)), /cover 4 data bytes but the file holds 6/);
  expectError(raw({ a: f32([3], [0, 8]) }, new Array(8).fill(0)), /tensor 'a': shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] hold 8/);
  expectError(raw({ a: { dtype: 'Q7', shape: [1], data_offsets: [0, 1] } }, [0]), /tensor 'a': dtype "Q7" is unknown \(supported: /);
  expectError(raw({ a: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } }, [0, 0]), /dtype "BF16" is not supported by the engine/);
  expectError(raw({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /shape must be an array of non-negative integers/);
  expectError(raw({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, [0, 0, 0, 0]), /end before they begin/);
  expectError(raw({ a: { dtype: 'F32', shape: [1] } }, [0, 0, 0, 0]), /data_offsets must be \[begin, end\]/);
  expectError(raw({ __metadata__: { n: 1 } }), /__metadata__\.n must be a string/);
  expectError(raw({ a: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, [1, 7]), /BOOL byte 1 is 7/);
  assert.throws(() => loadFile(join(dir, 'missing.safetensors')), /cannot read .*missing\.safetensors/);
});

test('reads files whose tensors are not aligned (other writers, name order)', () => {
  const data = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(new Float32Array([1.25, -7]).buffer), Buffer.from(new BigInt64Array([-9n]).buffer)]);
  const bytes = raw({ a: { dtype: 'U8', shape: [3], data_offsets: [0, 3] }, b: { dtype: 'F32', shape: [2], data_offsets: [3, 11] }, c: { dtype: 'I64', shape: [], data_offsets: [11, 19] } }, data);
  const { tensors } = deserialize(bytes);
  assert.deepEqual(tensors.get('a')!.toArray(), [1, 2, 3]);
  assert.deepEqual(tensors.get('b')!.toArray(), [1.25, -7]);
  assert.deepEqual(tensors.get('c')!.shape, []);
  assert.equal(tensors.get('c')!.item(), -9);
});

test('module state dict round trip: a differently seeded module gives identical outputs after loading', () => {
  const build = (seed: number): Sequential => {
    manualSeed(seed);
    return new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new Flatten(), new Linear(4 * 4 * 4, 5));
  };
  const a = build(1);
  tidy(() => { a.forward(randn([4, 3, 4, 4])); }); // move the BN running statistics
  const path = join(dir, 'model.safetensors');
  saveStateDict(path, a, { epoch: '3' });
  const b = build(2);
  const x = randn([2, 3, 4, 4]);
  a.eval();
  b.eval();
  const ya = a.forward(x).toArray();
  assert.notDeepEqual(b.forward(x).toArray(), ya);
  assert.deepEqual(loadStateDictFile(path, b), { epoch: '3' });
  assert.deepEqual(b.forward(x).toArray(), ya);
  assert.equal((b.at(1) as BatchNorm2d).numBatchesTracked!.item(), 1);
  const small = new Sequential(new Linear(2, 2));
  assert.throws(() => loadStateDictFile(path, small), /missing keys.*unexpected keys.*\(loading .*model\.safetensors\)/);
});

test('interop with PyTorch: Python reads our file and writes one we read', { skip: skipWithoutTorch() }, () => {
  const ours = join(dir, 'ours.safetensors');
  const theirs = join(dir, 'theirs.safetensors');
  saveFile(ours, sample(), { source: 'tanglenas' });
  const py = runPython(`
import json, struct, sys, torch
ours, theirs = json.load(sys.stdin)
DT = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'I32': torch.int32, 'U8': torch.uint8, 'BOOL': torch.bool, 'F16': torch.float16}
def read(path):
    with open(path, 'rb') as f: buf = f.read()
    n = struct.unpack('<Q', buf[:8])[0]
    assert n % 8 == 0
    header = json.loads(buf[8:8 + n])
    meta = header.pop('__metadata__', {})
    data = buf[8 + n:]
    out = {}
    for name, info in header.items():
        b, e = info['data_offsets']
        dt = DT[info['dtype']]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=dt) if e > b else torch.empty(0, dtype=dt)
        out[name] = t.reshape(info['shape'])
    return meta, out
meta, ts = read(ours)
res = {'meta': meta, 'tensors': {k: {'dtype': str(v.dtype), 'shape': list(v.shape), 'values': v.flatten().double().tolist() if v.dtype != torch.int64 else [str(x) for x in v.flatten().tolist()]} for k, v in ts.items()}}
# Write a file by hand, tensors in name order (so some are misaligned).
tensors = {'w': torch.linspace(-1, 1, 6).reshape(2, 3), 'h': torch.tensor([1.5, -0.25], dtype=torch.float16),
           'mask': torch.tensor([True, False, True]), 'ids': torch.tensor([[-7, 2 ** 40]]), 'd': torch.tensor(2.5, dtype=torch.float64),
           'b': torch.tensor([3, 250], dtype=torch.uint8), 'i': torch.tensor([-1, 5], dtype=torch.int32), 'z': torch.zeros(0, 4)}
names = {v: k for k, v in DT.items()}
header, blobs, off = {'__metadata__': {'writer': 'python'}}, [], 0
for k in sorted(tensors):
    t = tensors[k].contiguous()
    raw = t.numpy().tobytes() if t.dtype != torch.float16 else t.view(torch.int16).numpy().tobytes()
    header[k] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(raw)]}
    blobs.append(raw); off += len(raw)
h = json.dumps(header).encode()
h += b' ' * ((8 - len(h) % 8) % 8)
with open(theirs, 'wb') as f:
    f.write(struct.pack('<Q', len(h))); f.write(h)
    for r in blobs: f.write(r)
print(json.dumps(res))
`, [ours, theirs]);
  // Python's view of our file.
  assert.deepEqual(py.meta, { source: 'tanglenas' });
  const torchName: Record<string, string> = {
    float32: 'torch.float32', float64: 'torch.float64', int64: 'torch.int64', int32: 'torch.int32', uint8: 'torch.uint8', bool: 'torch.bool', float16: 'torch.float16',
  };
  for (const [k, t] of sample()) {
    const got = py.tensors[k];
    assert.equal(got.dtype, torchName[t.dtype], k);
    assert.deepEqual(got.shape, t.shape, k);
    if (t.dtype === 'int64') assert.deepEqual(got.values, Array.from(t.dataSync() as BigInt64Array, String), k);
    else assert.deepEqual(got.values, t.to('float64').toArray(), k);
  }
  // Our view of Python's file.
  const { tensors, metadata } = loadFile(theirs);
  assert.deepEqual(metadata, { writer: 'python' });
  assert.deepEqual(tensors.get('w')!.shape, [2, 3]);
  assert.deepEqual(tensors.get('w')!.toArray().map((v) => Math.round(v * 1e6) / 1e6), [-1, -0.6, -0.2, 0.2, 0.6, 1]);
  assert.deepEqual(tensors.get('h')!.to('float32').toArray(), [1.5, -0.25]);
  assert.deepEqual(tensors.get('mask')!.toArray(), [1, 0, 1]);
  assert.equal(tensors.get('mask')!.dtype, 'bool');
  assert.deepEqual(tensors.get('ids')!.dataSync(), new BigInt64Array([-7n, 2n ** 40n]));
  assert.equal(tensors.get('d')!.item(), 2.5);
  assert.deepEqual(tensors.get('d')!.shape, []);
  assert.deepEqual(tensors.get('b')!.toArray(), [3, 250]);
  assert.deepEqual(tensors.get('i')!.toArray(), [-1, 5]);
  assert.deepEqual(tensors.get('z')!.shape, [0, 4]);
  assert.ok(existsSync(theirs) && readFileSync(theirs).length > 8);
});
