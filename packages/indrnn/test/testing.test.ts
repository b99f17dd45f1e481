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
  assertSameBits,
  assertStepMatches,
  maxAbs,
  MODEL_CHECK_CASES,
  modelStepOn,
  nonZeroNormal,
  nonZeroUniform,
  randomInts,
  registerPerturbedBackend,
  relativeError,
  relativeTo,
  seededTraining,
  perturbableKernels,
  recordingBackend,
} from '../src/testing/index.js';
import { skipOrFailInCI, underCI } from '../src/testing/node.js';

/** The reference backend, registered as 'counting', recording the name of every kernel called. */
function registerCountingBackend(): Set<string> {
  const called = new Set<string>();
  registerBackend('counting', () => Object.assign(recordingBackend(referenceBackend() as Backend<TypedArray>, called), { name: 'counting' }), -1);
  return called;
}

/**
 * (kernel, case) pairs whose output no loss or gradient reads: a classifier with per-sequence lengths
 * reads each sequence's last valid step (a gather), so the slice of the last layer's final state,
 * which every recurrent layer returns, goes unused there.
 */
const UNREAD = [
  'slice in "2-layer IndRNN classifier (relu), variable lengths"',
  'slice in "2-layer LSTM baseline with dropout, variable lengths"',
];

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
    registerPerturbedBackend('skewed-matmul', () => referenceBackend() as Backend<TypedArray>, 'matmul');
    const c = MODEL_CHECK_CASES[0]!;
    assert.throws(
      () => assertModelStepMatchesReference('skewed-matmul', c.config, c.shape),
      /^Error: (loss|gradient of [\w.]+): \d+ of \d+ values differ[\s\S]*skewed-matmul/,
    );
  });

  it('every kernel a model case uses, off by 0.1%, fails the model check of that case', () => {
    // the tolerances of the whole-model check (relative to each tensor) must catch a subtly wrong
    // kernel wherever it sits in any model; reproduce with
    //   node --test --test-name-pattern='off by 0.1%' packages/indrnn/dist/test/testing.test.js
    const called = registerCountingBackend();
    const failures: string[] = [];
    let checked = 0;
    for (const c of MODEL_CHECK_CASES) {
      called.clear();
      const want = modelStepOn('counting', c.config, c.shape, 3);
      for (const kernel of perturbableKernels(called)) {
        const name = registerPerturbedBackend(`off-${kernel}`, () => referenceBackend() as Backend<TypedArray>, kernel);
        const got = modelStepOn(name, c.config, c.shape, 3);
        checked++;
        try {
          assertStepMatches(got, want, name);
          failures.push(`${kernel} in "${c.name}"`);
        } catch {
          // caught, as it must be
        }
      }
    }
    assert.deepEqual(failures, UNREAD, `a 0.1% error in these kernels passed the model check (of ${checked} tried)`);
    console.log(`# ${checked} (kernel, case) pairs perturbed by 0.1%: ${checked - UNREAD.length} failed the check, ${UNREAD.length} unread outputs`);
    assert.ok(checked > 100, `every case used kernels (${checked} pairs)`);
  });

  it('relativeTo scales atol with the tensor; a tensor that is all zeros is compared exactly', () => {
    assert.deepEqual(relativeTo([0.5, -4, 2], 1e-3), { atol: 4e-3, rtol: 1e-3 });
    assert.throws(() => assertClose([1e-30], [0], relativeTo([0], 1e-3), 'z'), /z: 1 of 1 values differ/);
    assert.equal(maxAbs([NaN, -3, Infinity, 2]), 3);
    assert.ok(Math.abs(relativeError([1, 2.002], [1, 2]) - 1e-3) < 1e-12);
    assert.equal(relativeError([0, 0], [0, 0]), 0);
  });

  it('assertSameBits tells bits apart that a closeness check would accept', () => {
    assertSameBits(Float32Array.of(1, -0, NaN), Float32Array.of(1, -0, NaN), 'same');
    assert.throws(() => assertSameBits([0], [-0], 'signed zero'), /signed zero: 1 of 1 values are not bit-identical; first at \[0\]/);
    const x = Math.fround(0.1);
    const next = new Float32Array(new Uint32Array([new Uint32Array(Float32Array.of(x).buffer)[0]! + 1]).buffer)[0]!;
    assert.throws(() => assertSameBits([1, next], [1, x], 'one ulp'), /one ulp: 1 of 2 values are not bit-identical; first at \[1\]/);
  });

  it('seeded training is bit-identical on the reference, differs with another seed, and a drifting kernel is caught', () => {
    for (const c of [MODEL_CHECK_CASES[1]!, MODEL_CHECK_CASES[MODEL_CHECK_CASES.length - 3]!]) {
      const a = seededTraining('reference', c);
      const b = seededTraining('reference', c);
      assert.deepEqual(a.losses, b.losses, c.name);
      for (const [name, p] of a.params) assertSameBits(b.params.get(name)!, p, `${c.name}: ${name}`);
      const other = seededTraining('reference', c, 3, 8);
      assert.notDeepEqual(other.losses, a.losses, 'another seed gives another run');
      assert.ok(a.losses[2] !== a.losses[0], 'training changed the model');
    }
    // a kernel whose result depends on how often it ran (as a race or a timing-dependent choice would):
    // one call of the second run is a few ulps off
    let calls = 0;
    let driftAt = -1;
    registerBackend('drifting', () => {
      const ref = referenceBackend() as Backend<TypedArray>;
      const drifting = Object.create(ref) as Backend<TypedArray>;
      Object.assign(drifting, {
        name: 'drifting',
        matmul: (...args: Parameters<Backend<TypedArray>['matmul']>) => {
          const out = ref.matmul(...args);
          if (calls++ === driftAt) for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]! * (1 + 2 ** -20));
          return out;
        },
      });
      return drifting;
    }, -1);
    const c = MODEL_CHECK_CASES[0]!;
    const first = seededTraining('drifting', c);
    driftAt = calls + 5; // in the second run's first step
    const second = seededTraining('drifting', c);
    assert.ok(calls > driftAt, `matmul ran ${calls} times`);
    assert.throws(() => {
      for (const [name, p] of first.params) assertSameBits(second.params.get(name)!, p, name);
    }, /not bit-identical/);
  });
});

describe('indrnn/testing/node: skips under CI', () => {
  it('underCI reads CI=true or 1', () => {
    assert.equal(underCI({ CI: 'true' }), true);
    assert.equal(underCI({ CI: '1' }), true);
    assert.equal(underCI({ CI: 'TRUE' }), true);
    assert.equal(underCI({}), false);
    assert.equal(underCI({ CI: 'false' }), false);
  });

  it('skipOrFailInCI skips with the reason on a user machine and throws it under CI', () => {
    assert.equal(skipOrFailInCI(false, { CI: 'true' }), false, 'nothing missing: the test runs');
    assert.equal(skipOrFailInCI('no Chromium', {}), 'no Chromium');
    assert.throws(() => skipOrFailInCI('no Chromium', { CI: 'true' }), /^Error: CI=true, so this is a failure, not a skip: no Chromium$/);
  });
});

