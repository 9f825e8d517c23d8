// `tanglenas info`: libtorch build, threads and devices.
export async function run(): Promise<void> {
  const rt = await import('../../tensor/runtime.js');
  console.log(`threads ${rt.getNumThreads()} (TANGLENAS_THREADS / OMP_NUM_THREADS, default all cores); cuda ${rt.cudaIsAvailable() ? `${rt.cudaDeviceCount()} device(s)` : 'not available'}`);
  console.log(rt.buildInfo().parallel);
}
