/** Seeded random inputs that are never zero (a kernel that ignores its input would pass on zeros). */
import { Generator } from '../util/random.js';

/** float32 N(offset, scale²) values, redrawn when they round to exactly 0. */
export function nonZeroNormal(gen: Generator, n: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    while (v === 0) v = Math.fround(offset + scale * gen.normal());
    out[i] = v;
  }
  return out;
}

/** float32 uniform in [lo, hi), redrawn when 0 (use lo > 0 for logs and square roots). */
export function nonZeroUniform(gen: Generator, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    while (v === 0) v = Math.fround(gen.uniform(lo, hi));
    out[i] = v;
  }
  return out;
}

/** int32 values in [lo, hi). */
export function randomInts(gen: Generator, n: number, lo: number, hi: number): Int32Array {
  return Int32Array.from({ length: n }, () => lo + gen.int(hi - lo));
}
