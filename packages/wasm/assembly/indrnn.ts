// The IndRNN recurrence  h[t] = act(z[t] + b + u ⊙ h[t-1]),  h[-1] = h0, and its reverse loop;
// the projection bias b is optional (0 = none; with it db comes out of the reverse loop), and a
// narrow input projection can replace z: z[t] = x[t] · wᵀ (x [T, B, F], wt = wᵀ [F, N]), so z is
// never stored and dw comes out of the reverse loop.
// Time is the outer loop so every step streams one contiguous [B, N] row block; neurons are
// vectorised four at a time (u is the same for every b). Twin of reference/indrnnScan.ts.
// Shapes: z, h, dz [T, B, N];  u, du, b, db [N];  h0, dh0 [B, N];  lens int32 [B] or 0 (no masking).
import { addWide, at, at64, IDENTITY, RELU } from './util';

const TANH = 1;

/** Steps t >= lens[b] keep the state; lens == 0 means every sequence has length T. */
// @ts-ignore: decorator
@inline
function masked(lens: usize, b: i32, t: i32): bool {
  return lens != 0 && t >= load<i32>(at(lens, b));
}

/** z for four neurons from n: stored (x == 0) or projected from x[t, b, :] (xr) and wt [F, N]. */
// @ts-ignore: decorator
@inline
function input4(zt: usize, xr: usize, wt: usize, F: i32, N: i32, n: i32): v128 {
  if (xr == 0) return v128.load(zt + (<usize>n << 2));
  let z = f32x4.splat(0);
  for (let f = 0; f < F; f++) {
    z = f32x4.add(z, f32x4.mul(f32x4.splat(load<f32>(at(xr, f))), v128.load(at(wt, f * N + n))));
  }
  return z;
}

// @ts-ignore: decorator
@inline
function input1(zt: usize, xr: usize, wt: usize, F: i32, N: i32, n: i32): f32 {
  if (xr == 0) return load<f32>(at(zt, n));
  let z: f32 = 0;
  for (let f = 0; f < F; f++) z += load<f32>(at(xr, f)) * load<f32>(at(wt, f * N + n));
  return z;
}

/** The forward loop of both scans: z stored at z, or projected from x (then z == 0). */
// @ts-ignore: decorator
@inline
function scanForward(
  z: usize, x: usize, wt: usize, F: i32, bias: usize, u: usize, h0: usize, lens: usize,
  T: i32, B: i32, N: i32, act: i32, h: usize,
): void {
  const zero = f32x4.splat(0);
  const row = B * N;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const o = t * row + b * N;
      const prev = t > 0 ? at(h, o - row) : at(h0, b * N);
      const zt = x == 0 ? at(z, o) : 0;
      const xr = x == 0 ? 0 : at(x, (t * B + b) * F);
      const ht = at(h, o);
      if (masked(lens, b, t)) {
        memory.copy(ht, prev, <usize>N << 2);
        continue;
      }
      let n = 0;
      if (act != TANH) {
        for (; n + 4 <= N; n += 4) {
          const q = <usize>n << 2;
          let zq = input4(zt, xr, wt, F, N, n);
          if (bias != 0) zq = f32x4.add(zq, v128.load(bias + q));
          let pre = f32x4.add(zq, f32x4.mul(v128.load(u + q), v128.load(prev + q)));
          // pmax(0, pre) = 0 < pre ? pre : 0, the reference's relu (NaN gives 0)
          if (act == RELU) pre = f32x4.pmax(zero, pre);
          v128.store(ht + q, pre);
        }
      }
      for (; n < N; n++) {
        const q = <usize>n << 2;
        const zn = input1(zt, xr, wt, F, N, n);
        const zq = bias != 0 ? zn + load<f32>(bias + q) : zn;
        const pre = zq + load<f32>(u + q) * load<f32>(prev + q);
        const y: f32 = act == RELU ? (pre > 0 ? pre : 0) : act == IDENTITY ? pre : Mathf.tanh(pre);
        store<f32>(ht + q, y);
      }
    }
  }
}

export function indrnnScan(
  z: usize, u: usize, h0: usize, lens: usize, T: i32, B: i32, N: i32, act: i32, h: usize,
  bias: usize,
): void {
  scanForward(z, 0, 0, 0, bias, u, h0, lens, T, B, N, act, h);
}

/** The scan with z = x · wᵀ computed in the loop (x [T, B, F], wt = wᵀ [F, N]). */
export function indrnnScanProj(
  x: usize, wt: usize, F: i32, bias: usize, u: usize, h0: usize, lens: usize, T: i32, B: i32,
  N: i32, act: i32, h: usize,
): void {
  scanForward(0, x, wt, F, bias, u, h0, lens, T, B, N, act, h);
}

/**
 * The reverse loop of both scans. carry [B, N] f32 (dL/dh[t] arriving from t+1), duAcc, dbAcc [N]
 * and dwAcc [F, N] f64 are scratch.
 *   gh = dh[t] + carry;  dpre = gh · act'(h[t]);  dz[t] = dpre (when dz != 0);
 *   du += dpre · h[t-1];  db += dpre (when db != 0);  dw[:, n] += dpre · x[t, b, :] (when x != 0);
 *   carry = dpre · u
 * Masked steps pass gh through unchanged and get dz = 0.
 */
// @ts-ignore: decorator
@inline
function scanBackward(
  dh: usize, h: usize, x: usize, F: i32, u: usize, h0: usize, lens: usize, T: i32, B: i32,
  N: i32, act: i32, dz: usize, du: usize, dh0: usize, carry: usize, duAcc: usize, db: usize,
  dbAcc: usize, dw: usize, dwAcc: usize,
): void {
  const row = B * N;
  memory.fill(carry, 0, <usize>row << 2);
  memory.fill(duAcc, 0, <usize>N << 3);
  if (db != 0) memory.fill(dbAcc, 0, <usize>N << 3);
  if (x != 0) memory.fill(dwAcc, 0, <usize>(F * N) << 3);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const o = t * row + b * N;
      const cr = at(carry, b * N);
      const dht = at(dh, o);
      const dzt = dz != 0 ? at(dz, o) : 0;
      if (masked(lens, b, t)) {
        for (let n = 0; n < N; n++) {
          const q = <usize>n << 2;
          store<f32>(cr + q, load<f32>(cr + q) + load<f32>(dht + q));
          if (dz != 0) store<f32>(dzt + q, 0);
        }
        continue;
      }
      const ht = at(h, o);
      const prev = t > 0 ? at(h, o - row) : at(h0, b * N);
      const xr = x == 0 ? 0 : at(x, (t * B + b) * F);
      let n = 0;
      for (; n + 4 <= N; n += 4) {
        const q = <usize>n << 2;
        const gh = f32x4.add(v128.load(dht + q), v128.load(cr + q));
        const hv = v128.load(ht + q);
        let dpre: v128;
        if (act == RELU) dpre = v128.and(gh, f32x4.gt(hv, zero));
        else if (act == IDENTITY) dpre = gh;
        else dpre = f32x4.mul(gh, f32x4.sub(one, f32x4.mul(hv, hv)));
        if (dz != 0) v128.store(dzt + q, dpre);
        addWide(at64(duAcc, n), f32x4.mul(dpre, v128.load(prev + q)));
        if (db != 0) addWide(at64(dbAcc, n), dpre);
        if (x != 0) {
          for (let f = 0; f < F; f++) {
            addWide(at64(dwAcc, f * N + n), f32x4.mul(dpre, f32x4.splat(load<f32>(at(xr, f)))));
          }
        }
        v128.store(cr + q, f32x4.mul(dpre, v128.load(u + q)));
      }
      for (; n < N; n++) {
        const q = <usize>n << 2;
        const gh = load<f32>(dht + q) + load<f32>(cr + q);
        const hv = load<f32>(ht + q);
        const dpre: f32 =
          act == RELU ? (hv > 0 ? gh : 0) : act == IDENTITY ? gh : gh * (1 - hv * hv);
        if (dz != 0) store<f32>(dzt + q, dpre);
        const acc = at64(duAcc, n);
        store<f64>(acc, load<f64>(acc) + <f64>(dpre * load<f32>(prev + q)));
        if (db != 0) store<f64>(at64(dbAcc, n), load<f64>(at64(dbAcc, n)) + <f64>dpre);
        if (x != 0) {
          for (let f = 0; f < F; f++) {
            const w = at64(dwAcc, f * N + n);
            store<f64>(w, load<f64>(w) + <f64>(dpre * load<f32>(at(xr, f))));
          }
        }
        store<f32>(cr + q, dpre * load<f32>(u + q));
      }
    }
  }
  memory.copy(dh0, carry, <usize>row << 2);
  for (let n = 0; n < N; n++) store<f32>(at(du, n), <f32>load<f64>(at64(duAcc, n)));
  if (db != 0) for (let n = 0; n < N; n++) store<f32>(at(db, n), <f32>load<f64>(at64(dbAcc, n)));
  if (x != 0) {
    for (let i = 0; i < F * N; i++) store<f32>(at(dw, i), <f32>load<f64>(at64(dwAcc, i)));
  }
}

export function indrnnScanGrad(
  dh: usize, h: usize, u: usize, h0: usize, lens: usize, T: i32, B: i32, N: i32, act: i32,
  dz: usize, du: usize, dh0: usize, carry: usize, duAcc: usize, db: usize, dbAcc: usize,
): void {
  scanBackward(dh, h, 0, 0, u, h0, lens, T, B, N, act, dz, du, dh0, carry, duAcc, db, dbAcc, 0, 0);
}

/**
 * The reverse loop of indrnnScanProj: dw [F, N] (wᵀ's layout), db, du, dh0, and dz only when dz
 * != 0 (the caller wants dx = dz · w).
 */
export function indrnnScanProjGrad(
  dh: usize, h: usize, x: usize, F: i32, u: usize, h0: usize, lens: usize, T: i32, B: i32,
  N: i32, act: i32, dz: usize, du: usize, dh0: usize, carry: usize, duAcc: usize, db: usize,
  dbAcc: usize, dw: usize, dwAcc: usize,
): void {
  scanBackward(dh, h, x, F, u, h0, lens, T, B, N, act, dz, du, dh0, carry, duAcc, db, dbAcc, dw, dwAcc);
}
