#!/usr/bin/env node
// GEMM micro-benchmark of the native backend: GFLOP/s for 1024³ and (32768×128)·(128×128), with
// the system BLAS off (our packed SIMD kernels) and, if one is installed, on.
// Usage: node packages/native/bench/gemm.mjs [--reps N] [--threads N]
// OpenBLAS honours OPENBLAS_CORETYPE; this machine sets it to Haswell by default, which halves its
// rate on AVX-512 CPUs: unset it for a fair comparison (`env -u OPENBLAS_CORETYPE ...`).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const native = require('../dist/lib/index.js');
// The addon's kernel directly, writing into one reused output: a fresh 4-16 MB output per call
// would mostly time first-touch page faults (very slow on some VMs), not the GEMM.
const { addon } = require('../dist/lib/addon.js');
const { values } = parseArgs({
  options: { reps: { type: 'string', default: '9' }, threads: { type: 'string' } },
});
const reps = Number(values.reps);

const info = native.nativeInfo();
if (!info.available) {
  console.log(`native addon unavailable: ${info.error}`);
  process.exit(1);
}
if (values.threads) native.setNumThreads(Number(values.threads));

function filled(n, seed) {
  const a = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = x / 4294967296 - 0.5;
  }
  return a;
}

/** Median and best GFLOP/s of `reps` timed runs after one warm-up. */
function measure(m, n, k, transA, transB) {
  const a = filled(m * k, 1);
  const b = filled(k * n, 2);
  const out = new Float32Array(m * n);
  addon.matmul(out, a, b, m, n, k, transA, transB);
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    addon.matmul(out, a, b, m, n, k, transA, transB);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((p, q) => p - q);
  const flops = 2 * m * n * k;
  return {
    median: flops / times[Math.floor(times.length / 2)] / 1e9,
    best: flops / times[0] / 1e9,
  };
}

const cases = [
  { label: '1024³', m: 1024, n: 1024, k: 1024, transA: false, transB: false },
  { label: '(32768×128)·(128×128)', m: 32768, n: 128, k: 128, transA: false, transB: false },
  {
    label: '(32768×128)·(128×128)ᵀ (linear layer)',
    m: 32768,
    n: 128,
    k: 128,
    transA: false,
    transB: true,
  },
];

const cur = native.nativeInfo();
const restore = cur.blasMode;
console.log(
  `native GEMM: ${cur.threads} threads, ${cur.simd} kernels, system BLAS: ${cur.blas ?? 'none'}` +
    (cur.blas ? `, OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}` : ''),
);
const modes = cur.blas ? [false, true] : [false];
for (const blas of modes) {
  native.setBlas(blas ? 'on' : 'off');
  for (const c of cases) {
    const r = measure(c.m, c.n, c.k, c.transA, c.transB);
    const who = blas ? `BLAS ${cur.blas}` : `own ${cur.simd}`;
    console.log(
      `${who.padEnd(14)} ${c.label.padEnd(40)} median ${r.median.toFixed(1).padStart(6)} GFLOP/s   best ${r.best.toFixed(1).padStart(6)}`,
    );
  }
}
if (cur.blas) {
  native.setBlas(restore);
  const verdicts = cases.map((c) => `${c.label}: ${native.blasChoice(c.m, c.n, c.k, c.transA, c.transB) ? cur.blas : 'ours'}`);
  console.log(`auto mode (the default) picks by a fixed shape rule: ${verdicts.join('; ')}`);
}
