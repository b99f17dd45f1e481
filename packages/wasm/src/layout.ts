/**
 * Strided layouts for the broadcasting kernels: per-operand strides (0 on broadcast axes), then
 * coalescing of axes that are contiguous in every operand, so [T, B, N] + [N] reaches the kernel
 * as rows × N and the inner loop is one long SIMD row.
 */
import type { Shape } from 'indrnn';

export { broadcastStrides, stridesOf } from 'indrnn';

export interface Coalesced {
  shape: number[];
  /** One stride list per operand, aligned with shape. */
  strides: number[][];
}

/**
 * Drops size-1 axes and merges an outer axis into the block inside it when, for every operand,
 * stride(outer) == stride(inner) · size(inner). Output layouts are contiguous, so they always
 * merge.
 * The result has rank >= 1.
 */
export function coalesce(shape: Shape, strides: readonly (readonly number[])[]): Coalesced {
  const axes = shape.map((_, i) => i).filter((i) => shape[i] !== 1);
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let j = axes.length - 1; j >= 0; j--) {
    const ax = axes[j]!;
    const last = outShape.length - 1;
    const merges =
      last >= 0 && strides.every((s, o) => s[ax] === outStrides[o]![0]! * outShape[0]!);
    if (merges) {
      outShape[0] = outShape[0]! * shape[ax]!;
    } else {
      outShape.unshift(shape[ax]!);
      strides.forEach((s, o) => outStrides[o]!.unshift(s[ax]!));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

/** The int32 descriptor the kernels read: [rank, shape..., strides of operand 0, of operand 1]. */
export function descriptor(c: Coalesced): number[] {
  const s0 = c.strides[0]!;
  const s1 = c.strides[1] ?? c.shape.map(() => 0);
  return [c.shape.length, ...c.shape, ...s0, ...s1];
}
