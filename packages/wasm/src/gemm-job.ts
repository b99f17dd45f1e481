/**
 * The job slots of the threaded GEMM: an Int32Array over a SharedArrayBuffer that the main thread
 * fills and the workers read. Addresses fit int32 because the shared memory is capped at 2 GiB.
 */
export const SLOT = {
  /** Incremented for every job; workers wait on it. */
  seq: 0,
  /** Workers that finished the current job; the main thread waits on it. */
  done: 1,
  /** Non-zero: workers exit. */
  quit: 2,
  a: 3,
  transA: 4,
  lda: 5,
  m: 6,
  n: 7,
  k: 8,
  packedB: 9,
  /** First packed-A scratch buffer, and the bytes between consecutive ones (one per part). */
  packA: 10,
  packAStride: 11,
  c: 12,
  /** Parts the rows are split into (workers + the main thread). */
  parts: 13,
} as const;
export const SLOTS = 16;

/** Rows [r0, r1) of part p of the M rows, in bands that are multiples of the 4-row tile. */
export function band(M: number, parts: number, p: number): [number, number] {
  const size = Math.ceil(M / parts / 4) * 4;
  const r0 = Math.min(M, p * size);
  return [r0, Math.min(M, r0 + size)];
}
