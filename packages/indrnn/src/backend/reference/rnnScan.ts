/**
 * Elman RNN and LSTM recurrences, reference versions (baselines for comparison with IndRNN).
 * The input projection (W x + b over all steps) is computed outside as one GEMM; these loops add
 * the recurrent product h[t-1] · Whhᵀ each step. Shapes are documented on the Backend interface.
 * Masked steps (t >= lengths[b]) keep the state, like the IndRNN scan.
 */
import type { Activation } from '../backend.js';
import type { TypedArray } from '../../tensor/dtype.js';
import { like } from './util.js';

function act1(act: Activation, x: number): number {
  return act === 'relu' ? (x > 0 ? x : 0) : act === 'tanh' ? Math.tanh(x) : x;
}
function slope(act: Activation, y: number): number {
  return act === 'relu' ? (y > 0 ? 1 : 0) : act === 'tanh' ? 1 - y * y : 1;
}
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** out[i] = Σ_j W[i, j] · v[vOff + j]. */
function matTimesVec(w: TypedArray, rows: number, cols: number, v: TypedArray, vOff: number, out: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += w[i * cols + j]! * v[vOff + j]!;
    out[i] = s;
  }
}

export function rnnScan(
  gx: TypedArray, whh: TypedArray, h0: TypedArray, lengths: TypedArray | null,
  T: number, B: number, H: number, act: Activation,
): TypedArray {
  const h = like(gx, T * B * H);
  const rec = new Float64Array(H);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const o = (t * B + b) * H;
      const prev = t > 0 ? h : h0;
      const prevOff = t > 0 ? o - B * H : b * H;
      if (lengths && t >= lengths[b]!) {
        for (let i = 0; i < H; i++) h[o + i] = prev[prevOff + i]!;
        continue;
      }
      matTimesVec(whh, H, H, prev, prevOff, rec);
      for (let i = 0; i < H; i++) h[o + i] = act1(act, gx[o + i]! + rec[i]!);
    }
  }
  return h;
}

export function rnnScanGrad(
  dh: TypedArray, h: TypedArray, whh: TypedArray, h0: TypedArray, lengths: TypedArray | null,
  T: number, B: number, H: number, act: Activation,
): { dgx: TypedArray; dwhh: TypedArray; dh0: TypedArray } {
  const dgx = like(dh, T * B * H);
  const dwhhAcc = new Float64Array(H * H);
  const carry = new Float64Array(B * H);
  const dpre = new Float64Array(H);
  const back = new Float64Array(H);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const o = (t * B + b) * H;
      if (lengths && t >= lengths[b]!) {
        for (let i = 0; i < H; i++) carry[b * H + i] += dh[o + i]!;
        continue;
      }
      const prev = t > 0 ? h : h0;
      const prevOff = t > 0 ? o - B * H : b * H;
      for (let i = 0; i < H; i++) {
        dpre[i] = (dh[o + i]! + carry[b * H + i]!) * slope(act, h[o + i]!);
        dgx[o + i] = dpre[i]!;
      }
      // dWhh[i, j] += dpre[i] · h[t-1][j];  carry = dpre · Whh
      for (let i = 0; i < H; i++) {
        const d = dpre[i]!;
        if (d === 0) continue;
        for (let j = 0; j < H; j++) dwhhAcc[i * H + j] += d * prev[prevOff + j]!;
      }
      vecTimesMatF64(dpre, whh, H, H, back);
      for (let j = 0; j < H; j++) carry[b * H + j] = back[j]!;
    }
  }
  const dwhh = like(dh, H * H);
  dwhh.set(dwhhAcc);
  const dh0 = like(dh, B * H);
  dh0.set(carry);
  return { dgx, dwhh, dh0 };
}

function vecTimesMatF64(v: Float64Array, w: TypedArray, rows: number, cols: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < rows; i++) {
    const vi = v[i]!;
    if (vi === 0) continue;
    for (let j = 0; j < cols; j++) out[j] += vi * w[i * cols + j]!;
  }
}

export function lstmScan(
  gx: TypedArray, whh: TypedArray, h0: TypedArray, c0: TypedArray, lengths: TypedArray | null,
  T: number, B: number, H: number,
): { h: TypedArray; c: TypedArray; gates: TypedArray } {
  const h = like(gx, T * B * H);
  const c = like(gx, T * B * H);
  const gates = like(gx, T * B * 4 * H);
  const rec = new Float64Array(4 * H);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const o = (t * B + b) * H;
      const hPrev = t > 0 ? h : h0;
      const cPrev = t > 0 ? c : c0;
      const prevOff = t > 0 ? o - B * H : b * H;
      if (lengths && t >= lengths[b]!) {
        for (let j = 0; j < H; j++) {
          h[o + j] = hPrev[prevOff + j]!;
          c[o + j] = cPrev[prevOff + j]!;
        }
        continue;
      }
      matTimesVec(whh, 4 * H, H, hPrev, prevOff, rec);
      const go = (t * B + b) * 4 * H;
      for (let j = 0; j < H; j++) {
        const ig = sigmoid(gx[go + j]! + rec[j]!);
        const fg = sigmoid(gx[go + H + j]! + rec[H + j]!);
        const gg = Math.tanh(gx[go + 2 * H + j]! + rec[2 * H + j]!);
        const og = sigmoid(gx[go + 3 * H + j]! + rec[3 * H + j]!);
        gates[go + j] = ig;
        gates[go + H + j] = fg;
        gates[go + 2 * H + j] = gg;
        gates[go + 3 * H + j] = og;
        const cj = fg * cPrev[prevOff + j]! + ig * gg;
        c[o + j] = cj;
        h[o + j] = og * Math.tanh(cj);
      }
    }
  }
  return { h, c, gates };
}

/**
 * LSTM backward per step, with gh = dL/dh[t], gc = dL/dc[t] (both including what flows back from t+1):
 *   dc = gc + gh·o·(1 - tanh²c);  do = gh·tanh c;  di = dc·g;  dg = dc·i;  df = dc·c[t-1];
 *   pre-activation grads through σ' = s(1-s) and tanh' = 1 - g²;  dc[t-1] = dc·f;  dh[t-1] = dpre · Whh.
 */
export function lstmScanGrad(
  dh: TypedArray, dc: TypedArray, gates: TypedArray, h: TypedArray, c: TypedArray, whh: TypedArray,
  h0: TypedArray, c0: TypedArray, lengths: TypedArray | null, T: number, B: number, H: number,
): { dgx: TypedArray; dwhh: TypedArray; dh0: TypedArray; dc0: TypedArray } {
  const dgx = like(dh, T * B * 4 * H);
  const dwhhAcc = new Float64Array(4 * H * H);
  const hCarry = new Float64Array(B * H);
  const cCarry = new Float64Array(B * H);
  const dpre = new Float64Array(4 * H);
  const back = new Float64Array(H);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const o = (t * B + b) * H;
      if (lengths && t >= lengths[b]!) {
        for (let j = 0; j < H; j++) {
          hCarry[b * H + j] += dh[o + j]!;
          cCarry[b * H + j] += dc[o + j]!;
        }
        continue;
      }
      const hPrev = t > 0 ? h : h0;
      const cPrev = t > 0 ? c : c0;
      const prevOff = t > 0 ? o - B * H : b * H;
      const go = (t * B + b) * 4 * H;
      for (let j = 0; j < H; j++) {
        const ig = gates[go + j]!;
        const fg = gates[go + H + j]!;
        const gg = gates[go + 2 * H + j]!;
        const og = gates[go + 3 * H + j]!;
        const gh = dh[o + j]! + hCarry[b * H + j]!;
        const tc = Math.tanh(c[o + j]!);
        const dcTotal = dc[o + j]! + cCarry[b * H + j]! + gh * og * (1 - tc * tc);
        dpre[j] = dcTotal * gg * ig * (1 - ig);
        dpre[H + j] = dcTotal * cPrev[prevOff + j]! * fg * (1 - fg);
        dpre[2 * H + j] = dcTotal * ig * (1 - gg * gg);
        dpre[3 * H + j] = gh * tc * og * (1 - og);
        cCarry[b * H + j] = dcTotal * fg;
      }
      for (let r = 0; r < 4 * H; r++) {
        dgx[go + r] = dpre[r]!;
        const d = dpre[r]!;
        if (d === 0) continue;
        for (let j = 0; j < H; j++) dwhhAcc[r * H + j] += d * hPrev[prevOff + j]!;
      }
      vecTimesMatF64(dpre, whh, 4 * H, H, back);
      for (let j = 0; j < H; j++) hCarry[b * H + j] = back[j]!;
    }
  }
  const dwhh = like(dh, 4 * H * H);
  dwhh.set(dwhhAcc);
  const dh0 = like(dh, B * H);
  dh0.set(hCarry);
  const dc0 = like(dh, B * H);
  dc0.set(cCarry);
  return { dgx, dwhh, dh0, dc0 };
}

