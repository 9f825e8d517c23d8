// CIFAR-100: the fetcher's order (user directory, archive, cache, offline
// error), the archive's checksum and the structural checks of the .bin files,
// on a small synthetic archive made here (2 train and 1 test image per class).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR100_BIN_DIR, CIFAR100_CLASSES, CIFAR100_TARBALL, CIFAR100_TARBALL_SHA256, extractCifar100Tarball, loadCifar100, parseCifar100Records } from './cifar100.js';
import { DataError } from './errors.js';
import { sha256 } from './files.js';
import { getDataset } from './registry.js';
import { bytes, gzip, makeTar, tempDir } from './test-util.js';

/** n records (a multiple of 100): fine label i % 100 with coarse label fine % 20, then 3072 pixel bytes. */
function records(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n * 3074);
  const px = bytes(n * 3072, seed);
  for (let i = 0; i < n; i++) {
    const fine = (i * 7 + seed) % 100;
    out[i * 3074] = fine % 20;
    out[i * 3074 + 1] = fine;
    out.set(px.subarray(i * 3072, (i + 1) * 3072), i * 3074 + 2);
  }
  return out;
}

const SMALL = { train: 200, test: 100 };

/** Runs `fn` in a fresh temporary folder, removed afterwards. */
async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const t = tempDir();
  try {
    await fn(t.dir);
  } finally {
    t.cleanup();
  }
}
const offline = { download: false, records: SMALL } as const;

function archive(train = records(200, 1), test = records(100, 2)): { tgz: Uint8Array; checksums: Record<string, string>; train: Uint8Array; test: Uint8Array } {
  const tgz = gzip(makeTar([
    { path: `${CIFAR100_BIN_DIR}/train.bin`, data: train },
    { path: `${CIFAR100_BIN_DIR}/test.bin`, data: test },
    { path: `${CIFAR100_BIN_DIR}/fine_label_names.txt`, data: Buffer.from(CIFAR100_CLASSES.join('\n')) },
  ]));
  return { tgz, checksums: { [CIFAR100_TARBALL]: sha256(tgz) }, train, test };
}

describe('CIFAR-100', () => {
  test('the official archive in the user directory: checksum, extraction into the cache, fine labels, planar images, normalisation', async () => {
    await inTempDir(async (dir) => {
      const a = archive();
      writeFileSync(join(dir, CIFAR100_TARBALL), a.tgz);
      const cacheDir = join(dir, 'cache');
      const ds = await loadCifar100({ dir: dir, cacheDir, checksums: a.checksums, ...offline });
      assert.equal(ds.source, 'user');
      assert.deepEqual([ds.train.size, ds.test.size, ds.numClasses, ds.name], [200, 100, 100, 'cifar100']);
      assert.deepEqual(Array.from(ds.train.labels.subarray(0, 3)), [1, 8, 15]);
      assert.deepEqual(Array.from(ds.test.images.subarray(3072, 2 * 3072)), Array.from(a.test.subarray(3074 + 2, 2 * 3074)));
      assert.ok(ds.train.images.buffer instanceof SharedArrayBuffer);
      assert.deepEqual(ds.augment, { cropPadding: 4, hflip: true });
      assert.ok(Math.abs(ds.mean[0] - 129.3 / 255) < 1e-12 && Math.abs(ds.std[2] - 70.4 / 255) < 1e-12);
      assert.equal(ds.classNames.length, 100);
      assert.equal(ds.files.train[0], join(cacheDir, 'cifar100', CIFAR100_BIN_DIR, 'train.bin'));
      // The extracted files stay in the cache: the next load needs no archive.
      const again = await loadCifar100({ cacheDir, ...offline });
      assert.equal(again.source, 'cache');
      assert.deepEqual(Array.from(again.train.labels), Array.from(ds.train.labels));
    });
  });

  test('train.bin and test.bin in a user directory (or its cifar-100-binary/) are used as they are', async () => {
    await inTempDir(async (dir) => {
      const a = archive();
      mkdirSync(join(dir, CIFAR100_BIN_DIR));
      writeFileSync(join(dir, CIFAR100_BIN_DIR, 'train.bin'), a.train);
      writeFileSync(join(dir, CIFAR100_BIN_DIR, 'test.bin'), a.test);
      const ds = await loadCifar100({ dir: dir, cacheDir: join(dir, 'cache'), ...offline });
      assert.deepEqual([ds.source, ds.train.size, ds.test.size], ['user', 200, 100]);
      writeFileSync(join(dir, 'train.bin'), a.train);
      await assert.rejects(loadCifar100({ dir: dir, cacheDir: join(dir, 'cache'), ...offline }), (e: unknown) => e instanceof DataError && /incomplete CIFAR-100: test.bin missing/.test(e.message));
    });
  });

  test('an archive that is not the official one fails its sha256; a missing dataset lists every place tried', async () => {
    await inTempDir(async (dir) => {
      const a = archive();
      assert.throws(() => extractCifar100Tarball(a.tgz, 'x.tar.gz'), (e: unknown) => e instanceof DataError && e.message.includes(`sha256 mismatch (expected ${CIFAR100_TARBALL_SHA256}`));
      const noBinary = gzip(makeTar([{ path: 'cifar-100-python/train', data: new Uint8Array(10) }]));
      assert.throws(() => extractCifar100Tarball(noBinary, 'p.tar.gz', { checksums: { [CIFAR100_TARBALL]: sha256(noBinary) } }), /the archive has no cifar-100-binary\/train.bin; it is not the binary version/);
      await assert.rejects(loadCifar100({ dir: join(dir, 'nope'), cacheDir: join(dir, 'cache'), ...offline }), (e: unknown) => e instanceof DataError && /CIFAR-100 not found/.test(e.message) && /user directory .*nope: does not exist/.test(e.message) && /official download: skipped/.test(e.message) && /cifar-100-binary.tar.gz/.test(e.fix));
    });
  });

  test('structure checks: record size and count, label ranges, one coarse label per fine label, classes balanced', () => {
    const ok = records(200, 1);
    assert.equal(parseCifar100Records(ok, 'train.bin', 200).size, 200);
    const fails = (buf: Uint8Array, n: number, re: RegExp) => assert.throws(() => parseCifar100Records(buf, 'train.bin', n), (e: unknown) => e instanceof DataError && e.file === 'train.bin' && re.test(e.message), String(re));
    fails(ok.subarray(0, 3074 * 3 + 5), 200, /is not a whole number of 3074-byte records; the official file has 200 records of 3074 bytes/);
    fails(ok, 50_000, /hold 200 records; the official file has 50000 records/);
    const badCoarse = ok.slice();
    badCoarse[3074] = 20;
    fails(badCoarse, 200, /coarse label 20 at record 1 is outside 0..19/);
    const badFine = ok.slice();
    badFine[3074 + 1] = 100;
    fails(badFine, 200, /label 100 at sample 1 is outside 0..99/);
    const mixed = ok.slice();
    mixed[5 * 3074] = (mixed[5 * 3074] + 1) % 20;
    fails(mixed, 200, /fine label \d+ \(\w+\) has coarse label \d+ at record \d+ but \d+ elsewhere/);
    const unbalanced = ok.slice();
    unbalanced[1] = 2;
    unbalanced[0] = 2;
    fails(unbalanced, 200, /fine class 1 \(aquarium_fish\) has 1 images, not 2/);
    // The coarse labels of the train file bind the test file.
    const coarseOf = new Int16Array(100).fill(-1);
    parseCifar100Records(ok, 'train.bin', 200, coarseOf);
    const test = records(100, 2);
    test[0] = (test[0] + 1) % 20;
    assert.throws(() => parseCifar100Records(test, 'test.bin', 100, coarseOf), /test.bin: fine label 2 \(baby\) has coarse label 3 at record 0 but 2 elsewhere/);
  });

  test('registered as an image dataset: nb201 takes it and builds 100 classes from it', async () => {
    const e = getDataset('cifar100');
    assert.equal(e.kind, 'image');
    if (e.kind !== 'image') return;
    assert.deepEqual([e.info.numClasses, e.info.channels, e.info.height, e.info.width], [100, 3, 32, 32]);
    const { resolveConfig } = await import('../search/presets.js');
    await import('../spaces/nb201.js');
    const { spaceOptionsFor } = await import('../search/data.js');
    const { createSpace } = await import('../spaces/index.js');
    const { config } = resolveConfig({ preset: 'nb201/tanglenas', overrides: { dataset: 'cifar100' }, defaultPreset: 'nb201/tanglenas' });
    await inTempDir(async (dir) => {
      const a = archive();
      writeFileSync(join(dir, CIFAR100_TARBALL), a.tgz);
      const ds = await loadCifar100({ dir: dir, cacheDir: join(dir, 'cache'), checksums: a.checksums, ...offline });
      const space = createSpace('nb201', spaceOptionsFor(config, ds));
      assert.equal(space.numClasses, 100);
      space.supernet.dispose();
    });
    assert.throws(() => resolveConfig({ preset: 'toy-cell/tanglenas', overrides: { dataset: 'cifar100' }, defaultPreset: 'toy-cell/tanglenas' }), /space 'toy-cell' takes images \(fashion-mnist\), but dataset is 'cifar100'/);
  });
});
