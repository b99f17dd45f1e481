/**
 * Test helpers for the native backend: the backend under test (or why it is skipped), seeded
 * random inputs that are never zero, and a closeness assertion that prints the first mismatches.
 */
import { Generator, referenceBackend, type Backend, type TypedArray } from 'indrnn';
import { assertClose as closeOrThrow, nonZeroNormal, nonZeroUniform } from 'indrnn/testing';
import { skipOrFailInCI } from 'indrnn/testing/node';
import { createNativeBackend, nativeInfo, setSimd } from '../lib/index.js';

const info = nativeInfo();

/**
 * Why the native tests are skipped (addon not built), or false when they run. Under CI=true a
 * missing addon fails every native test file instead (CI has g++, so npm install must build it).
 */
export const skipReason: string | false = skipOrFailInCI(
  info.available ? false : `native addon unavailable, native tests skipped: ${info.error}`,
);
if (skipReason) console.log(`# ${skipReason}`);

export const native: Backend<TypedArray> | null = info.available
  ? createNativeBackend({ reference: referenceBackend() })
  : null;
export const reference = referenceBackend() as Backend<TypedArray>;

/** The SIMD levels this CPU can run, best first (each test family runs on all of them). */
export const simdLevels: ('avx512' | 'avx2' | 'generic')[] = info.available
  ? (['avx512', 'avx2', 'generic'] as const).filter(
      (l) =>
        ['avx512', 'avx2', 'generic'].indexOf(l) >=
        ['avx512', 'avx2', 'generic'].indexOf(info.simdSupported),
    )
  : [];

/** Runs fn with the micro-kernels of `level`, restoring the best level afterwards. */
export function withSimd(level: 'avx512' | 'avx2' | 'generic', fn: () => void): void {
  setSimd(level);
  try {
    fn();
  } finally {
    setSimd('avx512');
  }
}

/** N(offset, scale) float32 values, never exactly zero (no test passes on zeros). */
export function rnd(n: number, gen: Generator, scale = 1, offset = 0): Float32Array {
  return nonZeroNormal(gen, n, scale, offset);
}

/** Uniform values in [lo, hi), never zero. */
export function uniform(n: number, gen: Generator, lo: number, hi: number): Float32Array {
  return nonZeroUniform(gen, n, lo, hi);
}

/**
 * Asserts |actual - expected| <= atol + rtol·|expected| elementwise (NaN matches NaN, ±Inf must be
 * equal), listing the first five mismatches with their flat index.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  atol = 1e-5,
  rtol = 1e-4,
): void {
  closeOrThrow(actual, expected, { atol, rtol }, what, 'native');
}

/** Asserts two int arrays are identical, listing the first mismatches. */
export function assertEqualInts(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
): void {
  assertClose(actual, expected, what, 0, 0);
}
