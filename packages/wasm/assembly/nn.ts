// Softmax, cross-entropy and batch norm. Twin of reference/nn.ts. Sums that span many rows
// (softmax denominators, BN statistics) are accumulated in f64 like the reference.
import { addWide, at, at64 } from './util';

function rowMax(x: usize, cols: i32): f32 {
  let m: f32 = -Infinity;
  for (let c = 0; c < cols; c++) m = max(m, load<f32>(at(x, c)));
  return m;
}

/** out[r] = softmax(x[r]) over rows of `cols`. */
export function softmax(x: usize, rows: i32, cols: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * cols);
    const yr = at(out, r * cols);
    const m = rowMax(xr, cols);
    let s: f64 = 0;
    for (let c = 0; c < cols; c++) {
      const e = Mathf.exp(load<f32>(at(xr, c)) - m);
      store<f32>(at(yr, c), e);
      s += <f64>e;
    }
    for (let c = 0; c < cols; c++) store<f32>(at(yr, c), <f32>(<f64>load<f32>(at(yr, c)) / s));
  }
}

/**
 * Per-row loss = logsumexp(logits[r]) - logits[r, t] (0 where t == ignore) and the probabilities.
 * The log-sum-exp form keeps the loss finite when a probability underflows.
 */
export function softmaxCrossEntropy(
  logits: usize, rows: i32, cols: i32, targets: usize, ignore: i32, loss: usize, probs: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const xr = at(logits, r * cols);
    const pr = at(probs, r * cols);
    const m = rowMax(xr, cols);
    let s: f64 = 0;
    for (let c = 0; c < cols; c++) {
      const e = Mathf.exp(load<f32>(at(xr, c)) - m);
      store<f32>(at(pr, c), e);
      s += <f64>e;
    }
    for (let c = 0; c < cols; c++) store<f32>(at(pr, c), <f32>(<f64>load<f32>(at(pr, c)) / s));
    const t = load<i32>(at(targets, r));
    const l: f64 = t == ignore ? 0 : <f64>m + Math.log(s) - <f64>load<f32>(at(xr, t));
    store<f32>(at(loss, r), <f32>l);
  }
}

/** dlogits = (probs - onehot(target)) · dloss[row]; ignored rows get 0. */
export function softmaxCrossEntropyGrad(
  probs: usize, targets: usize, dloss: usize, rows: i32, cols: i32, ignore: i32, dx: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const t = load<i32>(at(targets, r));
    const pr = at(probs, r * cols);
    const dr = at(dx, r * cols);
    if (t == ignore) {
      memory.fill(dr, 0, <usize>cols << 2);
      continue;
    }
    const g = load<f32>(at(dloss, r));
    const gv = f32x4.splat(g);
    let c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(at(dr, c), f32x4.mul(v128.load(at(pr, c)), gv));
    for (; c < cols; c++) store<f32>(at(dr, c), load<f32>(at(pr, c)) * g);
    store<f32>(at(dr, t), load<f32>(at(dr, t)) - g);
  }
}

/** acc[c] (f64) += Σ_r rows of x[rows, C] (SIMD over channels). */
function sumRows(x: usize, rows: i32, C: i32, acc: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * C);
    let c = 0;
    for (; c + 4 <= C; c += 4) addWide(at64(acc, c), v128.load(at(xr, c)));
    for (; c < C; c++) {
      store<f64>(at64(acc, c), load<f64>(at64(acc, c)) + <f64>load<f32>(at(xr, c)));
    }
  }
}

// The BN kernels' per-row and per-channel steps, shared by the plain ([G, R, C]) and the masked
// (valid rows of [T, R, C]) kernels, which differ only in which rows a group holds.

/** sq[c] (f64) += (x[c] - mean[c])² over one row of C channels. */
// @ts-ignore: decorator
@inline
function addSquaredDeviations(xr: usize, mg: usize, C: i32, sq: usize): void {
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const d = f32x4.sub(v128.load(at(xr, c)), v128.load(at(mg, c)));
    addWide(at64(sq, c), f32x4.mul(d, d));
  }
  for (; c < C; c++) {
    const d = <f64>load<f32>(at(xr, c)) - <f64>load<f32>(at(mg, c));
    store<f64>(at64(sq, c), load<f64>(at64(sq, c)) + d * d);
  }
}

/** mean[c] = sum[c] / n, from the f64 sums of a group's n rows. */
// @ts-ignore: decorator
@inline
function storeMean(sum: usize, n: i32, C: i32, mg: usize): void {
  for (let c = 0; c < C; c++) store<f32>(at(mg, c), <f32>(load<f64>(at64(sum, c)) / n));
}

/** variance[c] = sq[c] / n and invStd[c] = 1 / sqrt(variance[c] + eps), from the f64 sums of squares. */
// @ts-ignore: decorator
@inline
function storeVariance(sq: usize, n: i32, C: i32, eps: f64, vg: usize, ig: usize): void {
  for (let c = 0; c < C; c++) {
    const v = load<f64>(at64(sq, c)) / n;
    store<f32>(at(vg, c), <f32>v);
    store<f32>(at(ig, c), <f32>(1 / Math.sqrt(v + eps)));
  }
}

/** One row of y = (x - mean) · (invStd · gamma) + beta; the per-channel scale is formed once. */
// @ts-ignore: decorator
@inline
function normalizeRow(xr: usize, mg: usize, ig: usize, gamma: usize, beta: usize, C: i32, yr: usize): void {
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const s = f32x4.mul(v128.load(at(ig, c)), v128.load(at(gamma, c)));
    const d = f32x4.sub(v128.load(at(xr, c)), v128.load(at(mg, c)));
    v128.store(at(yr, c), f32x4.add(f32x4.mul(d, s), v128.load(at(beta, c))));
  }
  for (; c < C; c++) {
    const s = load<f32>(at(ig, c)) * load<f32>(at(gamma, c));
    const d = load<f32>(at(xr, c)) - load<f32>(at(mg, c));
    store<f32>(at(yr, c), d * s + load<f32>(at(beta, c)));
  }
}

/** One row's share of Σdy and Σdy·x̂ (f64 [C] each), x̂ = (x - mean)·invStd. */
// @ts-ignore: decorator
@inline
function addGradSums(dyr: usize, xr: usize, mg: usize, ig: usize, C: i32, sumDy: usize, sumDyXhat: usize): void {
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const d = v128.load(at(dyr, c));
    const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, c)), v128.load(at(mg, c))), v128.load(at(ig, c)));
    addWide(at64(sumDy, c), d);
    addWide(at64(sumDyXhat, c), f32x4.mul(d, xh));
  }
  for (; c < C; c++) {
    const d = load<f32>(at(dyr, c));
    const xh = (load<f32>(at(xr, c)) - load<f32>(at(mg, c))) * load<f32>(at(ig, c));
    store<f64>(at64(sumDy, c), load<f64>(at64(sumDy, c)) + <f64>d);
    store<f64>(at64(sumDyXhat, c), load<f64>(at64(sumDyXhat, c)) + <f64>(d * xh));
  }
}

/** dγ, dβ accumulators (f64 [C] each) += a group's Σdy·x̂ and Σdy. */
// @ts-ignore: decorator
@inline
function addParamGrads(sumDy: usize, sumDyXhat: usize, C: i32, dgAcc: usize, dbAcc: usize): void {
  for (let c = 0; c < C; c++) {
    store<f64>(at64(dgAcc, c), load<f64>(at64(dgAcc, c)) + load<f64>(at64(sumDyXhat, c)));
    store<f64>(at64(dbAcc, c), load<f64>(at64(dbAcc, c)) + load<f64>(at64(sumDy, c)));
  }
}

/** One row of dx = γ·invStd/n · (n·dy - Σdy - x̂·Σ(dy·x̂)) for a group of n rows. */
// @ts-ignore: decorator
@inline
function gradRow(
  dyr: usize, xr: usize, mg: usize, ig: usize, gamma: usize, sumDy: usize, sumDyXhat: usize, nf: f32, C: i32,
  dxr: usize,
): void {
  for (let c = 0; c < C; c++) {
    const is = load<f32>(at(ig, c));
    const xh = (load<f32>(at(xr, c)) - load<f32>(at(mg, c))) * is;
    const k = (load<f32>(at(gamma, c)) * is) / nf;
    const sd = <f32>load<f64>(at64(sumDy, c));
    const sdx = <f32>load<f64>(at64(sumDyXhat, c));
    store<f32>(at(dxr, c), k * (nf * load<f32>(at(dyr, c)) - sd - xh * sdx));
  }
}

/** dgamma, dbeta [C] (f32) from their f64 accumulators. */
// @ts-ignore: decorator
@inline
function storeParamGrads(dgAcc: usize, dbAcc: usize, C: i32, dgamma: usize, dbeta: usize): void {
  for (let c = 0; c < C; c++) {
    store<f32>(at(dgamma, c), <f32>load<f64>(at64(dgAcc, c)));
    store<f32>(at(dbeta, c), <f32>load<f64>(at64(dbAcc, c)));
  }
}

/**
 * Training-mode BN on x viewed as [G, R, C]: statistics per (group, channel) over R rows, two-pass
 * variance. Outputs y [G, R, C]; mean, variance, invStd [G, C]. Scratch: f64 [2C].
 */
export function batchNormTrain(
  x: usize, G: i32, R: i32, C: i32, gamma: usize, beta: usize, eps: f64,
  y: usize, mean: usize, variance: usize, invStd: usize, scratch: usize,
): void {
  const sum = scratch;
  const sq = at64(scratch, C);
  for (let g = 0; g < G; g++) {
    const xg = at(x, g * R * C);
    const yg = at(y, g * R * C);
    const mg = at(mean, g * C);
    const ig = at(invStd, g * C);
    memory.fill(sum, 0, <usize>C << 3);
    memory.fill(sq, 0, <usize>C << 3);
    sumRows(xg, R, C, sum);
    storeMean(sum, R, C, mg);
    for (let r = 0; r < R; r++) addSquaredDeviations(at(xg, r * C), mg, C, sq);
    storeVariance(sq, R, C, eps, at(variance, g * C), ig);
    for (let r = 0; r < R; r++) normalizeRow(at(xg, r * C), mg, ig, gamma, beta, C, at(yg, r * C));
  }
}

/**
 * BN backward (training mode), per (group, channel) with x̂ = (x - mean)·invStd:
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ·invStd/R · (R·dy - Σdy - x̂·Σ(dy·x̂)).
 * dgamma, dbeta [C] sum over groups. Scratch: f64 [4C].
 */
export function batchNormGrad(
  dy: usize, x: usize, G: i32, R: i32, C: i32, mean: usize, invStd: usize, gamma: usize,
  dx: usize, dgamma: usize, dbeta: usize, scratch: usize,
): void {
  const sumDy = scratch;
  const sumDyXhat = at64(scratch, C);
  const dgAcc = at64(scratch, 2 * C);
  const dbAcc = at64(scratch, 3 * C);
  memory.fill(dgAcc, 0, <usize>(2 * C) << 3);
  const rf = <f32>R;
  for (let g = 0; g < G; g++) {
    const base = g * R * C;
    const mg = at(mean, g * C);
    const ig = at(invStd, g * C);
    memory.fill(sumDy, 0, <usize>(2 * C) << 3);
    for (let r = 0; r < R; r++) {
      const o = base + r * C;
      addGradSums(at(dy, o), at(x, o), mg, ig, C, sumDy, sumDyXhat);
    }
    addParamGrads(sumDy, sumDyXhat, C, dgAcc, dbAcc);
    for (let r = 0; r < R; r++) {
      const o = base + r * C;
      gradRow(at(dy, o), at(x, o), mg, ig, gamma, sumDy, sumDyXhat, rf, C, at(dx, o));
    }
  }
  storeParamGrads(dgAcc, dbAcc, C, dgamma, dbeta);
}

/** Row r of step t is valid (not padding) when t < lengths[r]. */
// @ts-ignore: decorator
@inline
function isValid(lengths: usize, r: i32, t: i32): bool {
  return load<i32>(at(lengths, r)) > t;
}

/**
 * Training-mode BN over the valid rows of x [T, R, C] only (row r of step t is valid when
 * t < lengths[r], lengths int32 [R]): statistics per (step, channel) when perStep, else per channel
 * over all steps; two-pass variance. Padded rows of y are 0; a group without a valid row gets mean
 * 0, variance 0. Outputs y [T, R, C]; mean, variance, invStd [G, C] (G = T or 1). Scratch: f64 [2C].
 */
export function batchNormTrainMasked(
  x: usize, T: i32, R: i32, C: i32, lengths: usize, perStep: i32, gamma: usize, beta: usize, eps: f64,
  y: usize, mean: usize, variance: usize, invStd: usize, scratch: usize,
): void {
  const G = perStep ? T : 1;
  const sum = scratch;
  const sq = at64(scratch, C);
  for (let g = 0; g < G; g++) {
    const t0 = perStep ? g : 0;
    const t1 = perStep ? g + 1 : T;
    memory.fill(sum, 0, <usize>C << 3);
    memory.fill(sq, 0, <usize>C << 3);
    let n = 0;
    for (let t = t0; t < t1; t++) {
      for (let r = 0; r < R; r++) {
        if (!isValid(lengths, r, t)) continue;
        n++;
        sumRows(at(x, (t * R + r) * C), 1, C, sum);
      }
    }
    const mg = at(mean, g * C);
    const ig = at(invStd, g * C);
    if (n === 0) {
      for (let c = 0; c < C; c++) {
        store<f32>(at(mg, c), 0);
        store<f32>(at(variance, g * C + c), 0);
        store<f32>(at(ig, c), <f32>(1 / Math.sqrt(eps)));
      }
    } else {
      storeMean(sum, n, C, mg);
      for (let t = t0; t < t1; t++) {
        for (let r = 0; r < R; r++) {
          if (isValid(lengths, r, t)) addSquaredDeviations(at(x, (t * R + r) * C), mg, C, sq);
        }
      }
      storeVariance(sq, n, C, eps, at(variance, g * C), ig);
    }
    for (let t = t0; t < t1; t++) {
      for (let r = 0; r < R; r++) {
        const yr = at(y, (t * R + r) * C);
        if (isValid(lengths, r, t)) normalizeRow(at(x, (t * R + r) * C), mg, ig, gamma, beta, C, yr);
        else memory.fill(yr, 0, <usize>C << 2);
      }
    }
  }
}

/**
 * Backward of batchNormTrainMasked, per group with n valid rows and x̂ = (x - mean)·invStd:
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ·invStd/n · (n·dy - Σdy - x̂·Σ(dy·x̂)),
 * sums over valid rows; padded rows of dx are 0. Scratch: f64 [4C].
 */
export function batchNormGradMasked(
  dy: usize, x: usize, T: i32, R: i32, C: i32, lengths: usize, perStep: i32, mean: usize, invStd: usize,
  gamma: usize, dx: usize, dgamma: usize, dbeta: usize, scratch: usize,
): void {
  const G = perStep ? T : 1;
  const sumDy = scratch;
  const sumDyXhat = at64(scratch, C);
  const dgAcc = at64(scratch, 2 * C);
  const dbAcc = at64(scratch, 3 * C);
  memory.fill(dgAcc, 0, <usize>(2 * C) << 3);
  for (let g = 0; g < G; g++) {
    const t0 = perStep ? g : 0;
    const t1 = perStep ? g + 1 : T;
    const mg = at(mean, g * C);
    const ig = at(invStd, g * C);
    memory.fill(sumDy, 0, <usize>(2 * C) << 3);
    let n = 0;
    for (let t = t0; t < t1; t++) {
      for (let r = 0; r < R; r++) {
        if (!isValid(lengths, r, t)) continue;
        n++;
        const o = (t * R + r) * C;
        addGradSums(at(dy, o), at(x, o), mg, ig, C, sumDy, sumDyXhat);
      }
    }
    addParamGrads(sumDy, sumDyXhat, C, dgAcc, dbAcc);
    const nf = <f32>n;
    for (let t = t0; t < t1; t++) {
      for (let r = 0; r < R; r++) {
        const o = (t * R + r) * C;
        if (isValid(lengths, r, t)) gradRow(at(dy, o), at(x, o), mg, ig, gamma, sumDy, sumDyXhat, nf, C, at(dx, o));
        else memory.fill(at(dx, o), 0, <usize>C << 2);
      }
    }
  }
  storeParamGrads(dgAcc, dbAcc, C, dgamma, dbeta);
}
