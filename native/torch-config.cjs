// Prints include dirs or link flags for binding.gyp: Debian's libtorch by default,
// or the libtorch tree that $LIBTORCH points at (e.g. a CUDA build).
const fs = require('node:fs');
const path = require('node:path');
const root = process.env.LIBTORCH;
const what = process.argv[2];
if (!root) {
  const inc = ['/usr/include', '/usr/include/torch/csrc/api/include'];
  if (what === 'include') console.log(inc.join(' '));
  else console.log('-ltorch -ltorch_cpu -lc10');
} else {
  if (!fs.existsSync(path.join(root, 'include'))) {
    console.error(`LIBTORCH=${root} has no include/ folder: point LIBTORCH at an unpacked libtorch tree`);
    process.exit(1);
  }
  const lib = path.join(root, 'lib');
  if (what === 'include') {
    console.log([path.join(root, 'include'), path.join(root, 'include/torch/csrc/api/include')].join(' '));
  } else {
    const cuda = fs.existsSync(path.join(lib, 'libtorch_cuda.so')) ? ' -Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed' : '';
    console.log(`-L${lib} -Wl,-rpath,${lib} -ltorch -ltorch_cpu -lc10${cuda}`);
  }
}
