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

/**
 * The valid rows of masked batch norm's group g, as offsets of rows in x [T, R, C]: steps
 * t0..t1-1 (one step when per step, all T otherwise) and, within each, the rows r with t < lengths[r].
 */
function validRows(g: number, T: number, R: number, lengths: TypedArray, perStep: boolean): number[] {
  const rows: number[] = [];
  const t1 = perStep ? g + 1 : T;
  for (let t = perStep ? g : 0; t < t1; t++) {
    for (let r = 0; r < R; r++) if (t < lengths[r]!) rows.push(t * R + r);
  }
  return rows;
}

export function batchNormTrainMasked(
  x: TypedArray, T: number, R: number, C: number, lengths: TypedArray, perStep: boolean,
  gamma: TypedArray, beta: TypedArray, eps: number,
): { y: TypedArray; mean: TypedArray; variance: TypedArray; invStd: TypedArray } {
  const G = perStep ? T : 1;
  const y = like(x, T * R * C); // padded rows stay 0
  const mean = like(x, G * C);
  const variance = like(x, G * C);
  const invStd = like(x, G * C);
  for (let g = 0; g < G; g++) {
    const rows = validRows(g, T, R, lengths, perStep);
    const n = rows.length;
    for (let c = 0; c < C; c++) {
      const s = g * C + c;
      if (n === 0) {
        invStd[s] = 1 / Math.sqrt(eps);
        continue;
      }
      let sum = 0;
      for (const row of rows) sum += x[row * C + c]!;
      const mu = sum / n;
      let sq = 0;
      for (const row of rows) {
        const d = x[row * C + c]! - mu;
        sq += d * d;
      }
      const v = sq / n;
      mean[s] = mu;
      variance[s] = v;
      invStd[s] = 1 / Math.sqrt(v + eps);
      for (const row of rows) y[row * C + c] = (x[row * C + c]! - mu) * invStd[s]! * gamma[c]! + beta[c]!;
    }
  }
  return { y, mean, variance, invStd };
}

export function batchNormGradMasked(
  dy: TypedArray, x: TypedArray, T: number, R: number, C: number, lengths: TypedArray, perStep: boolean,
  mean: TypedArray, invStd: TypedArray, gamma: TypedArray,
): { dx: TypedArray; dgamma: TypedArray; dbeta: TypedArray } {
  const G = perStep ? T : 1;
  const dx = like(dy, T * R * C); // padded rows get no gradient
  const dgammaAcc = new Float64Array(C);
  const dbetaAcc = new Float64Array(C);
  for (let g = 0; g < G; g++) {
    const rows = validRows(g, T, R, lengths, perStep);
    const n = rows.length;
    if (n === 0) continue;
    for (let c = 0; c < C; c++) {
      const s = g * C + c;
      const xhat = (row: number): number => (x[row * C + c]! - mean[s]!) * invStd[s]!;
      let sumDy = 0;
      let sumDyXhat = 0;
      for (const row of rows) {
        sumDy += dy[row * C + c]!;
        sumDyXhat += dy[row * C + c]! * xhat(row);
      }
      dgammaAcc[c] += sumDyXhat;
      dbetaAcc[c] += sumDy;
      const k = (gamma[c]! * invStd[s]!) / n;
      for (const row of rows) dx[row * C + c] = k * (n * dy[row * C + c]! - sumDy - xhat(row) * sumDyXhat);
    }
  }
  const dgamma = like(dy, C);
  const dbeta = like(dy, C);
  dgamma.set(dgammaAcc);
  dbeta.set(dbetaAcc);
  return { dx, dgamma, dbeta };
}
