/**
 * The data-parallel split of a batch: every rank builds the same global batch (the same random
 * draws, whatever the number of ranks) and keeps rows r, r+N, r+2N, … of it, N being the world
 * size. Tasks call `take` on their batch tensors and `sum` on their evaluation sums; over one
 * process both are the identity, so a task has one code path.
 */
import { Tensor, tensor } from '../tensor/tensor.js';
import { arrayFor } from '../tensor/dtype.js';
import { fail } from '../util/errors.js';
import { SINGLE_PROCESS, type Communicator } from './communicator.js';

export class BatchShard {
  /** Rows of the last batch taken (its global size), for masks drawn for the whole batch. */
  lastGlobalRows = 0;
  /** This step's share of the loss, when a task set one (setShare); else its share of the rows. */
  private explicitShare: number | null = null;

  constructor(readonly comm: Communicator = SINGLE_PROCESS) {}

  get rank(): number {
    return this.comm.rank;
  }

  get size(): number {
    return this.comm.size;
  }

  /** How many of a batch's `rows` this rank keeps. */
  localCount(rows: number): number {
    return this.rank < rows ? Math.floor((rows - 1 - this.rank) / this.size) + 1 : 0;
  }

  /** This rank's rows of a batch of `rows`: r, r+N, … */
  rows(rows: number): Int32Array {
    const out = new Int32Array(this.localCount(rows));
    for (let j = 0; j < out.length; j++) out[j] = this.rank + j * this.size;
    return out;
  }

  /**
   * This rank's share of a batch of `rows`: a mean over its rows times this weight, summed over the
   * ranks, is the mean over the whole batch.
   */
  weight(rows: number): number {
    return this.localCount(rows) / rows;
  }

  /**
   * For a loss that is a mean over something other than rows (valid steps of padded sequences, say):
   * this rank averaged over `local` of the batch's `total` units. Lasts until the next step.
   */
  setShare(local: number, total: number): void {
    this.explicitShare = total > 0 ? local / total : 0;
  }

  /** This step's share: what its mean loss is weighted by in the sum over the ranks. */
  share(): number {
    if (this.explicitShare !== null) return this.explicitShare;
    return this.lastGlobalRows > 0 ? this.weight(this.lastGlobalRows) : 1;
  }

  /** Forgets the last step's batch (before the next step's forward). */
  resetStep(): void {
    this.lastGlobalRows = 0;
    this.explicitShare = null;
  }

  /** This rank's entries of a list of batch items (sample indices). */
  takeItems(items: Int32Array): Int32Array {
    if (this.size === 1) return items;
    this.lastGlobalRows = items.length;
    return Int32Array.from(this.rows(items.length), (i) => items[i]!);
  }

  /** This rank's rows of t along `axis` (the batch axis: 1 for time-major [T, B, …], 0 for [B, …]). */
  take(t: Tensor, axis: number): Tensor {
    if (this.size === 1) return t;
    const B = t.shape[axis];
    if (B === undefined) fail(`BatchShard.take: axis ${axis} is out of range for shape [${t.shape.join(', ')}]`);
    this.lastGlobalRows = B;
    return selectRows(t, axis, this.rows(B));
  }

  /**
   * The inverse of take, on every rank: the full tensor (B rows along `axis`) from each rank's
   * rows. Collective: every rank must call it. Used for state carried across batches (the hidden
   * states of a stateful language model), so checkpoints hold the whole batch whatever N is.
   */
  gather(local: Tensor, axis: number, rows: number): Tensor {
    if (this.size === 1) return local;
    const shape = [...local.shape];
    shape[axis] = rows;
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const full = new Float64Array(outer * rows * inner);
    const src = local.data();
    const mine = this.rows(rows);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < mine.length; j++) {
        const from = (o * mine.length + j) * inner;
        const to = (o * rows + mine[j]!) * inner;
        for (let i = 0; i < inner; i++) full[to + i] = src[from + i]!;
      }
    }
    // every entry is one rank's value plus zeros, so the sum is exact
    this.comm.allreduce(full, 'sum');
    const out = arrayFor(local.dtype, full.length);
    out.set(full);
    return tensor(out, shape, local.dtype, local.backend);
  }

  /** Element-wise sums over the ranks (float64), e.g. [loss sum, correct, count] of an evaluation. */
  sum(values: readonly number[]): number[] {
    if (this.size === 1) return [...values];
    const buf = Float64Array.from(values);
    this.comm.allreduce(buf, 'sum');
    return Array.from(buf);
  }
}

/** The one-process shard (every row). */
export const WHOLE_BATCH = new BatchShard(SINGLE_PROCESS);

/** Rows `rows` of t along `axis`, as a new tensor on t's backend (host copy). */
export function selectRows(t: Tensor, axis: number, rows: Int32Array): Tensor {
  const shape = [...t.shape];
  const B = shape[axis]!;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const src = t.data();
  const out = arrayFor(t.dtype, outer * rows.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < rows.length; j++) {
      const from = (o * B + rows[j]!) * inner;
      out.set(src.subarray(from, from + inner), (o * rows.length + j) * inner);
    }
  }
  shape[axis] = rows.length;
  return tensor(out, shape, t.dtype, t.backend);
}
