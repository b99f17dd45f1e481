/**
 * Experiment settings: one flat, JSON-serialisable record per run (what the CLI flags set and what a
 * run directory's config.json stores), and the translation from settings to a model config.
 */
import type { Activation } from '../backend/backend.js';
import type { BnMode, BnPosition } from '../nn/indrnn.js';
import type { EncoderConfig } from '../nn/models.js';
import type { InitSpec } from '../init/init.js';
import type { TrainOptions } from '../train/trainer.js';
import { checkChoice, checkInt, checkNumber, fail } from '../util/errors.js';
import type { SequenceSettings } from './sequences.js';
import { validateCurriculum, type CurriculumStage } from './curriculum.js';

export const MODEL_FAMILIES = ['indrnn', 'res-indrnn', 'dense-indrnn', 'conv-indrnn', 'lstm', 'rnn'] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];
export type PresetName = 'paper' | 'quick';

export interface Settings {
  task: string;
  preset: PresetName;
  // ---- model ----
  model: ModelFamily;
  layers: number;
  hidden: number;
  /** Residual blocks (res-indrnn). */
  blocks: number;
  /** Growth rate k (dense-indrnn). */
  growth: number;
  blockConfig: number[];
  /** Output channels per layer (conv-indrnn). */
  convChannels: number[];
  /** Odd convolution kernel size (conv-indrnn). */
  kernelSize: number;
  /** Residual connections between conv layers of equal width (conv-indrnn). */
  residual: boolean;
  activation: Activation;
  bn: BnMode;
  bnPosition: BnPosition;
  /** Initial BN scale γ (1; the authors' --small_normini uses 0.1 with kaiming_uniform(a=0) input weights). */
  bnGammaInit: number;
  dropout: number;
  dropoutFirst: number;
  dropoutBottleneck: number;
  dropoutTransition: number;
  dropoutLast: number;
  /** γ of |u| <= γ^(1/T). */
  gamma: number;
  /** Explicit bound for |u| (overrides gamma); null = from gamma and seqLen. */
  uBound: number | null;
  /** Last IndRNN layer u ~ U(γ^(-1/T), γ^(1/T)) (tasks that read only the last step). */
  lastLayerInit: boolean;
  /** Input-weight init; null = the library default (kaiming_uniform a=8). */
  inputInit: InitSpec | null;
  // ---- data ----
  seqLen: number;
  /** Shorter training sequences first (experiments/curriculum.ts); tasks with lengthCurriculum only. Absent in older runs: none. */
  curriculum?: CurriculumStage[];
  batchSize: number;
  dataDir: string | null;
  // ---- training ----
  steps: number;
  /** Stop training after this many minutes of wall-clock time, then test (0 = no limit). */
  timeLimit: number;
  /** When set, steps = epochs × batches per epoch (tasks with a finite training set). */
  epochs: number | null;
  optimizer: 'adam' | 'sgd';
  lr: number;
  weightDecay: number;
  gradClip: number;
  gradNorm: number;
  schedule: 'none' | 'step' | 'plateau';
  decayEvery: number;
  decayFactor: number;
  patience: number;
  minLr: number;
  evalEvery: number;
  /** Recompute BN running statistics from this many training batches before each evaluation. */
  bnCalibration: number;
  /** Data-parallel runs: batch-norm statistics over every rank's rows (true) or each rank's own. */
  bnSync: boolean;
  checkpointEvery: number;
  checkpointMinutes: number;
  seed: number;
  // ---- task-specific ----
  /** Validation / test set size for synthetic tasks; a cap for real ones (0 = all). */
  evalSize: number;
  /** NTU benchmark. */
  benchmark: 'cs' | 'cv';
  /** NTU test-time averaging over this many random frame samplings. */
  testSamples: number;
  /** Language models: vocabulary size (train reads it from the data; summary uses this). */
  vocabSize: number;
  embedSize: number;
  tieWeights: boolean;
  dropoutWords: number;
  dropoutEmbedding: number;
  dropoutOutput: number;
  /** Language models: the authors' variable BPTT length (N(T, 5), T/2 w.p. 0.05). */
  variableBptt: boolean;
  /** Language models: probability of resetting the carried state before a batch (authors: 1/10). */
  stateResetProb: number;
  /** The sequences task: the user's files and how to read them (absent for the papers' tasks). */
  sequences?: SequenceSettings | null;
}

/** Values shared by every preset unless it says otherwise. */
export const BASE_SETTINGS: Omit<Settings, 'task' | 'preset'> = {
  model: 'indrnn', layers: 2, hidden: 128, blocks: 5, growth: 16, blockConfig: [8, 6, 4], convChannels: [32, 32], kernelSize: 3, residual: false, activation: 'relu',
  bn: 'none', bnPosition: 'after', bnGammaInit: 1, dropout: 0, dropoutFirst: 0, dropoutBottleneck: 0, dropoutTransition: 0, dropoutLast: 0,
  gamma: 2, uBound: null, lastLayerInit: true, inputInit: null,
  seqLen: 100, curriculum: [], batchSize: 32, dataDir: null,
  steps: 10000, timeLimit: 0, epochs: null, optimizer: 'adam', lr: 2e-4, weightDecay: 0, gradClip: 10, gradNorm: 0,
  schedule: 'none', decayEvery: 20000, decayFactor: 0.1, patience: 100, minLr: 1e-6,
  evalEvery: 100, bnCalibration: 0, bnSync: true, checkpointEvery: 1000, checkpointMinutes: 10, seed: 1,
  evalSize: 1000, benchmark: 'cs', testSamples: 20, vocabSize: 50, embedSize: 600, tieWeights: false,
  dropoutWords: 0, dropoutEmbedding: 0, dropoutOutput: 0, variableBptt: false, stateResetProb: 0,
};

export function validateSettings(s: Settings): Settings {
  const w = 'settings';
  checkChoice(w, 'model', s.model, MODEL_FAMILIES);
  checkInt(w, 'layers', s.layers, 1);
  checkInt(w, 'hidden', s.hidden, 1);
  checkInt(w, 'blocks', s.blocks, 0);
  checkInt(w, 'growth', s.growth, 1);
  // sequences: 0 = the longest training sequence
  checkInt(w, 'seqLen', s.seqLen, s.task === 'sequences' ? 0 : 1);
  if (s.curriculum !== undefined) validateCurriculum(s.curriculum);
  checkInt(w, 'batchSize', s.batchSize, 1);
  checkInt(w, 'steps', s.steps, 1);
  checkNumber(w, 'timeLimit', s.timeLimit, 0);
  if (s.epochs !== null) checkNumber(w, 'epochs', s.epochs, Number.MIN_VALUE);
  for (const k of ['dropout', 'dropoutFirst', 'dropoutBottleneck', 'dropoutTransition', 'dropoutLast', 'dropoutWords', 'dropoutEmbedding', 'dropoutOutput'] as const) {
    checkNumber(w, k, s[k], 0, 0.99);
  }
  if (!(typeof s.lr === 'number' && Number.isFinite(s.lr) && s.lr > 0)) fail(`settings: lr must be a number > 0 (a learning rate of 0 trains nothing), got ${String(s.lr)}`);
  checkNumber(w, 'gamma', s.gamma, Number.MIN_VALUE);
  checkNumber(w, 'bnGammaInit', s.bnGammaInit ?? 1, Number.MIN_VALUE);
  if (s.uBound !== null) checkNumber(w, 'uBound', s.uBound, 0);
  checkInt(w, 'evalEvery', s.evalEvery, 0);
  checkInt(w, 'bnCalibration', s.bnCalibration, 0);
  // absent in runs saved before data-parallel training existed: the default (on)
  if (s.bnSync !== undefined && typeof s.bnSync !== 'boolean') fail(`settings: bnSync must be true or false, got ${JSON.stringify(s.bnSync)}`);
  checkInt(w, 'checkpointEvery', s.checkpointEvery, 0);
  checkNumber(w, 'checkpointMinutes', s.checkpointMinutes, 0);
  checkInt(w, 'seed', s.seed, 0);
  return s;
}

/**
 * The encoder config for settings, given the task's input size. `lastStepTask`: only the last step is
 * read (adding, classification), which enables the papers' last-layer init of u.
 */
export function encoderFromSettings(s: Settings, inputSize: number, lastStepTask: boolean, inputShape: number[] = [1, inputSize]): EncoderConfig {
  const indrnn = {
    inputSize,
    activation: s.activation,
    bn: s.bn,
    bnPosition: s.bnPosition,
    bnOptions: s.bn === 'frame' || (s.bnGammaInit ?? 1) !== 1
      ? { ...(s.bn === 'frame' ? { maxPositions: 4 * s.seqLen + 1 } : {}), ...((s.bnGammaInit ?? 1) !== 1 ? { gammaInit: s.bnGammaInit } : {}) }
      : undefined,
    dropout: s.dropout,
    ...(s.uBound !== null ? { uBound: s.uBound } : { gamma: s.gamma, seqLen: s.seqLen }),
    lastLayerInit: lastStepTask && s.lastLayerInit && s.uBound === null,
    ...(s.inputInit ? { inputInit: s.inputInit } : {}),
  };
  switch (s.model) {
    case 'indrnn':
      return { type: 'indrnn', hiddenSize: s.hidden, numLayers: s.layers, ...indrnn };
    case 'res-indrnn':
      return { type: 'res-indrnn', hiddenSize: s.hidden, numBlocks: s.blocks, ...indrnn };
    case 'dense-indrnn':
      return {
        type: 'dense-indrnn', growthRate: s.growth, blockConfig: s.blockConfig, ...indrnn,
        dropoutFirst: s.dropoutFirst, dropoutBottleneck: s.dropoutBottleneck, dropoutTransition: s.dropoutTransition,
        dropoutLast: s.dropoutLast,
      };
    case 'conv-indrnn':
    {
      const { inputSize: _unused, ...recurrence } = indrnn;
      void _unused;
      return { type: 'conv-indrnn', inputShape, channels: s.convChannels, kernelSize: s.kernelSize, residual: s.residual, ...recurrence };
    }
    case 'lstm':
      return { type: 'lstm', inputSize, hiddenSize: s.hidden, numLayers: s.layers, dropout: s.dropout, forgetBias: 1 };
    case 'rnn':
      return { type: 'rnn', inputSize, hiddenSize: s.hidden, numLayers: s.layers, dropout: s.dropout, nonlinearity: s.activation === 'tanh' ? 'tanh' : 'relu' };
    default:
      fail(`unknown model '${String(s.model)}'; expected one of ${MODEL_FAMILIES.join(', ')}`);
  }
}

export function trainOptionsFromSettings(s: Settings, steps = s.steps): TrainOptions {
  return {
    steps, evalEvery: s.evalEvery, optimizer: s.optimizer, lr: s.lr, weightDecay: s.weightDecay,
    gradClip: s.gradClip, gradNorm: s.gradNorm, schedule: s.schedule, decayEvery: s.decayEvery,
    decayFactor: s.decayFactor, patience: s.patience, minLr: s.minLr, bnCalibration: s.bnCalibration,
  };
}
