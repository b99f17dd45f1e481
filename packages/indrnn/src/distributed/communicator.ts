/**
 * The collectives data-parallel training needs, over a group of processes (ranks). One
 * implementation runs over MPI (distributed/mpi.ts, Node); `SINGLE_PROCESS` is the group of one,
 * where every collective is the identity, so the training code has a single path.
 */
import type { TypedArray } from '../tensor/dtype.js';

export interface Communicator {
  /** This process's index in the group, 0 … size-1. Rank 0 writes the run's files. */
  readonly rank: number;
  readonly size: number;
  /** Index among the ranks on this machine (picks the GPU), and how many share it. */
  readonly localRank: number;
  readonly localSize: number;
  /** What carries the collectives, e.g. "Open MPI v4.1.4 (libmpi.so.40)"; "single process". */
  readonly description: string;
  /** In place: every rank ends with the element-wise sum (or max) over the ranks. */
  allreduce(buf: Float32Array | Float64Array, op?: 'sum' | 'max'): void;
  /** In place: every rank ends with root's bytes (`buf` has the same length on every rank). */
  broadcast(buf: TypedArray | Uint8Array, root: number): void;
  barrier(): void;
  /** Every rank's `values`, concatenated in rank order (small values: metrics, checksums). */
  allgather(values: Float64Array): Float64Array;
  /** Ends every rank of the job now (after a fatal error on this one). */
  abort(code: number): never;
}

/** The group of one process: collectives are the identity. */
export const SINGLE_PROCESS: Communicator = Object.freeze({
  rank: 0,
  size: 1,
  localRank: 0,
  localSize: 1,
  description: 'single process',
  allreduce(): void {},
  broadcast(): void {},
  barrier(): void {},
  allgather(values: Float64Array): Float64Array {
    return values.slice();
  },
  abort(code: number): never {
    const proc = (globalThis as { process?: { exit(code: number): never } }).process;
    if (proc) proc.exit(code);
    throw new Error(`aborted with code ${code}`);
  },
});
