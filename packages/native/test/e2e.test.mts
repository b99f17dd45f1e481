/**
 * End to end: the same seeded models (indrnn/testing's MODEL_CHECK_CASES) trained on the native and
 * the reference backends give the same loss, the same gradient for every parameter and the same
 * parameters after 3 SGD steps; and the core picks the native
 * backend automatically (unless INDRNN_BACKEND says otherwise), warning once when it cannot load.
 *
 * Tolerance: atol 1e-4, rtol 1e-3 (float32 GEMMs and scans through a few layers vs the reference's
 * float64 sums).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { runNodeSnippet } from 'indrnn/testing/node';
import { assertModelStepMatchesReference, MODEL_CHECK_CASES, PADDING_CHECK_CASES, assertPaddingInvariant } from 'indrnn/testing';
import { skipReason } from './helpers.mjs';

describe(
  'native end to end: loss, every parameter gradient and the parameters after 3 SGD steps match the reference',
  { skip: skipReason },
  () => {
    for (const c of MODEL_CHECK_CASES) {
      it(c.name, () => assertModelStepMatchesReference('native', c.config, c.shape, { sgdSteps: 3 }));
    }
  },
);

// padding invariance (issue 13): padded steps change no valid output, gradient or running statistic,
// in training and eval mode; up to float rounding, as the threaded sums split rows by batch size
describe(
  'native padding invariance: outputs, gradients and running statistics do not move with padding (atol 1e-5)',
  { skip: skipReason },
  () => {
    for (const c of PADDING_CHECK_CASES) it(c.name, () => assertPaddingInvariant('native', c, 1e-5));
  },
);

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs a snippet in a fresh Node process (own registry state) and returns its output. */
function runNode(code: string, env: Record<string, string>, preload?: string): { stdout: string; stderr: string } {
  return runNodeSnippet(code, { cwd: here, env, ...(preload ? { preload } : {}) });
}

const SNIPPET = `import { getBackend, zeros } from 'indrnn';
zeros([2]); getBackend(); getBackend();
console.log(getBackend().name);`;

describe('automatic backend selection in Node', () => {
  it(
    'picks native when it loads, reference when INDRNN_BACKEND=reference',
    { skip: skipReason },
    () => {
      const env = { INDRNN_BACKEND: '' };
      assert.equal(runNode(SNIPPET, env).stdout, 'native');
      assert.equal(runNode(SNIPPET, { INDRNN_BACKEND: 'reference' }).stdout, 'reference');
    },
  );

  it('falls back to the next backend and warns exactly once when native fails to load', () => {
    // a preload that makes require('@indrnn/native') fail the way a missing package does
    const preload = path.join(here, '..', '..', 'test', 'fixtures', 'hide-native.cjs'); // source tree
    const r = runNode(SNIPPET, { INDRNN_BACKEND: '' }, preload);
    assert.notEqual(r.stdout, 'native');
    const warnings = r.stderr
      .split('\n')
      .filter((l) => l.includes('native backend is unavailable'));
    assert.equal(warnings.length, 1, `expected one warning, got:\n${r.stderr}`);
    const m =
      /^indrnn: the native backend is unavailable \(package '@indrnn\/native' is not installed\); using the (\w+) backend$/.exec(
        warnings[0]!,
      );
    assert.ok(m, `unexpected warning: ${warnings[0]}`);
    assert.equal(m[1], r.stdout, 'the warning names the backend actually chosen');
  });
});
