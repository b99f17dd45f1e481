// Blocked single-precision GEMM with f32x4 SIMD:  C[m, n] (+)= op(A)[m, k] · op(B)[k, n].
//
// Layout (GotoBLAS style, all buffers are caller-provided scratch in linear memory):
//   packed B: panels of NR = 8 columns, [ceil(n/8)][k][8], zero-padded; packed once per call.
//   packed A: per (row block of MC, k block of KC), panels of MR = 4 rows, [ceil(mc/4)][kc][4].
// The 4x8 micro-kernel keeps 8 accumulators, 2 B vectors, 1 A splat and 1 product in 12 of the
// 15 xmm registers V8 allocates on x64; 5x8, 6x8, 3x12 and 4x12 tiles spilled in measurements.
// A k block of 256 keeps one B panel (8 KB) in L1 and the A block (128 KB) in L2.
import { at } from './util';

export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC: i32 = 256;
export const MC: i32 = 128;

/** Floats of scratch the packed-A buffer (plus the edge tile) needs. */
export function packASize(): i32 {
  return MC * KC + MR * NR;
}

/** Floats of scratch a packed B of k rows and n columns needs. */
export function packBSize(k: i32, n: i32): i32 {
  return ((n + NR - 1) / NR) * NR * k;
}

/** Packs op(B) [k, n] (b stored [k, n], or [n, k] when transB) into [ceil(n/8)][k][8]. */
export function packB(b: usize, k: i32, n: i32, transB: bool, dst: usize): void {
  const panels = (n + NR - 1) / NR;
  for (let jp = 0; jp < panels; jp++) {
    const j0 = jp * NR;
    const w = min(NR, n - j0);
    const d = dst + ((<usize>jp * <usize>k) << 5);
    if (w < NR) memory.fill(d, 0, <usize>k << 5);
    if (!transB) {
      if (w == NR) {
        for (let p = 0; p < k; p++) {
          const s = at(b, p * n + j0);
          const q = d + (<usize>p << 5);
          v128.store(q, v128.load(s));
          v128.store(q, v128.load(s, 16), 16);
        }
      } else {
        for (let p = 0; p < k; p++) {
          for (let j = 0; j < w; j++) {
            store<f32>(d + (<usize>(p * NR + j) << 2), load<f32>(at(b, p * n + j0 + j)));
          }
        }
      }
    } else {
      // column j of op(B) is the contiguous row j of b: read rows, write with stride 8
      for (let j = 0; j < w; j++) {
        const s = at(b, (j0 + j) * k);
        for (let p = 0; p < k; p++) store<f32>(d + (<usize>(p * NR + j) << 2), load<f32>(at(s, p)));
      }
    }
  }
}

/**
 * Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] into [ceil(mc/4)][kc][4]; rows past mc are zero. lda is
 * the stored row length: k for A [m, k], the full m for A stored [k, m] (transA), so a worker can
 * pack a band of rows of a larger product.
 */
function packA(
  a: usize, transA: bool, lda: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize,
): void {
  for (let r0 = 0; r0 < mc; r0 += MR) {
    const d = dst + (<usize>(r0 * kc) << 2);
    const h = min(MR, mc - r0);
    const i = i0 + r0;
    if (transA) {
      // op(A)[i, p] = a[p, i]: the 4 rows of a panel are 4 contiguous floats of row p
      if (h == MR) {
        for (let p = 0; p < kc; p++) {
          v128.store(d + (<usize>p << 4), v128.load(at(a, (p0 + p) * lda + i)));
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let r = 0; r < MR; r++) {
            const v: f32 = r < h ? load<f32>(at(a, (p0 + p) * lda + i + r)) : 0;
            store<f32>(d + (<usize>(p * MR + r) << 2), v);
          }
        }
      }
    } else if (h == MR) {
      // four contiguous rows: transpose 4x4 blocks with shuffles
      const s0 = at(a, i * lda + p0);
      const s1 = at(s0, lda);
      const s2 = at(s1, lda);
      const s3 = at(s2, lda);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        const x0 = v128.load(s0 + o);
        const x1 = v128.load(s1 + o);
        const x2 = v128.load(s2 + o);
        const x3 = v128.load(s3 + o);
        const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        const q = d + (<usize>p << 4);
        v128.store(q, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
        v128.store(q, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
        v128.store(q, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
        v128.store(q, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
      }
      for (; p < kc; p++) {
        const q = d + (<usize>p << 4);
        const o = <usize>p << 2;
        store<f32>(q, load<f32>(s0 + o));
        store<f32>(q, load<f32>(s1 + o), 4);
        store<f32>(q, load<f32>(s2 + o), 8);
        store<f32>(q, load<f32>(s3 + o), 12);
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          const v: f32 = r < h ? load<f32>(at(a, (i + r) * lda + p0 + p)) : 0;
          store<f32>(d + (<usize>(p * MR + r) << 2), v);
        }
      }
    }
  }
}

/** The 4x8 micro-kernel: c[4, 8] (row stride ldc floats) = or += Σ_p ap[p][0..4] ⊗ bp[p][0..8]. */
// @ts-ignore: decorator
@inline
function kernel4x8(ap: usize, bp: usize, kc: i32, c: usize, ldc: i32, accumulate: bool): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    ap += 16;
    bp += 32;
  }
  const ld = <usize>ldc << 2;
  if (accumulate) {
    v128.store(c, f32x4.add(v128.load(c), c00));
    v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
    c += ld;
    v128.store(c, f32x4.add(v128.load(c), c10));
    v128.store(c, f32x4.add(v128.load(c, 16), c11), 16);
    c += ld;
    v128.store(c, f32x4.add(v128.load(c), c20));
    v128.store(c, f32x4.add(v128.load(c, 16), c21), 16);
    c += ld;
    v128.store(c, f32x4.add(v128.load(c), c30));
    v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
  } else {
    v128.store(c, c00);
    v128.store(c, c01, 16);
    c += ld;
    v128.store(c, c10);
    v128.store(c, c11, 16);
    c += ld;
    v128.store(c, c20);
    v128.store(c, c21, 16);
    c += ld;
    v128.store(c, c30);
    v128.store(c, c31, 16);
  }
}

/**
 * C[m, n] (+)= op(A) · B with B already packed by packB (k rows). `pa` is packASize() floats of
 * scratch. A is stored [m, k], or [k, m] when transA. With accumulate false C is overwritten.
 */
export function gemmPacked(
  a: usize, transA: bool, m: i32, n: i32, k: i32, pb: usize, pa: usize, c: usize, accumulate: bool,
): void {
  gemmPackedLd(a, transA, transA ? m : k, m, n, k, pb, pa, c, accumulate);
}

/**
 * gemmPacked with an explicit stored row length of A (see packA): rows r0 .. r0+m of a larger
 * product are a = A + r0·lda (or A + r0 when transA) and c = C + r0·n. The threaded GEMM hands
 * such bands to workers.
 */
export function gemmPackedLd(
  a: usize, transA: bool, lda: i32, m: i32, n: i32, k: i32, pb: usize, pa: usize, c: usize,
  accumulate: bool,
): void {
  if (k == 0) {
    if (!accumulate) memory.fill(c, 0, <usize>(m * n) << 2);
    return;
  }
  const tile = pa + (<usize>(MC * KC) << 2);
  const panels = (n + NR - 1) / NR;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    const acc = accumulate || p0 > 0;
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = min(MC, m - i0);
      packA(a, transA, lda, i0, mc, p0, kc, pa);
      for (let jp = 0; jp < panels; jp++) {
        const j0 = jp * NR;
        const w = min(NR, n - j0);
        const bp = pb + (<usize>(jp * k + p0) << 5);
        for (let r0 = 0; r0 < mc; r0 += MR) {
          const h = min(MR, mc - r0);
          const ap = pa + (<usize>(r0 * kc) << 2);
          const cp = at(c, (i0 + r0) * n + j0);
          if (h == MR && w == NR) {
            kernel4x8(ap, bp, kc, cp, n, acc);
          } else {
            kernel4x8(ap, bp, kc, tile, NR, false);
            for (let r = 0; r < h; r++) {
              for (let j = 0; j < w; j++) {
                const dst = at(cp, r * n + j);
                const v = load<f32>(at(tile, r * NR + j));
                store<f32>(dst, acc ? load<f32>(dst) + v : v);
              }
            }
          }
        }
      }
    }
  }
}

/**
 * out[m, n] = op(a) · op(b) (or += when accumulate). Scratch: pb of packBSize(k, n) floats and pa
 * of packASize() floats.
 */
export function gemm(
  a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, transA: bool, transB: bool,
  pb: usize, pa: usize, accumulate: bool,
): void {
  packB(b, k, n, transB, pb);
  gemmPacked(a, transA, m, n, k, pb, pa, c, accumulate);
}
