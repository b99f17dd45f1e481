/**
 * Synchronised batch norm (bn-sync on): the statistics of a training batch are taken over the whole
 * global batch, every rank's rows, so N ranks normalise exactly as one process does. Per (group,
 * channel) the forward sums x (with the valid-row counts) over the ranks, then the squared
 * deviations from that mean (two passes, as the single-process kernels compute a centred
 * variance). The backward sums Σdy and Σdy·x̂ over the ranks the same way. With lengths, padded
 * rows are left out of every sum, are 0 in y and get no gradient, as in ops.batchNormTrain.
 *
 * Gradient weighting: the trainer sums weight_r × (rank r's gradient of its own mean loss) over the
 * ranks, so the batch's loss is Σ_r w_r L_r. The cross-rank terms of the backward use Σ_r w_r dy_r
 * and the rank's dx is divided by its own w_r, which the gradient all-reduce multiplies back.
 */
import type { Module } from '../nn/module.js';
import { BatchNorm } from '../nn/layers.js';
import { record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TypedArray } from '../tensor/dtype.js';
import { checkFloat, checkShape, sameBackend, wrap } from '../ops/util.js';
import { fail, fmtShape } from '../util/errors.js';
import { arrayFor } from '../tensor/dtype.js';
import type { BatchShard } from './shard.js';

export interface SyncedBatchStats {
  y: Tensor;
  /** Mean and biased variance of the global batch per (group, channel): [groups, C]. */
  mean: Tensor;
  variance: Tensor;
  /** Valid rows per group over every rank. */
  counts: number[];
}

/** Valid rows of each group of x [T, R, C] (groups 1 or T), and a 0/1 row mask [groups·rows], or null. */
function rowMask(x: Tensor, groups: number, rows: number, lengths: Tensor | null): { counts: number[]; mask: TypedArray | null } {
  if (!lengths) return { counts: new Array<number>(groups).fill(rows), mask: null };
  if (x.rank !== 3) fail(`batchNorm (bn-sync): with lengths the input must be [T, R, C], got ${fmtShape(x.shape)}`);
  const [T, R] = x.shape as [number, number];
  if (groups !== 1 && groups !== T) fail(`batchNorm (bn-sync): with lengths, groups must be 1 or T = ${T}, got ${groups}`);
  const lens = lengths.data();
  if (lens.length !== R) fail(`batchNorm (bn-sync): lengths has ${lens.length} entries for ${R} rows a step`);
  const mask = arrayFor(x.dtype, T * R);
  const counts = new Array<number>(groups).fill(0);
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < R; r++) {
      const len = lens[r]!;
      if (!(len >= 0 && len <= T)) fail(`batchNorm (bn-sync): lengths[${r}] = ${len} is outside [0, ${T}]`);
      if (t < len) {
        mask[t * R + r] = 1;
        counts[groups === 1 ? 0 : t]!++;
      }
    }
  }
  return { counts, mask };
}

/**
 * Training-mode batch norm of x viewed as [groups, rows, C] with statistics over every rank's rows
 * (the contract of ops.batchNormTrain, lengths included). Collective: every rank calls it in the
 * same order.
 */
export function syncBatchNormTrain(
  shard: BatchShard, x: Tensor, groups: number, gamma: Tensor, beta: Tensor, eps: number, lengths: Tensor | null = null,
): SyncedBatchStats {
  const op = 'batchNorm (bn-sync)';
  checkFloat(op, 'input', x);
  const b = sameBackend(op, x, gamma, beta);
  const C = x.shape[x.rank - 1]!;
  checkShape(op, 'weight', gamma, [C]);
  checkShape(op, 'bias', beta, [C]);
  const rows = x.size / C / groups;
  if (!Number.isInteger(rows) || rows < 1) fail(`${op}: cannot split ${x.size / C} rows into ${groups} groups`);
  const GC = groups * C;
  const full = [groups, rows, C];
  const stat = [groups, 1, C];
  const comm = shard.comm;
  const { counts: localCounts, mask } = rowMask(x, groups, rows, lengths);
  const maskShape = [groups, rows, 1];
  const maskS = mask ? b.fromHost(mask) : null;
  const masked = (s: unknown): unknown => (maskS ? b.binary('mul', s, full, maskS, maskShape, full) : s);

  // pass 1: Σx and the valid counts, over the ranks
  const xm = masked(x.storage);
  const s1 = b.toHost(b.reduceSum(xm, full, [1]));
  const buf1 = new Float64Array(GC + groups);
  for (let i = 0; i < GC; i++) buf1[i] = s1[i]!;
  for (let g = 0; g < groups; g++) buf1[GC + g] = localCounts[g]!;
  comm.allreduce(buf1, 'sum');
  const counts = Array.from(buf1.subarray(GC), (v) => Math.round(v));
  const mean = arrayFor(x.dtype, GC);
  for (let g = 0; g < groups; g++) for (let c = 0; c < C; c++) mean[g * C + c] = counts[g]! > 0 ? buf1[g * C + c]! / counts[g]! : 0;

  // pass 2: Σ(x - μ)² over the ranks
  const xc = masked(b.binary('sub', x.storage, full, b.fromHost(mean.slice()), stat, full));
  const s2 = b.toHost(b.reduceSum(b.unary('square', xc), full, [1]));
  const buf2 = Float64Array.from(s2);
  comm.allreduce(buf2, 'sum');
  const variance = arrayFor(x.dtype, GC);
  const invStd = new Float64Array(GC);
  const scale = arrayFor(x.dtype, GC);
  const g0 = gamma.data();
  for (let g = 0; g < groups; g++) {
    for (let c = 0; c < C; c++) {
      const i = g * C + c;
      variance[i] = counts[g]! > 0 ? buf2[i]! / counts[g]! : 0;
      invStd[i] = 1 / Math.sqrt(variance[i]! + eps);
      scale[i] = g0[c]! * invStd[i]!;
    }
  }
  // y = (x - μ) γ/σ + β, 0 on padded rows
  const shifted = b.binary('add', b.binary('mul', xc, full, b.fromHost(scale.slice()), stat, full), full, beta.storage, [1, 1, C], full);
  const y = wrap(masked(shifted), x.shape, x);

  record(op, [x, gamma, beta], [y], ([dyT]) => {
    const dy = masked(dyT!.storage);
    // local Σdy and Σdy(x - μ) per (group, channel)
    const sdy = b.toHost(b.reduceSum(dy, full, [1]));
    const sdyx = b.toHost(b.reduceSum(b.binary('mul', dy, full, xc, full, full), full, [1]));
    const dgamma = arrayFor(x.dtype, C);
    const dbeta = arrayFor(x.dtype, C);
    const w = shard.share();
    const buf = new Float64Array(2 * GC);
    for (let i = 0; i < GC; i++) {
      const dyxhat = sdyx[i]! * invStd[i]!;
      dgamma[i % C] += dyxhat;
      dbeta[i % C] += sdy[i]!;
      buf[i] = w * sdy[i]!;
      buf[GC + i] = w * dyxhat;
    }
    comm.allreduce(buf, 'sum');
    // dx = γ/σ (dy - [Σ w dy]/(n w) - x̂ [Σ w dy x̂]/(n w)), as dy·a + (x - μ)·k1 + k0
    const k0 = arrayFor(x.dtype, GC);
    const k1 = arrayFor(x.dtype, GC);
    for (let g = 0; g < groups; g++) {
      const n = counts[g]!;
      for (let c = 0; c < C; c++) {
        const i = g * C + c;
        if (n === 0) continue;
        k0[i] = (-scale[i]! * buf[i]!) / (n * w);
        k1[i] = (-scale[i]! * invStd[i]! * buf[GC + i]!) / (n * w);
      }
    }
    const a = b.binary('mul', dy, full, b.fromHost(scale.slice()), stat, full);
    const bterm = b.binary('add', b.binary('mul', xc, full, b.fromHost(k1), stat, full), full, b.fromHost(k0), stat, full);
    const dx = masked(b.binary('add', a, full, bterm, full, full));
    return [wrap(dx, x.shape, x), wrap(b.fromHost(dgamma), [C], x), wrap(b.fromHost(dbeta), [C], x)];
  });
  return {
    y,
    mean: wrap(b.fromHost(mean), [groups, C], x),
    variance: wrap(b.fromHost(variance), [groups, C], x),
    counts,
  };
}

/** Makes every BatchNorm of the model take its training statistics over all ranks. */
export function installBatchNormSync(model: Module, shard: BatchShard): void {
  for (const [, m] of model.namedModules()) {
    if (m instanceof BatchNorm) {
      m.trainStatistics = (x, groups, gamma, beta, eps, lengths) => syncBatchNormTrain(shard, x, groups, gamma, beta, eps, lengths);
    }
  }
}
