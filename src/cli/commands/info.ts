// `tanglenas info`: libtorch build, threads and devices.
export async function run(): Promise<void> {
  const rt = await import('../../tensor/runtime.js');
  const dev = await import('../../tensor/device.js');
  console.log(`threads ${rt.getNumThreads()} (TANGLENAS_THREADS / OMP_NUM_THREADS, default all cores); cuda ${rt.cudaIsAvailable() ? `${rt.cudaDeviceCount()} device(s)` : 'not available'}`);
  const mem = dev.gpuMemory();
  console.log(`libtorch built with CUDA: ${dev.builtWithCuda() ? 'yes' : 'no (LIBTORCH=... bash scripts/setup.sh for a CUDA build: docs/gpu.md)'}; --device auto = ${dev.resolveDevice('auto')}${mem ? `; GPU memory ${Math.round(mem.usedMb)} of ${Math.round(mem.totalMb)} MiB in use` : ''}`);
  console.log(rt.buildInfo().parallel);
}
