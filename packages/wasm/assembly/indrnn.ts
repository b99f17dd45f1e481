// The IndRNN recurrence  h[t] = act(z[t] + b + u ⊙ h[t-1]),  h[-1] = h0, and its reverse loop;
// the projection bias b is optional (0 = none; with it db comes out of the reverse loop).
// Time is the outer loop so every step streams one contiguous [B, N] row block; neurons are
// vectorised four at a time (u is the same for every b). Twin of reference/indrnnScan.ts.
// Shapes: z, h, dz [T, B, N];  u, du, b, db [N];  h0, dh0 [B, N];  lens int32 [B] or 0 (no masking).
import { at, at64, IDENTITY, RELU } from './util';

/** Steps t >= lens[b] keep the state; lens == 0 means every sequence has length T. */
// @ts-ignore: decorator
@inline
function masked(lens: usize, b: i32, t: i32): bool {
  return lens != 0 && t >= load<i32>(at(lens, b));
}

export function indrnnScan(
  z: usize, u: usize, h0: usize, lens: usize, T: i32, B: i32, N: i32, act: i32, h: usize,
  bias: usize,
): void {
  const zero = f32x4.splat(0);
  const row = B * N;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const o = t * row + b * N;
      const prev = t > 0 ? at(h, o - row) : at(h0, b * N);
      const zt = at(z, o);
      const ht = at(h, o);
      if (masked(lens, b, t)) {
        memory.copy(ht, prev, <usize>N << 2);
        continue;
      }
      let n = 0;
      if (act != 1) {
        for (; n + 4 <= N; n += 4) {
          const q = <usize>n << 2;
          let zq = v128.load(zt + q);
          if (bias != 0) zq = f32x4.add(zq, v128.load(bias + q));
          let pre = f32x4.add(zq, f32x4.mul(v128.load(u + q), v128.load(prev + q)));
          // pmax(0, pre) = 0 < pre ? pre : 0, the reference's relu (NaN gives 0)
          if (act == RELU) pre = f32x4.pmax(zero, pre);
          v128.store(ht + q, pre);
        }
      }
      for (; n < N; n++) {
        const q = <usize>n << 2;
        const zq = bias != 0 ? load<f32>(zt + q) + load<f32>(bias + q) : load<f32>(zt + q);
        const pre = zq + load<f32>(u + q) * load<f32>(prev + q);
        const y: f32 = act == RELU ? (pre > 0 ? pre : 0) : act == IDENTITY ? pre : Mathf.tanh(pre);
        store<f32>(ht + q, y);
      }
    }
  }
}

/**
 * Reverse loop. carry [B, N] f32 (dL/dh[t] arriving from t+1), duAcc and dbAcc [N] f64 are scratch.
 *   gh = dh[t] + carry;  dpre = gh · act'(h[t]);  dz[t] = dpre;
 *   du += dpre · h[t-1];  db += dpre (when db != 0);  carry = dpre · u
 * Masked steps pass gh through unchanged and get dz = 0.
 */
export function indrnnScanGrad(
  dh: usize, h: usize, u: usize, h0: usize, lens: usize, T: i32, B: i32, N: i32, act: i32,
  dz: usize, du: usize, dh0: usize, carry: usize, duAcc: usize, db: usize, dbAcc: usize,
): void {
  const row = B * N;
  memory.fill(carry, 0, <usize>row << 2);
  memory.fill(duAcc, 0, <usize>N << 3);
  if (db != 0) memory.fill(dbAcc, 0, <usize>N << 3);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const o = t * row + b * N;
      const cr = at(carry, b * N);
      const dht = at(dh, o);
      const dzt = at(dz, o);
      if (masked(lens, b, t)) {
        for (let n = 0; n < N; n++) {
          const q = <usize>n << 2;
          store<f32>(cr + q, load<f32>(cr + q) + load<f32>(dht + q));
          store<f32>(dzt + q, 0);
        }
        continue;
      }
      const ht = at(h, o);
      const prev = t > 0 ? at(h, o - row) : at(h0, b * N);
      let n = 0;
      for (; n + 4 <= N; n += 4) {
        const q = <usize>n << 2;
        const gh = f32x4.add(v128.load(dht + q), v128.load(cr + q));
        const hv = v128.load(ht + q);
        let dpre: v128;
        if (act == RELU) dpre = v128.and(gh, f32x4.gt(hv, zero));
        else if (act == IDENTITY) dpre = gh;
        else dpre = f32x4.mul(gh, f32x4.sub(one, f32x4.mul(hv, hv)));
        v128.store(dzt + q, dpre);
        const prod = f32x4.mul(dpre, v128.load(prev + q));
        const acc = at64(duAcc, n);
        v128.store(acc, f64x2.add(v128.load(acc), f64x2.promote_low_f32x4(prod)));
        const high = f64x2.promote_low_f32x4(v128.shuffle<f32>(prod, prod, 2, 3, 0, 1));
        v128.store(acc, f64x2.add(v128.load(acc, 16), high), 16);
        if (db != 0) {
          const bacc = at64(dbAcc, n);
          v128.store(bacc, f64x2.add(v128.load(bacc), f64x2.promote_low_f32x4(dpre)));
          const bhigh = f64x2.promote_low_f32x4(v128.shuffle<f32>(dpre, dpre, 2, 3, 0, 1));
          v128.store(bacc, f64x2.add(v128.load(bacc, 16), bhigh), 16);
        }
        v128.store(cr + q, f32x4.mul(dpre, v128.load(u + q)));
      }
      for (; n < N; n++) {
        const q = <usize>n << 2;
        const gh = load<f32>(dht + q) + load<f32>(cr + q);
        const hv = load<f32>(ht + q);
        const dpre: f32 =
          act == RELU ? (hv > 0 ? gh : 0) : act == IDENTITY ? gh : gh * (1 - hv * hv);
        store<f32>(dzt + q, dpre);
        const acc = at64(duAcc, n);
        store<f64>(acc, load<f64>(acc) + <f64>(dpre * load<f32>(prev + q)));
        if (db != 0) store<f64>(at64(dbAcc, n), load<f64>(at64(dbAcc, n)) + <f64>dpre);
        store<f32>(cr + q, dpre * load<f32>(u + q));
      }
    }
  }
  memory.copy(dh0, carry, <usize>row << 2);
  for (let n = 0; n < N; n++) store<f32>(at(du, n), <f32>load<f64>(at64(duAcc, n)));
  if (db != 0) for (let n = 0; n < N; n++) store<f32>(at(db, n), <f32>load<f64>(at64(dbAcc, n)));
}
