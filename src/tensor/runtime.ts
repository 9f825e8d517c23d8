// Thread count, devices and build information.
import { native, configuredThreads } from './native.js';

export function getNumThreads(): number {
  return native.getNumThreads();
}
/**
 * Changes the intra-op thread count after start-up. Prefer TANGLENAS_THREADS in
 * the environment: it applies before libtorch loads (same speed, measured) and also
 * covers OpenMP users outside libtorch's pool such as OpenBLAS.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`setNumThreads(${n}): need a positive integer`);
  native.setNumThreads(n);
}
export { configuredThreads };
export function cudaIsAvailable(): boolean {
  return native.cudaIsAvailable();
}
export function cudaDeviceCount(): number {
  return native.cudaDeviceCount();
}
/** libtorch's parallel and build configuration, for bug reports. */
export function buildInfo(): { parallel: string; config: string } {
  return { parallel: native.parallelInfo(), config: native.configInfo() };
}
/**
 * Native tensors currently alive: not yet disposed nor garbage-collected. Flat
 * across training steps when every step runs inside `tidy` (leak tests use it).
 */
export function liveTensorCount(): number {
  return native.liveTensors();
}
export { engineLoaded } from './native.js';
