// Token-window batches with the image loader's surface (BatchLoader), so the
// search loops train and evaluate language models unchanged:
// - 'random': nanoGPT's get_batch (random offsets, x = data[i:i+T], y shifted by
//   one); an epoch is as many batches as cover the split's tokens once;
// - 'sequential': non-overlapping windows from the start (evaluation passes:
//   every pass sees the same tokens).
import { epochBatchesOf, type Batch, type BatchLoader } from './loader.js';
import { DataError } from './errors.js';
import { LmBatchSampler, windowBatch, type LmSamplerState } from './text.js';
import type { Tensor } from '../tensor/index.js';

export interface TextLoaderOptions {
  blockSize: number;
  batchSize: number;
  mode: 'random' | 'sequential';
  seed?: number;
  stream?: number;
  /** Sequential mode: at most this many windows (0 = all that fit). */
  limit?: number;
  /** Name used in errors (e.g. 'validation split of input.txt'). */
  name?: string;
  /** Where batches are made (default 'cpu'). */
  device?: string;
}

export interface TextLoaderState {
  epoch: number;
  index: number;
  /** Random mode: the sampler's position. */
  sampler: LmSamplerState | null;
  samples: number;
  batchSize: number;
}

export class TextLoader implements BatchLoader {
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  readonly samples: number;
  readonly blockSize: number;
  readonly #tokens: Int32Array;
  readonly #sampler: LmBatchSampler | null;
  #epoch = 0;
  #index = 0;

  constructor(tokens: Int32Array, readonly opts: TextLoaderOptions) {
    const { blockSize: T, batchSize: B } = opts;
    if (!Number.isInteger(T) || T < 1) throw new RangeError(`TextLoader: blockSize=${T} must be a positive integer`);
    if (!Number.isInteger(B) || B < 1) throw new RangeError(`TextLoader: batchSize=${B} must be a positive integer`);
    if (tokens.length <= T) {
      throw new DataError(opts.name ?? '', `it has ${tokens.length} tokens, but block size ${T} needs at least ${T + 1}`, 'use a longer corpus, a smaller block_size, or give this split a larger share (train_portion, test_fraction)');
    }
    this.#tokens = tokens;
    this.blockSize = T;
    this.batchSize = B;
    if (opts.mode === 'random') {
      this.#sampler = new LmBatchSampler(tokens, { blockSize: T, batchSize: B, seed: opts.seed, stream: opts.stream, name: opts.name });
      this.samples = Math.max(1, Math.ceil(tokens.length / T));
    } else {
      this.#sampler = null;
      const fit = Math.floor((tokens.length - 1) / T);
      this.samples = opts.limit && opts.limit > 0 ? Math.min(fit, Math.ceil(opts.limit)) : fit;
    }
    this.batchesPerEpoch = Math.ceil(this.samples / B);
  }

  get epoch(): number {
    return this.#epoch;
  }

  get index(): number {
    return this.#index;
  }

  next(): Batch {
    const { epoch, index } = { epoch: this.#epoch, index: this.#index };
    const last = index === this.batchesPerEpoch - 1;
    let x: Tensor, y: Tensor, size: number;
    if (this.#sampler) {
      ({ x, y } = this.#sampler.next());
      size = this.batchSize;
    } else {
      const first = index * this.batchSize;
      size = Math.min(this.batchSize, this.samples - first);
      ({ x, y } = windowBatch(this.#tokens, Array.from({ length: size }, (_, b) => (first + b) * this.blockSize), this.blockSize));
    }
    const device = this.opts.device ?? 'cpu';
    if (x.device !== device) [x, y] = moveBatch(x, y, device);
    if (last) {
      this.#epoch++;
      this.#index = 0;
    } else this.#index++;
    return { x, y, epoch, index, size, last };
  }

  epochBatches(): Generator<Batch, void, undefined> {
    return epochBatchesOf(() => this.next());
  }

  state(): TextLoaderState {
    return { epoch: this.#epoch, index: this.#index, sampler: this.#sampler?.state() ?? null, samples: this.samples, batchSize: this.batchSize };
  }

  restore(s: TextLoaderState): void {
    if (s.samples !== this.samples || s.batchSize !== this.batchSize) {
      throw new Error(`TextLoader.restore: the state belongs to a different loader (windows ${s.samples} vs ${this.samples}, batch size ${s.batchSize} vs ${this.batchSize})`);
    }
    if (!Number.isInteger(s.index) || s.index < 0 || s.index >= this.batchesPerEpoch) throw new RangeError(`TextLoader.restore: index ${s.index} is outside the epoch's ${this.batchesPerEpoch} batches`);
    if (this.#sampler) {
      if (!s.sampler) throw new Error('TextLoader.restore: the state has no sampler position (it comes from a sequential loader)');
      this.#sampler.restore(s.sampler);
    }
    this.#epoch = s.epoch;
    this.#index = s.index;
  }

  close(): void {}
}

function moveBatch(x: Tensor, y: Tensor, device: string): [Tensor, Tensor] {
  const moved: [Tensor, Tensor] = [x.toDevice(device), y.toDevice(device)];
  x.dispose();
  y.dispose();
  return moved;
}
