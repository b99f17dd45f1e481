/** Batch normalisation (training-mode op) and time-shared dropout. */
import { record } from '../autograd/tape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Generator } from '../util/random.js';
import { defaultGenerator } from '../util/random.js';
import { arrayFor } from '../tensor/dtype.js';
import { fail, fmtShape } from '../util/errors.js';
import { checkFloat, checkInt32, checkShape, sameBackend, wrap } from './util.js';

export interface BatchStats {
  /** Normalised and scaled output, same shape as x (0 on padded rows). */
  y: Tensor;
  /** Batch mean per (group, channel): [groups, C]. */
  mean: Tensor;
  /** Biased batch variance per (group, channel): [groups, C]. */
  variance: Tensor;
  /** Rows each group's statistics were taken over (fewer than the group's rows when padded). */
  counts: number[];
}

/**
 * Training-mode batch norm on x viewed as [groups, rows, C]: y = γ (x - μ) / sqrt(σ² + eps) + β with
 * μ, σ² per (group, channel) over rows. Gradients flow to x, γ and β (mean and variance are returned
 * detached, for running statistics).
 *
 * With `lengths` (int32 [R]) x must be [T, R, C] and groups 1 (sequence-wise) or T (frame-wise):
 * row r of step t is padding when t >= lengths[r]. Statistics are then taken over valid rows only,
 * padded rows of y are 0 and get no gradient, so padding changes no valid output.
 */
export function batchNormTrain(
  x: Tensor, groups: number, gamma: Tensor, beta: Tensor, eps: number, lengths: Tensor | null = null,
): BatchStats {
  const op = 'batchNorm';
  checkFloat(op, 'input', x);
  sameBackend(op, x, gamma, beta);
  const C = x.shape[x.rank - 1]!;
  checkShape(op, 'weight', gamma, [C]);
  checkShape(op, 'bias', beta, [C]);
  const rows = x.size / C / groups;
  if (!Number.isInteger(rows) || rows < 1) fail(`${op}: cannot split ${x.size / C} rows into ${groups} groups`);
  const counts = lengths ? validCounts(op, x, groups, lengths) : null;
  if (counts) {
    const [T, R] = x.shape as [number, number];
    const lens = lengths!.storage;
    const perStep = groups === T && T > 1;
    const k = x.backend.batchNormTrainMasked(x.storage, T, R, C, lens, perStep, gamma.storage, beta.storage, eps);
    const y = wrap(k.y, x.shape, x);
    record(op, [x, gamma, beta], [y], ([g]) => {
      const d = x.backend.batchNormGradMasked(g!.storage, x.storage, T, R, C, lens, perStep, k.mean, k.invStd, gamma.storage);
      return [wrap(d.dx, x.shape, x), wrap(d.dgamma, [C], x), wrap(d.dbeta, [C], x)];
    });
    return { y, mean: wrap(k.mean, [groups, C], x), variance: wrap(k.variance, [groups, C], x), counts };
  }
  const k = x.backend.batchNormTrain(x.storage, groups, rows, C, gamma.storage, beta.storage, eps);
  const y = wrap(k.y, x.shape, x);
  record(op, [x, gamma, beta], [y], ([g]) => {
    const d = x.backend.batchNormGrad(g!.storage, x.storage, groups, rows, C, k.mean, k.invStd, gamma.storage);
    return [wrap(d.dx, x.shape, x), wrap(d.dgamma, [C], x), wrap(d.dbeta, [C], x)];
  });
  return { y, mean: wrap(k.mean, [groups, C], x), variance: wrap(k.variance, [groups, C], x), counts: new Array<number>(groups).fill(rows) };
}

/**
 * Checks lengths against x [T, R, C] and returns the valid rows of each group, or null when no row
 * is padded (then the plain kernel gives the same result).
 */
function validCounts(op: string, x: Tensor, groups: number, lengths: Tensor): number[] | null {
  checkInt32(op, 'lengths', lengths);
  sameBackend(op, x, lengths);
  if (x.rank !== 3) fail(`${op}: with lengths the input must be [T, R, C], got ${fmtShape(x.shape)}`);
  const [T, R] = x.shape as [number, number];
  checkShape(op, 'lengths', lengths, [R], 'one length per row of a step');
  if (groups !== 1 && groups !== T) fail(`${op}: with lengths, groups must be 1 (sequence-wise) or T = ${T} (frame-wise), got ${groups}`);
  const host = lengths.data();
  let padded = false;
  for (let r = 0; r < R; r++) {
    const len = host[r]!;
    if (!(len >= 0 && len <= T)) fail(`${op}: lengths[${r}] = ${len} is outside [0, ${T}]`);
    if (len < T) padded = true;
  }
  if (!padded) return null;
  const counts = new Array<number>(groups).fill(0);
  for (let r = 0; r < R; r++) {
    const len = host[r]!;
    if (groups === 1) counts[0]! += len;
    else for (let t = 0; t < len; t++) counts[t]!++;
  }
  return counts;
}

/**
 * Inverted dropout with one mask per sequence shared over time: x [T, B, C] (or [B, C]) is multiplied
 * by a mask [B, C] of Bernoulli(1-p)/(1-p) values, broadcast over T. Sharing the mask keeps a dropped
 * neuron dropped for the whole sequence, so long memories are not cut (Deep IndRNN §5.1).
 */
export function dropoutShared(x: Tensor, p: number, generator?: Generator): Tensor {
  if (!(p >= 0 && p < 1)) fail(`dropout: p must be in [0, 1), got ${p}`);
  if (p === 0) return x;
  const maskShape = x.shape.slice(-2);
  const rows = maskRows?.(maskShape[0]!) ?? null;
  if (rows) {
    // data-parallel: draw the whole batch's mask (the draws one process makes), keep this rank's rows
    const C = maskShape[1]!;
    const full = dropoutMask(x, [rows.global, C], p, generator).data();
    const mine = arrayFor(x.dtype, rows.mine.length * C);
    rows.mine.forEach((r, j) => mine.set(full.subarray(r * C, (r + 1) * C), j * C));
    return x.mul(new Tensor(x.backend.fromHost(mine), maskShape, x.dtype, x.backend));
  }
  return x.mul(dropoutMask(x, maskShape, p, generator));
}

/** Given a mask's batch rows on this rank: the whole batch's row count and this rank's rows, or null. */
type MaskRows = (localRows: number) => { global: number; mine: Int32Array } | null;
let maskRows: MaskRows | null = null;

/**
 * Set by data-parallel training (distributed/): dropout masks are then drawn for the whole batch and
 * each rank keeps its rows, so N ranks draw what one process draws. null restores the default.
 */
export function setDropoutSharding(fn: MaskRows | null): void {
  maskRows = fn;
}

/** A mask tensor of the given shape with Bernoulli(1-p)/(1-p) entries, like x's dtype and backend. */
export function dropoutMask(like: Tensor, shape: readonly number[], p: number, generator?: Generator): Tensor {
  const gen = generator ?? defaultGenerator();
  const size = shape.reduce((a, b) => a * b, 1);
  const data = arrayFor(like.dtype, size);
  const keep = 1 / (1 - p);
  for (let i = 0; i < size; i++) data[i] = gen.random() < p ? 0 : keep;
  return new Tensor(like.backend.fromHost(data), shape, like.dtype, like.backend);
}

/** Checks that every value is finite; names the tensor and the first bad position. */
export function assertFinite(where: string, t: Tensor): void {
  if (t.dtype === 'int32') return;
  // One pass on the tensor's own backend (a reduction on a GPU, threaded natively): any NaN or
  // ±Infinity makes the sum of squares non-finite. Only then is the host copy scanned for the
  // position. (Huge finite values can overflow the sum too: the scan then finds nothing.) Scanning
  // on the host every call cost 3 ms a step for a [5000, 128, 2] input, longer than its GPU step.
  if (Number.isFinite(t.backend.sumSquares(t.storage))) return;
  const d = t.data();
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      fail(`${where}: input contains ${Number.isNaN(d[i]!) ? 'NaN' : d[i]! > 0 ? 'Infinity' : '-Infinity'} at flat index ${i} (shape [${t.shape.join(', ')}]); clean or mask the data before calling`);
    }
  }
}
export { checkFloat };
