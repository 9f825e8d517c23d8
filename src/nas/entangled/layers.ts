// Which modules are weight layers (a convolution or a linear map, entangled or
// not): the ones weight_init re-draws.
import { Conv2d } from '../../nn/conv.js';
import { Linear } from '../../nn/linear.js';
import { EntangledConv2d } from './conv2d.js';
import { EntangledLinear } from './linear.js';

export function isWeightLayer(m: object): boolean {
  return m instanceof Conv2d || m instanceof Linear || m instanceof EntangledConv2d || m instanceof EntangledLinear;
}
