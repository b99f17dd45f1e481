#!/usr/bin/env node
// Lists every skipped test of a node:test run (the spec reporter's log: `﹣ name (…ms) # reason`),
// each with its reason, and exits 1 when a skip is not one CI allows. CI installs every
// prerequisite (CI=true turns a missing native addon, Chromium or ../shared data into a failure),
// so the only skips left are the ones that cannot run on a CPU-only machine by design:
//   usage: node .ci/skips.mjs <log> [<log> ...]
import { readFileSync } from 'node:fs';

/** Skips CI accepts, each with why. */
const ALLOWED = [
  {
    reason: /^no usable GPU, CUDA kernel tests skipped: .*; emulator\.test\.mjs runs this file on the CUDA emulator$/,
    why: 'the real-GPU suites; the CUDA emulator suite runs the same files on the CPU and requires 0 skips',
  },
  { reason: /^nvcc not found/, why: 'the CUDA toolkit is not installed in CI; the emulator builds the same sources with g++' },
  { reason: /^no system BLAS found/, why: 'the optional system BLAS is not installed in CI; our own GEMM is tested on every SIMD level' },
];

const skipped = [];
for (const file of process.argv.slice(2)) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*﹣ (.*) \([\d.]+m?s\) # (.*)$/.exec(line);
    if (m) skipped.push({ name: m[1], reason: m[2] });
  }
}
let bad = 0;
console.log(`skipped tests: ${skipped.length}`);
for (const s of skipped) {
  const ok = ALLOWED.find((a) => a.reason.test(s.reason));
  if (!ok) bad++;
  console.log(`  ${ok ? 'allowed' : 'NOT ALLOWED'}: ${s.name}\n      reason: ${s.reason}${ok ? `\n      (${ok.why})` : ''}`);
}
if (bad > 0) {
  console.error(`${bad} skip(s) that CI must not allow: install what they need in .ci/run, or make them fail under CI=true`);
  process.exit(1);
}
