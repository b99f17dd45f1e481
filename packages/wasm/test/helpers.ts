/**
 * Test helpers: the wasm backend under test, the reference oracle, seeded inputs that are never
 * zero, and a comparison that prints the first mismatches with their index (atol + rtol·|ref|).
 */
import assert from 'node:assert/strict';
import { Generator, referenceBackend, type Backend, type TypedArray } from 'indrnn';
import { createWasmBackendSync, type WasmBackend } from '../src/index.js';

export const wasm: WasmBackend = createWasmBackendSync();
export const ref = referenceBackend() as Backend<TypedArray>;

/** float32 N(0, scale) + offset values, redrawn when they round to exactly 0. */
export function randn(gen: Generator, n: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    while (v === 0) v = Math.fround(offset + scale * gen.normal());
    out[i] = v;
  }
  return out;
}

/** float32 uniform in [lo, hi) (lo > 0 for logs and square roots), never 0. */
export function uniform(gen: Generator, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    while (v === 0) v = Math.fround(gen.uniform(lo, hi));
    out[i] = v;
  }
  return out;
}

export function ints(gen: Generator, n: number, lo: number, hi: number): Int32Array {
  return Int32Array.from({ length: n }, () => lo + gen.int(hi - lo));
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/**
 * Asserts |actual - expected| <= atol + rtol·|expected| everywhere (NaN only matches NaN), listing
 * the first five mismatches as `[index] actual vs expected (|diff|)`.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  what: string,
): void {
  assert.equal(
    actual.length,
    expected.length,
    `${what}: length ${actual.length}, expected ${expected.length}`,
  );
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Number.isNaN(e)
      ? Number.isNaN(a)
      : Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) {
      count++;
      if (bad.length < 5)
        bad.push(`[${i}] ${a} vs ${e} (|diff| ${Math.abs(a - e).toExponential(2)})`);
    }
  }
  assert.ok(
    count === 0,
    `${what}: ${count} of ${expected.length} differ (atol ${tol.atol}, rtol ${tol.rtol}); ` +
      `first:\n  ${bad.join('\n  ')}`,
  );
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
