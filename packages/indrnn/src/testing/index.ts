/**
 * `indrnn/testing`: what every backend's test suite needs to check itself against the reference
 * backend (the oracle): seeded inputs that are never zero (a kernel that ignores its input would pass
 * on zeros), an elementwise closeness assertion that lists the first mismatches, tolerances relative
 * to the tensor under test, a whole-model check over every model kind (one forward + backward on both
 * backends, loss and every parameter gradient compared), seeded training runs for bit-for-bit
 * determinism checks, and kernels perturbed by 0.1% to show that a check can fail.
 * Browser-safe: failures throw plain Errors, which every test runner reports.
 */
import type { UnaryOp } from '../backend/backend.js';
import { mseLoss } from '../ops/loss.js';
import type { SequenceModel } from '../nn/models.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import type { Generator } from '../util/random.js';
import type { Task } from '../train/task.js';
import { BatchNorm } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../autograd/tape.js';

export { assertClose, assertSameBits, maxAbs, relativeError, relativeTo, type Tolerance } from './close.js';
export { nonZeroNormal, nonZeroUniform, randomInts } from './random.js';
export {
  LANGUAGE_MODEL_CASES, MODEL_CHECK_CASES, SEQUENCE_CASES, type LmStepShape, type ModelCheckCase, type ModelStepShape,
} from './model-cases.js';
export {
  assertCaseMatchesReference, assertModelStepMatchesReference, assertSameRun, assertStepMatches, MODEL_CHECK_TOLERANCE, modelStepErrors, modelStepOn, ROUNDING_ZERO, seededTraining,
  type ModelCheckOptions, type StepResult, type TrainingRun,
} from './model-check.js';
export {
  NOT_PERTURBED, perturbableKernels, perturbedBackend, recordingBackend, registerPerturbedBackend, type KernelName, type PerturbOptions,
} from './perturb.js';

/** Every unary op of the Backend interface (each backend's elementwise tests loop over them). */
export const UNARY_OPS: readonly UnaryOp[] = ['neg', 'relu', 'tanh', 'sigmoid', 'exp', 'log', 'sqrt', 'square', 'abs'];

/**
 * A task that trains on one fixed batch with the MSE of the model's output against y, for timing
 * or tracing Trainer.trainStep (the benchmarks' step, the GPU trace test) without a data set.
 */
export function fixedBatchTask(model: SequenceModel, x: Tensor, y: Tensor, name = 'fixed-batch'): Task {
  return {
    name,
    model,
    monitor: { metric: 'loss', mode: 'min' },
    notes: [],
    trainLoss: () => ({ loss: mseLoss(model.forward(x), y) }),
    evaluate: () => ({}),
    getState: () => ({ json: null }),
    setState: () => undefined,
  };
}

/**
 * Random BN affine parameters and running statistics (variance in [0.3, 2]), so eval-mode BN is far
 * from the identity in export and interop checks.
 */
export function randomizeBatchNorm(model: Module, gen: Generator): void {
  noGrad(() => {
    for (const [, m] of model.namedModules()) {
      if (!(m instanceof BatchNorm)) continue;
      const fill = (t: Tensor, f: () => number): void => void t.assign(tensor(Float32Array.from({ length: t.size }, f), [...t.shape], t.dtype, t.backend));
      fill(m.weight, () => gen.uniform(0.5, 1.5));
      fill(m.bias, () => gen.normal(0, 0.2));
      fill(m.runningMean, () => gen.normal(0, 0.3));
      fill(m.runningVar, () => gen.uniform(0.3, 2));
    }
  });
}

// ---- padding invariance (issue 13): PADDING_CHECK_CASES and their checks live in ./padding.ts ----
export {
  PADDING_CHECK_CASES, PADDING_BN_CASES, assertPaddingInvariant, trainPaddingDrift, evalPaddingDrift,
  type PaddingCheckCase, type PaddingCheckShape, type PaddingDrift,
} from './padding.js';
