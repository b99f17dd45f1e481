/**
 * Reference GEMM: out[m, n] = op(a) · op(b). Loop orders are chosen so the innermost loop walks
 * contiguous memory (i-k-j for plain, dot products for transB); sums are plain float64 JS numbers.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { like } from './util.js';

export function matmul(
  a: TypedArray, b: TypedArray, m: number, n: number, k: number, transA: boolean, transB: boolean,
): TypedArray {
  const out = like(a, m * n);
  if (!transA && !transB) {
    // a [m, k], b [k, n]
    const row = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const aip = a[i * k + p]!;
        if (aip === 0) continue;
        const bOff = p * n;
        for (let j = 0; j < n; j++) row[j] += aip * b[bOff + j]!;
      }
      for (let j = 0; j < n; j++) out[i * n + j] = row[j]!;
    }
  } else if (!transA && transB) {
    // a [m, k], b [n, k]: each output is a dot product of two contiguous rows
    for (let i = 0; i < m; i++) {
      const aOff = i * k;
      for (let j = 0; j < n; j++) {
        const bOff = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[aOff + p]! * b[bOff + p]!;
        out[i * n + j] = s;
      }
    }
  } else if (transA && !transB) {
    // a [k, m], b [k, n]: accumulate rank-1 updates
    const acc = new Float64Array(m * n);
    for (let p = 0; p < k; p++) {
      const aOff = p * m;
      const bOff = p * n;
      for (let i = 0; i < m; i++) {
        const api = a[aOff + i]!;
        if (api === 0) continue;
        const o = i * n;
        for (let j = 0; j < n; j++) acc[o + j] += api * b[bOff + j]!;
      }
    }
    out.set(acc);
  } else {
    // a [k, m], b [n, k]
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[p * m + i]! * b[j * k + p]!;
        out[i * n + j] = s;
      }
    }
  }
  return out;
}
