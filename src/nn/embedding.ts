// Embedding: a lookup table [numEmbeddings, embeddingDim], initialised N(0, 1)
// like torch.nn.Embedding.
import { F } from '../tensor/index.js';
import { tidy } from '../tensor/scope.js';
import { zeros, type Tensor } from '../tensor/tensor.js';
import { floatDtype, fmtShape, isTensor, positiveInt } from './check.js';
import { normal_ } from './init.js';
import { Layer, onDevice, type LayerOptions } from './layer.js';

export class Embedding extends Layer {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly weight: Tensor;
  readonly #name: string;

  constructor(numEmbeddings: number, embeddingDim: number, opts: LayerOptions = {}) {
    super();
    const who = (this.#name = `Embedding(${numEmbeddings}, ${embeddingDim})`);
    this.numEmbeddings = positiveInt(who, 'numEmbeddings', numEmbeddings);
    this.embeddingDim = positiveInt(who, 'embeddingDim', embeddingDim);
    const w = zeros([numEmbeddings, embeddingDim], { dtype: floatDtype(who, opts.dtype), device: 'cpu' });
    normal_(w, 0, 1);
    this.weight = this.param('weight', onDevice(w, opts.device));
  }

  override toString(): string {
    return this.#name;
  }

  /** Rows of the table for int64/int32 indices of any shape: output [...indices.shape, embeddingDim]. */
  forward(indices: Tensor): Tensor {
    const who = this.#name;
    isTensor(who, indices);
    const dt = indices.dtype;
    if (dt !== 'int64' && dt !== 'int32') {
      throw new TypeError(`${who}.forward: indices must be int64 or int32, got ${dt} with shape ${fmtShape(indices.shape)}; convert with x.long()`);
    }
    // A range check costs a device sync off the CPU, and libtorch then reports the
    // bad index itself; on the CPU it is cheap and the message is clearer.
    if (indices.numel > 0 && indices.device === 'cpu') {
      const [lo, hi] = tidy(() => [indices.min().item(), indices.max().item()]);
      if (lo < 0 || hi >= this.numEmbeddings) {
        throw new RangeError(`${who}.forward: indices must lie in [0, ${this.numEmbeddings - 1}], got values in [${lo}, ${hi}]`);
      }
    }
    return F.embedding(this.weight, indices);
  }
}
