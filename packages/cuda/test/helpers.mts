/**
 * Test helpers for the CUDA backend: the backend under test (or why the GPU tests skip), seeded
 * random inputs that are never zero, host <-> device conversion, and a closeness assertion that
 * prints the first mismatches with their index.
 */
import assert from 'node:assert/strict';
import { Generator, referenceBackend, type Backend, type TypedArray } from 'indrnn';
import { createCudaBackend, cudaInfo, type CudaBackend, type CudaStorage } from '../lib/index.js';

const info = cudaInfo();

/** Why the GPU tests are skipped (no addon, no driver, no device), or false when they run. */
export const skipReason: string | false = info.available
  ? false
  : `no usable GPU, CUDA kernel tests skipped: ${info.error}`;
if (skipReason) console.log(`# ${skipReason}`);

export const cuda: CudaBackend | null = info.available
  ? createCudaBackend({ reference: referenceBackend() })
  : null;
export const reference = referenceBackend() as Backend<TypedArray>;

/** Uploads host arrays (the reference backend's storage) to the GPU. */
export function up(x: TypedArray): CudaStorage {
  return cuda!.fromHost(x);
}

/** Downloads a storage (synchronises, so a failed kernel is reported here). */
export function down(s: CudaStorage): TypedArray {
  return cuda!.toHost(s);
}

/** N(offset, scale) float32 values; exact zeros are replaced so no test passes on zeros. */
export function rnd(n: number, gen: Generator, scale = 1, offset = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = offset + scale * gen.normal();
    a[i] = v === 0 ? scale * 0.5 : v;
  }
  return a;
}

/** Uniform values in [lo, hi), never zero. */
export function uniform(n: number, gen: Generator, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = gen.uniform(lo, hi);
    a[i] = v === 0 ? (lo + hi) / 2 || 0.25 : v;
  }
  return a;
}

/** Integers in [lo, hi) as int32. */
export function ints(n: number, gen: Generator, lo: number, hi: number): Int32Array {
  return Int32Array.from({ length: n }, () => lo + gen.int(hi - lo));
}

/**
 * Asserts |actual - expected| <= atol + rtol·|expected| elementwise (NaN matches NaN, ±Inf must be
 * equal), listing the first five mismatches with their flat index.
 */
export function assertClose(
  actual: ArrayLike<number> | CudaStorage,
  expected: ArrayLike<number>,
  what: string,
  atol = 1e-5,
  rtol = 1e-4,
): void {
  const a = isStorage(actual) ? down(actual) : actual;
  assert.equal(a.length, expected.length, `${what}: length ${a.length} vs ${expected.length}`);
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    const x = a[i]!;
    const e = expected[i]!;
    const ok = Number.isNaN(e)
      ? Number.isNaN(x)
      : !Number.isFinite(e)
        ? x === e
        : Math.abs(x - e) <= atol + rtol * Math.abs(e);
    if (!ok) {
      count++;
      if (bad.length < 5)
        bad.push(`[${i}] cuda ${x} vs reference ${e} (diff ${Math.abs(x - e).toExponential(2)})`);
    }
  }
  assert.ok(
    count === 0,
    `${what}: ${count} of ${expected.length} values differ (atol ${atol}, rtol ${rtol}); ` +
      `first mismatches:\n  ${bad.join('\n  ')}`,
  );
}

/** Asserts two int arrays are identical, listing the first mismatches. */
export function assertEqualInts(
  actual: ArrayLike<number> | CudaStorage,
  expected: ArrayLike<number>,
  what: string,
): void {
  assertClose(actual, expected, what, 0, 0);
}

function isStorage(x: unknown): x is CudaStorage {
  return typeof x === 'object' && x !== null && 'dtype' in x && !ArrayBuffer.isView(x);
}
