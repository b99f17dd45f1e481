/**
 * A worker thread of the threaded GEMM (Node worker_threads): instantiates the shared-memory
 * kernels on the main thread's memory, then waits for jobs and computes its band of rows.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KernelExports } from './exports.js';
import { band, SLOT } from './gemm-job.js';

interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  slots: SharedArrayBuffer;
  /** This worker's part (1 .. parts-1; the main thread computes part 0). */
  part: number;
}

const { module, memory, slots, part } = workerData as WorkerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
const job = new Int32Array(slots);
parentPort!.postMessage('ready');

let seen = 0;
for (;;) {
  Atomics.wait(job, SLOT.seq, seen);
  seen = Atomics.load(job, SLOT.seq);
  if (Atomics.load(job, SLOT.quit)) break;
  const M = job[SLOT.m]!;
  const n = job[SLOT.n]!;
  const kk = job[SLOT.k]!;
  const transA = job[SLOT.transA]!;
  const lda = job[SLOT.lda]!;
  const [r0, r1] = band(M, job[SLOT.parts]!, part);
  if (r1 > r0) {
    // rows r0.. of op(A): a row offset of r0·lda floats, or r0 floats of each stored row (transA)
    const a = job[SLOT.a]! + 4 * (transA ? r0 : r0 * lda);
    const pa = job[SLOT.packA]! + part * job[SLOT.packAStride]!;
    k.gemmPackedLd(
      a,
      transA,
      lda,
      r1 - r0,
      n,
      kk,
      job[SLOT.packedB]!,
      pa,
      job[SLOT.c]! + 4 * r0 * n,
      0,
    );
  }
  Atomics.add(job, SLOT.done, 1);
  Atomics.notify(job, SLOT.done);
}
