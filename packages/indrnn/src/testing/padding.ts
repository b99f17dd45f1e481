/**
 * Padding invariance (issue 13): padded steps must not change any valid output. Every backend's test
 * suite runs PADDING_CHECK_CASES through `assertPaddingInvariant`, in training and in eval mode.
 *
 * - Training mode: one batch is zero-padded to T steps; the other holds the same valid steps padded
 *   to T + extra steps with noise. Batch statistics may depend on the other sequences' valid steps
 *   (that is what batch norm is), but nothing may depend on padding: every output, the loss, the
 *   input gradient on valid steps, every parameter gradient and the BN running statistics after the
 *   step must agree, and padded steps must get a zero input gradient.
 * - Eval mode: a sequence's output and gradients must be the same alone (a batch of one, no padding)
 *   as inside a padded batch of other, unrelated sequences.
 *
 * Every run restores the previous backend and the global generator's state.
 */
import { getBackend, setBackend } from '../backend/registry.js';
import { Generator, defaultGenerator, manualSeed } from '../util/random.js';
import { noGrad } from '../autograd/tape.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { buildModel, type SequenceModel, type SequenceModelConfig } from '../nn/models.js';
import { softmaxCrossEntropy } from '../ops/loss.js';

/** The data of one padding check: lengths[b] ≤ T valid steps of F features, B = lengths.length. */
export interface PaddingCheckShape {
  T: number;
  F: number;
  classes: number;
  lengths: readonly number[];
  /** Extra padded steps of the second (noise-padded) batch. */
  extra: number;
}

export interface PaddingCheckCase {
  name: string;
  config: SequenceModelConfig;
  shape: PaddingCheckShape;
}

const LENGTHS = [9, 4, 9, 2, 6] as const;
const shape = (F: number, classes = 3): PaddingCheckShape => ({ T: 9, F, classes, lengths: LENGTHS, extra: 5 });
const indrnn = (bn: 'sequence' | 'frame', bnPosition: 'before' | 'after') => ({
  type: 'indrnn' as const, inputSize: 3, hiddenSize: 11, numLayers: 2, bn, bnPosition, seqLen: 9, dropout: 0.2,
});

/**
 * A 2-layer IndRNN with time-shared dropout and batch norm sequence- and frame-wise, before and
 * after the recurrence: the cases every backend runs. Two sequences run the full T steps, so
 * frame-wise statistics at every step but the last few have at least two sequences.
 */
export const PADDING_BN_CASES: readonly PaddingCheckCase[] = [
  { name: 'IndRNN, sequence-wise BN before the recurrence', config: { kind: 'sequence', encoder: indrnn('sequence', 'before'), outputSize: 3 }, shape: shape(3) },
  { name: 'IndRNN, sequence-wise BN after the recurrence', config: { kind: 'sequence', encoder: indrnn('sequence', 'after'), outputSize: 3 }, shape: shape(3) },
  { name: 'IndRNN, frame-wise BN before the recurrence', config: { kind: 'sequence', encoder: indrnn('frame', 'before'), outputSize: 3 }, shape: shape(3) },
  { name: 'IndRNN, frame-wise BN after the recurrence', config: { kind: 'sequence', encoder: indrnn('frame', 'after'), outputSize: 3 }, shape: shape(3) },
];

/** PADDING_BN_CASES and every other model kind that takes lengths (residual, dense, conv, bidirectional, LSTM, RNN). */
export const PADDING_CHECK_CASES: readonly PaddingCheckCase[] = [
  ...PADDING_BN_CASES,
  {
    name: 'residual IndRNN, sequence-wise BN, dropout',
    config: { kind: 'sequence', encoder: { type: 'res-indrnn', inputSize: 3, hiddenSize: 10, numBlocks: 1, bn: 'sequence', dropout: 0.2 }, outputSize: 3 },
    shape: shape(3),
  },
  {
    name: 'dense IndRNN, frame-wise BN before',
    config: { kind: 'sequence', encoder: { type: 'dense-indrnn', inputSize: 3, growthRate: 3, blockConfig: [2], bn: 'frame', bnPosition: 'before', dropout: 0.1 }, outputSize: 3 },
    shape: shape(3),
  },
  {
    name: 'conv IndRNN (1-D, 4 positions), sequence-wise BN per channel',
    config: { kind: 'sequence', encoder: { type: 'conv-indrnn', inputShape: [4, 2], channels: [3, 3], bn: 'sequence', residual: true }, outputSize: 3 },
    shape: shape(8),
  },
  {
    name: 'bidirectional IndRNN, frame-wise BN after',
    config: { kind: 'sequence', encoder: { type: 'bidirectional', encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 7, numLayers: 1, bn: 'frame' } }, outputSize: 3 },
    shape: shape(3),
  },
  {
    name: 'LSTM, 2 layers, dropout',
    config: { kind: 'sequence', encoder: { type: 'lstm', inputSize: 3, hiddenSize: 9, numLayers: 2, dropout: 0.2 }, outputSize: 3 },
    shape: shape(3),
  },
  { name: 'RNN', config: { kind: 'sequence', encoder: { type: 'rnn', inputSize: 3, hiddenSize: 9 }, outputSize: 3 }, shape: shape(3) },
];

/** The largest change of each quantity between the two runs (0 when padding changes nothing). */
export interface PaddingDrift {
  /** Every sequence's model output. */
  output: number;
  /** The input gradient over valid steps. */
  inputGrad: number;
  /** The largest |input gradient| on a padded step (must be 0). */
  paddedGrad: number;
  /** Every parameter gradient (absolute). */
  paramGrad: number;
  /** BN running mean and variance after the step (training mode only). */
  running: number;
}

/** Valid steps from `content` [T, B, F]; steps past a length (and up to Tpad) from `pad` or zero. */
function padded(content: Float32Array, s: PaddingCheckShape, Tpad: number, pad: Generator | null): Float32Array {
  const { F, lengths } = s;
  const B = lengths.length;
  const x = new Float32Array(Tpad * B * F);
  for (let t = 0; t < Tpad; t++) {
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        const i = (t * B + b) * F + f;
        if (t < lengths[b]!) x[i] = content[(t * B + b) * F + f]!;
        else if (pad) x[i] = 3 + 4 * pad.normal();
      }
    }
  }
  return x;
}

interface Run {
  output: Float32Array;
  inputGrad: Float32Array;
  grads: Map<string, Float32Array>;
  buffers: Map<string, Float32Array>;
}

/** One forward (in the model's current mode) + cross-entropy on the `weighted` rows + backward. */
function runOnce(model: SequenceModel, x: Float32Array, xShape: number[], lengths: number[] | null, targets: number[]): Run {
  model.zeroGrad();
  const input = tensor(x, xShape);
  input.requiresGrad = true;
  const lens = lengths ? tensor(Int32Array.from(lengths), [lengths.length], 'int32') : null;
  const out = model.forward(input, { lengths: lens });
  softmaxCrossEntropy(out, tensor(Int32Array.from(targets), [targets.length], 'int32')).backward();
  const grads = new Map<string, Float32Array>();
  for (const [name, p] of model.namedParameters()) grads.set(name, Float32Array.from(p.grad ? p.grad.data() : new Float32Array(p.size)));
  const buffers = new Map<string, Float32Array>();
  for (const [name, b] of model.namedBuffers()) buffers.set(name, Float32Array.from(b.data()));
  return { output: Float32Array.from(out.data()), inputGrad: Float32Array.from(input.grad!.data()), grads, buffers };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
};

const mapDiff = (a: Map<string, Float32Array>, b: Map<string, Float32Array>): number =>
  Math.max(0, ...[...a].map(([k, v]) => maxDiff(v, b.get(k)!)));

/** Input gradient of sequence b's valid steps, [len, F] flattened, from a [Tpad, B, F] gradient. */
function validRows(g: Float32Array, B: number, F: number, b: number, len: number): Float32Array {
  const out = new Float32Array(len * F);
  for (let t = 0; t < len; t++) out.set(g.subarray((t * B + b) * F, (t * B + b + 1) * F), t * F);
  return out;
}

function paddedGradMax(g: Float32Array, Tpad: number, B: number, F: number, lengths: readonly number[]): number {
  let m = 0;
  for (let t = 0; t < Tpad; t++) {
    for (let b = 0; b < B; b++) {
      if (t < lengths[b]!) continue;
      for (let f = 0; f < F; f++) m = Math.max(m, Math.abs(g[(t * B + b) * F + f]!));
    }
  }
  return m;
}

/** Runs fn on a backend; the previous backend and the global generator's state come back after. */
function withBackend<R>(backendName: string, fn: () => R): R {
  const previous = getBackend().name;
  const random = defaultGenerator().getState();
  setBackend(backendName);
  try {
    return fn();
  } finally {
    setBackend(previous);
    defaultGenerator().setState(random);
  }
}

/**
 * Training mode: the same valid steps zero-padded to T and noise-padded to T + extra, each through a
 * fresh model from seed 7 (dropout masks drawn alike). Returns how far the second run moved.
 */
export function trainPaddingDrift(backendName: string, config: SequenceModelConfig, s: PaddingCheckShape): PaddingDrift {
  return withBackend(backendName, () => {
    const { T, F, classes, lengths, extra } = s;
    const B = lengths.length;
    const gen = new Generator(11);
    const content = Float32Array.from({ length: T * B * F }, () => gen.normal());
    const targets = Array.from({ length: B }, () => gen.int(classes));
    const run = (Tpad: number, pad: Generator | null): Run => {
      manualSeed(7);
      const model = buildModel(config) as SequenceModel;
      return runOnce(model, padded(content, s, Tpad, pad), [Tpad, B, F], [...lengths], targets);
    };
    const a = run(T, null);
    const b = run(T + extra, new Generator(12));
    let inputGrad = 0;
    for (let i = 0; i < B; i++) {
      inputGrad = Math.max(inputGrad, maxDiff(validRows(a.inputGrad, B, F, i, lengths[i]!), validRows(b.inputGrad, B, F, i, lengths[i]!)));
    }
    return {
      output: maxDiff(a.output, b.output),
      inputGrad,
      paddedGrad: Math.max(paddedGradMax(a.inputGrad, T, B, F, lengths), paddedGradMax(b.inputGrad, T + extra, B, F, lengths)),
      paramGrad: mapDiff(a.grads, b.grads),
      running: mapDiff(a.buffers, b.buffers),
    };
  });
}

/**
 * Eval mode (after one training pass has set the running statistics): the shortest and the longest
 * sequence alone, as a batch of one without padding, against the same sequence among other random
 * sequences in a noise-padded batch (whose loss ignores the other rows): outputs, input and
 * parameter gradients.
 */
export function evalPaddingDrift(backendName: string, config: SequenceModelConfig, s: PaddingCheckShape): PaddingDrift {
  return withBackend(backendName, () => {
    const { T, F, classes, lengths, extra } = s;
    const B = lengths.length;
    const Tpad = T + extra;
    manualSeed(7);
    const model = buildModel(config) as SequenceModel;
    const gen = new Generator(13);
    const warm = Float32Array.from({ length: T * B * F }, () => gen.normal());
    noGrad(() => model.forward(tensor(warm, [T, B, F])));
    model.eval();
    const mine = Float32Array.from({ length: T * B * F }, () => gen.normal());
    const others = Float32Array.from({ length: T * B * F }, () => gen.normal());
    const targets = Array.from({ length: B }, () => gen.int(classes));
    let output = 0;
    let inputGrad = 0;
    let paddedGrad = 0;
    let paramGrad = 0;
    // the shortest and the longest sequence (each run is a forward and a backward: the CPU emulator of
    // the CUDA backend takes seconds for one)
    const shortest = lengths.indexOf(Math.min(...lengths));
    const longest = lengths.indexOf(Math.max(...lengths));
    for (const i of [shortest, longest]) {
      const mixed = Float32Array.from(others);
      for (let t = 0; t < lengths[i]!; t++) mixed.set(mine.subarray((t * B + i) * F, (t * B + i + 1) * F), (t * B + i) * F);
      const alone = validRows(mine, B, F, i, lengths[i]!);
      const ignore = targets.map((c, j) => (j === i ? c : -100));
      const inBatch = runOnce(model, padded(mixed, s, Tpad, new Generator(14 + i)), [Tpad, B, F], [...lengths], ignore);
      const single = runOnce(model, alone, [lengths[i]!, 1, F], null, [targets[i]!]);
      const row = inBatch.output.subarray(i * classes, (i + 1) * classes);
      output = Math.max(output, maxDiff(row, single.output));
      paddedGrad = Math.max(paddedGrad, paddedGradMax(inBatch.inputGrad, Tpad, B, F, lengths));
      inputGrad = Math.max(inputGrad, maxDiff(validRows(inBatch.inputGrad, B, F, i, lengths[i]!), single.inputGrad));
      paramGrad = Math.max(paramGrad, mapDiff(inBatch.grads, single.grads));
    }
    return { output, inputGrad, paddedGrad, paramGrad, running: 0 };
  });
}

/** Throws unless every drift of both modes is within `atol` (padded gradients must be exactly 0). */
export function assertPaddingInvariant(backendName: string, c: PaddingCheckCase, atol = 1e-5): void {
  for (const [mode, d] of [['train', trainPaddingDrift(backendName, c.config, c.shape)], ['eval', evalPaddingDrift(backendName, c.config, c.shape)]] as const) {
    const bad = (Object.entries(d) as [keyof PaddingDrift, number][]).filter(([k, v]) => (k === 'paddedGrad' ? v !== 0 : !(v <= atol)));
    if (bad.length) {
      throw new Error(`${c.name} on ${backendName}, ${mode} mode: padding moved ${bad.map(([k, v]) => `${k} by ${v.toExponential(2)}`).join(', ')} (atol ${atol})`);
    }
  }
}
