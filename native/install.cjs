// npm's install step for the published package: builds the libtorch addon
// (Debian's libtorch-dev, or the tree $LIBTORCH points at). On failure, one
// message that names what to install. A development checkout builds it in
// scripts/setup.sh instead (TANGLENAS_SKIP_ADDON_BUILD=1 there).
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

if (process.env.TANGLENAS_SKIP_ADDON_BUILD === '1') process.exit(0);
const dir = __dirname;
if (existsSync(path.join(dir, 'build', 'Release', 'tanglenas.node')) && !process.env.TANGLENAS_REBUILD) process.exit(0);

const where = process.env.LIBTORCH ? `LIBTORCH=${process.env.LIBTORCH}` : "Debian's libtorch-dev";
const headers = process.env.LIBTORCH ? path.join(process.env.LIBTORCH, 'include', 'torch') : '/usr/include/torch';
if (!existsSync(headers)) {
  console.error(`tanglenas: cannot build the libtorch addon: ${headers} does not exist. Install the Debian packages (sudo apt-get install libtorch-dev libopenblas0-openmp), or set LIBTORCH to an unpacked libtorch (or an installed PyTorch package's torch/ folder, which has include/ and lib/), then run npm rebuild tanglenas`);
  process.exit(1);
}
// npm hands its own node-gyp to install scripts; a checkout has it as a dev dependency.
const gyp = process.env.npm_config_node_gyp || require.resolve('node-gyp/bin/node-gyp.js');
console.error(`tanglenas: building the libtorch addon against ${where} (about a minute)`);
// The headers that ship with this Node, so the build needs no download.
const nodedir = spawnSync(process.execPath, [path.join(dir, 'torch-config.cjs'), 'nodedir'], { cwd: dir, encoding: 'utf8' }).stdout?.trim();
const r = spawnSync(process.execPath, [gyp, 'rebuild', '--directory', dir, '--loglevel=error', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { stdio: ['ignore', 'ignore', 'inherit'] });
if (r.status !== 0) {
  console.error(`tanglenas: the addon build failed (exit ${r.status ?? r.signal}). It needs a C++17 compiler (build-essential) and ${where}; on Debian 12: sudo apt-get install build-essential libtorch-dev libopenblas0-openmp, then npm rebuild tanglenas`);
  process.exit(1);
}
