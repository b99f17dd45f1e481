/** Test helpers: seeded float64 tensors on the reference backend and a gradcheck assertion. */
import assert from 'node:assert/strict';
import { Generator, gradcheck, formatGradcheck, referenceBackend, tensor, type Tensor, type GradcheckOptions } from '../src/index.js';

/** A float64 leaf tensor with N(0, scale) entries, never exactly zero, requiring grad. */
export function rnd64(shape: number[], gen: Generator, scale = 1, offset = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = offset + scale * gen.normal();
  const t = tensor(d, shape, 'float64', referenceBackend());
  t.requiresGrad = true;
  return t;
}

export function int32(values: number[], shape?: number[]): Tensor {
  return tensor(Int32Array.from(values), shape ?? [values.length], 'int32', referenceBackend());
}

export function assertGradcheck(fn: () => Tensor | Tensor[], wrt: Tensor[], opts: GradcheckOptions = {}): void {
  const r = gradcheck(fn, wrt, opts);
  assert.ok(r.ok, formatGradcheck(r));
  assert.ok(r.checked > 0, 'gradcheck checked no elements');
}

/** Asserts |a - b| <= atol + rtol·|b| elementwise, reporting the first mismatches with their index. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-5, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      if (bad.length < 5) bad.push(`[${i}] ${a} vs ${e}`);
      else break;
    }
  }
  assert.ok(bad.length === 0, `${what} differ (atol ${atol}, rtol ${rtol}):\n  ${bad.join('\n  ')}`);
}
