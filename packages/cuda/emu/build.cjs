#!/usr/bin/env node
// Builds the CUDA addon for the CPU emulator (see README.md): the same src/*.cu and src/*.cc, with
// g++ instead of nvcc, against emu/include/cuda_runtime.h, into build-emu/indrnn_cuda.node, plus
// stand-ins for the driver (libcuda.so.1) and cuBLAS. Select it with
// INDRNN_CUDA_ADDON=<abs path>/build-emu/indrnn_cuda.node. Rebuilds only when a source changed.
//
//   node emu/build.cjs [--force]     CXX=g++ (default), INDRNN_NODE_INCLUDE=dir with node_api.h
//   node emu/build.cjs --selftest    also build build-emu/selftest from emu/selftest.cu
//   INDRNN_EMU_ASAN=1                build the addon with AddressSanitizer (run node with
//                                    LD_PRELOAD=$(g++ -print-file-name=libasan.so))
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { findNodeInclude } = require('../scripts/node-include.cjs');

const root = path.join(__dirname, '..');
const out = path.join(root, 'build-emu');
const gen = path.join(out, 'gen');
const addon = path.join(out, 'indrnn_cuda.node');
const driver = path.join(out, 'libcuda.so.1');
const cublas = path.join(out, 'libcublas.so');
const stamp = path.join(out, 'source-hash.txt');
const cxx = process.env.CXX || 'g++';

function fail(msg) {
  console.error(`cuda emulator build: ${msg}`);
  process.exit(1);
}

const include = findNodeInclude();
if (!include) fail('node_api.h not found (set INDRNN_NODE_INCLUDE)');

const srcDir = path.join(root, 'src');
const emuFiles = [
  'include/cuda_runtime.h',
  'runtime.cc',
  'driver_stub.cc',
  'cublas_stub.cc',
  'selftest.cu',
  'build.cjs',
];
const sources = fs.readdirSync(srcDir).sort();

const h = crypto.createHash('sha256');
h.update(spawnSync(cxx, ['--version'], { encoding: 'utf8' }).stdout ?? '');
h.update(`asan=${process.env.INDRNN_EMU_ASAN === '1'}`);
for (const f of sources) h.update(f).update(fs.readFileSync(path.join(srcDir, f)));
for (const f of emuFiles) h.update(f).update(fs.readFileSync(path.join(__dirname, f)));
const hash = h.digest('hex');
const force = process.argv.includes('--force');
const selftest = process.argv.includes('--selftest');
const outputs = [addon, driver, cublas, ...(selftest ? [path.join(out, 'selftest')] : [])];
if (!force && outputs.every((f) => fs.existsSync(f)) &&
    fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) {
  console.log('cuda emulator build: up to date');
  process.exit(0);
}

/**
 * `kernel<<<grid, block, shared, stream>>>(args)` becomes `::emu::Launch(grid, block, shared,
 * stream)(kernel, args)`, and `__shared__ T x[n];` a static that each block first fills with
 * garbage; a #line directive keeps compiler messages pointing at the .cu file.
 */
function translate(file) {
  const text = fs.readFileSync(file, 'utf8');
  const launch = /\b([A-Za-z_]\w*(?:<[^;{}()<>]*>)?)\s*<<<([\s\S]*?)>>>\s*\(/g;
  let count = 0;
  let body = text.replace(launch, (_, kernel, config) => {
    count++;
    return `::emu::Launch(${config}).named("${kernel.replace(/\s+/g, '')}")(${kernel}, `;
  });
  if (body.includes('<<<')) fail(`${file}: a launch the translator missed`);
  // shared memory starts each block as garbage, as on a GPU, not with the last block's values
  body = body.replace(
    /__shared__\s+([^;()]+?)\s+(\w+)((?:\[[^\]]*\])+)\s*;/g,
    (_, type, name, dims) =>
      `static ${type} ${name}${dims}; ::emu::poisonShared(${name}, sizeof(${name}));`,
  );
  if (/__shared__/.test(body.replace(/\/\/.*$/gm, ''))) {
    fail(`${file}: a __shared__ declaration the translator missed`);
  }
  return { code: `#line 1 "${path.relative(root, file)}"\n${body}`, count };
}

fs.rmSync(gen, { recursive: true, force: true });
fs.mkdirSync(gen, { recursive: true });
const units = [];
let launches = 0;
for (const f of sources) {
  if (f.endsWith('.cu')) {
    const { code, count } = translate(path.join(srcDir, f));
    launches += count;
    const target = path.join(gen, f.replace(/\.cu$/, '.cc'));
    fs.writeFileSync(target, code);
    units.push(target);
  } else if (f.endsWith('.cc')) {
    units.push(path.join(srcDir, f));
  }
}

function compile(args, what) {
  const r = spawnSync(cxx, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) fail(`${what} failed:\n${cxx} ${args.join(' ')}\n${r.stdout}${r.stderr}`);
}

const t0 = Date.now();
const asan = process.env.INDRNN_EMU_ASAN === '1';
const base = ['-std=c++17', '-O2', '-g', '-Wall', '-Wno-unknown-pragmas'];
// the self-test keeps the emulator's own red zones, so it is never built with the sanitizer
const common = [...base, '-fPIC', '-shared',
  ...(asan ? ['-fsanitize=address', '-fno-omit-frame-pointer'] : [])];
compile([...common, path.join(__dirname, 'driver_stub.cc'), '-o', driver], 'the driver stand-in');
compile([...common, path.join(__dirname, 'cublas_stub.cc'), '-o', cublas], 'the cuBLAS stand-in');
compile(
  [
    ...common,
    '-fvisibility=hidden',
    '-I', path.join(__dirname, 'include'),
    '-I', srcDir,
    '-I', include,
    `-DINDRNN_DRIVER_LIB="${driver}"`,
    `-DINDRNN_CUBLAS_FIRST="${cublas}"`,
    ...units,
    path.join(__dirname, 'runtime.cc'),
    '-o', `${addon}.tmp`,
  ],
  'the addon',
);
if (selftest) {
  const target = path.join(gen, 'selftest.cc');
  fs.writeFileSync(target, translate(path.join(__dirname, 'selftest.cu')).code);
  compile(
    [...base, '-I', path.join(__dirname, 'include'), target, path.join(__dirname, 'runtime.cc'),
      '-o', path.join(out, 'selftest')],
    'the self-test',
  );
}
fs.renameSync(`${addon}.tmp`, addon);
fs.writeFileSync(stamp, hash);
console.log(
  `cuda emulator build: ${units.length} files, ${launches} kernel launches, ` +
    `${((Date.now() - t0) / 1000).toFixed(1)} s -> ${path.relative(process.cwd(), addon)}`,
);
