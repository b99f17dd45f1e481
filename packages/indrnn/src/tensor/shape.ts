/** Shape arithmetic shared by ops and kernels. */
import { fail, fmtShape } from '../util/errors.js';

export type Shape = readonly number[];

/** Throws unless shape is a list of non-negative integer dimensions; names the op and the bad axis. */
export function checkShape(op: string, shape: unknown): Shape {
  if (!Array.isArray(shape)) fail(`${op}: shape must be an array of dimensions such as [2, 3], got ${JSON.stringify(shape)}`);
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      fail(`${op}: shape ${JSON.stringify(shape)} has ${String(d)} at axis ${i}; every dimension must be an integer >= 0`);
    }
  });
  return shape as Shape;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * Strides of `shape` (right-aligned to `outShape`) with 0 on broadcast axes, so one odometer over
 * outShape can address the input.
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const offset = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[offset + i] = shape[i] === 1 ? 0 : strides[i]!;
  return out;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting of two shapes; throws naming the op when they are incompatible. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      fail(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (axis ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises a possibly negative axis against rank, throwing on out-of-range values. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}
