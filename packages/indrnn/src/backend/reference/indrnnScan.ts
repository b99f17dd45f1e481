/**
 * The IndRNN recurrence, reference version. One (batch, neuron) column at a time, time loop inside,
 * exactly as the paper writes it:  h[t] = act(z[t] + u ⊙ h[t-1]),  h[-1] = h0.
 * Shapes: z, h, dz: [T, B, N];  u, du: [N];  h0, dh0: [B, N];  lengths: int32 [B] or null.
 * Steps with t >= lengths[b] keep the state (h[t] = h[t-1]) and pass gradient straight through.
 * The derivation of the backward is in docs/indrnn-scan.md.
 */
import type { Activation } from '../backend.js';
import type { TypedArray } from '../../tensor/dtype.js';
import { like } from './util.js';

function activate(act: Activation, pre: number): number {
  return act === 'relu' ? (pre > 0 ? pre : 0) : act === 'tanh' ? Math.tanh(pre) : pre;
}

/** act'(pre) written in terms of the output h = act(pre). */
function activationSlope(act: Activation, h: number): number {
  return act === 'relu' ? (h > 0 ? 1 : 0) : act === 'tanh' ? 1 - h * h : 1;
}

export function indrnnScan(
  z: TypedArray, u: TypedArray, h0: TypedArray, lengths: TypedArray | null,
  T: number, B: number, N: number, act: Activation,
): TypedArray {
  return scanForward(z, u, null, h0, lengths, T, B, N, act);
}

/** With the projection bias b [N] inside the loop: h[t] = act(z[t] + b + u ⊙ h[t-1]). */
export function indrnnScanBias(
  z: TypedArray, u: TypedArray, bias: TypedArray, h0: TypedArray, lengths: TypedArray | null,
  T: number, B: number, N: number, act: Activation,
): TypedArray {
  return scanForward(z, u, bias, h0, lengths, T, B, N, act);
}

function scanForward(
  z: TypedArray, u: TypedArray, bias: TypedArray | null, h0: TypedArray, lengths: TypedArray | null,
  T: number, B: number, N: number, act: Activation,
): TypedArray {
  const h = like(z, T * B * N);
  for (let b = 0; b < B; b++) {
    const len = lengths ? lengths[b]! : T;
    for (let n = 0; n < N; n++) {
      const col = b * N + n;
      const un = u[n]!;
      const bn = bias ? bias[n]! : 0;
      let state = h0[col]!;
      for (let t = 0; t < T; t++) {
        if (t < len) state = activate(act, z[t * B * N + col]! + bn + un * state);
        h[t * B * N + col] = state;
      }
    }
  }
  return h;
}

export function indrnnScanGrad(
  dh: TypedArray, z: TypedArray, h: TypedArray, u: TypedArray, h0: TypedArray, lengths: TypedArray | null,
  T: number, B: number, N: number, act: Activation,
): { dz: TypedArray; du: TypedArray; dh0: TypedArray } {
  void z; // the slope is read from h, so z is not needed by this reference
  const dz = like(dh, T * B * N);
  const duAcc = new Float64Array(N);
  const dh0 = like(dh, B * N);
  for (let b = 0; b < B; b++) {
    const len = lengths ? lengths[b]! : T;
    for (let n = 0; n < N; n++) {
      const col = b * N + n;
      const un = u[n]!;
      let carry = 0; // dL/dh[t] arriving from step t+1
      for (let t = T - 1; t >= 0; t--) {
        const i = t * B * N + col;
        const gh = dh[i]! + carry;
        if (t >= len) {
          carry = gh; // identity step
          continue;
        }
        const prev = t > 0 ? h[i - B * N]! : h0[col]!;
        const dpre = gh * activationSlope(act, h[i]!);
        dz[i] = dpre;
        duAcc[n] += dpre * prev;
        carry = dpre * un;
      }
      dh0[col] = carry;
    }
  }
  const du = like(dh, N);
  du.set(duAcc);
  return { dz, du, dh0 };
}

/** Reverse loop of indrnnScanBias: the scan gradient plus db = Σ_{b,t} dz (dz is d(z + b)). */
export function indrnnScanBiasGrad(
  dh: TypedArray, h: TypedArray, u: TypedArray, h0: TypedArray, lengths: TypedArray | null,
  T: number, B: number, N: number, act: Activation,
): { dz: TypedArray; du: TypedArray; db: TypedArray; dh0: TypedArray } {
  const { dz, du, dh0 } = indrnnScanGrad(dh, h, h, u, h0, lengths, T, B, N, act);
  const acc = new Float64Array(N);
  for (let i = 0; i < T * B; i++) for (let n = 0; n < N; n++) acc[n] += dz[i * N + n]!;
  const db = like(dz, N);
  db.set(acc);
  return { dz, du, db, dh0 };
}

/** x [T, B, F] · wᵀ with w [N, F]: the projection the fused kernel never stores. */
function project(x: TypedArray, w: TypedArray, T: number, B: number, N: number, F: number): TypedArray {
  const z = like(x, T * B * N);
  for (let r = 0; r < T * B; r++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let f = 0; f < F; f++) s += x[r * F + f]! * w[n * F + f]!;
      z[r * N + n] = s;
    }
  }
  return z;
}

/** h[t] = act(x[t] · Wᵀ + b + u ⊙ h[t-1]): the bias scan over the projection. */
export function indrnnScanProj(
  x: TypedArray, w: TypedArray, bias: TypedArray, u: TypedArray, h0: TypedArray, lengths: TypedArray | null,
  T: number, B: number, N: number, F: number, act: Activation,
): TypedArray {
  return scanForward(project(x, w, T, B, N, F), u, bias, h0, lengths, T, B, N, act);
}

/** Reverse loop of indrnnScanProj: the scan gradient dz, then dw = dzᵀ x, dx = dz w, db = Σ dz. */
export function indrnnScanProjGrad(
  dh: TypedArray, h: TypedArray, x: TypedArray, w: TypedArray, u: TypedArray, h0: TypedArray,
  lengths: TypedArray | null, T: number, B: number, N: number, F: number, act: Activation, wantDx: boolean,
): { dw: TypedArray; db: TypedArray; du: TypedArray; dx: TypedArray | null; dh0: TypedArray } {
  const { dz, du, db, dh0 } = indrnnScanBiasGrad(dh, h, u, h0, lengths, T, B, N, act);
  const dwAcc = new Float64Array(N * F);
  for (let r = 0; r < T * B; r++) {
    for (let n = 0; n < N; n++) {
      const d = dz[r * N + n]!;
      for (let f = 0; f < F; f++) dwAcc[n * F + f] += d * x[r * F + f]!;
    }
  }
  const dw = like(dz, N * F);
  dw.set(dwAcc);
  let dx: TypedArray | null = null;
  if (wantDx) {
    dx = like(dz, T * B * F);
    for (let r = 0; r < T * B; r++) {
      for (let f = 0; f < F; f++) {
        let s = 0;
        for (let n = 0; n < N; n++) s += dz[r * N + n]! * w[n * F + f]!;
        dx[r * F + f] = s;
      }
    }
  }
  return { dw, db, du, dx, dh0 };
}
