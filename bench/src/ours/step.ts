/**
 * Our training step, measured in-process: the model of `torch_rnn_step.py --model indrnn` built with
 * the library's experiment defaults (kaiming-uniform a=8 input weights, |u| ≤ 2^(1/T), last-layer
 * init), fixed random input and target, and `Trainer.trainStep` itself, so the timed step is exactly
 * forward + MSE + backward + clip (element-wise, 10) + Adam + the recurrent-weight constraint.
 */
import {
  buildModel, manualSeed, randn, Trainer, type Backend, type SequenceModel, type Task,
} from 'indrnn';
import { BASE_SETTINGS, encoderFromSettings, trainOptionsFromSettings, type Settings } from 'indrnn/node';
import { fixedBatchTask as fixedBatch } from 'indrnn/testing';
import type { StepShape } from '../configs.js';
import { median } from '../stats.js';
import type { KernelRecorder } from './kernels.js';

export interface StepMeasurement {
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  warmup: number;
  /** Loss after the last step (a sanity check that the step did real work). */
  lastLoss: number;
}

/** The settings our model is built from: the library defaults, with the config's shape. */
export function benchSettings(shape: StepShape, totalSteps: number): Settings {
  return {
    ...BASE_SETTINGS,
    task: 'bench',
    preset: 'quick',
    layers: shape.layers,
    hidden: shape.hidden,
    seqLen: shape.T,
    batchSize: shape.B,
    // the PyTorch script normalises W x + b over all T·B rows, before the recurrence
    bn: shape.bn ? 'sequence' : 'none',
    bnPosition: 'before',
    dropout: 0,
    optimizer: 'adam',
    lr: 2e-4,
    gradClip: 10,
    schedule: 'none',
    evalEvery: 0,
    steps: totalSteps,
  };
}

/** A task with one fixed batch: x [T, B, input] ~ N(0, 1), y [B, 1] ~ N(0, 1), as the PyTorch script. */
export function fixedBatchTask(shape: StepShape, settings: Settings, backend: Backend): Task {
  const config = { kind: 'sequence' as const, encoder: encoderFromSettings(settings, shape.input, true), outputSize: 1 };
  const model = buildModel(config) as SequenceModel;
  const x = randn([shape.T, shape.B, shape.input], { backend });
  const y = randn([shape.B, 1], { backend });
  return fixedBatch(model, x, y, 'bench');
}

/** Runs `warmup` untimed steps, then times `steps` steps one by one. The backend must be selected. */
export function measureStep(
  shape: StepShape, backend: Backend, steps: number, warmup: number, recorder: KernelRecorder | null = null, seed = 0,
): StepMeasurement & { windowMs: [number, number] } {
  manualSeed(seed);
  const settings = benchSettings(shape, steps + warmup);
  const trainer = new Trainer(fixedBatchTask(shape, settings, backend), trainOptionsFromSettings(settings));
  let lastLoss = Number.NaN;
  for (let i = 0; i < warmup; i++) lastLoss = trainer.trainStep().loss;
  const samplesMs: number[] = [];
  recorder?.resume();
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    lastLoss = trainer.trainStep().loss;
    samplesMs.push(performance.now() - t0);
  }
  const end = performance.now();
  recorder?.pause();
  return {
    windowMs: [start, end],
    samplesMs,
    medianMs: median(samplesMs),
    minMs: Math.min(...samplesMs),
    maxMs: Math.max(...samplesMs),
    warmup,
    lastLoss,
  };
}
