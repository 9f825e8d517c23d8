// IDX parsing and the Fashion-MNIST fetcher on small generated files, plus the
// real Debian files when they are installed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from './errors.js';
import { sha256 } from './files.js';
import { encodeIdx, parseIdx } from './idx.js';
import { FASHION_MNIST_DEBIAN_DIR, loadFashionMnist, resolveFashionMnist } from './fashion-mnist.js';
import { prepareDataset } from './prepare.js';
import { bytes, gzip, tempDir } from './test-util.js';

const NAMES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/** Writes a small synthetic Fashion-MNIST (nTrain/nTest samples) and returns the checksum override. */
function writeSynthetic(dir: string, nTrain = 6, nTest = 4, gz = true): { checksums: Record<string, string>; raw: Record<string, Uint8Array> } {
  mkdirSync(dir, { recursive: true });
  const raw: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': encodeIdx([nTrain, 28, 28], bytes(nTrain * 784, 1)),
    'train-labels-idx1-ubyte': encodeIdx([nTrain], Uint8Array.from({ length: nTrain }, (_, i) => i % 10)),
    't10k-images-idx3-ubyte': encodeIdx([nTest, 28, 28], bytes(nTest * 784, 2)),
    't10k-labels-idx1-ubyte': encodeIdx([nTest], Uint8Array.from({ length: nTest }, (_, i) => 9 - (i % 10))),
  };
  const checksums: Record<string, string> = {};
  for (const [name, data] of Object.entries(raw)) {
    checksums[name] = sha256(data);
    if (gz) writeFileSync(join(dir, `${name}.gz`), gzip(data));
    else writeFileSync(join(dir, name), data);
  }
  return { checksums, raw };
}

const noNet = { debianDir: null, download: false } as const;

describe('IDX parser', () => {
  test('round trip', () => {
    const data = bytes(2 * 3 * 4);
    const p = parseIdx(encodeIdx([2, 3, 4], data), 'x');
    assert.deepEqual(p.dims, [2, 3, 4]);
    assert.deepEqual(Array.from(p.data), Array.from(data));
  });
  test('truncated, oversized and malformed files name the file', () => {
    const good = encodeIdx([2, 3], bytes(6));
    assert.throws(() => parseIdx(good.subarray(0, good.length - 1), 'f.idx'), (e: unknown) => e instanceof DataError && e.file === 'f.idx' && /truncated: dims \[2, 3\] need 6 bytes, the file has 5/.test(e.message));
    assert.throws(() => parseIdx(Buffer.concat([good, new Uint8Array(1)]), 'f.idx'), /1 bytes beyond/);
    assert.throws(() => parseIdx(good.subarray(0, 6), 'f.idx'), /header truncated/);
    assert.throws(() => parseIdx(new Uint8Array(2), 'f.idx'), /too short/);
    const bad = good.slice();
    bad[0] = 1;
    assert.throws(() => parseIdx(bad, 'f.idx'), /bad magic/);
    const float = good.slice();
    float[2] = 0x0d;
    assert.throws(() => parseIdx(float, 'f.idx'), /not unsigned byte/);
  });
});

describe('Fashion-MNIST fetcher', () => {
  test('loads gzipped files from a user directory, verified, shared memory', async () => {
    const t = tempDir();
    try {
      const { checksums, raw } = writeSynthetic(t.dir);
      const ds = await loadFashionMnist({ dir: t.dir, checksums, ...noNet, cacheDir: join(t.dir, 'cache') });
      assert.equal(ds.source, 'user');
      assert.equal(ds.train.size, 6);
      assert.equal(ds.test.size, 4);
      assert.deepEqual(Array.from(ds.train.labels), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(Array.from(ds.test.labels), [9, 8, 7, 6]);
      assert.deepEqual(Array.from(ds.train.images), Array.from(raw['train-images-idx3-ubyte'].subarray(16)));
      assert.ok(ds.train.images.buffer instanceof SharedArrayBuffer);
      assert.deepEqual([ds.channels, ds.height, ds.width], [1, 28, 28]);
      assert.deepEqual([ds.mean[0], ds.std[0]], [0.2859, 0.353]);
      assert.deepEqual(ds.files.train, [join(t.dir, 'train-images-idx3-ubyte.gz'), join(t.dir, 'train-labels-idx1-ubyte.gz')]);
    } finally {
      t.cleanup();
    }
  });

  test('plain (uncompressed) IDX files and the cache directory are found', async () => {
    const t = tempDir();
    try {
      const { checksums } = writeSynthetic(join(t.dir, 'fashion-mnist'), 3, 2, false);
      const r = await resolveFashionMnist({ cacheDir: t.dir, checksums, ...noNet });
      assert.equal(r.source, 'cache');
      assert.equal(r.contents['t10k-labels-idx1-ubyte'].length, 8 + 2);
    } finally {
      t.cleanup();
    }
  });

  test('checksum mismatch is an error naming the file, the hashes and the fix', async () => {
    const t = tempDir();
    try {
      const { checksums } = writeSynthetic(t.dir);
      const wrong = { ...checksums, 't10k-images-idx3-ubyte': '0'.repeat(64) };
      await assert.rejects(loadFashionMnist({ dir: t.dir, checksums: wrong, ...noNet }), (e: unknown) => {
        assert.ok(e instanceof DataError);
        assert.equal(e.file, join(t.dir, 't10k-images-idx3-ubyte.gz'));
        assert.match(e.message, /sha256 mismatch \(expected 0{64}, got [0-9a-f]{64}/);
        assert.match(e.message, /Fix: /);
        return true;
      });
      // The official hashes (no override) reject synthetic files too.
      await assert.rejects(loadFashionMnist({ dir: t.dir, ...noNet }), /sha256 mismatch/);
    } finally {
      t.cleanup();
    }
  });

  test('truncated or corrupt gzip, missing files and an empty directory are clear errors', async () => {
    const t = tempDir();
    try {
      const { checksums } = writeSynthetic(t.dir);
      const f = join(t.dir, 'train-labels-idx1-ubyte.gz');
      const gz = gzip(encodeIdx([6], Uint8Array.from([0, 1, 2, 3, 4, 5])));
      writeFileSync(f, gz.subarray(0, gz.length - 6));
      await assert.rejects(loadFashionMnist({ dir: t.dir, checksums, ...noNet }), (e: unknown) => e instanceof DataError && e.file === f && /truncated or corrupt/.test(e.message));
      writeFileSync(f, 'not gzip at all');
      await assert.rejects(loadFashionMnist({ dir: t.dir, checksums, ...noNet }), /not a gzip file although it is named \.gz/);
      writeFileSync(f, new Uint8Array(0));
      await assert.rejects(loadFashionMnist({ dir: t.dir, checksums, ...noNet }), /not a gzip file/);
      const { rmSync } = await import('node:fs');
      rmSync(f);
      writeFileSync(join(t.dir, 'train-labels-idx1-ubyte'), new Uint8Array(0)); // an empty plain file
      await assert.rejects(loadFashionMnist({ dir: t.dir, checksums, ...noNet }), /sha256 mismatch .*the file is empty/);
    } finally {
      t.cleanup();
    }
    const p = tempDir();
    try {
      writeSynthetic(p.dir);
      const { rmSync } = await import('node:fs');
      rmSync(join(p.dir, 't10k-labels-idx1-ubyte.gz'));
      await assert.rejects(loadFashionMnist({ dir: p.dir, ...noNet }), (e: unknown) => e instanceof DataError && e.file === p.dir && /incomplete Fashion-MNIST: t10k-labels-idx1-ubyte\(\.gz\) missing/.test(e.message));
    } finally {
      p.cleanup();
    }
    const empty = tempDir();
    try {
      await assert.rejects(loadFashionMnist({ cacheDir: empty.dir, ...noNet }), (e: unknown) => {
        assert.ok(e instanceof DataError);
        assert.match(e.message, /Fashion-MNIST not found\. Tried:/);
        assert.match(e.message, /cache directory .*: does not exist/);
        assert.match(e.message, /official download: skipped/);
        assert.match(e.message, /apt-get install dataset-fashion-mnist/);
        return true;
      });
    } finally {
      empty.cleanup();
    }
  });

  test('a data folder given is used or refused, never passed over for another copy (issue 11, finding 5)', async () => {
    const t = tempDir();
    try {
      // Complete files elsewhere (where Debian's would be): an empty, missing or file --data-dir must not fall back to them.
      const other = join(t.dir, 'debian');
      mkdirSync(other);
      const { checksums } = writeSynthetic(other);
      const empty = join(t.dir, 'empty');
      mkdirSync(empty);
      const file = join(t.dir, 'file');
      writeFileSync(file, 'x');
      for (const [dir, why] of [[empty, /the data folder given holds no Fashion-MNIST files \(looked for train-images-idx3-ubyte\(\.gz\)/], [join(t.dir, 'missing'), /the data folder given does not exist/], [file, /the data folder given is a file, not a folder/]] as const) {
        await assert.rejects(loadFashionMnist({ dir, debianDir: other, checksums, download: false }), (e: unknown) => {
          assert.ok(e instanceof DataError && e.file === dir, String(e));
          assert.match(e.message, why);
          assert.equal((e as { usage?: boolean }).usage, true, 'a usage error (exit code 2)');
          return true;
        });
      }
      const used = await resolveFashionMnist({ dir: other, debianDir: null, checksums, download: false });
      assert.equal(used.source, 'user');
    } finally {
      t.cleanup();
    }
  });

  test('wrong shapes and labels are rejected', async () => {
    const t = tempDir();
    try {
      const { checksums } = writeSynthetic(t.dir);
      const badLabels = encodeIdx([6], Uint8Array.from([0, 1, 2, 3, 4, 10]));
      writeFileSync(join(t.dir, 'train-labels-idx1-ubyte.gz'), gzip(badLabels));
      await assert.rejects(loadFashionMnist({ dir: t.dir, checksums: { ...checksums, 'train-labels-idx1-ubyte': sha256(badLabels) }, ...noNet }), /label 10 at sample 5/);
      const fewLabels = encodeIdx([5], Uint8Array.from([0, 1, 2, 3, 4]));
      writeFileSync(join(t.dir, 'train-labels-idx1-ubyte.gz'), gzip(fewLabels));
      await assert.rejects(loadFashionMnist({ dir: t.dir, checksums: { ...checksums, 'train-labels-idx1-ubyte': sha256(fewLabels) }, ...noNet }), /do not match 6 images/);
    } finally {
      t.cleanup();
    }
  });

  test('an unreachable official download fails fast and falls through to the error', async () => {
    const t = tempDir();
    try {
      const start = Date.now();
      await assert.rejects(
        loadFashionMnist({ cacheDir: t.dir, debianDir: null, download: true, baseUrl: 'http://127.0.0.1:9/', connectTimeoutMs: 2000 }),
        (e: unknown) => e instanceof DataError && /official download http:\/\/127\.0\.0\.1:9\/: download of .* failed/.test(e.message),
      );
      assert.ok(Date.now() - start < 5000);
    } finally {
      t.cleanup();
    }
  });

  test('prepareDataset returns the verified paths', async () => {
    const t = tempDir();
    try {
      const { checksums } = writeSynthetic(t.dir);
      const p = await prepareDataset('Fashion-MNIST', { dir: t.dir, checksums, ...noNet });
      assert.equal(p.name, 'fashion-mnist');
      assert.equal(p.source, 'user');
      assert.deepEqual(p.files.test, NAMES.slice(2).map((n) => join(t.dir, `${n}.gz`)));
      await assert.rejects(prepareDataset('cifar100'), (e: unknown) => e instanceof DataError && /unknown dataset 'cifar100'/.test(e.message) && /cifar10, fashion-mnist/.test(e.message));
    } finally {
      t.cleanup();
    }
  });
});

const debian = existsSync(join(FASHION_MNIST_DEBIAN_DIR, 'train-images-idx3-ubyte.gz'));
test('the real Debian Fashion-MNIST: 60k/10k, 6000/1000 per class, verified', { skip: debian ? false : `${FASHION_MNIST_DEBIAN_DIR} not installed (apt-get install dataset-fashion-mnist)` }, async () => {
  const t = tempDir();
  try {
    const ds = await loadFashionMnist({ cacheDir: t.dir, download: false });
    assert.equal(ds.source, 'debian');
    assert.equal(ds.train.size, 60_000);
    assert.equal(ds.test.size, 10_000);
    assert.equal(ds.train.images.length, 60_000 * 784);
    const hist = (l: ArrayLike<number>): number[] => Array.from(l).reduce((h, v) => (h[v]++, h), new Array(10).fill(0));
    assert.deepEqual(hist(ds.train.labels), new Array(10).fill(6000));
    assert.deepEqual(hist(ds.test.labels), new Array(10).fill(1000));
    assert.deepEqual(Array.from(ds.train.labels.subarray(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  } finally {
    t.cleanup();
  }
});
