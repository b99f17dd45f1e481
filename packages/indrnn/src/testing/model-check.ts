/**
 * Whole-model checks: one forward + backward of a seeded model on a backend and on the reference
 * (loss and every parameter gradient compared, then parameters after a few SGD steps), and seeded
 * training runs for determinism checks (the same run twice must give the same bits).
 */
import { getBackend, setBackend } from '../backend/registry.js';
import { noGrad } from '../autograd/tape.js';
import { Generator, manualSeed } from '../util/random.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { buildModel, type LanguageModel, type ModelConfig, type SequenceModel } from '../nn/models.js';
import { softmaxCrossEntropy } from '../ops/loss.js';
import { SGD } from '../optim/optimizer.js';
import { Trainer } from '../train/trainer.js';
import type { Task } from '../train/task.js';
import { assertClose, assertSameBits, maxAbs, relativeError, relativeTo, type Tolerance } from './close.js';
import { nonZeroNormal, randomInts } from './random.js';
import type { LmStepShape, ModelCheckCase, ModelStepShape } from './model-cases.js';

/** Loss and every parameter gradient (by name) of one forward + backward; parameters after SGD. */
export interface StepResult {
  loss: number;
  grads: Map<string, Float32Array>;
  /** Every parameter after `sgdSteps` SGD steps (empty when sgdSteps is 0). */
  after: Map<string, Float32Array>;
}

const isLm = (shape: ModelStepShape | LmStepShape): shape is LmStepShape => !('F' in shape);

/**
 * The loss of the next training step of a seeded model on seeded data (inputs from seed 11), as a
 * closure: a sequence classifier's softmax cross-entropy on a fixed batch, or a language model's
 * over a fixed window, starting from the previous call's final states (the first call from those
 * of a warm-up window), as the CLI's stateful LM training does.
 */
function lossFor(model: SequenceModel | LanguageModel, config: ModelConfig, shape: ModelStepShape | LmStepShape): () => Tensor {
  const gen = new Generator(11);
  if (config.kind === 'lm' || isLm(shape)) {
    if (config.kind !== 'lm' || !isLm(shape)) throw new Error('a language model needs an LmStepShape { T, B } and vice versa');
    const { T, B } = shape;
    const V = config.vocabSize;
    const ids = (): Tensor => tensor(randomInts(gen, T * B, 0, V), [T, B], 'int32');
    const lm = model as LanguageModel;
    const warmUp = ids();
    const input = ids();
    const targets = ids();
    // the warm-up window's states, as the previous batch of a stream would leave them
    let states = noGrad(() => lm.forward(warmUp, { position: 0 }).states.map((s) => s.detach().keep()));
    return () => {
      const out = lm.forward(input, { states, position: T });
      states = out.states.map((s) => s.detach().keep());
      return softmaxCrossEntropy(out.logits, targets);
    };
  }
  const { T, B, F, classes, withLengths = false } = shape;
  const x = tensor(nonZeroNormal(gen, T * B * F), [T, B, F]);
  const targets = tensor(randomInts(gen, B, 0, classes), [B], 'int32');
  const lengths = withLengths ? tensor(Int32Array.from({ length: B }, (_, b) => T - (b % 4)), [B], 'int32') : null;
  const seq = model as SequenceModel;
  return () => softmaxCrossEntropy(seq.forward(x, { lengths }), targets);
}

/** Runs fn with `backendName` as the default backend, restoring the previous one afterwards. */
function onBackend<T>(backendName: string, fn: () => T): T {
  const previous = getBackend().name;
  setBackend(backendName);
  try {
    return fn();
  } finally {
    setBackend(previous);
  }
}

/**
 * Builds `config` on `backendName` from seed 7 (dropout masks come from the same global generator,
 * so both backends draw the same ones) and runs one forward + softmax cross-entropy + backward on
 * inputs drawn from seed 11, then `sgdSteps` steps of SGD with momentum on the same batch (SGD,
 * not Adam: Adam's first step is lr·sign(g), so a gradient that is rounding noise around zero could
 * move a parameter by 2·lr between backends). The previous default backend is restored afterwards.
 */
export function modelStepOn(backendName: string, config: ModelConfig, shape: ModelStepShape | LmStepShape, sgdSteps = 0): StepResult {
  return onBackend(backendName, () => {
    manualSeed(7);
    const model = buildModel(config);
    model.train();
    const forward = lossFor(model, config, shape);
    if (model.parameters()[0]!.backend.name !== backendName) throw new Error(`the model lives on ${model.parameters()[0]!.backend.name}, not on ${backendName}`);
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
  });
}

/** Tolerances of the whole-model check. */
export interface ModelCheckOptions {
  loss?: Tolerance;
  /**
   * For every gradient and every parameter after the SGD steps, relative to that tensor: atol =
   * rel · max|reference tensor|, rtol = rel (see `relativeTo`).
   */
  rel?: number;
  sgdSteps?: number;
}

/**
 * The default tolerances of the whole-model check, measured over MODEL_CHECK_CASES
 * (packages/indrnn/scripts/model-check-errors.mjs): float32 GEMMs, scans and batch norms through a
 * few layers against the reference's float64 sums differ by at most 2.7e-6 of a gradient's largest
 * entry, and 1.04e-5 of a parameter's after 3 SGD steps (the dense IndRNN with frame-wise BN and
 * dropout), on native, wasm and the cuda emulator. rel = 1e-4 leaves 10× room for a GPU's own
 * rounding and still fails a kernel whose output is off by 0.1% (the kit's self-test shows it for
 * each kernel the models use). The loss is one number: 1e-5 relative, measured ≤ 1.1e-7.
 */
export const MODEL_CHECK_TOLERANCE = { loss: { atol: 0, rtol: 1e-5 }, rel: 1e-4 } as const;

/**
 * A gradient whose reference is below this fraction of the model's largest gradient entry is an
 * exact zero up to rounding: the bias of a projection right before batch norm (BN removes any
 * constant shift), measured at 2e-9..2e-7 of the largest on the reference and 1e-8..3e-7 on native
 * and wasm, while every other gradient of the cases is above 1e-4 of it. Comparing such noise
 * relative to itself is meaningless, so both backends must only keep it below this bound.
 */
export const ROUNDING_ZERO = 1e-5;

/** The relative errors of one model step against the reference, by tensor (what the tolerances bound). */
export function modelStepErrors(got: StepResult, want: StepResult): Map<string, number> {
  const errors = new Map<string, number>();
  errors.set('loss', Math.abs(got.loss - want.loss) / Math.abs(want.loss));
  for (const [name, g] of want.grads) errors.set(`grad ${name}`, relativeError(got.grads.get(name)!, g));
  for (const [name, p] of want.after) errors.set(`after ${name}`, relativeError(got.after.get(name)!, p));
  return errors;
}

/**
 * Throws unless one training step of `config` on `backendName` gives the reference backend's loss
 * and every parameter gradient, parameter names in the same order, and (with `sgdSteps`) the same
 * parameters after that many SGD steps. Every tensor is compared relative to its own scale
 * (MODEL_CHECK_TOLERANCE unless options say otherwise; gradients that are zero up to rounding, see
 * ROUNDING_ZERO, only against that bound), 3 SGD steps by default.
 */
export function assertModelStepMatchesReference(
  backendName: string,
  config: ModelConfig,
  shape: ModelStepShape | LmStepShape,
  options: ModelCheckOptions = {},
): void {
  const sgdSteps = options.sgdSteps ?? 3;
  const want = modelStepOn('reference', config, shape, sgdSteps);
  const got = modelStepOn(backendName, config, shape, sgdSteps);
  assertStepMatches(got, want, backendName, options);
}

/**
 * The comparison of assertModelStepMatchesReference, for callers that run the reference step once
 * and compare several backends with it. `got` and `want` must come from the same sgdSteps.
 */
export function assertStepMatches(got: StepResult, want: StepResult, backendName: string, options: ModelCheckOptions = {}): void {
  const lossTol = options.loss ?? MODEL_CHECK_TOLERANCE.loss;
  const rel = options.rel ?? MODEL_CHECK_TOLERANCE.rel;
  const sgdSteps = options.sgdSteps ?? 3;
  assertClose([got.loss], [want.loss], lossTol, 'loss', backendName);
  const names = [...got.grads.keys()].join(', ');
  if (names !== [...want.grads.keys()].join(', ')) {
    throw new Error(`parameters differ: ${backendName} has ${names}; reference has ${[...want.grads.keys()].join(', ')}`);
  }
  let largest = 0;
  for (const g of want.grads.values()) largest = Math.max(largest, maxAbs(g));
  const zeroBound = ROUNDING_ZERO * largest;
  for (const [name, g] of want.grads) {
    const zero = maxAbs(g) <= zeroBound;
    const tol = zero ? { atol: zeroBound, rtol: 0 } : relativeTo(g, rel);
    assertClose(got.grads.get(name)!, g, tol, `gradient of ${name}${zero ? ' (zero up to rounding)' : ''}`, backendName);
  }
  for (const [name, p] of want.after) {
    // a parameter with a rounding-noise gradient moved by noise: lr 0.05 · (1 + 1.9 + 2.71) · zeroBound at most
    const zero = maxAbs(want.grads.get(name)!) <= zeroBound;
    const tol = relativeTo(p, rel);
    if (zero) tol.atol += zeroBound;
    assertClose(got.after.get(name)!, p, tol, `${name} after ${sgdSteps} SGD steps`, backendName);
  }
}

/** assertModelStepMatchesReference for one of MODEL_CHECK_CASES. */
export function assertCaseMatchesReference(backendName: string, c: ModelCheckCase, options: ModelCheckOptions = {}): void {
  assertModelStepMatchesReference(backendName, c.config, c.shape, options);
}

/** Every loss and the parameters at the end of a seeded training run. */
export interface TrainingRun {
  losses: number[];
  params: Map<string, Float32Array>;
}

/**
 * `steps` Trainer steps of case `c` on `backendName`, model from `seed` (inputs from seed 11): the
 * training step the CLI runs (tidy scope, Adam, the papers' gradient clamp 10, the |u| constraint),
 * dropout masks drawn from the seeded global generator, a language model's state carried between
 * steps. Returns every loss and every parameter afterwards, for determinism checks.
 */
export function seededTraining(backendName: string, c: ModelCheckCase, steps = 3, seed = 7): TrainingRun {
  return onBackend(backendName, () => {
    manualSeed(seed);
    const model = buildModel(c.config);
    if (model.parameters()[0]!.backend.name !== backendName) throw new Error(`the model lives on ${model.parameters()[0]!.backend.name}, not on ${backendName}`);
    const next = lossFor(model, c.config, c.shape);
    const task: Task = {
      name: `determinism: ${c.name}`,
      model,
      monitor: { metric: 'loss', mode: 'min' },
      notes: [],
      trainLoss: () => ({ loss: next() }),
      evaluate: () => ({}),
      getState: () => ({ json: null }),
      setState: () => undefined,
    };
    const trainer = new Trainer(task, {
      steps, evalEvery: 0, optimizer: 'adam', lr: 1e-2, weightDecay: 0, gradClip: 10, gradNorm: 0, schedule: 'none', decayFactor: 1,
    });
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) losses.push(trainer.trainStep().loss);
    const params = new Map<string, Float32Array>();
    // parameters and buffers (BN running statistics)
    for (const [name, t] of model.stateDict()) params.set(name, Float32Array.from(t.data()));
    return { losses, params };
  });
}

/**
 * Throws unless two training runs are bit-for-bit the same: every loss and every parameter and
 * buffer, by name. The message names the first tensor that differs and where.
 */
export function assertSameRun(actual: TrainingRun, expected: TrainingRun, what: string): void {
  assertSameBits(Float64Array.from(actual.losses), Float64Array.from(expected.losses), `${what}: losses`);
  const names = [...actual.params.keys()].join(', ');
  if (names !== [...expected.params.keys()].join(', ')) throw new Error(`${what}: tensors differ: ${names} vs ${[...expected.params.keys()].join(', ')}`);
  for (const [name, p] of expected.params) assertSameBits(actual.params.get(name)!, p, `${what}: ${name}`);
}
