/**
 * indrnn/testing, the kit every backend's suite checks itself with: the checks must pass on the
 * reference against itself and must fail, naming what differs, on a backend with a small error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, referenceBackend, registerBackend, type Backend, type TypedArray } from '../src/index.js';
import {
  assertClose,
  assertModelStepMatchesReference,
  MODEL_CHECK_CASES,
  nonZeroNormal,
  nonZeroUniform,
  randomInts,
} from '../src/testing/index.js';

/** The reference backend with every matmul output scaled by 1.001: a subtly wrong kernel. */
function registerSkewedMatmulBackend(): void {
  registerBackend(
    'skewed-matmul',
    () => {
      const ref = referenceBackend() as Backend<TypedArray>;
      const skewed = Object.create(ref) as Backend<TypedArray>;
      Object.assign(skewed, {
        name: 'skewed-matmul',
        matmul: (...args: Parameters<Backend<TypedArray>['matmul']>) => {
          const out = ref.matmul(...args);
          for (let i = 0; i < out.length; i++) out[i] = out[i]! * 1.001;
          return out;
        },
      });
      return skewed;
    },
    -1, // never chosen automatically
  );
}

describe('indrnn/testing', () => {
  it('assertClose accepts values within atol + rtol·|expected| and treats NaN and ±Inf exactly', () => {
    assertClose([1.0001, -2, NaN, Infinity], [1, -2.0002, NaN, Infinity], { atol: 1e-4, rtol: 1e-4 }, 'x');
    assert.throws(() => assertClose([NaN], [1], { atol: 1, rtol: 1 }, 'x'), /1 of 1 values differ/);
    assert.throws(() => assertClose([-Infinity], [Infinity], { atol: 1, rtol: 1 }, 'x'), /differ/);
  });

  it('assertClose names what, the count, the index, the label and both values', () => {
    assert.throws(
      () => assertClose([1, 2, 3.5], [1, 2, 3], { atol: 1e-3, rtol: 1e-3 }, 'gradient of w', 'native'),
      (e: Error) => {
        assert.match(e.message, /^gradient of w: 1 of 3 values differ \(atol 0\.001, rtol 0\.001\)/);
        assert.match(e.message, /\[2\] native 3\.5 vs reference 3 \(diff 5\.00e-1\)/);
        return true;
      },
    );
    assert.throws(() => assertClose([1, 2], [1], { atol: 0, rtol: 0 }, 'y'), /y: length 2, expected 1/);
  });

  it('random inputs are seeded, never zero, and in range', () => {
    const a = nonZeroNormal(new Generator(3), 10_000, 1e-30);
    assert.deepEqual(a, nonZeroNormal(new Generator(3), 10_000, 1e-30));
    assert.ok(a.every((v) => v !== 0));
    const u = nonZeroUniform(new Generator(4), 1000, 0.5, 2);
    assert.ok(u.every((v) => v >= 0.5 && v < 2));
    const k = randomInts(new Generator(5), 1000, -3, 4);
    assert.ok(k.every((v) => Number.isInteger(v) && v >= -3 && v < 4));
    assert.equal(new Set(k).size, 7);
  });

  it('every model case passes on the reference against itself', () => {
    for (const c of MODEL_CHECK_CASES) assertModelStepMatchesReference('reference', c.config, c.shape);
  });

  it('a backend whose matmul is off by 0.1% fails the model check, naming the backend', () => {
    registerSkewedMatmulBackend();
    const c = MODEL_CHECK_CASES[0]!;
    assert.throws(
      () => assertModelStepMatchesReference('skewed-matmul', c.config, c.shape),
      /^Error: (loss|gradient of [\w.]+): \d+ of \d+ values differ[\s\S]*skewed-matmul/,
    );
  });
});
