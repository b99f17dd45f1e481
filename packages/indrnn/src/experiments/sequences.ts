/**
 * `sequences`: train on a user's own files (JSON Lines, .npy or long-form CSV; see data/sequences).
 * Classification or regression from the last valid step of each sequence, inferred from the labels;
 * features standardised with the training mean and std, saved with the model as
 * `model/sequences.json` so `indrnn predict` reads new files the same way.
 */
import * as path from 'node:path';
import type { Task } from '../train/task.js';
import { buildModel, type SequenceModel, type SequenceModelConfig } from '../nn/models.js';
import { recalibrateBatchNorm } from '../nn/recalibrate.js';
import { readSequenceFile, type ReadSequences, type SequenceFileOptions } from '../data/node/sequences.js';
import { checkSameFeatures, longestSequence, selectSequences, sequenceLength, type SequenceSet } from '../data/sequences/types.js';
import { encodeTargets, inferTarget, stepLabelView, TARGET_KINDS, type EncodedTargets, type TargetKind, type TargetSpec } from '../data/sequences/targets.js';
import { fitStandardization, standardize, type Standardization } from '../data/sequences/standardize.js';
import { indicesByLength, sequenceBatch } from '../data/sequences/batch.js';
import { SEQUENCE_SPEC_FILE, SEQUENCE_SPEC_FORMAT, SEQUENCE_SPEC_VERSION, serializeSequenceSpec, type SequenceSpec } from '../data/sequences/spec.js';
import { holdOut } from '../data/split.js';
import { mseLoss, softmaxCrossEntropy } from '../ops/loss.js';
import { argmax } from '../ops/reduce.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { Generator } from '../util/random.js';
import { checkChoice, fail } from '../util/errors.js';
import { tidy } from '../backend/memory.js';
import { stepOutputs } from '../predict/steps.js';
import { BASE_SETTINGS, encoderFromSettings, type Settings } from './settings.js';
import { ClassificationMeter, EpochSampler, type SamplerState } from './sampler.js';
import type { TaskContext, TaskDefinition } from './task-definition.js';
import { WHOLE_BATCH, type BatchShard } from '../distributed/shard.js';

/** Where the run's files come from and how to read them (Settings.sequences). */
export interface SequenceSettings {
  /** Training file (absolute path: the run is resumed and evaluated from other directories). */
  train: string;
  /** Validation file; null: a seeded 10% of the training file is held out. */
  val: string | null;
  /** Test file; null: no test metric. */
  test: string | null;
  /** .npy labels and lengths of each split (null: found beside the array by name, when there). */
  trainLabels: string | null;
  trainLengths: string | null;
  valLabels: string | null;
  valLengths: string | null;
  testLabels: string | null;
  testLengths: string | null;
  /** CSV columns. */
  idCol: string;
  labelCols: string[];
  /** null: every column but the id and the labels. */
  featureCols: string[] | null;
  target: TargetKind | 'auto';
  standardize: boolean;
  /** One label per step: the model predicts at every step (absent in older runs: false). */
  perStep?: boolean;
}

export const DEFAULT_SEQUENCE_SETTINGS: Omit<SequenceSettings, 'train'> = {
  val: null, test: null, trainLabels: null, trainLengths: null, valLabels: null, valLengths: null,
  testLabels: null, testLengths: null, idCol: 'id', labelCols: ['label'], featureCols: null, target: 'auto', standardize: true,
  perStep: false,
};

/** Share of the training file held out for validation when there is no --val. */
export const HELD_OUT_FRACTION = 0.1;

/** A split's standardised sequences and encoded targets; per step, `offsets[i]` is where sequence i's step targets start. */
type Split = { set: SequenceSet; targets: EncodedTargets; offsets: Int32Array | null };

interface PreparedData {
  train: Split;
  val: Split;
  test: Split | null;
  spec: SequenceSpec;
  notes: string[];
}

function checkSequenceSettings(s: Settings): SequenceSettings {
  const sq = s.sequences;
  if (!sq || typeof sq !== 'object' || typeof sq.train !== 'string' || sq.train === '') {
    fail('sequences: pass the training data with --train FILE (.jsonl, .npy or .csv), and --val FILE and --test FILE if you have them');
  }
  checkChoice('sequences', 'target', sq.target, [...TARGET_KINDS, 'auto']);
  return sq;
}

const plural = (n: number, what: string): string => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;

function describeSet(role: string, read: { files: string[] }, set: SequenceSet): string {
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < set.sequences.length; i++) {
    const len = sequenceLength(set, i);
    min = Math.min(min, len);
    max = Math.max(max, len);
  }
  const steps = min === max ? `${max} steps` : `${min}..${max} steps`;
  return `${role}: ${read.files.map((f) => path.basename(f)).join(' + ')}, ${plural(set.sequences.length, 'sequence')} of ${steps}, ${plural(set.features, 'feature')} a step`;
}

function standardized(set: SequenceSet, st: Standardization | null): SequenceSet {
  return st ? { ...set, sequences: set.sequences.map((s) => standardize(s, st)) } : set;
}

/** Reads the files, infers the target, holds out validation data when needed and fits the standardisation. */
export function prepareSequenceData(s: Settings): PreparedData {
  const sq = checkSequenceSettings(s);
  const perStep = sq.perStep === true;
  const csv = { idCol: sq.idCol, labelCols: sq.labelCols, featureCols: sq.featureCols, perStep };
  const read = (file: string, labels: string | null, lengths: string | null, extra: Partial<SequenceFileOptions> = {}): ReadSequences =>
    readSequenceFile(file, { ...csv, requireLabels: true, ...(labels ? { labels } : {}), ...(lengths ? { lengths } : {}), ...extra });
  const trainRead = read(sq.train, sq.trainLabels, sq.trainLengths);
  // later CSV files select the training file's columns by name, whatever their order
  const sameColumns = trainRead.set.featureNames && !sq.featureCols ? { featureCols: trainRead.set.featureNames } : {};
  const valRead = sq.val ? read(sq.val, sq.valLabels, sq.valLengths, sameColumns) : null;
  const testRead = sq.test ? read(sq.test, sq.testLabels, sq.testLengths, sameColumns) : null;
  for (const r of [valRead, testRead]) if (r) checkSameFeatures(trainRead.set, r.set, 'the training data');

  // per step, every step's label counts as one label
  const labelled = (set: SequenceSet): SequenceSet => (perStep ? stepLabelView(set) : set);
  const { spec: target, reason } = inferTarget(labelled(trainRead.set), sq.target);
  const notes = [describeSet('train', trainRead, trainRead.set)];
  let trainSet = trainRead.set;
  let valSet: SequenceSet;
  if (valRead) {
    valSet = valRead.set;
    notes.push(describeSet('validation', valRead, valSet));
  } else {
    const n = trainSet.sequences.length;
    const { train, valid } = holdOut(n, HELD_OUT_FRACTION, new Generator(s.seed * 1000 + 51));
    if (valid.length === 0 || train.length === 0) fail(`${sq.train}: ${plural(n, 'sequence')} are too few to hold out ${HELD_OUT_FRACTION * 100}% for validation; pass --val FILE`);
    valSet = selectSequences(trainSet, valid, `${sq.train} (held out)`);
    trainSet = selectSequences(trainSet, train);
    notes.push(`validation: no --val file, so a seeded ${HELD_OUT_FRACTION * 100}% of the training file is held out (${plural(valid.length, 'sequence')}; ${plural(train.length, 'sequence')} left to train on)`);
  }
  if (testRead) notes.push(describeSet('test', testRead, testRead.set));
  else notes.push('test: no --test file, so the run reports no test metric');
  notes.push(`target: ${reason}`);
  if (perStep) notes.push('one label per step (--per-step): the model predicts at every step, and the metrics count every step');

  const st = sq.standardize ? fitStandardization(trainSet.sequences, trainSet.features) : null;
  notes.push(st
    ? `features standardised with the mean and std of the training sequences (saved in model/${SEQUENCE_SPEC_FILE}; --no-standardize turns it off)`
    : 'features used as they are (--no-standardize)');
  const split = (set: SequenceSet): Split => {
    let offsets: Int32Array | null = null;
    if (perStep) {
      offsets = new Int32Array(set.sequences.length);
      for (let i = 1; i < offsets.length; i++) offsets[i] = offsets[i - 1]! + sequenceLength(set, i - 1);
    }
    return { set: standardized(set, st), targets: encodeTargets(labelled(set), target), offsets };
  };
  const spec: SequenceSpec = {
    format: SEQUENCE_SPEC_FORMAT, version: SEQUENCE_SPEC_VERSION, features: trainSet.features,
    featureNames: trainSet.featureNames, standardization: st, target, longestTraining: longestSequence(trainSet),
    ...(perStep ? { perStep: true } : {}),
  };
  return { train: split(trainSet), val: split(valSet), test: testRead ? split(testRead.set) : null, spec, notes };
}

function outputsOf(target: TargetSpec): number {
  return target.kind === 'classify' ? target.numClasses : target.outputs;
}

/** The model for the data: the |u| bound's T is the longest training sequence unless --seq-len sets it. */
export function sequenceModelConfig(s: Settings, spec: SequenceSpec): SequenceModelConfig {
  const T = s.seqLen > 0 ? s.seqLen : spec.longestTraining;
  // conv-indrnn convolves over the features of a step, one channel each; the papers' last-layer
  // init of u is for models that read only the last step, so not per step
  const encoder = encoderFromSettings({ ...s, seqLen: T }, spec.features, !spec.perStep, [spec.features, 1]);
  return { kind: 'sequence', encoder, outputSize: outputsOf(spec.target) };
}

/** Class index of a padded step: the loss and the accuracy skip it. */
const IGNORE = -100;

/**
 * Per-step labels of a batch as the loss wants them: int32 classes [T, B] (IGNORE on padding), or
 * float32 targets [T, B, 1] with a 0/1 mask of the valid steps.
 */
function batchStepTargets(split: Split, idx: ArrayLike<number>, T: number): { targets: Tensor; mask: Tensor | null; valid: number } {
  const B = idx.length;
  const t = split.targets;
  const classes = new Int32Array(T * B).fill(IGNORE);
  const values = new Float32Array(T * B);
  const mask = new Float32Array(T * B);
  let valid = 0;
  for (let b = 0; b < B; b++) {
    const i = idx[b]!;
    const len = sequenceLength(split.set, i);
    const at = split.offsets![i]!;
    for (let step = 0; step < len; step++) {
      if (t.kind === 'classify') classes[step * B + b] = t.classes[at + step]!;
      else values[step * B + b] = t.values[at + step]!;
      mask[step * B + b] = 1;
      valid++;
    }
  }
  return t.kind === 'classify'
    ? { targets: tensor(classes, [T, B], 'int32'), mask: null, valid }
    : { targets: tensor(values, [T, B, 1]), mask: tensor(mask, [T, B, 1]), valid };
}

/** Labels of a batch as the loss wants them: int32 classes [B] or float32 targets [B, K]. */
function batchTargets(t: EncodedTargets, idx: ArrayLike<number>): Tensor {
  const B = idx.length;
  if (t.kind === 'classify') return tensor(Int32Array.from({ length: B }, (_, b) => t.classes[idx[b]!]!), [B], 'int32');
  const K = t.outputs;
  const out = new Float32Array(B * K);
  for (let b = 0; b < B; b++) out.set(t.values.subarray(idx[b]! * K, (idx[b]! + 1) * K), b * K);
  return tensor(out, [B, K]);
}

function sequencesTask(model: SequenceModel, data: PreparedData, s: Settings, shard: BatchShard): Task & { stepsPerEpoch: number } {
  const { train } = data;
  const F = train.set.features;
  const n = train.set.sequences.length;
  const B = Math.min(s.batchSize, n);
  const notes = [...data.notes];
  if (B < s.batchSize) notes.push(`batch size ${B}: the training data has only ${plural(n, 'sequence')}`);
  if (s.seqLen === 0 && s.model !== 'lstm' && s.model !== 'rnn') {
    notes.push(`|u| bound from the longest training sequence: |u| <= ${s.gamma}^(1/${data.spec.longestTraining})${s.uBound !== null ? ' (overridden by --u-bound)' : ''}`);
  }
  const sampler = new EpochSampler(n, B, s.seed);
  const classify = data.spec.target.kind === 'classify';
  const perStep = data.spec.perStep === true;
  const lossOf = (logits: Tensor, targets: Tensor): Tensor => (classify ? softmaxCrossEntropy(logits, targets) : mseLoss(logits, targets));
  /**
   * Loss of one batch (and what evaluation needs): last-step or per-step outputs and targets. With
   * a shard (data-parallel training), the whole batch is built, padded to its longest sequence on
   * every rank alike, and this rank's rows of it are used.
   */
  const batchLoss = (split: Split, idx: ArrayLike<number>, reduction: 'mean' | 'sum', rows: BatchShard = WHOLE_BATCH) => {
    const b = sequenceBatch(split.set.sequences, F, idx);
    const x = rows.take(b.x, 1);
    const lengths = b.lengths ? rows.take(b.lengths, 0) : null;
    if (!perStep) {
      const out = model.forward(x, { lengths });
      const targets = rows.take(batchTargets(split.targets, idx), 0);
      const loss = classify || reduction === 'mean' ? lossOf(out, targets) : mseLoss(out, targets, 'sum');
      return { loss, out, targets: targets.data(), count: targets.shape[0]! };
    }
    const out = stepOutputs(model, x, lengths);
    const st = batchStepTargets(split, idx, b.x.shape[0]!);
    const targets = rows.take(st.targets, 1);
    const mask = st.mask ? rows.take(st.mask, 1) : null;
    // a mean over valid steps, which the ranks hold in unequal numbers
    const valid = rows.size === 1 ? st.valid : mask ? mask.sum().item() : Array.from(targets.data()).filter((c) => c !== IGNORE).length;
    if (rows.size > 1) rows.setShare(valid, st.valid);
    if (classify) return { loss: softmaxCrossEntropy(out, targets, { ignoreIndex: IGNORE }), out, targets: targets.data(), count: valid };
    const squared = out.sub(targets).mul(mask!).square().sum();
    return { loss: reduction === 'mean' ? squared.mul(1 / valid) : squared, out, targets: targets.data(), count: valid };
  };

  const evaluate = (split: Split, prefix: string): Record<string, number> => {
    const order = indicesByLength(split.set.sequences);
    const chunk = Math.max(B, 128);
    const meter = new ClassificationMeter();
    let squared = 0;
    let count = 0;
    for (let i = 0; i < order.length; i += chunk) {
      // each rank scores its rows of every chunk
      const idx = shard.takeItems(order.slice(i, Math.min(order.length, i + chunk)));
      if (idx.length === 0) continue;
      tidy(() => {
        const r = batchLoss(split, idx, 'sum');
        count += r.count;
        if (!classify) {
          squared += r.loss.item();
          return;
        }
        // padded steps (per step) are IGNORE: only the valid ones are counted
        const predicted = argmax(r.out).data();
        const keep = Array.from(r.targets, (_, k) => k).filter((k) => r.targets[k] !== IGNORE);
        meter.add(r.loss.item(), keep.map((k) => predicted[k]!), keep.map((k) => r.targets[k]!));
      });
    }
    if (classify) return meter.result(prefix, shard);
    const [sumSquared, total] = shard.sum([squared, count]) as [number, number];
    return { [`${prefix}_mse`]: sumSquared / (total * outputsOf(data.spec.target)) };
  };

  return {
    name: 'sequences',
    model,
    monitor: classify ? { metric: 'val_acc', mode: 'max' } : { metric: 'val_mse', mode: 'min' },
    notes,
    stepsPerEpoch: sampler.batchesPerEpoch,
    artifacts: { [path.join('model', SEQUENCE_SPEC_FILE)]: serializeSequenceSpec(data.spec) },
    recalibrate(batches) {
      // the same training batches every time, drawn apart from the training order
      const order = new Generator(s.seed * 1000 + 41).permutation(n);
      recalibrateBatchNorm(model, Math.min(batches, Math.floor(n / B)), (i) => {
        const b = sequenceBatch(train.set.sequences, F, order.subarray(i * B, (i + 1) * B));
        model.encoder.forward(shard.take(b.x, 1), { lengths: b.lengths ? shard.take(b.lengths, 0) : null });
      });
    },
    trainLoss() {
      return { loss: batchLoss(train, sampler.next(), 'mean', shard).loss };
    },
    evaluate(split) {
      if (split === 'val') return evaluate(data.val, 'val');
      return data.test ? evaluate(data.test, 'test') : {};
    },
    epoch: () => sampler.epoch,
    getState: () => ({ json: sampler.getState() }),
    setState: (st) => sampler.setState(st.json as SamplerState),
  };
}

/**
 * The default: minutes on a laptop for thousands of short sequences. 2 × 128 IndRNN with
 * sequence-wise BN after each recurrence, Adam 2e-3 with the authors' gradient clamp (10), 30 epochs,
 * the lr cut to a third after 4 validations without improvement (best weights restored).
 */
const quick: Settings = {
  ...BASE_SETTINGS, task: 'sequences', preset: 'quick', model: 'indrnn', layers: 2, hidden: 128, bn: 'sequence', bnPosition: 'after',
  dropout: 0, gamma: 2, seqLen: 0, batchSize: 64, lr: 2e-3, weightDecay: 0, gradClip: 10, epochs: 30, steps: 10000,
  schedule: 'plateau', decayFactor: 0.3, patience: 4, minLr: 1e-5, evalEvery: 100, evalSize: 0, checkpointEvery: 500, bnCalibration: 0,
};

/** The papers' recipe for classification (Deep IndRNN §5: 6 × 128, BN after, dropout 0.1, Adam 2e-4, weight decay 1e-4, lr ÷10 on plateau). */
const paper: Settings = {
  ...BASE_SETTINGS, task: 'sequences', preset: 'paper', model: 'indrnn', layers: 6, hidden: 128, bn: 'sequence', bnPosition: 'after',
  dropout: 0.1, gamma: 2, seqLen: 0, batchSize: 32, lr: 2e-4, weightDecay: 1e-4, gradClip: 10, epochs: 200, steps: 100000,
  schedule: 'plateau', decayFactor: 0.1, patience: 100, minLr: 1e-6, evalEvery: 200, evalSize: 0, checkpointEvery: 1000,
};

export const sequencesTaskDefinition: TaskDefinition = {
  name: 'sequences',
  description: 'your own sequences: --train FILE [--val FILE] [--test FILE] as JSON Lines, .npy or long-form CSV; classification or regression',
  needsData: true,
  dataParallel: true,
  defaultDataDir: null,
  presets: { quick, paper },
  modelConfig(s: Settings) {
    return sequenceModelConfig(s, prepareSequenceData(s).spec);
  },
  create(s: Settings, context?: TaskContext) {
    const data = prepareSequenceData(s);
    const model = buildModel(sequenceModelConfig(s, data.spec)) as SequenceModel;
    return sequencesTask(model, data, s, context?.shard ?? WHOLE_BATCH);
  },
};

