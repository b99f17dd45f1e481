/** Differentiable layout ops: reshape, transpose, slice, concat, stack, broadcast, row gather. */
import { record } from '../autograd/tape.js';
import { normAxis, type Shape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { fail, fmtShape } from '../util/errors.js';
import { checkInt32, checkRank, sameBackend, wrap } from './util.js';
import { sumTo } from './reduce.js';

/** Same storage, new shape; one entry may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const inferAt = shape.indexOf(-1);
  let target = [...shape];
  if (inferAt >= 0) {
    const known = sizeOf(shape.filter((_, i) => i !== inferAt));
    if (known === 0 || x.size % known !== 0) fail(`reshape: cannot reshape ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
    target[inferAt] = x.size / known;
  }
  if (sizeOf(target) !== x.size || target.some((d) => d < 0 || !Number.isInteger(d))) {
    fail(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)}`);
  }
  const y = new Tensor(x.storage, target, x.dtype, x.backend);
  record('reshape', [x], [y], ([g]) => [g!.reshape(x.shape)]);
  return y;
}

/** Permutes axes (reverses them by default). d = inverse permutation of g. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    fail(`transpose: perm [${p.join(', ')}] is not a permutation of the ${x.rank} axes of ${fmtShape(x.shape)}`);
  }
  const outShape = p.map((a) => x.shape[a]!);
  const y = wrap(x.backend.transpose(x.storage, x.shape, p), outShape, x);
  const inverse = new Array<number>(p.length);
  p.forEach((a, i) => (inverse[a] = i));
  record('transpose', [x], [y], ([g]) => [transpose(g!, inverse)]);
  return y;
}

/** x[begin : begin+size] on every axis; size -1 means "to the end". d = zero-padded g. */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  if (begin.length !== x.rank || size.length !== x.rank) {
    fail(`slice: begin and size need ${x.rank} entries for shape ${fmtShape(x.shape)}, got [${begin.join(', ')}] and [${size.join(', ')}]`);
  }
  const sz = size.map((s, i) => (s === -1 ? x.shape[i]! - begin[i]! : s));
  sz.forEach((s, i) => {
    if (begin[i]! < 0 || s < 0 || begin[i]! + s > x.shape[i]!) {
      fail(`slice: axis ${i} range [${begin[i]}, ${begin[i]! + s}) is outside [0, ${x.shape[i]}) of shape ${fmtShape(x.shape)}`);
    }
  });
  const y = wrap(x.backend.slice(x.storage, x.shape, begin, sz), sz, x);
  record('slice', [x], [y], ([g]) => [wrap(x.backend.padSlice(g!.storage, sz, begin, x.shape), x.shape, x)]);
  return y;
}

/**
 * Batch-first [N, T, ...] → time-major [T, N, ...], the layout every encoder and scan takes (one
 * copy; differentiable). Users' data is usually [N, T, F]; SequenceModel's `batchFirst` does this for you.
 */
export function toTimeMajor(x: Tensor): Tensor {
  return swapLeadingAxes('toTimeMajor', x, '[N, T, ...] batch-first');
}

/** Time-major [T, N, ...] → batch-first [N, T, ...]: the inverse of toTimeMajor (for per-step outputs). */
export function toBatchFirst(x: Tensor): Tensor {
  return swapLeadingAxes('toBatchFirst', x, '[T, N, ...] time-major');
}

function swapLeadingAxes(op: string, x: Tensor, layout: string): Tensor {
  if (x.rank < 2) fail(`${op}: input must be ${layout} with at least 2 axes, got ${fmtShape(x.shape)}`);
  return transpose(x, [1, 0, ...x.shape.slice(2).map((_, i) => i + 2)]);
}

/** Joins tensors along an existing axis. d = the matching slices of g. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) fail('concat: needs at least one tensor');
  const first = xs[0]!;
  const ax = normAxis('concat', axis, first.rank);
  sameBackend('concat', ...xs);
  for (const t of xs) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i]) || t.dtype !== first.dtype) {
      fail(`concat: shapes ${fmtShape(first.shape)} (${first.dtype}) and ${fmtShape(t.shape)} (${t.dtype}) differ outside axis ${ax}`);
    }
  }
  const outShape = [...first.shape];
  outShape[ax] = xs.reduce((n, t) => n + t.shape[ax]!, 0);
  const y = wrap(first.backend.concat(xs.map((t) => t.storage), xs.map((t) => t.shape), ax), outShape, first);
  record('concat', xs, [y], ([g]) => {
    let offset = 0;
    return xs.map((t) => {
      const begin = outShape.map((_, i) => (i === ax ? offset : 0));
      offset += t.shape[ax]!;
      return slice(g!, begin, t.shape);
    });
  });
  return y;
}

/** Joins tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) fail('stack: needs at least one tensor');
  const ax = normAxis('stack', axis, xs[0]!.rank + 1);
  return concat(xs.map((t) => reshape(t, [...t.shape.slice(0, ax), 1, ...t.shape.slice(ax)])), ax);
}

/** Broadcasts to a larger shape. d = g summed back. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const lead = shape.length - x.rank;
  if (lead < 0 || x.shape.some((d, i) => d !== 1 && d !== shape[lead + i])) {
    fail(`broadcastTo: cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  }
  const y = wrap(x.backend.broadcastTo(x.storage, x.shape, shape), shape, x);
  record('broadcastTo', [x], [y], ([g]) => [sumTo(g!, x.shape)]);
  return y;
}

/**
 * Rows of a 2-D table by int32 index: out[..., :] = table[idx[...], :]. Index -1 gives a zero row.
 * Backward scatter-adds into the table (so repeated indices accumulate). Indices are checked on the host.
 */
export function gatherRows(table: Tensor, idx: Tensor, op = 'gatherRows'): Tensor {
  checkRank(op, 'table', table, 2);
  checkInt32(op, 'indices', idx);
  sameBackend(op, table, idx);
  const [rows, cols] = table.shape as [number, number];
  const host = idx.data();
  for (let i = 0; i < host.length; i++) {
    const v = host[i]!;
    if (v < -1 || v >= rows) fail(`${op}: index ${v} at position ${i} is out of range [0, ${rows}) (use -1 for a zero row)`);
  }
  const y = wrap(table.backend.gatherRows(table.storage, cols, idx.storage), [...idx.shape, cols], table);
  record(op, [table, idx], [y], ([g]) => [
    wrap(table.backend.scatterAddRows(g!.storage, cols, idx.storage, rows), table.shape, table),
    null,
  ]);
  return y;
}
