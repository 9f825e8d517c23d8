import { native } from '../native.js';
import { Tensor } from '../tensor.js';

export const relu = (x: Tensor): Tensor => new Tensor(native.relu(x?.h));
export const sigmoid = (x: Tensor): Tensor => new Tensor(native.sigmoid(x?.h));
export const tanh = (x: Tensor): Tensor => new Tensor(native.tanh(x?.h));
export const silu = (x: Tensor): Tensor => new Tensor(native.silu(x?.h));
export const hardswish = (x: Tensor): Tensor => new Tensor(native.hardswish(x?.h));
export const hardsigmoid = (x: Tensor): Tensor => new Tensor(native.hardsigmoid(x?.h));
/** GELU, exact (erf) or with the tanh approximation. */
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor => new Tensor(native.gelu(x?.h, approximate));
export const elu = (x: Tensor, alpha = 1): Tensor => new Tensor(native.elu(x?.h, alpha));
export const leakyRelu = (x: Tensor, slope = 0.01): Tensor => new Tensor(native.leakyRelu(x?.h, slope));
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => new Tensor(native.softplus(x?.h, beta, threshold));
export const softmax = (x: Tensor, dim = -1): Tensor => new Tensor(native.softmax(x?.h, dim));
export const logSoftmax = (x: Tensor, dim = -1): Tensor => new Tensor(native.logSoftmax(x?.h, dim));
