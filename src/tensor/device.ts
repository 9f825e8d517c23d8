// Choosing the run's device: 'auto' | 'cpu' | 'cuda' | 'cuda:N', checked
// against what the addon was built with and what the machine shows, with
// errors that say how to get a CUDA build.
import { native } from './native.js';
import { cudaDeviceCount, cudaIsAvailable } from './runtime.js';
import { getDefaultDevice, type Device } from './tensor.js';

/** libtorch was built with CUDA (a GPU need not be visible). */
export function builtWithCuda(): boolean {
  return /USE_CUDA=(ON|1)\b|CUDA Runtime/.test(native.configInfo());
}

const BUILD_HINT =
  'build the addon against a libtorch with CUDA: LIBTORCH=<unpacked CUDA libtorch, or an installed PyTorch package directory such as $(python3 -c "import torch, os; print(os.path.dirname(torch.__file__))")> bash scripts/setup.sh (docs/gpu.md)';

/** The device a spec names on this machine; an error that names the fix when it cannot be had. */
export function resolveDevice(spec: string): Device {
  if (spec === 'auto') return cudaIsAvailable() ? 'cuda:0' : 'cpu';
  if (spec === 'cpu') return 'cpu';
  const m = /^cuda(?::(\d+))?$/.exec(spec);
  if (!m) throw new Error(`device '${spec}' is not one of auto, cpu, cuda, cuda:N (N = 0, 1, ...)`);
  if (!builtWithCuda()) throw new Error(`device '${spec}': this tanglenas addon was built against a libtorch without CUDA; ${BUILD_HINT}; or use --device cpu`);
  const count = cudaDeviceCount();
  if (count === 0) throw new Error(`device '${spec}': the addon has CUDA but no GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES); or use --device cpu`);
  const index = m[1] === undefined ? 0 : Number(m[1]);
  if (index >= count) throw new Error(`device '${spec}': only ${count} GPU${count === 1 ? '' : 's'} visible (cuda:0${count > 1 ? ` to cuda:${count - 1}` : ''})`);
  return `cuda:${index}`;
}

export function isCuda(device: Device): boolean {
  return device.startsWith('cuda');
}

/** Memory in use on a CUDA device (default: the default device's, else GPU 0), as nvidia-smi counts it (MiB), or null without CUDA. */
export function gpuMemory(device: Device = getDefaultDevice()): { usedMb: number; totalMb: number } | null {
  const m = /^cuda:(\d+)$/.exec(device);
  const r = native.cudaMemInfo(m ? Number(m[1]) : 0) as [number, number] | null;
  return r ? { usedMb: r[0] / 2 ** 20, totalMb: r[1] / 2 ** 20 } : null;
}
