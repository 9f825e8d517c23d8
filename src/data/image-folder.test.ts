// The ImageNet-style folder loader on a tiny generated folder: 2 classes, PNGs
// (RGB, grey, RGBA, palette, 16-bit) and JPEGs of several sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { encode as encodePng, type ImageData as PngImage } from 'fast-png';
import { getDataset, type ImageDatasetEntry } from './registry.js';
import { IMAGEFOLDER_32, decodeImage, loadImageFolder, resizeCrop } from './image-folder.js';
import { DataError } from './errors.js';
import type { ImageDataset } from './dataset.js';
import { tempDir } from './test-util.js';

/** w x h RGBA pixels from f(x, y) -> [r, g, b]. */
function rgba(w: number, h: number, f: (x: number, y: number) => number[]): Uint8Array {
  const d = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d.set([...f(x, y), 7], (y * w + x) * 4);
  return d;
}
const rgbPng = (w: number, h: number, c: number[]) => encodePng({ width: w, height: h, data: rgba(w, h, () => c).filter((_, i) => i % 4 !== 3), channels: 3, depth: 8 });
// jpeg-js builds its encoder tables on every call (~0.15 s), so each JPEG is encoded once for all the tests.
const jpegs = new Map<string, Uint8Array>();
function jpg(w: number, h: number, c: number[]): Uint8Array {
  const key = `${w} ${h} ${c}`;
  if (!jpegs.has(key)) jpegs.set(key, new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba(w, h, () => c) }, 95).data));
  return jpegs.get(key)!;
}

const RED = [200, 30, 60], TEAL = [30, 160, 140], GREEN = [10, 220, 90];
const PAL_SOLID: PngImage = { width: 50, height: 40, data: new Uint8Array(2000).fill(1), channels: 1, depth: 8, palette: [[0, 0, 0], GREEN] };

/** root/train/{cat,dog}/3 images, root/val/{cat,dog}/2 images; dog is written first (labels follow sorted names). */
function makeFolder(root: string): void {
  const files: Record<string, Uint8Array> = {
    'train/dog/grad48.png': encodePng({ width: 48, height: 48, data: rgba(48, 48, (x, y) => [4 * x, 4 * y, 100]), channels: 4, depth: 8 }),
    'train/dog/grey16.png': encodePng({ width: 40, height: 50, data: new Uint16Array(2000).fill(127 * 257), channels: 1, depth: 16 }),
    'train/dog/pal.png': encodePng(PAL_SOLID),
    'train/cat/grad.png': encodePng({ width: 64, height: 64, data: Uint8Array.from({ length: 64 * 64 }, (_, i) => 4 * (i % 64)), channels: 1, depth: 8 }),
    'train/cat/red.png': rgbPng(40, 50, RED),
    'train/cat/teal.JPG': jpg(64, 48, TEAL),
    'train/cat/.DS_Store': new Uint8Array([1, 2, 3]),
    'val/dog/a.jpeg': jpg(50, 40, GREEN),
    'val/dog/b.png': rgbPng(64, 48, GREEN),
    'val/cat/a.png': rgbPng(33, 70, RED),
    'val/cat/b.jpg': jpg(40, 50, RED),
    'train/LOC_synset_mapping.txt': new Uint8Array([110, 48]), // beside the class folders: ignored
  };
  for (const [p, data] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), data);
  }
}

function withFolder(fn: (root: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const t = tempDir('tanglenas-imagefolder-');
    try {
      makeFolder(t.dir);
      await fn(t.dir);
    } finally {
      t.cleanup();
    }
  };
}

const entry = (name: string) => getDataset(name) as ImageDatasetEntry;
const px = (ds: ImageDataset, split: 'train' | 'test', i: number, c: number, y: number, x: number) => ds[split].images[i * 3 * ds.height * ds.width + c * ds.height * ds.width + y * ds.width + x];

test('imagefolder-32: splits, labels by sorted class name, shape, exact PNG colours, JPEG within 3', withFolder(async (root) => {
  const e = entry('imagefolder-32');
  assert.equal(e.kind, 'image');
  assert.equal(e.info.numClasses, 1000); // static placeholder; the loaded dataset carries the folder's count
  const ds = await e.load({ dir: root });
  assert.deepEqual([ds.train.size, ds.test.size, ds.numClasses, ds.classNames], [6, 4, 2, ['cat', 'dog']]);
  assert.deepEqual([ds.channels, ds.height, ds.width, ds.train.images.length, ds.test.images.length], [3, 32, 32, 6 * 3072, 4 * 3072]);
  assert.deepEqual([ds.mean, ds.std, ds.augment], [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225], { cropPadding: 4, hflip: true }]);
  // Interleaved across classes, files sorted: cat/grad, dog/grad48, cat/red, dog/grey16, cat/teal, dog/pal.
  assert.deepEqual([...ds.train.labels], [0, 1, 0, 1, 0, 1]);
  assert.deepEqual([...ds.test.labels], [0, 1, 0, 1]);
  const every = (split: 'train' | 'test', i: number, want: number[], tol: number) => {
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) {
      const v = px(ds, split, i, c, y, x);
      assert.ok(Math.abs(v - want[c]) <= tol, `${split} ${i} channel ${c} (${y}, ${x}): ${v}, want ${want[c]} +- ${tol}`);
    }
  };
  every('train', 2, RED, 0); // RGB PNG 40x50
  every('train', 3, [127, 127, 127], 0); // 16-bit grey PNG
  every('train', 5, GREEN, 0); // palette PNG 50x40
  every('train', 4, TEAL, 3); // JPEG 64x48, .JPG
  every('test', 0, RED, 0); // 33x70 PNG
  every('test', 2, RED, 3); // JPEG
  every('test', 1, GREEN, 3); // .jpeg
  // 64x64 grey, column value 4x, halved: output column x samples source 2x + 0.5, the mean of columns 2x and 2x+1: 8x + 2.
  for (const x of [0, 1, 15, 31]) for (const c of [0, 1, 2]) assert.equal(px(ds, 'train', 0, c, 7, x), 8 * x + 2);
  // 48x48 RGBA (R = 4x, G = 4y, B = 100, alpha dropped) to 32: source 1.5k + 0.25, so R = 6x + 1 and G = 6y + 1.
  for (const k of [0, 1, 2, 20, 31]) {
    assert.equal(px(ds, 'train', 1, 0, 5, k), 6 * k + 1);
    assert.equal(px(ds, 'train', 1, 1, k, 9), 6 * k + 1);
    assert.equal(px(ds, 'train', 1, 2, k, k), 100);
  }
}));

test('decoding threads give the same bytes as the calling thread', withFolder(async (root) => {
  const a = await loadImageFolder(IMAGEFOLDER_32, { dir: root, workers: 0 });
  const b = await loadImageFolder(IMAGEFOLDER_32, { dir: root, workers: 2 });
  assert.deepEqual([b.train.images, b.test.images, b.train.labels], [a.train.images, a.test.images, a.train.labels]);
}));

test('imagefolder: 3x224x224 (resize 256, crop 224), flip only', withFolder(async (root) => {
  const ds = await entry('imagefolder').load({ dir: root });
  assert.deepEqual([ds.height, ds.width, ds.train.images.length, ds.augment], [224, 224, 6 * 3 * 224 * 224, { cropPadding: 0, hflip: true }]);
  for (const [y, x] of [[0, 0], [111, 200], [223, 223]]) assert.deepEqual([0, 1, 2].map((c) => px(ds, 'train', 2, c, y, x)), RED);
}));

test('resizeCrop: the longer side keeps the aspect ratio and the centre crop rounds half to even (torchvision)', () => {
  for (const [w, left] of [[33, 0], [35, 2], [37, 2]] as const) {
    const img = { width: w, height: 32, data: Uint8Array.from({ length: w * 32 * 3 }, (_, i) => 4 * (Math.floor(i / 3) % w)) };
    const out = new Uint8Array(3072);
    resizeCrop(img, 32, 32, out);
    assert.deepEqual([out[0], out[31], out[2048 + 31 * 32 + 5]], [4 * left, 4 * (31 + left), 4 * (5 + left)], `width ${w}`);
  }
  // Upscaling a 2x2 to 4x4: source coordinates clamp at 0 (torch's align_corners=false).
  const out = new Uint8Array(48);
  resizeCrop({ width: 2, height: 2, data: Uint8Array.from([0, 0, 0, 100, 100, 100, 0, 0, 0, 100, 100, 100]) }, 4, 4, out);
  assert.deepEqual([...out.subarray(0, 4)], [0, 25, 75, 100]);
});

test('decodeImage: 2-bit grey PNG rows are unpacked and scaled', () => {
  const row = [0b10110001, 0xff, 0x00];
  const img = decodeImage(encodePng({ width: 10, height: 2, data: Uint8Array.from([...row, ...row]), channels: 1, depth: 2 }));
  assert.deepEqual([...img.data.filter((_, i) => i % 3 === 0).subarray(0, 10)], [170, 255, 0, 85, 255, 255, 255, 255, 0, 0]);
});

async function rejectsNaming(root: string, file: string, re: RegExp, opts = {}): Promise<void> {
  await assert.rejects(loadImageFolder(IMAGEFOLDER_32, { dir: root, ...opts }), (e: Error) => {
    assert.ok(e instanceof DataError, String(e));
    assert.ok(e.message.includes(file), `${e.message} should name ${file}`);
    assert.match(e.message, re);
    return true;
  });
}

test('a corrupt JPEG and a truncated PNG are errors naming the file, on either path', withFolder(async (root) => {
  const bad = join(root, 'train', 'dog', 'zz.jpg');
  writeFileSync(bad, Uint8Array.from({ length: 300 }, (_, i) => (i * 73 + 11) & 255));
  for (const workers of [0, 2]) await rejectsNaming(root, bad, /cannot be decoded \(neither a JPEG nor a PNG.*Fix: remove the file or replace it/, { workers });
  rmSync(bad);
  const png = rgbPng(40, 50, RED);
  const cut = join(root, 'val', 'cat', 'cut.png');
  writeFileSync(cut, png.subarray(0, png.length - 30));
  await rejectsNaming(root, cut, /cannot be decoded \(.+\); it is corrupt, truncated/);
  rmSync(cut);
  const half = join(root, 'val', 'cat', 'half.jpg');
  const j = jpg(64, 48, TEAL);
  writeFileSync(half, j.subarray(0, j.length >> 1));
  await rejectsNaming(root, half, /cannot be decoded/);
}));

test('a non-image file in a class folder is an error naming it and the accepted extensions', withFolder(async (root) => {
  const txt = join(root, 'train', 'cat', 'notes.txt');
  writeFileSync(txt, 'hello');
  await rejectsNaming(root, txt, /only \.jpg, \.jpeg, \.png files/);
}));

test('no data_dir: the error says how to give it', async () => {
  await assert.rejects(entry('imagefolder').load({}), /has no default location.*--set data_dir=\/path\/to\/imagenet/s);
});

test('val/ must have the class folders of train/', withFolder(async (root) => {
  renameSync(join(root, 'val', 'dog'), join(root, 'val', 'wolf'));
  await rejectsNaming(root, join(root, 'val'), /val\/ has class folders that train\/ lacks: wolf; train\/ has classes missing from val\/: dog/);
}));

test("ImageNet's flat val/ is an error pointing at class folders", withFolder(async (root) => {
  const flat = join(root, 'val', 'ILSVRC2012_val_00000001.JPEG');
  writeFileSync(flat, jpg(40, 50, RED));
  await rejectsNaming(root, flat, /outside any class folder.*valprep/);
}));

test('the memory limit is checked before decoding (option, then TANGLENAS_IMAGEFOLDER_MAX_GB)', withFolder(async (root) => {
  await rejectsNaming(root, root, /decoding 10 images at 3x32x32 needs 30\.0 KiB of memory, above the limit of 1\.0 KiB.*subset.*TANGLENAS_IMAGEFOLDER_MAX_GB/, { maxBytes: 1000 });
  const old = process.env.TANGLENAS_IMAGEFOLDER_MAX_GB;
  try {
    process.env.TANGLENAS_IMAGEFOLDER_MAX_GB = '0.00001'; // 10.7 kB < 10 x 3072
    await assert.rejects(entry('imagefolder-32').load({ dir: root }), /above the limit/);
    await assert.rejects(entry('imagefolder').load({ dir: root }), /needs 1\.4 MiB of memory, above the limit of 10\.5 KiB.*use imagefolder-32/);
    process.env.TANGLENAS_IMAGEFOLDER_MAX_GB = 'lots';
    await assert.rejects(entry('imagefolder-32').load({ dir: root }), /TANGLENAS_IMAGEFOLDER_MAX_GB=lots is not a positive number/);
  } finally {
    if (old === undefined) delete process.env.TANGLENAS_IMAGEFOLDER_MAX_GB;
    else process.env.TANGLENAS_IMAGEFOLDER_MAX_GB = old;
  }
}));
