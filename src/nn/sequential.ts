// Sequential: layers applied in order, registered as children '0', '1', ...
// (PyTorch's naming, so state-dict keys match torch.nn.Sequential's).
import type { Tensor } from '../tensor/tensor.js';
import { Layer } from './layer.js';

export class Sequential extends Layer {
  readonly #layers: Layer[] = [];

  constructor(...layers: Layer[]) {
    super();
    for (const l of layers) this.append(l);
  }

  append(layer: Layer): this {
    if (!(layer instanceof Layer)) {
      throw new TypeError(`Sequential: item ${this.#layers.length} is not a layer (a Module with forward(x)); got ${layer === null ? 'null' : typeof layer}`);
    }
    this.child(String(this.#layers.length), layer);
    this.#layers.push(layer);
    return this;
  }

  get length(): number {
    return this.#layers.length;
  }

  at(i: number): Layer {
    const l = this.#layers.at(i);
    if (l === undefined) throw new RangeError(`Sequential.at(${i}): it holds ${this.#layers.length} layers`);
    return l;
  }

  [Symbol.iterator](): Iterator<Layer> {
    return this.#layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    // Intermediate outputs are the caller's to scope (usually one tidy per step).
    let y = x;
    this.#layers.forEach((l, i) => {
      try {
        y = l.forward(y);
      } catch (e) {
        // Prefix the position so nested containers read Sequential[2][0] ...
        if (e instanceof Error) {
          e.message = e.message.startsWith('Sequential[') ? `Sequential[${i}]${e.message.slice(10)}` : `Sequential[${i}] ${e.message}`;
        }
        throw e;
      }
    });
    return y;
  }
}
