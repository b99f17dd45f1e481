/** Reference layout kernels: transpose, slice and its inverse, concat. */
import type { TypedArray } from '../../tensor/dtype.js';
import { type Shape, sizeOf, stridesOf } from '../../tensor/shape.js';
import { forEachRow, like } from './util.js';

export function transpose(x: TypedArray, shape: Shape, perm: readonly number[]): TypedArray {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = stridesOf(shape);
  // out axis i walks input axis perm[i]
  const srcStrides = perm.map((p) => inStrides[p]!);
  const out = like(x, x.length);
  forEachRow(outShape, srcStrides, srcStrides, (offX, _b, o, n, ix) => {
    for (let i = 0; i < n; i++) out[o + i] = x[offX + i * ix]!;
  });
  return out;
}

export function slice(x: TypedArray, shape: Shape, begin: readonly number[], size: readonly number[]): TypedArray {
  const strides = stridesOf(shape);
  let base = 0;
  for (let i = 0; i < shape.length; i++) base += begin[i]! * strides[i]!;
  const out = like(x, sizeOf(size));
  forEachRow(size, strides, strides, (offX, _b, o, n, ix) => {
    for (let i = 0; i < n; i++) out[o + i] = x[base + offX + i * ix]!;
  });
  return out;
}

export function padSlice(x: TypedArray, size: Shape, begin: readonly number[], fullShape: Shape): TypedArray {
  const strides = stridesOf(fullShape);
  let base = 0;
  for (let i = 0; i < fullShape.length; i++) base += begin[i]! * strides[i]!;
  const out = like(x, sizeOf(fullShape));
  forEachRow(size, strides, strides, (offOut, _b, o, n, io) => {
    for (let i = 0; i < n; i++) out[base + offOut + i * io] = x[o + i]!;
  });
  return out;
}

export function concat(xs: readonly TypedArray[], shapes: readonly Shape[], axis: number): TypedArray {
  const outer = sizeOf(shapes[0]!.slice(0, axis));
  const inners = shapes.map((s) => sizeOf(s.slice(axis)));
  const rowOut = inners.reduce((a, b) => a + b, 0);
  const out = like(xs[0]!, outer * rowOut);
  let col = 0;
  xs.forEach((x, j) => {
    const w = inners[j]!;
    for (let r = 0; r < outer; r++) out.set(x.subarray(r * w, (r + 1) * w), r * rowOut + col);
    col += w;
  });
  return out;
}
