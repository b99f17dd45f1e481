/** Helpers shared by the differentiable ops: argument checks and output construction. */
import type { Backend } from '../backend/backend.js';
import type { DType } from '../tensor/dtype.js';
import type { Shape } from '../tensor/shape.js';
import { Tensor, scalarLike, type TensorLike } from '../tensor/tensor.js';
import { fail, fmtShape } from '../util/errors.js';

/** Wraps kernel output storage in a Tensor on the same backend as `like`. */
export function wrap(storage: unknown, shape: Shape, like: Tensor, dtype: DType = like.dtype): Tensor {
  return new Tensor(storage, shape, dtype, like.backend);
}

/** Promotes a number to a scalar tensor like `other`. */
export function asTensor(x: TensorLike, other: Tensor): Tensor {
  return typeof x === 'number' ? scalarLike(x, other) : x;
}

/** Throws unless all tensors share one backend; returns it. */
export function sameBackend(op: string, ...ts: readonly Tensor[]): Backend {
  const b = ts[0]!.backend;
  for (const t of ts) {
    if (t.backend !== b) {
      fail(`${op}: tensors live on different backends ('${b.name}' and '${t.backend.name}'); create them after setBackend() or move them with toBackend()`);
    }
  }
  return b;
}

export function checkFloat(op: string, name: string, t: Tensor): void {
  if (t.dtype === 'int32') fail(`${op}: ${name} must be a float tensor, got int32`);
}

export function checkDtypesMatch(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) fail(`${op}: dtypes differ (${a.dtype} and ${b.dtype}); cast one of them first`);
}

export function checkInt32(op: string, name: string, t: Tensor): void {
  if (t.dtype !== 'int32') fail(`${op}: ${name} must be an int32 tensor, got ${t.dtype}`);
}

/** Throws unless t has exactly `expected` (entries of -1 match any size), naming the op and argument. */
export function checkShape(op: string, name: string, t: Tensor, expected: readonly number[], hint = ''): void {
  const ok = t.rank === expected.length && expected.every((d, i) => d === -1 || d === t.shape[i]);
  if (!ok) {
    const exp = `[${expected.map((d) => (d === -1 ? '*' : String(d))).join(', ')}]`;
    fail(`${op}: ${name} must have shape ${exp}, got ${fmtShape(t.shape)}${hint ? ` (${hint})` : ''}`);
  }
}

export function checkRank(op: string, name: string, t: Tensor, rank: number, hint = ''): void {
  if (t.rank !== rank) {
    fail(`${op}: ${name} must have rank ${rank}, got shape ${fmtShape(t.shape)}${hint ? ` (${hint})` : ''}`);
  }
}
