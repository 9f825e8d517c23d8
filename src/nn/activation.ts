// Stateless layers as modules, for Sequential.
import { F } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmtShape, isTensor } from './check.js';
import { Layer } from './layer.js';

export class ReLU extends Layer {
  forward(x: Tensor): Tensor {
    return F.relu(isTensor('ReLU', x));
  }
}

export class GELU extends Layer {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh') throw new TypeError(`GELU: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
  }
  forward(x: Tensor): Tensor {
    return F.gelu(isTensor('GELU', x), this.approximate);
  }
}

export class SiLU extends Layer {
  forward(x: Tensor): Tensor {
    return F.silu(isTensor('SiLU', x));
  }
}

export class Tanh extends Layer {
  forward(x: Tensor): Tensor {
    return F.tanh(isTensor('Tanh', x));
  }
}

export class Sigmoid extends Layer {
  forward(x: Tensor): Tensor {
    return F.sigmoid(isTensor('Sigmoid', x));
  }
}

/** Returns its input unchanged (the same tensor, not a copy). */
export class Identity extends Layer {
  forward(x: Tensor): Tensor {
    return isTensor('Identity', x);
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dim). */
export class Flatten extends Layer {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    isTensor('Flatten', x);
    const n = x.ndim;
    const s = this.startDim < 0 ? this.startDim + n : this.startDim;
    const e = this.endDim < 0 ? this.endDim + n : this.endDim;
    if (s < 0 || e >= n || s > e) {
      throw new Error(`Flatten(${this.startDim}, ${this.endDim}).forward: dims out of range for input ${fmtShape(x.shape)}`);
    }
    return x.flatten(this.startDim, this.endDim);
  }
}
