/**
 * `indrnn/testing`: what every backend's test suite needs to check itself against the reference
 * backend (the oracle): seeded inputs that are never zero (a kernel that ignores its input would pass
 * on zeros), an elementwise closeness assertion that lists the first mismatches, and a whole-model
 * check (one forward + backward on both backends, loss and every parameter gradient compared).
 * Browser-safe: failures throw plain Errors, which every test runner reports.
 */
import type { UnaryOp } from '../backend/backend.js';
import { getBackend, setBackend } from '../backend/registry.js';
import { Generator, manualSeed } from '../util/random.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { buildModel, type ModelConfig } from '../nn/models.js';
import { mseLoss, softmaxCrossEntropy } from '../ops/loss.js';
import { SGD } from '../optim/optimizer.js';
import type { SequenceModel } from '../nn/models.js';
import type { Task } from '../train/task.js';
import { BatchNorm } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../autograd/tape.js';

/** |actual − expected| ≤ atol + rtol·|expected|, elementwise. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Every unary op of the Backend interface (each backend's elementwise tests loop over them). */
export const UNARY_OPS: readonly UnaryOp[] = ['neg', 'relu', 'tanh', 'sigmoid', 'exp', 'log', 'sqrt', 'square', 'abs'];

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

/** float32 N(offset, scale²) values, redrawn when they round to exactly 0. */
export function nonZeroNormal(gen: Generator, n: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    while (v === 0) v = Math.fround(offset + scale * gen.normal());
    out[i] = v;
  }
  return out;
}

/** float32 uniform in [lo, hi), redrawn when 0 (use lo > 0 for logs and square roots). */
export function nonZeroUniform(gen: Generator, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    while (v === 0) v = Math.fround(gen.uniform(lo, hi));
    out[i] = v;
  }
  return out;
}

/** int32 values in [lo, hi). */
export function randomInts(gen: Generator, n: number, lo: number, hi: number): Int32Array {
  return Int32Array.from({ length: n }, () => lo + gen.int(hi - lo));
}

/** The data of one model check: a [T, B, F] input, B class labels, optionally per-sequence lengths. */
export interface ModelStepShape {
  T: number;
  B: number;
  F: number;
  classes: number;
  /** Give sequence b the length T − (b mod 4), so masked steps are exercised. */
  withLengths?: boolean;
}

/** A named model and input shape that every backend's whole-model test runs. */
export interface ModelCheckCase {
  name: string;
  config: ModelConfig;
  shape: ModelStepShape;
}

/**
 * The models every accelerated backend must train exactly like the reference: plain IndRNN with
 * masked steps, residual with sequence-wise BN, frame-wise BN with tanh, and the LSTM and RNN
 * baselines. Sizes are odd on purpose (no SIMD width or tile divides them).
 */
export const MODEL_CHECK_CASES: readonly ModelCheckCase[] = [
  {
    name: '2-layer IndRNN classifier (relu), variable lengths',
    config: { kind: 'sequence', encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 24, numLayers: 2, seqLen: 20 }, outputSize: 5 },
    shape: { T: 20, B: 6, F: 3, classes: 5, withLengths: true },
  },
  {
    name: 'residual IndRNN with sequence-wise batch norm',
    config: { kind: 'sequence', encoder: { type: 'res-indrnn', inputSize: 4, hiddenSize: 19, numBlocks: 2, bn: 'sequence', seqLen: 12 }, outputSize: 3 },
    shape: { T: 12, B: 5, F: 4, classes: 3 },
  },
  {
    name: 'IndRNN with frame-wise batch norm and tanh',
    config: { kind: 'sequence', encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 17, numLayers: 2, bn: 'frame', activation: 'tanh' }, outputSize: 4 },
    shape: { T: 9, B: 7, F: 2, classes: 4 },
  },
  {
    name: '2-layer LSTM baseline, variable lengths',
    config: { kind: 'sequence', encoder: { type: 'lstm', inputSize: 3, hiddenSize: 21, numLayers: 2 }, outputSize: 4 },
    shape: { T: 15, B: 6, F: 3, classes: 4, withLengths: true },
  },
  {
    name: 'RNN baseline',
    config: { kind: 'sequence', encoder: { type: 'rnn', inputSize: 3, hiddenSize: 23 }, outputSize: 4 },
    shape: { T: 15, B: 6, F: 3, classes: 4 },
  },
];

/** Loss and every parameter gradient (by name) of one forward + backward; parameters after SGD. */
export interface StepResult {
  loss: number;
  grads: Map<string, Float32Array>;
  /** Every parameter after `sgdSteps` SGD steps (empty when sgdSteps is 0). */
  after: Map<string, Float32Array>;
}

/**
 * Builds `config` on `backendName` from seed 7 and runs one forward + softmax cross-entropy + backward
 * on inputs drawn from seed 11, then `sgdSteps` steps of SGD with momentum on the same batch (SGD,
 * not Adam: Adam's first step is lr·sign(g), so a gradient that is rounding noise around zero could
 * move a parameter by 2·lr between backends). The previous default backend is restored afterwards.
 */
export function modelStepOn(backendName: string, config: ModelConfig, shape: ModelStepShape, sgdSteps = 0): StepResult {
  const { T, B, F, classes, withLengths = false } = shape;
  const previous = getBackend().name;
  setBackend(backendName);
  try {
    manualSeed(7);
    const model = buildModel(config);
    const gen = new Generator(11);
    const x = tensor(nonZeroNormal(gen, T * B * F), [T, B, F]);
    const targets = tensor(randomInts(gen, B, 0, classes), [B], 'int32');
    const lengths = withLengths ? tensor(Int32Array.from({ length: B }, (_, b) => T - (b % 4)), [B], 'int32') : null;
    if (x.backend.name !== backendName) throw new Error(`inputs live on ${x.backend.name}, not on ${backendName}`);
    const forward = (): Tensor =>
      softmaxCrossEntropy((model as unknown as { forward(x: Tensor, o: object): Tensor }).forward(x, { lengths }), targets);
    const loss = forward();
    loss.backward();
    const grads = new Map<string, Float32Array>();
    for (const [name, p] of model.namedParameters()) {
      if (!p.grad) throw new Error(`parameter ${name} got no gradient on ${backendName}`);
      grads.set(name, Float32Array.from(p.grad.data()));
    }
    const after = new Map<string, Float32Array>();
    if (sgdSteps > 0) {
      const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      opt.step();
      for (let i = 1; i < sgdSteps; i++) {
        model.zeroGrad();
        forward().backward();
        opt.step();
      }
      for (const [name, p] of model.namedParameters()) after.set(name, Float32Array.from(p.data()));
    }
    return { loss: loss.item(), grads, after };
  } finally {
    setBackend(previous);
  }
}

/** Tolerances of the whole-model check: float32 GEMMs and scans through a few layers vs float64 sums. */
export interface ModelCheckOptions {
  loss?: Tolerance;
  /** For every gradient and every parameter after the SGD steps. */
  grad?: Tolerance;
  sgdSteps?: number;
}

/**
 * Throws unless one training step of `config` on `backendName` gives the reference backend's loss
 * and every parameter gradient, parameter names in the same order, and (with `sgdSteps`) the same
 * parameters after that many SGD steps. Defaults: loss atol 1e-5 rtol 1e-4, gradients and
 * parameters atol 1e-4 rtol 1e-3, 3 SGD steps.
 */
export function assertModelStepMatchesReference(
  backendName: string,
  config: ModelConfig,
  shape: ModelStepShape,
  options: ModelCheckOptions = {},
): void {
  const tol = { loss: options.loss ?? { atol: 1e-5, rtol: 1e-4 }, grad: options.grad ?? { atol: 1e-4, rtol: 1e-3 } };
  const sgdSteps = options.sgdSteps ?? 3;
  const want = modelStepOn('reference', config, shape, sgdSteps);
  const got = modelStepOn(backendName, config, shape, sgdSteps);
  assertClose([got.loss], [want.loss], tol.loss, 'loss', backendName);
  const names = [...got.grads.keys()].join(', ');
  if (names !== [...want.grads.keys()].join(', ')) {
    throw new Error(`parameters differ: ${backendName} has ${names}; reference has ${[...want.grads.keys()].join(', ')}`);
  }
  for (const [name, g] of want.grads) assertClose(got.grads.get(name)!, g, tol.grad, `gradient of ${name}`, backendName);
  for (const [name, p] of want.after) assertClose(got.after.get(name)!, p, tol.grad, `${name} after ${sgdSteps} SGD steps`, backendName);
}

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
