/**
 * Shape bookkeeping done on the host before a launch: strides, broadcasting, coalescing of axes
 * (so the kernels index with as few divisions as possible), and the reduction plan.
 */
// Type-only import, like @indrnn/native: this package is CommonJS, and a value import from the
// ESM 'indrnn' would compile to require() of ESM, which Node 20 before 20.19 cannot do. Hence these
// few lines of shape arithmetic stay here rather than coming from the core (the wasm package, ESM,
// imports them).
import type { Shape } from 'indrnn';

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides (elements). */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Strides of `shape` right-aligned to `outShape`, 0 on broadcast axes. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const offset = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[offset + i] = shape[i] === 1 ? 0 : strides[i]!;
  return out;
}

export interface Coalesced {
  shape: number[];
  /** One stride list per operand, aligned with shape. */
  strides: number[][];
}

/**
 * Drops size-1 axes and merges neighbours that every operand walks as one run
 * (stride[d] = stride[d+1]·shape[d+1]). [T·B, H] + [H] stays rank 2; same-shape operands become
 * rank 1.
 */
export function coalesce(shape: Shape, strides: readonly (readonly number[])[]): Coalesced {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    const mergeable = last >= 0 && strides.every((s, j) => st[j]![last] === s[d]! * shape[d]!);
    if (mergeable) {
      dims[last] = dims[last]! * shape[d]!;
      strides.forEach((s, j) => (st[j]![last] = s[d]!));
    } else {
      dims.push(shape[d]!);
      strides.forEach((s, j) => st[j]!.push(s[d]!));
    }
  }
  return { shape: dims, strides: st };
}

/** One pass of a sum: x viewed as [O, R, I] → [O, I]. */
export interface ReducePass {
  O: number;
  R: number;
  I: number;
}

/**
 * Splits a sum over `axes` into passes over [O, R, I] views. Size-1 axes drop out and neighbours of
 * the same kind merge, so common cases are one pass (bias gradient: [T·B, H] → [H] is O = 1,
 * R = T·B, I = H). Interleaved axes ([A, B, C] over A and C) take one pass per reduced run,
 * innermost first. An empty list means nothing is summed: the output is a copy.
 */
export function reducePlan(shape: Shape, axes: readonly number[]): ReducePass[] {
  const groups: { size: number; reduced: boolean }[] = [];
  shape.forEach((size, d) => {
    if (size === 1) return;
    const reduced = axes.includes(d);
    const last = groups[groups.length - 1];
    if (last && last.reduced === reduced) last.size *= size;
    else groups.push({ size, reduced });
  });
  const passes: ReducePass[] = [];
  for (;;) {
    let j = -1;
    for (let g = groups.length - 1; g >= 0; g--) {
      if (groups[g]!.reduced) {
        j = g;
        break;
      }
    }
    if (j < 0) return passes;
    const O = groups.slice(0, j).reduce((n, g) => n * g.size, 1);
    const I = groups.slice(j + 1).reduce((n, g) => n * g.size, 1);
    passes.push({ O, R: groups[j]!.size, I });
    // the result: everything before j, then one kept run [I] (merged with a kept run before j)
    const before = groups.slice(0, j);
    const tail = I > 1 ? [{ size: I, reduced: false }] : [];
    const prev = before[before.length - 1];
    if (prev && !prev.reduced && tail.length) prev.size *= I;
    else before.push(...tail);
    groups.length = 0;
    groups.push(...before);
  }
}

/**
 * The plan of a deterministic row scatter-add (the embedding gradient): the positions of `idx`
 * grouped by the row they add into, rows ascending, positions ascending within a row (a stable
 * counting sort). One int32 array: segment starts [segments + 1], then each segment's row
 * [segments], then the positions [valid]. Indices outside [0, rows) are left out. The kernel sums
 * each segment in this order, so a repeated row's sum is the same on every run (and, being the
 * reference's order, the same as the reference's float32 sum).
 */
export function scatterPlan(idx: Int32Array, rows: number): { plan: Int32Array; segments: number; valid: number } {
  const counts = new Int32Array(rows);
  let valid = 0;
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    if (r >= 0 && r < rows) {
      counts[r]!++;
      valid++;
    }
  }
  let segments = 0;
  for (let r = 0; r < rows; r++) if (counts[r]! > 0) segments++;
  const plan = new Int32Array(2 * segments + 1 + valid);
  const rowOf = 0 + segments + 1;
  const positions = rowOf + segments;
  // segment starts, rows, and each row's next free slot (reusing counts)
  let s = 0;
  let at = 0;
  for (let r = 0; r < rows; r++) {
    const c = counts[r]!;
    if (c === 0) continue;
    plan[s] = at;
    plan[rowOf + s] = r;
    counts[r] = at;
    at += c;
    s++;
  }
  plan[segments] = at;
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    if (r >= 0 && r < rows) plan[positions + counts[r]!++] = i;
  }
  return { plan, segments, valid };
}
