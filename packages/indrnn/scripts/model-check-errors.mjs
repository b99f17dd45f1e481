#!/usr/bin/env node
// The measured errors behind the whole-model check's tolerances (MODEL_CHECK_TOLERANCE): for every
// case of MODEL_CHECK_CASES, one step and 3 SGD steps on a backend against the reference, the
// largest error of any gradient and of any parameter after SGD, each relative to its own tensor's
// largest entry (gradients that are zero up to rounding, ROUNDING_ZERO, are listed apart).
//   npm run build && node packages/indrnn/scripts/model-check-errors.mjs native|wasm|cuda
// (cuda without a GPU: INDRNN_CUDA_ADDON=$PWD/packages/cuda/build-emu/indrnn_cuda.node after
// `node packages/cuda/emu/build.cjs`)
import { maxAbs, MODEL_CHECK_CASES, MODEL_CHECK_TOLERANCE, modelStepErrors, modelStepOn, ROUNDING_ZERO } from 'indrnn/testing';

const backend = process.argv[2];
if (!backend) {
  console.error('usage: model-check-errors.mjs <backend>');
  process.exit(2);
}
let worstGrad = 0;
let worstAfter = 0;
for (const c of MODEL_CHECK_CASES) {
  const want = modelStepOn('reference', c.config, c.shape, 3);
  const got = modelStepOn(backend, c.config, c.shape, 3);
  const largest = Math.max(...[...want.grads.values()].map(maxAbs));
  const zero = new Set([...want.grads].filter(([, g]) => maxAbs(g) <= ROUNDING_ZERO * largest).map(([n]) => n));
  let grad = ['', 0];
  let after = ['', 0];
  for (const [key, e] of modelStepErrors(got, want)) {
    const [kind, name] = key.split(' ');
    if (zero.has(name)) continue;
    if (kind === 'grad' && e > grad[1]) grad = [name, e];
    if (kind === 'after' && e > after[1]) after = [name, e];
  }
  worstGrad = Math.max(worstGrad, grad[1]);
  worstAfter = Math.max(worstAfter, after[1]);
  const zeros = [...zero].map((n) => `${n} ${(maxAbs(got.grads.get(n)) / largest).toExponential(1)}`);
  console.log(`${c.name}\n  gradient ${grad[1].toExponential(2)} (${grad[0]}), after SGD ${after[1].toExponential(2)} (${after[0]})` +
    (zeros.length ? `\n  zero up to rounding (${backend}'s |g| / largest): ${zeros.join(', ')}` : ''));
}
console.log(`worst: gradient ${worstGrad.toExponential(2)}, after SGD ${worstAfter.toExponential(2)}; tolerance rel ${MODEL_CHECK_TOLERANCE.rel}`);
