/** Differentiable reductions, and sumTo (the reduction that undoes broadcasting in backward rules). */
import { record } from '../autograd/tape.js';
import { normAxis, type Shape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkFloat, wrap } from './util.js';
import { fail, fmtShape } from '../util/errors.js';

function resolveAxes(op: string, x: Tensor, axes?: number | readonly number[]): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  return [...new Set(list.map((a) => normAxis(op, a, x.rank)))].sort((p, q) => p - q);
}

/** Sum over axes (all by default). d sum = broadcast(g). */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  checkFloat('sum', 'input', x);
  const ax = resolveAxes('sum', x, axes);
  const keptShape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !ax.includes(i));
  const y = wrap(x.backend.reduceSum(x.storage, x.shape, ax), outShape, x);
  record('sum', [x], [y], ([g]) => [wrap(x.backend.broadcastTo(g!.storage, keptShape, x.shape), x.shape, x)]);
  return y;
}

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = resolveAxes('mean', x, axes);
  const count = ax.reduce((n, a) => n * x.shape[a]!, 1);
  return sum(x, ax, keepDims).mul(1 / count);
}

/** Reduces a broadcast gradient back to `shape` (sum over the axes that were broadcast). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) fail(`sumTo: cannot reduce ${fmtShape(g.shape)} to ${fmtShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const reduced = sum(g, axes, true);
  return reduced.reshape(shape);
}

/** Index of the largest entry along the last axis (int32, not differentiable). */
export function argmax(x: Tensor): Tensor {
  const cols = x.shape[x.rank - 1] ?? 1;
  const rows = x.size / cols;
  return wrap(x.backend.argmax(x.storage, rows, cols), x.shape.slice(0, -1), x, 'int32');
}
