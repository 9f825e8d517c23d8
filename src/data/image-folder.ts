// ImageNet-style image folders: root/train/<class>/*.{jpg,jpeg,png} and
// root/val/<class>/* (any case), decoded with jpeg-js (JPEG) and fast-png (PNG;
// already a dependency for the CIFAR-10 mirror), converted to RGB, resized so the
// shorter side is `resize` and centre-cropped to size x size (torchvision's
// Resize(resize) + CenterCrop(size)), and held in memory as uint8 CHW like the
// other image datasets. Classes are the sorted folder names of train/ (label =
// rank), as torchvision's ImageFolder. Decoding runs on worker threads for
// large folders; the bytes are the same for any number of threads.
import { constants } from 'node:buffer';
import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import jpeg from 'jpeg-js';
import { convertIndexedToRgb, decode as decodePng, type DecodedPng } from 'fast-png';
import { checkLabels, sharedBytes, type AugmentSpec, type ImageDataset, type ImageDatasetInfo } from './dataset.js';
import { DataError } from './errors.js';
import type { ImageDatasetEntry } from './registry.js';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'] as const;
/** Memory limit for one dataset's decoded images, in GiB (TANGLENAS_IMAGEFOLDER_MAX_GB overrides). */
export const IMAGEFOLDER_DEFAULT_MAX_GB = 8;

export interface ImageFolderSpec {
  /** Static info; numClasses (ImageNet's 1000) and classNames are replaced by the folder's at load. */
  info: ImageDatasetInfo;
  /** The shorter side after resizing, before the centre crop to info.height x info.width. */
  resize: number;
}

const folderSpec = (name: string, size: number, resize: number, augment: AugmentSpec): ImageFolderSpec => ({
  info: Object.freeze({ name, channels: 3, height: size, width: size, numClasses: 1000, classNames: [], mean: IMAGENET_MEAN, std: IMAGENET_STD, augment }),
  resize,
});
/** ImageNet evaluation transform (Resize 256, CenterCrop 224); flip only: a padded 4-pixel crop is CIFAR's augmentation, not ImageNet's, and the loader has no RandomResizedCrop. */
export const IMAGEFOLDER = folderSpec('imagefolder', 224, 256, { cropPadding: 0, hflip: true });
/** 32 x 32 (shorter side 32, centre crop) for quick runs on the CIFAR-shaped spaces; CIFAR's crop + flip. */
export const IMAGEFOLDER_32 = folderSpec('imagefolder-32', 32, 32, { cropPadding: 4, hflip: true });

export interface ImageFolderOptions {
  /** The root holding train/ and val/ (a run's data_dir). Required. */
  dir?: string;
  log?: (msg: string) => void;
  /** Refuse to decode more than this many bytes of images (default TANGLENAS_IMAGEFOLDER_MAX_GB, else 8 GiB). */
  maxBytes?: number;
  /** Decoding threads: 0 decodes on the calling thread; default min(cores, 16) for 256 images or more, else 0. */
  workers?: number;
}

/** A decoded image, RGB interleaved. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Grey, grey+alpha, RGB, RGBA, palette, 1..16-bit PNG -> 8-bit RGB; alpha dropped (not composited), as PIL's convert('RGB'). */
function pngToRgb(p: DecodedPng): RgbImage {
  const { width: w, height: h } = p;
  const n = w * h;
  let src: ArrayLike<number> = p.data;
  let ch = p.channels;
  let shift = p.depth === 16 ? 8 : 0;
  if (p.palette) {
    src = convertIndexedToRgb(p);
    ch = src.length / n;
    shift = 0;
  } else if (p.depth < 8) {
    // Sub-byte grey: rows are packed and padded to whole bytes; scale to 0..255.
    const d = p.depth, mask = (1 << d) - 1, line = Math.ceil((w * d) / 8), g = new Uint8Array(n);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) g[y * w + x] = (((p.data[y * line + ((x * d) >> 3)] >> (8 - d - ((x * d) & 7))) & mask) * 255) / mask;
    src = g;
  }
  if (src.length < n * ch) throw new Error(`${src.length} samples for a ${w}x${h} image of ${ch} channels`);
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const o = i * ch;
    out[3 * i] = src[o] >> shift;
    out[3 * i + 1] = src[ch >= 3 ? o + 1 : o] >> shift;
    out[3 * i + 2] = src[ch >= 3 ? o + 2 : o] >> shift;
  }
  return { width: w, height: h, data: out };
}

/**
 * Decodes a JPEG or PNG by its first bytes, not its extension (ImageNet's train
 * set has a PNG named .JPEG). Throws the decoder's error on a corrupt file.
 */
export function decodeImage(buf: Uint8Array): RgbImage {
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) return pngToRgb(decodePng(buf, { checkCrc: true }));
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
    // Grey and Adobe CMYK JPEGs come out as RGB too. A truncated file fails ("marker was not found").
    const j = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false });
    if (j.data.length !== j.width * j.height * 3) throw new Error(`decoded ${j.data.length} bytes for ${j.width}x${j.height} RGB`);
    return { width: j.width, height: j.height, data: j.data };
  }
  const head = [...buf.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`neither a JPEG nor a PNG: it starts with ${head || 'nothing (empty file)'}`);
}

/** Python's round() (half to even), which torchvision's CenterCrop uses for the offsets. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return x - Math.floor(x) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Bilinear taps of output pixels offset..offset+n-1 of a length inLen -> outLen resize (align_corners=false). */
function taps(inLen: number, outLen: number, offset: number, n: number): { i0: Int32Array; i1: Int32Array; f: Float64Array } {
  const scale = inLen / outLen, i0 = new Int32Array(n), i1 = new Int32Array(n), f = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const src = Math.max(0, (offset + k + 0.5) * scale - 0.5); // clamped at 0 like torch's upsample_bilinear2d
    i0[k] = Math.min(Math.floor(src), inLen - 1);
    i1[k] = Math.min(i0[k] + 1, inLen - 1);
    f[k] = src - i0[k];
  }
  return { i0, i1, f };
}

/**
 * Resizes so the shorter side is `resize` (the longer: floor(resize * long / short),
 * as torchvision) and writes the centre size x size crop, planar CHW, to
 * out[at..]. Bilinear with half-pixel centres (align_corners=false, as torch's
 * interpolate with antialias=False): no antialiasing, so large downscales alias
 * somewhat more than PIL's; only the cropped pixels are computed.
 */
export function resizeCrop(img: RgbImage, resize: number, size: number, out: Uint8Array, at = 0): void {
  const { width: w, height: h, data } = img;
  const [rw, rh] = w <= h ? [resize, Math.floor((resize * h) / w)] : [Math.floor((resize * w) / h), resize];
  if (rw < size || rh < size) throw new RangeError(`resizeCrop: a ${rw}x${rh} resize cannot be cropped to ${size}x${size}`);
  const xs = taps(w, rw, roundHalfEven((rw - size) / 2), size);
  const ys = taps(h, rh, roundHalfEven((rh - size) / 2), size);
  const plane = size * size;
  for (let oy = 0; oy < size; oy++) {
    const r0 = ys.i0[oy] * w * 3, r1 = ys.i1[oy] * w * 3, fy = ys.f[oy];
    for (let ox = 0; ox < size; ox++) {
      const a = r0 + xs.i0[ox] * 3, b = r0 + xs.i1[ox] * 3, c = r1 + xs.i0[ox] * 3, d = r1 + xs.i1[ox] * 3, fx = xs.f[ox];
      for (let ch = 0; ch < 3; ch++) {
        const top = data[a + ch] + (data[b + ch] - data[a + ch]) * fx;
        const bot = data[c + ch] + (data[d + ch] - data[c + ch]) * fx;
        out[at + ch * plane + oy * size + ox] = Math.round(top + (bot - top) * fy);
      }
    }
  }
}

const FIX_FILE = 'remove the file or replace it with a good copy';

/** Reads, decodes, resizes and crops one file into out[at..]; any failure is a DataError naming the file. */
export function loadImageInto(file: string, resize: number, size: number, out: Uint8Array, at: number): void {
  let buf: Uint8Array;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError(file, `the image cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'check the file permissions, or remove the file', { cause: e });
  }
  let img: RgbImage;
  try {
    img = decodeImage(buf);
  } catch (e) {
    throw new DataError(file, `the image cannot be decoded (${(e as Error).message}); it is corrupt, truncated or not a JPEG/PNG`, FIX_FILE, { cause: e });
  }
  resizeCrop(img, resize, size, out, at);
}

const LAYOUT = 'ImageNet\'s layout: root/train/<class>/<image> and root/val/<class>/<image>, the same class folders in both';

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; // code-unit order, as Python's sorted()
}

function isDir(e: Dirent, path: string): boolean {
  return e.isDirectory() || (e.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isDirectory() === true);
}

/** The images of a class folder, sorted, subfolders included (as torchvision); hidden files skipped; anything else is an error. */
function imagesIn(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort(byName)) {
    if (e.name.startsWith('.')) continue; // .DS_Store, ._* AppleDouble files, .ipynb_checkpoints
    const p = join(dir, e.name);
    if (isDir(e, p)) imagesIn(p, out);
    else if ((IMAGE_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase())) out.push(p);
    else throw new DataError(p, `not an image: a class folder may hold only ${IMAGE_EXTENSIONS.join(', ')} files (any case)`, 'move or delete the file (hidden files, starting with ".", are skipped)');
  }
  return out;
}

/** Class name -> its sorted image paths, for root/<split>. */
function scanSplit(root: string, split: 'train' | 'val'): Map<string, string[]> {
  const dir = join(root, split);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new DataError(dir, `no ${split}/ folder`, `arrange the images in ${LAYOUT}`);
  const classes = new Map<string, string[]>();
  for (const e of readdirSync(dir, { withFileTypes: true }).sort(byName)) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (isDir(e, p)) {
      const files = imagesIn(p);
      if (!files.length) throw new DataError(p, 'the class folder holds no images', `add its images or remove the folder (in both train/ and val/)`);
      classes.set(e.name, files);
    } else if ((IMAGE_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase())) {
      // ImageNet's official val/ is flat; its images have to be sorted into class folders first.
      throw new DataError(p, `an image directly in ${split}/, outside any class folder`, `move every image into ${split}/<class>/${split === 'val' ? " (ImageNet's flat val/: sort it by LOC_val_solution.csv or the ILSVRC2012 ground truth, e.g. with the widely used valprep.sh)" : ''}`);
    } // other files beside the class folders (a synset list, a README) are ignored, as torchvision does
  }
  if (!classes.size) throw new DataError(dir, 'no class folders', `arrange the images in ${LAYOUT}`);
  return classes;
}

/**
 * One split's samples, interleaved across classes (image k of every class, then
 * image k + 1, ...) rather than class after class: the weight / architecture
 * split of train_portion takes an index prefix, and train_subset a prefix, and
 * both must see every class.
 */
function interleave(perClass: string[][]): { files: string[]; labels: number[] } {
  const files: string[] = [], labels: number[] = [];
  const most = Math.max(...perClass.map((f) => f.length));
  for (let k = 0; k < most; k++) {
    for (let c = 0; c < perClass.length; c++) {
      if (k < perClass[c].length) {
        files.push(perClass[c][k]);
        labels.push(c);
      }
    }
  }
  return { files, labels };
}

function human(bytes: number): string {
  const [d, unit] = bytes >= 2 ** 30 ? [2 ** 30, 'GiB'] : bytes >= 2 ** 20 ? [2 ** 20, 'MiB'] : [1024, 'KiB'];
  return `${(bytes / d).toFixed(1)} ${unit}`;
}

function maxBytesFromEnv(): number {
  const v = process.env.TANGLENAS_IMAGEFOLDER_MAX_GB;
  if (v === undefined || v === '') return IMAGEFOLDER_DEFAULT_MAX_GB * 2 ** 30;
  const gb = Number(v);
  if (!(gb > 0)) throw new DataError('', `TANGLENAS_IMAGEFOLDER_MAX_GB=${v} is not a positive number of GiB`, 'set it to the memory the decoded images may take, e.g. 32, or unset it (default 8)');
  return gb * 2 ** 30;
}

interface Job {
  paths: string[];
  split: Uint8Array;
  index: Uint32Array;
  images: Uint8Array[];
  resize: number;
  size: number;
  done: Int32Array;
}

/** Decodes job files on `workers` threads into the shared split buffers; the first failure stops all and is thrown. */
async function decodeOnWorkers(job: Job, workers: number, progress: () => void): Promise<void> {
  const threads: Worker[] = [];
  const timer = setInterval(progress, 1000);
  try {
    await new Promise<void>((res, rej) => {
      let left = workers;
      for (let w = 0; w < workers; w++) {
        const pick = Array.from({ length: Math.ceil((job.paths.length - w) / workers) }, (_, i) => w + i * workers); // every workers-th file
        const part = { ...job, paths: pick.map((k) => job.paths[k]), split: Uint8Array.from(pick, (k) => job.split[k]), index: Uint32Array.from(pick, (k) => job.index[k]) };
        const t = new Worker(new URL(import.meta.url), { workerData: { imageFolderJob: part } });
        threads.push(t);
        let reported = false;
        t.on('message', (m: { ok: true } | { file: string; message: string; fix: string }) => {
          reported = true;
          if ('ok' in m) return void (--left === 0 && res());
          rej(Object.assign(new DataError(m.file, '', m.fix), { message: m.message })); // the thread's DataError, as it was
        });
        t.on('error', rej);
        t.on('exit', (code) => reported || rej(new Error(`an image decoding thread stopped without a result (exit code ${code})`)));
      }
    });
  } finally {
    clearInterval(timer);
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

/** Loads an image folder as `spec` says; see the file header. */
export async function loadImageFolder(spec: ImageFolderSpec, opts: ImageFolderOptions = {}): Promise<ImageDataset> {
  const { info, resize } = spec;
  const size = info.height;
  if (opts.dir === undefined) {
    throw new DataError('', `dataset '${info.name}' reads your own image folder and has no default location`, `give the folder holding train/ and val/ (${LAYOUT}): --set data_dir=/path/to/imagenet (or --data /path/to/imagenet)`);
  }
  const root = resolve(opts.dir);
  const st = statSync(root, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new DataError(root, `the data folder given ${st ? 'is a file, not a folder' : 'does not exist'}`, `give the folder holding train/ and val/ (${LAYOUT})`);

  const train = scanSplit(root, 'train'), val = scanSplit(root, 'val');
  const missing = [...train.keys()].filter((c) => !val.has(c)), extra = [...val.keys()].filter((c) => !train.has(c));
  if (missing.length || extra.length) {
    const list = (a: string[]) => a.slice(0, 5).join(', ') + (a.length > 5 ? ` and ${a.length - 5} more` : '');
    const what = [extra.length ? `val/ has class folders that train/ lacks: ${list(extra)}` : '', missing.length ? `train/ has classes missing from val/: ${list(missing)}` : ''].filter(Boolean).join('; ');
    throw new DataError(join(root, 'val'), what, 'give val/ the same class folders as train/ (same names, one per class)');
  }
  const classNames = [...train.keys()];
  const K = classNames.length;
  if (K > 65536) throw new DataError(join(root, 'train'), `${K} class folders; at most 65536 are supported`, 'merge classes or use a subset folder');
  const splits = [interleave([...train.values()]), interleave(classNames.map((c) => val.get(c)!))];

  // The whole dataset is decoded into memory: refuse before decoding rather than fail half-way.
  const sample = 3 * size * size;
  const n = splits[0].files.length + splits[1].files.length;
  const limit = opts.maxBytes ?? maxBytesFromEnv();
  const alt = `use ${sample > 3072 ? "imagefolder-32 (3 KiB per image: ImageNet's 1.33M images take 3.8 GiB) or " : ''}a folder holding a subset of the classes or images (symbolic links work)`;
  if (n * sample > limit) throw new DataError(root, `decoding ${n.toLocaleString('en')} images at 3x${size}x${size} needs ${human(n * sample)} of memory, above the limit of ${human(limit)}`, `${alt}, or raise the limit with TANGLENAS_IMAGEFOLDER_MAX_GB=<GiB> if the machine has the memory`);
  for (const [s, name] of [[0, 'train'], [1, 'val']] as const) {
    const bytes = splits[s].files.length * sample;
    if (bytes > constants.MAX_LENGTH) throw new DataError(join(root, name), `the ${name} split needs ${human(bytes)} in one array, above this Node.js's limit of ${human(constants.MAX_LENGTH)}`, `${alt}, or a Node.js with a larger buffer.constants.MAX_LENGTH`);
  }

  const images = splits.map((s) => sharedBytes(s.files.length * sample));
  const labels = splits.map((s) => (K <= 256 ? Uint8Array.from(s.labels) : Uint16Array.from(s.labels)));
  const workers = Math.max(0, Math.floor(opts.workers ?? (n >= 256 ? Math.min(availableParallelism(), 16) : 0)));
  opts.log?.(`${info.name}: ${root}: ${K} classes, ${splits[0].files.length.toLocaleString('en')} train / ${splits[1].files.length.toLocaleString('en')} val images -> ${human(n * sample)} at 3x${size}x${size}${workers ? `, ${workers} decoding threads` : ''}`);

  const done = new Int32Array(new SharedArrayBuffer(4));
  const t0 = Date.now();
  let lastLog = t0;
  const progress = (): void => {
    const now = Date.now();
    if (now - lastLog < 5000) return;
    lastLog = now;
    const k = Atomics.load(done, 0), rate = k / ((now - t0) / 1000), left = (n - k) / Math.max(rate, 1e-9);
    opts.log?.(`${info.name}: decoded ${k.toLocaleString('en')} / ${n.toLocaleString('en')} images (${rate.toFixed(0)}/s, about ${left < 90 ? `${Math.ceil(left)} s` : `${Math.ceil(left / 60)} min`} left)`);
  };
  const job: Job = {
    paths: [...splits[0].files, ...splits[1].files],
    split: Uint8Array.from({ length: n }, (_, k) => (k < splits[0].files.length ? 0 : 1)),
    index: Uint32Array.from({ length: n }, (_, k) => (k < splits[0].files.length ? k : k - splits[0].files.length)),
    images,
    resize,
    size,
    done,
  };
  if (workers > 0) await decodeOnWorkers(job, workers, progress);
  else runJob(job, progress);

  const out = splits.map((s, i) => {
    checkLabels(labels[i], K, join(root, i ? 'val' : 'train'));
    return { images: images[i], labels: labels[i], size: s.files.length };
  });
  return { ...info, numClasses: K, classNames, train: out[0], test: out[1], source: 'user', files: { train: [join(root, 'train')], test: [join(root, 'val')] } };
}

function runJob(j: Job, progress?: () => void): void {
  const sample = 3 * j.size * j.size;
  for (let k = 0; k < j.paths.length; k++) {
    loadImageInto(j.paths[k], j.resize, j.size, j.images[j.split[k]], j.index[k] * sample);
    Atomics.add(j.done, 0, 1);
    progress?.();
  }
}

/** The registry entry of an image-folder dataset. */
export function imageFolderEntry(s: ImageFolderSpec, description: string): ImageDatasetEntry {
  return { name: s.info.name, kind: 'image', description, info: s.info, load: (o) => loadImageFolder(s, o) };
}

// A decoding thread (decodeOnWorkers): this module with the job as workerData.
const wd = isMainThread ? undefined : (workerData as { imageFolderJob?: Job } | null)?.imageFolderJob;
if (wd !== undefined) {
  try {
    runJob(wd);
    parentPort!.postMessage({ ok: true });
  } catch (e) {
    const d = e instanceof DataError ? e : new DataError('', String((e as Error)?.message ?? e), FIX_FILE);
    parentPort!.postMessage({ file: d.file, message: d.message, fix: d.fix });
  }
}
