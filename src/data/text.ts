// Text corpora for language-model search: UTF-8 files, a character-level
// vocabulary or GPT-2 BPE (js-tiktoken, which ships the GPT-2 ranks: nothing is
// downloaded at run time), contiguous train/val/test splits, and random
// (block, batch) sampling returning int64 tensors x and y = x shifted by one.
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { tensor, tidy, type Tensor } from '../tensor/index.js';
import { DataError } from './errors.js';
import { readFileOrThrow } from './files.js';
import { Rng, type RngState } from './rng.js';

export interface Tokenizer {
  readonly kind: 'char' | 'gpt2';
  readonly vocabSize: number;
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

/** Character-level vocabulary: the corpus's distinct code points in code-point order (nanoGPT's sorted(set(text))). */
export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly chars: readonly string[];
  readonly #ids: Map<string, number>;

  constructor(chars: readonly string[]) {
    const seen = new Set<string>();
    for (const c of chars) {
      if ([...c].length !== 1) throw new TypeError(`CharTokenizer: '${c}' is not a single character`);
      if (seen.has(c)) throw new TypeError(`CharTokenizer: duplicate character ${JSON.stringify(c)}`);
      seen.add(c);
    }
    this.chars = [...chars];
    this.#ids = new Map(this.chars.map((c, i) => [c, i]));
  }

  static fromText(text: string): CharTokenizer {
    const chars = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(chars);
  }

  get vocabSize(): number {
    return this.chars.length;
  }

  encode(text: string): Int32Array {
    const out = new Int32Array(text.length); // upper bound: code points <= UTF-16 units
    let n = 0;
    for (const c of text) {
      const id = this.#ids.get(c);
      if (id === undefined) throw new RangeError(`CharTokenizer.encode: character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at position ${n} is not in the vocabulary of ${this.chars.length} characters`);
      out[n++] = id;
    }
    return out.slice(0, n);
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]];
      if (c === undefined) throw new RangeError(`CharTokenizer.decode: id ${ids[i]} at position ${i} is outside 0..${this.chars.length - 1}`);
      s += c;
    }
    return s;
  }

  toJSON(): { kind: 'char'; chars: string[] } {
    return { kind: 'char', chars: [...this.chars] };
  }
}

let gpt2: Tiktoken | null = null;

/**
 * GPT-2 byte-level BPE (tiktoken's "gpt2" encoding, 50257 tokens). The model's
 * embedding may be padded beyond vocabSize (the reference uses 50304).
 */
export class Gpt2Tokenizer implements Tokenizer {
  readonly kind = 'gpt2' as const;
  readonly vocabSize = 50257;
  /** Id of <|endoftext|>. */
  readonly eot = 50256;
  /**
   * true (default): the literal text <|endoftext|> becomes the single special
   * token (document separators in TinyStories-style files); false: it is encoded
   * as ordinary text (tiktoken's encode_ordinary).
   */
  readonly allowEndOfText: boolean;

  constructor(opts: { allowEndOfText?: boolean } = {}) {
    this.allowEndOfText = opts.allowEndOfText ?? true;
    gpt2 ??= new Tiktoken(gpt2Ranks);
  }

  encode(text: string): Int32Array {
    return Int32Array.from(gpt2!.encode(text, this.allowEndOfText ? ['<|endoftext|>'] : [], []));
  }

  decode(ids: ArrayLike<number>): string {
    const arr = Array.from(ids);
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isInteger(arr[i]) || arr[i] < 0 || arr[i] >= this.vocabSize) throw new RangeError(`Gpt2Tokenizer.decode: id ${arr[i]} at position ${i} is outside 0..${this.vocabSize - 1}`);
    }
    return gpt2!.decode(arr);
  }
}

/** Reads a UTF-8 text file; missing, empty or non-UTF-8 files are a DataError. */
export function loadCorpus(path: string): string {
  const buf = readFileOrThrow(path, 'text corpus');
  if (buf.length === 0) throw new DataError(path, 'the text file is empty', 'give a non-empty UTF-8 text file (e.g. Tiny Shakespeare input.txt)');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch (e) {
    throw new DataError(path, 'not valid UTF-8 text', 'convert the file to UTF-8 (e.g. iconv -t UTF-8)', { cause: e });
  }
  if (text.length === 0) throw new DataError(path, 'the text file holds only a byte-order mark', 'give a non-empty UTF-8 text file');
  return text;
}

export interface TextSplitOptions {
  /** Fraction for validation, taken after the training part. Default 0.1 (nanoGPT's 90/10). */
  valFraction?: number;
  /** Fraction for test, taken at the end. Default 0. */
  testFraction?: number;
}

/** Contiguous [train | val | test] split of a token stream (views, no copy). */
export function splitTokens(tokens: Int32Array, opts: TextSplitOptions = {}): { train: Int32Array; val: Int32Array; test: Int32Array } {
  const v = opts.valFraction ?? 0.1;
  const t = opts.testFraction ?? 0;
  if (!(v >= 0 && t >= 0 && v + t < 1)) throw new RangeError(`splitTokens: valFraction=${v} and testFraction=${t} must be >= 0 with a sum below 1`);
  const n = tokens.length;
  const testStart = n - Math.floor(n * t);
  const valStart = Math.floor(n * (1 - v - t) + 1e-9);
  return { train: tokens.subarray(0, valStart), val: tokens.subarray(valStart, testStart), test: tokens.subarray(testStart) };
}

export interface TextDataset {
  path: string;
  tokenizer: Tokenizer;
  tokens: Int32Array;
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

export interface TextDatasetOptions extends TextSplitOptions {
  tokenizer?: 'char' | 'gpt2' | Tokenizer;
}

/**
 * Loads and tokenises a UTF-8 corpus. The character vocabulary is built from the
 * whole file (as nanoGPT's shakespeare_char); splits are contiguous.
 */
export function loadTextDataset(path: string, opts: TextDatasetOptions = {}): TextDataset {
  const text = loadCorpus(path);
  const tk = opts.tokenizer ?? 'char';
  const tokenizer = tk === 'char' ? CharTokenizer.fromText(text) : tk === 'gpt2' ? new Gpt2Tokenizer() : tk;
  const tokens = tokenizer.encode(text);
  return { path, tokenizer, tokens, ...splitTokens(tokens, opts) };
}

/**
 * Windows of a token stream as a batch: x[b] = data[o : o+T], y[b] = data[o+1 : o+T+1]
 * for each offset o, both int64 [offsets, T]. The caller owns the tensors.
 */
export function windowBatch(data: Int32Array, offsets: ArrayLike<number>, T: number, device = 'cpu'): { x: Tensor; y: Tensor } {
  const n = offsets.length;
  const xs = new Int32Array(n * T);
  const ys = new Int32Array(n * T);
  for (let b = 0; b < n; b++) {
    xs.set(data.subarray(offsets[b], offsets[b] + T), b * T);
    ys.set(data.subarray(offsets[b] + 1, offsets[b] + T + 1), b * T);
  }
  return tidy(() => {
    let x = tensor(xs, { shape: [n, T], dtype: 'int32' }).to('int64');
    let y = tensor(ys, { shape: [n, T], dtype: 'int32' }).to('int64');
    if (device !== 'cpu') {
      x = x.toDevice(device);
      y = y.toDevice(device);
    }
    return { x, y };
  });
}

export interface LmSamplerOptions {
  blockSize: number;
  batchSize: number;
  seed?: number;
  /** Independent streams for samplers sharing a seed (e.g. 0 weights, 1 architecture). */
  stream?: number;
  device?: string;
  /** Name used in errors (e.g. the corpus path). */
  name?: string;
}

export interface LmSamplerState {
  rng: RngState;
  step: number;
  seed: number;
  stream: number;
  blockSize: number;
  batchSize: number;
  tokens: number;
}

/**
 * nanoGPT's get_batch: batchSize random offsets i in [0, n - blockSize), x = data[i : i+T],
 * y = data[i+1 : i+T+1], both int64 [B, T]. The caller owns the returned tensors.
 */
export class LmBatchSampler {
  readonly blockSize: number;
  readonly batchSize: number;
  readonly #data: Int32Array;
  readonly #seed: number;
  readonly #stream: number;
  readonly #device: string;
  #rng: Rng;
  #step = 0;

  constructor(tokens: Int32Array, opts: LmSamplerOptions) {
    const { blockSize: T, batchSize: B } = opts;
    if (!Number.isInteger(T) || T < 1) throw new RangeError(`LmBatchSampler: blockSize=${T} must be a positive integer`);
    if (!Number.isInteger(B) || B < 1) throw new RangeError(`LmBatchSampler: batchSize=${B} must be a positive integer`);
    if (tokens.length <= T) {
      throw new DataError(opts.name ?? '', `the token stream has ${tokens.length} tokens, but blockSize ${T} needs at least ${T + 1}`, 'use a longer corpus, a smaller blockSize, or a larger share of the corpus for this split');
    }
    this.blockSize = T;
    this.batchSize = B;
    this.#data = tokens;
    this.#seed = opts.seed ?? 0;
    this.#stream = opts.stream ?? 0;
    this.#device = opts.device ?? 'cpu';
    this.#rng = new Rng(this.#seed, 0x4c4d0000 + this.#stream);
  }

  /** The offsets of the next batch (advances the sampler). */
  nextOffsets(): Uint32Array {
    const range = this.#data.length - this.blockSize;
    const off = new Uint32Array(this.batchSize);
    for (let b = 0; b < this.batchSize; b++) off[b] = this.#rng.int(range);
    this.#step++;
    return off;
  }

  next(): { x: Tensor; y: Tensor } {
    return windowBatch(this.#data, this.nextOffsets(), this.blockSize, this.#device);
  }

  state(): LmSamplerState {
    return { rng: this.#rng.getState(), step: this.#step, seed: this.#seed, stream: this.#stream, blockSize: this.blockSize, batchSize: this.batchSize, tokens: this.#data.length };
  }

  restore(s: LmSamplerState): void {
    const mine = this.state();
    for (const k of ['seed', 'stream', 'blockSize', 'batchSize', 'tokens'] as const) {
      if (s[k] !== mine[k]) throw new Error(`LmBatchSampler.restore: the state belongs to a different sampler (${k} ${s[k]} vs ${mine[k]})`);
    }
    this.#rng.setState(s.rng);
    this.#step = s.step;
  }
}
