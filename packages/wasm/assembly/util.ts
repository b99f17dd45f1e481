// Pointer helpers shared by the kernels. Every buffer is a float32 (or int32) array in linear
// memory placed by the JS side's arena; kernels never allocate.

/** Address of element i of a 4-byte array at p. */
// @ts-ignore: decorator
@inline
export function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** Address of element i of an 8-byte array at p. */
// @ts-ignore: decorator
@inline
export function at64(p: usize, i: i32): usize {
  return p + (<usize>i << 3);
}

/** Adds the four lanes of f32x4 v, widened to f64, into acc[i .. i+4] (f64). */
// @ts-ignore: decorator
@inline
export function addWide(acc: usize, v: v128): void {
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  v128.store(acc, f64x2.add(v128.load(acc), lo));
  v128.store(acc, f64x2.add(v128.load(acc, 16), hi), 16);
}

/** The four f64 values at p, rounded to f32 lanes. */
// @ts-ignore: decorator
@inline
export function narrow(p: usize): v128 {
  const lo = f32x4.demote_f64x2_zero(v128.load(p));
  const hi = f32x4.demote_f64x2_zero(v128.load(p, 16));
  return v128.shuffle<f32>(lo, hi, 0, 1, 4, 5);
}

/** Horizontal sum of f64x2. */
// @ts-ignore: decorator
@inline
export function hsum64(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Logistic sigmoid in f32. */
// @ts-ignore: decorator
@inline
export function sigmoid(x: f32): f32 {
  return <f32>1 / (<f32>1 + Mathf.exp(-x));
}

/** Activation codes shared with the JS side: 0 relu, 1 tanh, 2 identity. */
export const RELU: i32 = 0;
export const TANH: i32 = 1;
export const IDENTITY: i32 = 2;
