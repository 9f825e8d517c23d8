// Prints what binding.gyp and scripts/setup.sh need to know about the libtorch
// the addon is built against: Debian's libtorch by default, or the tree that
// $LIBTORCH points at (an unpacked libtorch, or an installed PyTorch package's
// torch/ folder: both have include/ and lib/; a CUDA build is linked with its
// CUDA libraries). Modes: include | libs | defines | nodedir | describe.
const fs = require('node:fs');
const path = require('node:path');
const root = process.env.LIBTORCH;
const what = process.argv[2];

if (root && !fs.existsSync(path.join(root, 'include'))) {
  console.error(`LIBTORCH=${root} has no include/ folder: point LIBTORCH at an unpacked libtorch tree or at an installed PyTorch package (python3 -c "import torch, os; print(os.path.dirname(torch.__file__))")`);
  process.exit(1);
}
const inc = root ? path.join(root, 'include') : '/usr/include';
const lib = root ? path.join(root, 'lib') : null;
const cuda = lib !== null && fs.existsSync(path.join(lib, 'libtorch_cuda.so'));

function version() {
  try {
    const h = fs.readFileSync(path.join(inc, 'torch/csrc/api/include/torch/version.h'), 'utf8');
    return /#define TORCH_VERSION\s*\\?\s*"([^"]+)"/.exec(h)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// A libtorch built with the old C++ ABI (some PyTorch wheels) has no __cxx11 symbols; the addon must match it.
function cxx11Abi() {
  if (!lib) return null; // Debian: the system's default (the new ABI)
  try {
    return fs.readFileSync(path.join(lib, 'libc10.so')).includes('__cxx11') ? 1 : 0;
  } catch {
    return null;
  }
}

switch (what) {
  case 'include':
    console.log([inc, path.join(inc, 'torch/csrc/api/include')].join(' '));
    break;
  case 'libs':
    if (!lib) console.log('-ltorch -ltorch_cpu -lc10');
    else console.log(`-L${lib} -Wl,-rpath,${lib} -ltorch -ltorch_cpu -lc10${cuda ? ' -Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed' : ''}`);
    break;
  case 'defines': {
    const abi = cxx11Abi();
    console.log(abi === null ? '' : `_GLIBCXX_USE_CXX11_ABI=${abi}`);
    break;
  }
  case 'nodedir': {
    // The headers that ship with this Node (no download): <prefix>/include/node.
    const prefix = path.resolve(process.execPath, '../..');
    console.log(fs.existsSync(path.join(prefix, 'include/node/common.gypi')) ? prefix : '');
    break;
  }
  case 'describe':
    console.log(`${root ? `LIBTORCH=${root}` : "Debian's libtorch-dev"} (PyTorch ${version()}, ${cuda ? 'with CUDA' : 'CPU only'})`);
    break;
  default:
    console.error(`torch-config.cjs: unknown mode '${what}' (include, libs, defines, nodedir, describe)`);
    process.exit(1);
}
