/**
 * Reference elementwise kernels, reductions and in-place helpers. Plain loops that read like the
 * math; the spec for every other backend.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import { arrayFor, dtypeOf, type DType, type TypedArray } from '../../tensor/dtype.js';
import { type Shape, sizeOf, stridesOf } from '../../tensor/shape.js';
import { broadcastStrides, forEachRow, like } from './util.js';

export function unary(op: UnaryOp, x: TypedArray): TypedArray {
  const y = like(x, x.length);
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) y[i] = -x[i]!;
      break;
    case 'relu':
      for (let i = 0; i < n; i++) y[i] = x[i]! > 0 ? x[i]! : 0;
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]!);
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-x[i]!));
      break;
    case 'exp':
      for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]!);
      break;
    case 'log':
      for (let i = 0; i < n; i++) y[i] = Math.log(x[i]!);
      break;
    case 'sqrt':
      for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i]!);
      break;
    case 'square':
      for (let i = 0; i < n; i++) y[i] = x[i]! * x[i]!;
      break;
    case 'abs':
      for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]!);
      break;
  }
  return y;
}

export function unaryGrad(op: UnaryOp, x: TypedArray, y: TypedArray, dy: TypedArray): TypedArray {
  const dx = like(dy, dy.length);
  const n = dy.length;
  switch (op) {
    case 'neg': // d(-x) = -dx
      for (let i = 0; i < n; i++) dx[i] = -dy[i]!;
      break;
    case 'relu': // d relu = [x > 0]
      for (let i = 0; i < n; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
      break;
    case 'tanh': // d tanh = 1 - y²
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * (1 - y[i]! * y[i]!);
      break;
    case 'sigmoid': // d σ = y (1 - y)
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * y[i]! * (1 - y[i]!);
      break;
    case 'exp': // d exp = y
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * y[i]!;
      break;
    case 'log': // d log = 1 / x
      for (let i = 0; i < n; i++) dx[i] = dy[i]! / x[i]!;
      break;
    case 'sqrt': // d sqrt = 1 / (2 y)
      for (let i = 0; i < n; i++) dx[i] = dy[i]! / (2 * y[i]!);
      break;
    case 'square': // d x² = 2x
      for (let i = 0; i < n; i++) dx[i] = 2 * x[i]! * dy[i]!;
      break;
    case 'abs': // d |x| = sign(x)
      for (let i = 0; i < n; i++) dx[i] = x[i]! > 0 ? dy[i]! : x[i]! < 0 ? -dy[i]! : 0;
      break;
  }
  return dx;
}

const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => (a >= b ? a : b),
  minimum: (a, b) => (a <= b ? a : b),
};

export function binary(
  op: BinaryOp,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  outShape: Shape,
): TypedArray {
  const out = like(a, sizeOf(outShape));
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const f = binaryFns[op];
  forEachRow(outShape, sa, sb, (offA, offB, o, n, ia, ib) => {
    if (op === 'add' && ia === 1 && ib === 1) {
      for (let i = 0; i < n; i++) out[o + i] = a[offA + i]! + b[offB + i]!;
    } else if (op === 'mul' && ia === 1 && ib === 1) {
      for (let i = 0; i < n; i++) out[o + i] = a[offA + i]! * b[offB + i]!;
    } else {
      for (let i = 0; i < n; i++) out[o + i] = f(a[offA + i * ia]!, b[offB + i * ib]!);
    }
  });
  return out;
}

export function affine(x: TypedArray, scale: number, shift: number): TypedArray {
  const y = like(x, x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i]! * scale + shift;
  return y;
}

export function broadcastTo(x: TypedArray, shape: Shape, outShape: Shape): TypedArray {
  const out = like(x, sizeOf(outShape));
  const sx = broadcastStrides(shape, outShape);
  forEachRow(outShape, sx, sx, (offX, _b, o, n, ix) => {
    for (let i = 0; i < n; i++) out[o + i] = x[offX + i * ix]!;
  });
  return out;
}

/** Sum over `axes`, accumulated in float64 so long sums (T·B terms) stay accurate. */
export function reduceSum(x: TypedArray, shape: Shape, axes: readonly number[]): TypedArray {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const acc = new Float64Array(sizeOf(outShape));
  // address the output with stride 0 on reduced axes
  const outStrides = stridesOf(outShape).map((s, i) => (axes.includes(i) ? 0 : s));
  const inStrides = stridesOf(shape);
  forEachRow(shape, inStrides, outStrides, (offX, offO, _o, n, ix, io) => {
    if (io === 0) {
      let s = 0;
      for (let i = 0; i < n; i++) s += x[offX + i * ix]!;
      acc[offO] += s;
    } else {
      for (let i = 0; i < n; i++) acc[offO + i * io] += x[offX + i * ix]!;
    }
  });
  const out = like(x, acc.length);
  out.set(acc);
  return out;
}

export function argmax(x: TypedArray, rows: number, cols: number): TypedArray {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = x[r * cols + c]!;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

export function clampInPlace(x: TypedArray, lo: number, hi: number): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

export function scaleInPlace(x: TypedArray, scale: number): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * scale;
}

export function sumSquares(x: TypedArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return s;
}

export function cast(x: TypedArray, dtype: DType): TypedArray {
  const y = arrayFor(dtype, x.length);
  if (dtype === 'int32' && dtypeOf(x) !== 'int32') {
    for (let i = 0; i < x.length; i++) y[i] = Math.trunc(x[i]!);
  } else {
    y.set(x);
  }
  return y;
}
