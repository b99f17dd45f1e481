#!/usr/bin/env node
// Builds the CUDA addon during `npm install`, with one nvcc call, where nvcc exists. It links no
// CUDA library that a machine without a GPU lacks: the CUDA runtime is nvcc's static cudart, and
// cuBLAS and the driver (libcuda.so.1) are opened with dlopen at run time. The install never fails:
// without nvcc or the Node headers this prints one line and exits 0, and indrnn then runs on its
// CPU backends. A matching earlier build (same sources, flags and nvcc) is kept.
//
//   node scripts/install.cjs [--force] [--strict] [--verbose]
//     --force    build even if the stamp matches        --strict  exit 1 when the build fails
//     --verbose  print the nvcc command
//   INDRNN_SKIP_CUDA_BUILD=1     skip
//   INDRNN_CUDA_ARCHS="80;90"    GPU architectures (default; PTX for the newest too), or 'native'
//   NVCC=/path/to/nvcc           the compiler (default: PATH, $CUDA_HOME/bin, /usr/local/cuda/bin)
//   INDRNN_NODE_INCLUDE=dir      folder with node_api.h (default: beside this Node; npm's nodedir)
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { findNodeInclude } = require('./node-include.cjs');

const root = path.join(__dirname, '..');
const buildDir = path.join(root, 'build');
const log = path.join(buildDir, 'install.log');
const addon = path.join(buildDir, 'indrnn_cuda.node');
const stamp = path.join(buildDir, 'source-hash.txt');
const args = process.argv.slice(2);
const force = args.includes('--force');
const strict = args.includes('--strict');
const verbose = args.includes('--verbose');

function done(message, ok) {
  console.log(`@indrnn/cuda: ${message}`);
  process.exit(ok || !strict ? 0 : 1);
}

if (process.env.INDRNN_SKIP_CUDA_BUILD) done('build skipped (INDRNN_SKIP_CUDA_BUILD is set)', true);

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function findNvcc() {
  if (process.env.NVCC) return isFile(process.env.NVCC) ? process.env.NVCC : null;
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const v of ['CUDA_HOME', 'CUDA_PATH']) {
    if (process.env[v]) dirs.push(path.join(process.env[v], 'bin'));
  }
  dirs.push('/usr/local/cuda/bin');
  for (const d of dirs) if (isFile(path.join(d, 'nvcc'))) return path.join(d, 'nvcc');
  return null;
}

/** -gencode flags: SASS for each architecture, PTX for the newest (so later GPUs can JIT it). */
function archFlags() {
  const spec = (process.env.INDRNN_CUDA_ARCHS || '80;90').trim();
  if (spec === 'native') return ['-arch=native'];
  const archs = spec
    .split(/[;,\s]+/)
    .filter(Boolean)
    .map((a) => a.replace(/^sm_/, ''));
  if (!archs.length || archs.some((a) => !/^\d+[a-z]?$/.test(a))) {
    done(`INDRNN_CUDA_ARCHS='${spec}' is not a list like "80;90" or 'native'; not built`, false);
  }
  const flags = archs.flatMap((a) => ['-gencode', `arch=compute_${a},code=sm_${a}`]);
  const newest = archs[archs.length - 1];
  return [...flags, '-gencode', `arch=compute_${newest},code=compute_${newest}`];
}

const nvcc = findNvcc();
if (!nvcc) {
  done('nvcc not found; the CUDA backend is not built (only NVIDIA GPU machines need it)', true);
}
const include = findNodeInclude();
if (!include) {
  done('node_api.h not found (set INDRNN_NODE_INCLUDE); the CUDA backend is not built', false);
}

const sources = fs
  .readdirSync(path.join(root, 'src'))
  .filter((f) => /\.(cu|cc)$/.test(f))
  .sort()
  .map((f) => path.join('src', f));
const nvccArgs = [
  '-O3',
  '-std=c++17',
  '--shared',
  '-Xcompiler',
  '-fPIC,-fvisibility=hidden',
  '--threads',
  '0',
  // a kernel that spills or keeps an array in local memory is slow: say so in the log (a test reads it)
  '-Xptxas',
  '-warn-spills,-warn-lmem-usage',
  ...archFlags(),
  '-I',
  include,
  ...sources,
  '-o',
  path.join('build', 'indrnn_cuda.node.tmp'),
];

function sourceHash() {
  const h = crypto.createHash('sha256');
  const version = spawnSync(nvcc, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  h.update(`${process.platform} ${process.arch}\n${version}\n${nvccArgs.join(' ')}\n`);
  for (const f of fs.readdirSync(path.join(root, 'src')).sort()) {
    h.update(f);
    h.update(fs.readFileSync(path.join(root, 'src', f)));
  }
  return h.digest('hex');
}

const hash = sourceHash();
if (!force && isFile(addon) && isFile(stamp) && fs.readFileSync(stamp, 'utf8') === hash) {
  done('addon is up to date', true);
}

fs.mkdirSync(buildDir, { recursive: true });
if (verbose) console.log(`@indrnn/cuda: ${nvcc} ${nvccArgs.join(' ')}`);
console.log('@indrnn/cuda: compiling the CUDA kernels with nvcc (a minute or two)...');
const t0 = Date.now();
const r = spawnSync(nvcc, nvccArgs, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const output = [
  `${nvcc} ${nvccArgs.join(' ')}`,
  r.stdout ?? '',
  r.stderr ?? '',
  r.error ?? '',
].join('\n');
try {
  fs.writeFileSync(log, output);
} catch {
  // the log is a convenience; never fail the install over it
}
if (r.status === 0) {
  fs.renameSync(path.join(buildDir, 'indrnn_cuda.node.tmp'), addon);
  fs.writeFileSync(stamp, hash);
  done(`addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s`, true);
}
const why = r.error ? r.error.message : `nvcc exited with ${r.status}`;
if (strict) process.stderr.write(output.slice(-8000));
done(`addon not built (${why}; log: ${log}); indrnn will use its CPU backends`, false);
