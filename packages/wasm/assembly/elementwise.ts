// Elementwise kernels, broadcasting and reductions. Twin of reference/elementwise.ts.
// Broadcasting walks an odometer over the outer axes of a coalesced shape (the JS side merges
// axes that are contiguous in every operand, so [T, B, N] + [N] arrives as rows × N); the inner
// row runs in SIMD when both operands are contiguous or one is constant along it.
import { addWide, at, at64, narrow } from './util';

// Unary op codes, in the order of the JS side's UNARY_OPS.
const NEG = 0;
const RELU = 1;
const TANH = 2;
const SIGMOID = 3;
const EXP = 4;
const LOG = 5;
const SQRT = 6;
const SQUARE = 7;
const ABS = 8;

function unaryScalar(op: i32, x: f32): f32 {
  switch (op) {
    case NEG: return -x;
    case RELU: return x > 0 ? x : 0;
    case TANH: return Mathf.tanh(x);
    case SIGMOID: return <f32>1 / (<f32>1 + Mathf.exp(-x));
    case EXP: return Mathf.exp(x);
    case LOG: return Mathf.log(x);
    case SQRT: return Mathf.sqrt(x);
    case SQUARE: return x * x;
    default: return Mathf.abs(x);
  }
}

/** y = op(x) over n elements; neg, relu, sqrt, square and abs in SIMD, the rest scalar. */
export function unary(op: i32, x: usize, y: usize, n: i32): void {
  let i = 0;
  const zero = f32x4.splat(0);
  if (op == NEG || op == RELU || op == SQRT || op == SQUARE || op == ABS) {
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(at(x, i));
      let r: v128;
      if (op == NEG) r = f32x4.neg(v);
      else if (op == RELU) r = f32x4.pmax(zero, v);
      else if (op == SQRT) r = f32x4.sqrt(v);
      else if (op == SQUARE) r = f32x4.mul(v, v);
      else r = f32x4.abs(v);
      v128.store(at(y, i), r);
    }
  }
  for (; i < n; i++) store<f32>(at(y, i), unaryScalar(op, load<f32>(at(x, i))));
}

function unaryGradScalar(op: i32, x: f32, y: f32, dy: f32): f32 {
  switch (op) {
    case NEG: return -dy; // d(-x) = -dx
    case RELU: return x > 0 ? dy : 0; // d relu = [x > 0]
    case TANH: return dy * (1 - y * y); // d tanh = 1 - y²
    case SIGMOID: return dy * y * (1 - y); // d σ = y (1 - y)
    case EXP: return dy * y; // d exp = y
    case LOG: return dy / x; // d log = 1 / x
    case SQRT: return dy / (2 * y); // d sqrt = 1 / (2 y)
    case SQUARE: return 2 * x * dy; // d x² = 2x
    default: return x > 0 ? dy : x < 0 ? -dy : 0; // d |x| = sign(x)
  }
}

/** dx given x, y = op(x) and dy. x or y may be 0 when the op does not read it. */
export function unaryGrad(op: i32, x: usize, y: usize, dy: usize, dx: usize, n: i32): void {
  let i = 0;
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  if (op == RELU || op == TANH || op == SIGMOID || op == EXP) {
    for (; i + 4 <= n; i += 4) {
      const g = v128.load(at(dy, i));
      let r: v128;
      if (op == RELU) {
        r = v128.and(g, f32x4.gt(v128.load(at(x, i)), zero));
      } else {
        const v = v128.load(at(y, i));
        if (op == TANH) r = f32x4.mul(g, f32x4.sub(one, f32x4.mul(v, v)));
        else if (op == SIGMOID) r = f32x4.mul(f32x4.mul(g, v), f32x4.sub(one, v));
        else r = f32x4.mul(g, v);
      }
      v128.store(at(dx, i), r);
    }
  }
  for (; i < n; i++) {
    const xv = x != 0 ? load<f32>(at(x, i)) : <f32>0;
    const yv = y != 0 ? load<f32>(at(y, i)) : <f32>0;
    store<f32>(at(dx, i), unaryGradScalar(op, xv, yv, load<f32>(at(dy, i))));
  }
}

// Binary op codes, in the order of the JS side's BINARY_OPS.
const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const MAX = 4;

// @ts-ignore: decorator
@inline
function binaryScalar(op: i32, a: f32, b: f32): f32 {
  if (op == ADD) return a + b;
  if (op == SUB) return a - b;
  if (op == MUL) return a * b;
  if (op == DIV) return a / b;
  if (op == MAX) return a >= b ? a : b;
  return a <= b ? a : b;
}

// @ts-ignore: decorator
@inline
function binaryVec(op: i32, a: v128, b: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == SUB) return f32x4.sub(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  if (op == DIV) return f32x4.div(a, b);
  // the reference's a >= b ? a : b (and <=), NaN included
  if (op == MAX) return v128.bitselect(a, b, f32x4.ge(a, b));
  return v128.bitselect(a, b, f32x4.le(a, b));
}

/** One output row of n elements; ia, ib are the operands' strides along it (0 or 1 usually). */
function binaryRow(op: i32, a: usize, ia: i32, b: usize, ib: i32, o: usize, n: i32): void {
  let i = 0;
  if (ia == 1 && ib == 1) {
    for (; i + 4 <= n; i += 4) {
      v128.store(at(o, i), binaryVec(op, v128.load(at(a, i)), v128.load(at(b, i))));
    }
  } else if (ia == 1 && ib == 0) {
    const bv = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) v128.store(at(o, i), binaryVec(op, v128.load(at(a, i)), bv));
  } else if (ia == 0 && ib == 1) {
    const av = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) v128.store(at(o, i), binaryVec(op, av, v128.load(at(b, i))));
  }
  for (; i < n; i++) {
    store<f32>(at(o, i), binaryScalar(op, load<f32>(at(a, i * ia)), load<f32>(at(b, i * ib))));
  }
}

/**
 * Advances the odometer over the outer axes of a coalesced layout, desc (int32) =
 * [rank, shape[rank], sa[rank], sb[rank]], keeping both operands' element offsets in offs[0..2].
 */
// @ts-ignore: decorator
@inline
function odometerStep(desc: usize, rank: i32, idx: usize, offs: usize): bool {
  // advance the multi-index over axes rank-2 .. 0; returns false when done
  for (let ax = rank - 2; ax >= 0; ax--) {
    const size = load<i32>(at(desc, 1 + ax));
    const sa = load<i32>(at(desc, 1 + rank + ax));
    const sb = load<i32>(at(desc, 1 + 2 * rank + ax));
    const v = load<i32>(at(idx, ax)) + 1;
    if (v < size) {
      store<i32>(at(idx, ax), v);
      store<i32>(offs, load<i32>(offs) + sa);
      store<i32>(offs, load<i32>(offs, 4) + sb, 4);
      return true;
    }
    store<i32>(at(idx, ax), 0);
    store<i32>(offs, load<i32>(offs) - sa * (size - 1));
    store<i32>(offs, load<i32>(offs, 4) - sb * (size - 1), 4);
  }
  return false;
}

/** out = a ∘ b with broadcasting; desc as above; idx is rank int32 of scratch, offs 2 int32. */
export function binary(
  op: i32, a: usize, b: usize, out: usize, desc: usize, idx: usize, offs: usize,
): void {
  const rank = load<i32>(desc);
  const n = load<i32>(at(desc, rank));
  const ia = load<i32>(at(desc, 2 * rank));
  const ib = load<i32>(at(desc, 3 * rank));
  memory.fill(idx, 0, <usize>rank << 2);
  store<i32>(offs, 0);
  store<i32>(offs, 0, 4);
  let o = 0;
  do {
    binaryRow(op, at(a, load<i32>(offs)), ia, at(b, load<i32>(offs, 4)), ib, at(out, o), n);
    o += n;
  } while (odometerStep(desc, rank, idx, offs));
}

/** out = x broadcast to the coalesced output layout in desc (operand b unused: strides 0). */
export function broadcastTo(x: usize, out: usize, desc: usize, idx: usize, offs: usize): void {
  const rank = load<i32>(desc);
  const n = load<i32>(at(desc, rank));
  const ix = load<i32>(at(desc, 2 * rank));
  memory.fill(idx, 0, <usize>rank << 2);
  store<i32>(offs, 0);
  store<i32>(offs, 0, 4);
  let o = 0;
  do {
    const src = at(x, load<i32>(offs));
    const dst = at(out, o);
    if (ix == 1) {
      memory.copy(dst, src, <usize>n << 2);
    } else if (ix == 0) {
      const v = v128.load32_splat(src);
      let i = 0;
      for (; i + 4 <= n; i += 4) v128.store(at(dst, i), v);
      for (; i < n; i++) store<f32>(at(dst, i), load<f32>(src));
    } else {
      for (let i = 0; i < n; i++) store<f32>(at(dst, i), load<f32>(at(src, i * ix)));
    }
    o += n;
  } while (odometerStep(desc, rank, idx, offs));
}

/**
 * Sum of x over the reduced axes into out, accumulated in f64 (acc, outSize f64 of scratch) so long
 * sums such as a bias gradient over T·B rows stay accurate. desc = [rank, shape, sx, sout] with
 * sout 0 on reduced axes.
 */
export function reduceSum(
  x: usize, out: usize, outSize: i32, desc: usize, idx: usize, offs: usize, acc: usize,
): void {
  const rank = load<i32>(desc);
  const n = load<i32>(at(desc, rank));
  const ix = load<i32>(at(desc, 2 * rank));
  const io = load<i32>(at(desc, 3 * rank));
  memory.fill(acc, 0, <usize>outSize << 3);
  memory.fill(idx, 0, <usize>rank << 2);
  store<i32>(offs, 0);
  store<i32>(offs, 0, 4);
  do {
    const src = at(x, load<i32>(offs));
    const dst = at64(acc, load<i32>(offs, 4));
    let i = 0;
    if (io == 0) {
      // the whole row folds into one output
      let s = f64x2.splat(0);
      if (ix == 1) {
        for (; i + 4 <= n; i += 4) {
          const v = v128.load(at(src, i));
          const hi = v128.shuffle<f32>(v, v, 2, 3, 0, 1);
          s = f64x2.add(s, f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(hi)));
        }
      }
      let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
      for (; i < n; i++) t += <f64>load<f32>(at(src, i * ix));
      store<f64>(dst, load<f64>(dst) + t);
    } else {
      if (ix == 1 && io == 1) {
        for (; i + 4 <= n; i += 4) addWide(at64(dst, i), v128.load(at(src, i)));
      }
      for (; i < n; i++) {
        const d = at64(dst, i * io);
        store<f64>(d, load<f64>(d) + <f64>load<f32>(at(src, i * ix)));
      }
    }
  } while (odometerStep(desc, rank, idx, offs));
  let i = 0;
  for (; i + 4 <= outSize; i += 4) v128.store(at(out, i), narrow(at64(acc, i)));
  for (; i < outSize; i++) store<f32>(at(out, i), <f32>load<f64>(at64(acc, i)));
}

/** y = x · scale + shift. */
export function affine(x: usize, y: usize, n: i32, scale: f32, shift: f32): void {
  const s = f32x4.splat(scale);
  const b = f32x4.splat(shift);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.add(f32x4.mul(v128.load(at(x, i)), s), b));
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(x, i)) * scale + shift);
}

/** x = clamp(x, lo, hi) in place (the reference's v < lo ? lo : v > hi ? hi : v). */
export function clamp(x: usize, n: i32, lo: f32, hi: f32): void {
  const l = f32x4.splat(lo);
  const h = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    const up = v128.bitselect(l, v, f32x4.lt(v, l));
    v128.store(at(x, i), v128.bitselect(h, up, f32x4.gt(up, h)));
  }
  for (; i < n; i++) {
    const v = load<f32>(at(x, i));
    store<f32>(at(x, i), v < lo ? lo : v > hi ? hi : v);
  }
}

/** x *= scale in place. */
export function scale(x: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(x, i), f32x4.mul(v128.load(at(x, i)), sv));
  for (; i < n; i++) store<f32>(at(x, i), load<f32>(at(x, i)) * s);
}

/** Σ x², each square formed in f64 like the reference, so NaN and Inf come through. */
export function sumSquares(x: usize, n: i32): f64 {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    s0 = f64x2.add(s0, f64x2.mul(lo, lo));
    s1 = f64x2.add(s1, f64x2.mul(hi, hi));
  }
  const s = f64x2.add(s0, s1);
  let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(at(x, i));
    t += v * v;
  }
  return t;
}
