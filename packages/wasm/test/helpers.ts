/**
 * Test helpers: the wasm backend under test, the reference oracle, seeded inputs that are never
 * zero, and a comparison that prints the first mismatches with their index (atol + rtol·|ref|).
 */
import { referenceBackend, type Backend, type Generator, type TypedArray } from 'indrnn';
import { assertClose as closeOrThrow, nonZeroNormal, nonZeroUniform, randomInts, type Tolerance } from 'indrnn/testing';
import { createWasmBackendSync, type WasmBackend } from '../src/index.js';

export const wasm: WasmBackend = createWasmBackendSync();
export const ref = referenceBackend() as Backend<TypedArray>;

/** float32 N(0, scale) + offset values, redrawn when they round to exactly 0. */
export const randn = (gen: Generator, n: number, scale = 1, offset = 0): Float32Array => nonZeroNormal(gen, n, scale, offset);

/** float32 uniform in [lo, hi) (lo > 0 for logs and square roots), never 0. */
export const uniform = nonZeroUniform;

export const ints = randomInts;

export type { Tolerance };

/**
 * Asserts |actual - expected| <= atol + rtol·|expected| everywhere (NaN only matches NaN), listing
 * the first five mismatches with their index.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  what: string,
): void {
  closeOrThrow(actual, expected, tol, what, 'wasm');
}

/** Compares every named output of two result records. */
export function assertAllClose(
  actual: Record<string, TypedArray>,
  expected: Record<string, TypedArray>,
  tol: Tolerance,
  what: string,
): void {
  for (const key of Object.keys(expected))
    assertClose(actual[key]!, expected[key]!, tol, `${what}.${key}`);
}
