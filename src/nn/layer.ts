// What the layers add to Module: a one-tensor forward, so they compose in
// Sequential, and the creation options every layer accepts.
import { getDefaultDevice, type DType, type Device, type Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

export interface LayerOptions {
  /** Parameter dtype (default float32). */
  dtype?: DType;
  /**
   * Device of the parameters (default: the default device, setDefaultDevice).
   * Values are always drawn on the CPU and then moved, so manualSeed gives the
   * same weights on every device.
   */
  device?: Device;
}

/** A module mapping one tensor to one tensor. */
export abstract class Layer extends Module {
  abstract forward(x: Tensor): Tensor;
  /** Same as forward; reads better at call sites (`layer.call(x)`). */
  call(x: Tensor): Tensor {
    return this.forward(x);
  }
}

/**
 * Puts a freshly initialised CPU tensor on `device`, freeing the CPU copy when
 * it had to move. @internal
 */
export function onDevice(t: Tensor, device: Device | undefined): Tensor {
  const to = device ?? getDefaultDevice();
  if (to === t.device) return t;
  const moved = t.toDevice(to);
  t.dispose();
  return moved;
}
