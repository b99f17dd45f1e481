/**
 * What a model learns from the labels: classification (integer class indices 0..C-1, or string class
 * names kept in their sorted order) or regression (one number, or a list of K numbers, per
 * sequence). The kind is inferred from the training labels unless the caller names it, and every
 * other file's labels are checked against what the training labels set.
 */
import { fail } from '../../util/errors.js';
import { sequenceLength, shown, type SequenceLabel, type SequenceSet } from './types.js';

export const TARGET_KINDS = ['classify', 'regress'] as const;
// per-step targets reuse these rules on stepLabelView(set): one flat label per step
export type TargetKind = (typeof TARGET_KINDS)[number];

export type TargetSpec =
  /** classNames: the names when the labels were strings (index i is classNames[i]); null for integer labels. */
  | { kind: 'classify'; numClasses: number; classNames: string[] | null }
  | { kind: 'regress'; outputs: number };

/** Encoded labels: int32 class indices, or float32 targets (N × outputs). */
export type EncodedTargets = { kind: 'classify'; classes: Int32Array } | { kind: 'regress'; values: Float32Array; outputs: number };

/** The most classes integer labels may ask for (a larger index is more likely a regression value). */
export const MAX_CLASSES = 100_000;

function labelsOf(set: SequenceSet): SequenceLabel[] {
  if (!set.labels) {
    fail(`${set.name}: the sequences have no labels; training needs one per sequence ("y" in JSON lines, --labels FILE for .npy, a label column for CSV: --label-col)`);
  }
  return set.labels;
}

/** Where label i was read ("file: line 3"). */
function at(set: SequenceSet, i: number): string {
  return `${set.labelSource ?? set.name}: ${set.labelSource ? `label ${i}` : set.origins[i]}`;
}

/** One line about a target, for notes and messages. */
export const describeTarget = (spec: TargetSpec): string => spec.kind === 'regress'
  ? `regression, ${spec.outputs} target${spec.outputs === 1 ? '' : 's'} a sequence`
  : `classification, ${spec.numClasses} classes${spec.classNames ? ` (${spec.classNames.slice(0, 8).join(', ')}${spec.numClasses > 8 ? ', ...' : ''})` : ' (0..' + (spec.numClasses - 1) + ')'}`;

/**
 * The target for training labels: `requested` 'classify' or 'regress', or 'auto' (strings or
 * non-negative integers: classification; other numbers or lists: regression). Also returns why, for
 * the run's notes.
 */
export function inferTarget(set: SequenceSet, requested: TargetKind | 'auto' = 'auto'): { spec: TargetSpec; reason: string } {
  const labels = labelsOf(set);
  const first = labels[0]!;
  const strings = typeof first === 'string';
  const lists = typeof first !== 'string' && typeof first !== 'number';
  let kind: TargetKind;
  if (requested !== 'auto') kind = requested;
  else if (strings) kind = 'classify';
  else if (lists) kind = 'regress';
  else kind = labels.every((y) => Number.isInteger(y) && (y as number) >= 0) ? 'classify' : 'regress';

  let spec: TargetSpec;
  if (kind === 'regress') {
    if (strings) fail(`${at(set, 0)}: label ${shown(first)} is a class name; regression needs numbers (drop --target regress to classify)`);
    spec = { kind: 'regress', outputs: lists ? (first as readonly number[]).length : 1 };
  } else if (strings) {
    const names = [...new Set(labels as string[])].sort();
    spec = { kind: 'classify', numClasses: names.length, classNames: names };
  } else {
    if (lists) fail(`${at(set, 0)}: label ${shown(first)} is a list of numbers; classification needs one class a sequence (drop --target classify to regress)`);
    let max = 0;
    labels.forEach((y, i) => {
      const v = y as number;
      if (!Number.isInteger(v) || v < 0) fail(`${at(set, i)}: label ${shown(v)} is not a class index (an integer >= 0); pass --target regress for regression`);
      max = Math.max(max, v);
    });
    if (max >= MAX_CLASSES) fail(`${at(set, labels.indexOf(max))}: label ${max} would make ${max + 1} classes; class indices run 0..C-1 (pass --target regress for regression)`);
    spec = { kind: 'classify', numClasses: max + 1, classNames: null };
  }
  if (spec.kind === 'classify' && new Set(labels as (string | number)[]).size < 2) {
    fail(`${set.labelSource ?? set.name}: every label is ${shown(first)}, so there is only one class; a classifier needs at least two`);
  }
  const how = requested !== 'auto'
    ? `as asked (--target ${requested})`
    : kind === 'classify'
      ? `inferred from ${strings ? 'string' : 'integer'} labels; --target regress overrides`
      : `inferred from ${lists ? 'lists of numbers' : labels.every((y) => Number.isInteger(y)) ? 'integer labels below 0 (class indices start at 0)' : 'non-integer labels'}; --target classify overrides`;
  return { spec, reason: `${describeTarget(spec)}, ${how}` };
}

/** The labels of `set` as the model's targets; fails naming the file and line of a label that does not fit. */
export function encodeTargets(set: SequenceSet, spec: TargetSpec): EncodedTargets {
  const labels = labelsOf(set);
  if (spec.kind === 'classify') {
    const classes = new Int32Array(labels.length);
    const index = spec.classNames ? new Map(spec.classNames.map((n, i) => [n, i])) : null;
    labels.forEach((y, i) => {
      if (index) {
        const k = typeof y === 'string' ? index.get(y) : undefined;
        if (k === undefined) {
          const names = spec.classNames!;
          fail(`${at(set, i)}: label ${shown(y)} is not one of the ${names.length} classes of the training data (${names.slice(0, 10).map((n) => shown(n)).join(', ')}${names.length > 10 ? ', ...' : ''})`);
        }
        classes[i] = k;
      } else {
        if (typeof y !== 'number' || !Number.isInteger(y) || y < 0 || y >= spec.numClasses) {
          fail(`${at(set, i)}: label ${shown(y)} is not a class index of the training data (an integer in 0..${spec.numClasses - 1})`);
        }
        classes[i] = y;
      }
    });
    return { kind: 'classify', classes };
  }
  const K = spec.outputs;
  const values = new Float32Array(labels.length * K);
  labels.forEach((y, i) => {
    if (typeof y === 'string') fail(`${at(set, i)}: label ${shown(y)} is a string; this model regresses ${K} number${K === 1 ? '' : 's'} a sequence`);
    const row = typeof y === 'number' ? [y] : y;
    if (row.length !== K) fail(`${at(set, i)}: label ${shown(y)} has ${row.length} value${row.length === 1 ? '' : 's'}; this model regresses ${K}`);
    for (let k = 0; k < K; k++) values[i * K + k] = row[k]!;
  });
  return { kind: 'regress', values, outputs: K };
}

/** The name of class k as predictions print it: its name, or its index for integer labels. */
export function className(spec: TargetSpec & { kind: 'classify' }, k: number): string | number {
  return spec.classNames ? spec.classNames[k]! : k;
}

/**
 * Per-step labelling: the labels of every step of every sequence as one flat set of labels (sequence
 * by sequence, step by step), each with its origin ("line 3, step 4"), so inferTarget and
 * encodeTargets treat them like per-sequence labels. Fails when the set has no per-step labels.
 */
export function stepLabelView(set: SequenceSet): SequenceSet {
  if (!set.stepLabels) {
    fail(`${set.name}: no labels for each step; with --per-step, "y" is a list of one label per step (JSON lines), each row's label is its step's (CSV), or the labels are [N, T] (.npy)`);
  }
  const labels: SequenceLabel[] = [];
  const origins: string[] = [];
  set.stepLabels.forEach((steps, i) => {
    const len = sequenceLength(set, i);
    if (steps.length !== len) fail(`${set.labelSource ?? set.name}: ${set.origins[i]} has ${steps.length} step labels for ${len} steps`);
    steps.forEach((y, t) => {
      labels.push(y);
      origins.push(`${set.origins[i]}, step ${t}`);
    });
  });
  return { name: set.labelSource ?? set.name, features: set.features, sequences: labels.map(() => new Float32Array(0)), origins, labels, ids: null, featureNames: null };
}
