/** Small helpers shared by the reference kernels. */
import { arrayFor, type DType, type TypedArray } from '../../tensor/dtype.js';
import { outputLike } from '../memory.js';
import { type Shape, sizeOf } from '../../tensor/shape.js';

export { broadcastStrides } from '../../tensor/shape.js';

/** A zeroed output array of the same element type as `x` (recycled inside `tidy` scopes). */
export function like(x: TypedArray, size: number): TypedArray {
  return outputLike(x, size);
}

export function alloc(dtype: DType, size: number): TypedArray {
  return arrayFor(dtype, size);
}

/**
 * Walks every index of `shape` in row-major order, calling `row(offA, offB, outOffset, n, strideA, strideB)`
 * once per innermost row, with the input offsets given by their strides. The innermost loop is left to the
 * caller so per-element work stays a tight loop.
 */
export function forEachRow(
  shape: Shape,
  stridesA: readonly number[],
  stridesB: readonly number[],
  row: (offA: number, offB: number, outOff: number, n: number, sa: number, sb: number) => void,
): void {
  const rank = shape.length;
  if (rank === 0) {
    row(0, 0, 0, 1, 0, 0);
    return;
  }
  const n = shape[rank - 1]!;
  const sa = stridesA[rank - 1]!;
  const sb = stridesB[rank - 1]!;
  const rows = sizeOf(shape) / Math.max(n, 1);
  if (n === 0) return;
  const idx = new Array<number>(rank - 1).fill(0);
  let offA = 0;
  let offB = 0;
  for (let r = 0; r < rows; r++) {
    row(offA, offB, r * n, n, sa, sb);
    // advance the odometer over the outer axes
    for (let ax = rank - 2; ax >= 0; ax--) {
      idx[ax]!++;
      offA += stridesA[ax]!;
      offB += stridesB[ax]!;
      if (idx[ax]! < shape[ax]!) break;
      offA -= stridesA[ax]! * shape[ax]!;
      offB -= stridesB[ax]! * shape[ax]!;
      idx[ax] = 0;
    }
  }
}
