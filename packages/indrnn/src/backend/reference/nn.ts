/** Reference kernels for embedding gather/scatter, softmax, cross-entropy and batch norm. */
import type { TypedArray } from '../../tensor/dtype.js';
import { like } from './util.js';

export function gatherRows(table: TypedArray, cols: number, idx: TypedArray): TypedArray {
  const out = like(table, idx.length * cols);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    if (r >= 0) out.set(table.subarray(r * cols, (r + 1) * cols), i * cols);
  }
  return out;
}

export function scatterAddRows(dy: TypedArray, cols: number, idx: TypedArray, rows: number): TypedArray {
  const out = like(dy, rows * cols);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    if (r < 0) continue;
    for (let c = 0; c < cols; c++) out[r * cols + c] += dy[i * cols + c]!;
  }
  return out;
}

export function softmax(x: TypedArray, rows: number, cols: number): TypedArray {
  const out = like(x, rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[o + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const e = Math.exp(x[o + c]! - max);
      out[o + c] = e;
      sum += e;
    }
    for (let c = 0; c < cols; c++) out[o + c] = out[o + c]! / sum;
  }
  return out;
}

export function softmaxCrossEntropy(
  logits: TypedArray, rows: number, cols: number, targets: TypedArray, ignoreIndex: number,
): { loss: TypedArray; probs: TypedArray } {
  const probs = softmax(logits, rows, cols);
  const loss = like(logits, rows);
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    // log-sum-exp form keeps the loss finite even when the probability underflows
    const o = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, logits[o + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(logits[o + c]! - max);
    loss[r] = max + Math.log(sum) - logits[o + t]!;
  }
  return { loss, probs };
}

export function softmaxCrossEntropyGrad(
  probs: TypedArray, targets: TypedArray, dloss: TypedArray, rows: number, cols: number, ignoreIndex: number,
): TypedArray {
  const dx = like(probs, rows * cols);
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    const g = dloss[r]!;
    const o = r * cols;
    for (let c = 0; c < cols; c++) dx[o + c] = probs[o + c]! * g;
    dx[o + t] -= g;
  }
  return dx;
}

export function batchNormTrain(
  x: TypedArray, groups: number, rows: number, channels: number, gamma: TypedArray, beta: TypedArray, eps: number,
): { y: TypedArray; mean: TypedArray; variance: TypedArray; invStd: TypedArray } {
  const y = like(x, x.length);
  const mean = like(x, groups * channels);
  const variance = like(x, groups * channels);
  const invStd = like(x, groups * channels);
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  for (let g = 0; g < groups; g++) {
    const base = g * rows * channels;
    sum.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = base + r * channels;
      for (let c = 0; c < channels; c++) sum[c] += x[o + c]!;
    }
    for (let c = 0; c < channels; c++) sum[c] = sum[c]! / rows;
    // two-pass variance: exact enough for float32 inputs with large means
    sq.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = base + r * channels;
      for (let c = 0; c < channels; c++) {
        const d = x[o + c]! - sum[c]!;
        sq[c] += d * d;
      }
    }
    for (let c = 0; c < channels; c++) {
      const v = sq[c]! / rows;
      mean[g * channels + c] = sum[c]!;
      variance[g * channels + c] = v;
      invStd[g * channels + c] = 1 / Math.sqrt(v + eps);
    }
    for (let r = 0; r < rows; r++) {
      const o = base + r * channels;
      for (let c = 0; c < channels; c++) {
        const s = g * channels + c;
        y[o + c] = (x[o + c]! - sum[c]!) * invStd[s]! * gamma[c]! + beta[c]!;
      }
    }
  }
  return { y, mean, variance, invStd };
}

/**
 * BN backward (training mode), per (group, channel) with x̂ = (x - mean)·invStd:
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ·invStd/R · (R·dy - Σdy - x̂·Σ(dy·x̂)).
 */
export function batchNormGrad(
  dy: TypedArray, x: TypedArray, groups: number, rows: number, channels: number,
  mean: TypedArray, invStd: TypedArray, gamma: TypedArray,
): { dx: TypedArray; dgamma: TypedArray; dbeta: TypedArray } {
  const dx = like(dy, dy.length);
  const dgammaAcc = new Float64Array(channels);
  const dbetaAcc = new Float64Array(channels);
  const sumDy = new Float64Array(channels);
  const sumDyXhat = new Float64Array(channels);
  for (let g = 0; g < groups; g++) {
    const base = g * rows * channels;
    sumDy.fill(0);
    sumDyXhat.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = base + r * channels;
      for (let c = 0; c < channels; c++) {
        const s = g * channels + c;
        const xhat = (x[o + c]! - mean[s]!) * invStd[s]!;
        sumDy[c] += dy[o + c]!;
        sumDyXhat[c] += dy[o + c]! * xhat;
      }
    }
    for (let c = 0; c < channels; c++) {
      dgammaAcc[c] += sumDyXhat[c]!;
      dbetaAcc[c] += sumDy[c]!;
    }
    for (let r = 0; r < rows; r++) {
      const o = base + r * channels;
      for (let c = 0; c < channels; c++) {
        const s = g * channels + c;
        const xhat = (x[o + c]! - mean[s]!) * invStd[s]!;
        dx[o + c] = ((gamma[c]! * invStd[s]!) / rows) * (rows * dy[o + c]! - sumDy[c]! - xhat * sumDyXhat[c]!);
      }
    }
  }
  const dgamma = like(dy, channels);
  const dbeta = like(dy, channels);
  dgamma.set(dgammaAcc);
  dbeta.set(dbetaAcc);
  return { dx, dgamma, dbeta };
}
