/**
 * Closeness assertions and tolerances: an elementwise check that lists the first mismatches, and
 * tolerances relative to the tensor under test (float32 rounding of a sum scales with the size of
 * its terms, so an entry near zero needs the tensor's scale, not its own).
 */

/** |actual − expected| ≤ atol + rtol·|expected|, elementwise. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/**
 * Throws unless |actual − expected| ≤ atol + rtol·|expected| everywhere (NaN matches only NaN,
 * ±Inf only itself). The message names `what`, counts the mismatches and lists the first five as
 * `[index] <label> value vs reference value (diff)`.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  what: string,
  label = 'got',
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  const first: string[] = [];
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Number.isNaN(e)
      ? Number.isNaN(a)
      : !Number.isFinite(e)
        ? a === e
        : Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) {
      count++;
      if (first.length < 5) first.push(`[${i}] ${label} ${a} vs reference ${e} (diff ${Math.abs(a - e).toExponential(2)})`);
    }
  }
  if (count > 0) {
    throw new Error(
      `${what}: ${count} of ${expected.length} values differ (atol ${tol.atol}, rtol ${tol.rtol}); ` +
        `first mismatches:\n  ${first.join('\n  ')}`,
    );
  }
}

/** The largest finite |v| of an array (0 when there is none). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]!);
    if (v > m && Number.isFinite(v)) m = v;
  }
  return m;
}

/**
 * A tolerance relative to the tensor under test: atol = rel · max|expected|, rtol = rel. A tensor
 * that is exactly zero everywhere is then compared exactly.
 */
export function relativeTo(expected: ArrayLike<number>, rel: number): Tolerance {
  return { atol: rel * maxAbs(expected), rtol: rel };
}

/** max|actual − expected| / max|expected| (0 when both are zero, Infinity when only expected is). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
  const scale = maxAbs(expected);
  return diff === 0 ? 0 : scale === 0 ? Infinity : diff / scale;
}

/**
 * Throws unless the two arrays hold the same bits (−0 ≠ +0, NaN payloads aside), naming `what`
 * and the first index that differs: for determinism checks, where "close" is not enough.
 */
export function assertSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  let count = 0;
  let first = -1;
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      count++;
      if (first < 0) first = i;
    }
  }
  if (count > 0) {
    throw new Error(
      `${what}: ${count} of ${expected.length} values are not bit-identical; first at [${first}]: ` +
        `${actual[first]} vs ${expected[first]} (diff ${Math.abs(actual[first]! - expected[first]!).toExponential(2)})`,
    );
  }
}
