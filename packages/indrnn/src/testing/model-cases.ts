/**
 * The whole-model cases every accelerated backend must train exactly like the reference: one of
 * every model the CLI can build (the IndRNN stacks with and without batch norm, dropout, conv,
 * the LSTM and RNN baselines, language models) plus the bidirectional wrapper. Sizes are tiny, so
 * each case runs in milliseconds on the reference, and odd on purpose (no SIMD width or tile divides
 * them). To add a case, append an entry to the list of its kind below; every backend's suite picks
 * it up (native e2e, wasm model, cuda model on the GPU and on the emulator, and their determinism
 * tests).
 */
import type { LanguageModelConfig, SequenceModelConfig } from '../nn/models.js';

/** A sequence classifier's data: a [T, B, F] input and B class labels. */
export interface ModelStepShape {
  T: number;
  B: number;
  F: number;
  classes: number;
  /** Give sequence b the length T − (b mod 4), so masked steps are exercised. */
  withLengths?: boolean;
}

/**
 * A language model's data: [T, B] token ids and next-token targets. Training is stateful, as the
 * CLI's char-lm and word-lm tasks: a first window runs from a zero state, and every step after it
 * starts from the previous window's final states (detached) at BN position T.
 */
export interface LmStepShape {
  T: number;
  B: number;
}

/** A named model and its data, run by every backend's whole-model and determinism tests. */
export type ModelCheckCase =
  | { name: string; config: SequenceModelConfig; shape: ModelStepShape }
  | { name: string; config: LanguageModelConfig; shape: LmStepShape };

/** Sequence classifiers: every encoder family, with BN variants, dropout and masked steps. */
export const SEQUENCE_CASES: readonly ModelCheckCase[] = [
  {
    name: '2-layer IndRNN classifier (relu), variable lengths',
    config: { kind: 'sequence', encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 24, numLayers: 2, seqLen: 20 }, outputSize: 5 },
    shape: { T: 20, B: 6, F: 3, classes: 5, withLengths: true },
  },
  {
    name: 'IndRNN with sequence-wise batch norm before the recurrence and time-shared dropout',
    config: {
      kind: 'sequence',
      encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 13, numLayers: 2, bn: 'sequence', bnPosition: 'before', dropout: 0.3, seqLen: 10 },
      outputSize: 3,
    },
    shape: { T: 10, B: 5, F: 3, classes: 3 },
  },
  {
    name: 'IndRNN with frame-wise batch norm and tanh',
    config: { kind: 'sequence', encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 17, numLayers: 2, bn: 'frame', activation: 'tanh' }, outputSize: 4 },
    shape: { T: 9, B: 12, F: 2, classes: 4 },
  },
  {
    name: 'residual IndRNN with sequence-wise batch norm',
    config: { kind: 'sequence', encoder: { type: 'res-indrnn', inputSize: 4, hiddenSize: 19, numBlocks: 2, bn: 'sequence', seqLen: 12 }, outputSize: 3 },
    shape: { T: 12, B: 5, F: 4, classes: 3 },
  },
  {
    name: 'dense IndRNN with frame-wise batch norm and dropout in every place',
    config: {
      kind: 'sequence',
      encoder: {
        type: 'dense-indrnn', inputSize: 3, growthRate: 3, blockConfig: [2, 1], bn: 'frame', bnOptions: { maxPositions: 9 },
        dropout: 0.2, dropoutFirst: 0.2, dropoutBottleneck: 0.1, dropoutTransition: 0.2, dropoutLast: 0.1, seqLen: 8, lastLayerInit: true,
      },
      outputSize: 4,
    },
    shape: { T: 8, B: 16, F: 3, classes: 4 },
  },
  {
    name: 'conv IndRNN (1-D), residual, sequence-wise batch norm',
    config: {
      kind: 'sequence',
      encoder: { type: 'conv-indrnn', inputShape: [5, 2], channels: [3, 3], kernelSize: 3, residual: true, bn: 'sequence', seqLen: 6 },
      outputSize: 3,
    },
    shape: { T: 6, B: 4, F: 10, classes: 3 },
  },
  {
    name: 'conv IndRNN (2-D), u per position, dropout',
    config: {
      kind: 'sequence',
      encoder: { type: 'conv-indrnn', inputShape: [3, 4, 1], channels: [2, 3], kernelSize: 3, perPositionU: true, dropout: 0.25, seqLen: 5 },
      outputSize: 3,
    },
    shape: { T: 5, B: 3, F: 12, classes: 3 },
  },
  {
    name: 'bidirectional IndRNN, variable lengths',
    config: {
      kind: 'sequence',
      encoder: { type: 'bidirectional', encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 11, numLayers: 2, seqLen: 9 } },
      outputSize: 4,
    },
    shape: { T: 9, B: 6, F: 3, classes: 4, withLengths: true },
  },
  {
    name: '2-layer LSTM baseline with dropout, variable lengths',
    config: { kind: 'sequence', encoder: { type: 'lstm', inputSize: 3, hiddenSize: 21, numLayers: 2, dropout: 0.2, forgetBias: 1 }, outputSize: 4 },
    shape: { T: 15, B: 6, F: 3, classes: 4, withLengths: true },
  },
  {
    name: '2-layer RNN baseline (relu) with dropout',
    config: { kind: 'sequence', encoder: { type: 'rnn', inputSize: 3, hiddenSize: 23, numLayers: 2, dropout: 0.2 }, outputSize: 4 },
    shape: { T: 15, B: 6, F: 3, classes: 4 },
  },
];

/**
 * Embeddings drawn from U(−1, 1) instead of the library's U(−0.01, 0.01): with the small default
 * every gradient of the encoder is ~1e-4 of the decoder's, too small to tell a wrong kernel apart.
 */
const UNIT = { kind: 'uniform', low: -1, high: 1 } as const;

/** Language models as the char-lm and word-lm tasks build them: stateful, mostly with tied weights. */
export const LANGUAGE_MODEL_CASES: readonly ModelCheckCase[] = [
  {
    name: 'character LM: 2-layer IndRNN, tied weights, word and output dropout, stateful',
    config: {
      kind: 'lm', vocabSize: 11, embedSize: 8, tieWeights: true, dropoutWords: 0.1, dropoutOutput: 0.2, embeddingInit: UNIT,
      encoder: { type: 'indrnn', inputSize: 8, hiddenSize: 8, numLayers: 2, uBound: 0.99, dropout: 0.1 },
    },
    shape: { T: 6, B: 4 },
  },
  {
    name: 'word LM: IndRNN with frame-wise BN before the recurrence, tied through an output layer, embedding dropout, stateful',
    config: {
      kind: 'lm', vocabSize: 13, embedSize: 6, tieWeights: true, dropoutEmbedding: 0.1,
      encoder: { type: 'indrnn', inputSize: 6, hiddenSize: 10, numLayers: 2, bn: 'frame', bnPosition: 'before', bnOptions: { maxPositions: 21 }, uBound: 0.99 },
      outputLayer: { bn: 'frame', bnPosition: 'before', bnOptions: { maxPositions: 21 }, uBound: 0.99, dropout: 0.1 },
      outputNorm: true,
    },
    shape: { T: 5, B: 8 },
  },
  {
    name: 'word LM: dense IndRNN fed by the embedding, tied through an output layer, stateful',
    config: {
      kind: 'lm', vocabSize: 9, embedSize: 6, tieWeights: true, embeddingInit: UNIT,
      encoder: { type: 'dense-indrnn', inputSize: 6, growthRate: 2, blockConfig: [1, 1], firstSize: 0, addLastLayer: false, uBound: 0.99 },
      outputLayer: { uBound: 0.99 },
    },
    shape: { T: 5, B: 3 },
  },
  {
    name: 'LSTM LM, untied, stateful',
    config: {
      kind: 'lm', vocabSize: 10, embedSize: 5, tieWeights: false, embeddingInit: UNIT,
      encoder: { type: 'lstm', inputSize: 5, hiddenSize: 7, numLayers: 2, forgetBias: 1 },
    },
    shape: { T: 5, B: 3 },
  },
];

/** Every case: what the whole-model and determinism tests of each backend run. */
export const MODEL_CHECK_CASES: readonly ModelCheckCase[] = [...SEQUENCE_CASES, ...LANGUAGE_MODEL_CASES];
