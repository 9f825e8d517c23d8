// Dropout modules: active in training mode, identity in eval mode.
import { F } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { finiteNumber, fmtShape, isTensor } from './check.js';
import { Layer } from './layer.js';

/** Zeroes elements with probability p and scales the survivors by 1/(1-p). */
export class Dropout extends Layer {
  p: number;
  constructor(p = 0.5) {
    super();
    this.p = finiteNumber('Dropout', 'p', p, 0, 1);
  }
  override toString(): string {
    return `Dropout(p=${this.p})`;
  }
  forward(x: Tensor): Tensor {
    isTensor(`Dropout(p=${this.p})`, x);
    return F.dropout(x, this.p, this.training);
  }
}

/** Zeroes whole channels (dim 1) of [N, C, H, W] or [C, H, W] input with probability p. */
export class Dropout2d extends Layer {
  p: number;
  constructor(p = 0.5) {
    super();
    this.p = finiteNumber('Dropout2d', 'p', p, 0, 1);
  }
  override toString(): string {
    return `Dropout2d(p=${this.p})`;
  }
  forward(x: Tensor): Tensor {
    const who = `Dropout2d(p=${this.p})`;
    isTensor(who, x);
    if (x.ndim !== 4 && x.ndim !== 3) {
      throw new Error(`${who}.forward: expected a 4-D [N, C, H, W] or 3-D [C, H, W] input, got ${fmtShape(x.shape)}; use Dropout for other shapes`);
    }
    return F.dropout2d(x, this.p, this.training);
  }
}
