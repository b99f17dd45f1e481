/**
 * Shared by the ONNX and PyTorch interop tests: one small model of every kind, with BN statistics
 * and affine parameters drawn at random (so eval-mode BN is not the identity), and the relative
 * difference the checks report.
 */
import { buildModel, Generator, manualSeed, type Model, type ModelConfig } from '../src/index.js';
import { randomizeBatchNorm } from '../src/testing/index.js';

export interface ModelKind {
  name: string;
  config: ModelConfig;
  /** Whether forward uses lengths (every kind does; the LM passes them to its encoder). */
  lengths: boolean;
}

const F = 3;
const seq = (encoder: object, outputSize = 4): ModelConfig => ({ kind: 'sequence', encoder, outputSize } as ModelConfig);

/** Every model kind of issue 14's list: plain/res/dense/conv IndRNN with BN, LSTM, RNN, bidirectional, LM. */
export const MODEL_KINDS: ModelKind[] = [
  { name: 'plain IndRNN, BN after (sequence-wise)', config: seq({ type: 'indrnn', inputSize: F, hiddenSize: 6, numLayers: 3, bn: 'sequence', bnPosition: 'after' }), lengths: true },
  { name: 'plain IndRNN, BN before (frame-wise), tanh', config: seq({ type: 'indrnn', inputSize: F, hiddenSize: 5, numLayers: 2, bn: 'frame', bnPosition: 'before', activation: 'tanh', bnOptions: { maxPositions: 5 } }), lengths: true },
  { name: 'residual IndRNN, BN', config: seq({ type: 'res-indrnn', inputSize: F, hiddenSize: 6, numBlocks: 2, bn: 'sequence' }), lengths: true },
  { name: 'dense IndRNN, BN', config: seq({ type: 'dense-indrnn', inputSize: F, growthRate: 2, blockConfig: [2, 1], firstSize: 4, bn: 'sequence', bnPosition: 'before' }), lengths: true },
  { name: 'conv IndRNN 1-D, BN, residual', config: seq({ type: 'conv-indrnn', inputShape: [4, 2], channels: [3, 3], kernelSize: 3, residual: true, bn: 'sequence' }), lengths: true },
  { name: 'conv IndRNN 2-D, per-position u', config: seq({ type: 'conv-indrnn', inputShape: [3, 3, 1], channels: [2], kernelSize: 3, perPositionU: true, bn: 'frame' }), lengths: true },
  { name: 'LSTM, 2 layers', config: seq({ type: 'lstm', inputSize: F, hiddenSize: 5, numLayers: 2 }), lengths: true },
  { name: 'RNN tanh', config: seq({ type: 'rnn', inputSize: F, hiddenSize: 5, numLayers: 2 }), lengths: true },
  { name: 'RNN relu', config: seq({ type: 'rnn', inputSize: F, hiddenSize: 4, nonlinearity: 'relu' }), lengths: true },
  { name: 'RNN identity', config: seq({ type: 'rnn', inputSize: F, hiddenSize: 4, nonlinearity: 'identity' }), lengths: true },
  { name: 'bidirectional IndRNN', config: seq({ type: 'bidirectional', encoder: { type: 'indrnn', inputSize: F, hiddenSize: 4, numLayers: 2, bn: 'sequence' } }), lengths: true },
  { name: 'bidirectional LSTM', config: seq({ type: 'bidirectional', encoder: { type: 'lstm', inputSize: F, hiddenSize: 3 } }), lengths: true },
  {
    name: 'language model (res IndRNN, output layer, frame BN, tied)',
    config: {
      kind: 'lm', vocabSize: 11, embedSize: 4, tieWeights: true,
      encoder: { type: 'res-indrnn', inputSize: 4, hiddenSize: 6, numBlocks: 1, bn: 'frame', bnPosition: 'before', bnOptions: { maxPositions: 6 } },
      outputLayer: { bn: 'frame', bnPosition: 'before', bnOptions: { maxPositions: 6 } }, outputNorm: true,
    },
    lengths: true,
  },
  { name: 'language model (LSTM, untied)', config: { kind: 'lm', vocabSize: 9, embedSize: 3, encoder: { type: 'lstm', inputSize: 3, hiddenSize: 5 } }, lengths: true },
];

/** A model of this kind in eval mode, seeded, with random BN state. */
export function makeModel(kind: ModelKind, seed: number): Model {
  const gen = new Generator(seed);
  manualSeed(seed);
  const model = buildModel(kind.config);
  randomizeBatchNorm(model, gen);
  return model.eval();
}

/** max |a - b| / max |b|: the difference relative to the size of the reference output. */
export function relativeDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`lengths differ: ${actual.length} vs ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}
