/**
 * A user's sequences as read from a file (JSON Lines, .npy or long-form CSV), before any choice of
 * target or scaling: the raw features of each sequence, where it came from in the file (for error
 * messages), and its label when the file has labels.
 */
import { fail } from '../../util/errors.js';

/** A label as written in a file: a class index or name, or regression target(s). */
export type SequenceLabel = number | string | readonly number[];

/** A label of one time step (per-step labelling): a class index or name, or one regression target. */
export type StepLabel = number | string;

export interface SequenceSet {
  /** The file the sequences were read from (every message names it). */
  name: string;
  /** Features per time step (F). */
  features: number;
  /** One array per sequence: length × F values, step by step. Every sequence has at least one step. */
  sequences: Float32Array[];
  /** Where each sequence starts in its file: 'line 3' (JSON Lines), 'line 17 (id "s3")' (CSV), 'sequence 5' (.npy). */
  origins: string[];
  /** One label per sequence, or null when the file has none (or has one label per step). */
  labels: SequenceLabel[] | null;
  /** One label per step of each sequence (read with `perStep`), or null/absent. */
  stepLabels?: StepLabel[][] | null;
  /** The file that held the labels when it is not `name` (.npy labels beside the array). */
  labelSource?: string;
  /** Sequence ids when the file names them (CSV id column, "id" in JSON Lines). */
  ids: (string | null)[] | null;
  /** Feature names when the file has a header (CSV). */
  featureNames: string[] | null;
}

/** Steps of sequence i. */
export function sequenceLength(set: SequenceSet, i: number): number {
  return set.sequences[i]!.length / set.features;
}

/** The longest sequence's steps (0 for an empty set). */
export function longestSequence(set: SequenceSet): number {
  let max = 0;
  for (let i = 0; i < set.sequences.length; i++) max = Math.max(max, sequenceLength(set, i));
  return max;
}

/** The sequences at `indices`, in that order (labels, origins and ids follow). */
export function selectSequences(set: SequenceSet, indices: ArrayLike<number>, name = set.name): SequenceSet {
  const pick = <T>(a: readonly T[]): T[] => Array.from({ length: indices.length }, (_, k) => a[indices[k]!]!);
  return {
    ...set,
    name,
    sequences: pick(set.sequences),
    origins: pick(set.origins),
    labels: set.labels ? pick(set.labels) : null,
    stepLabels: set.stepLabels ? pick(set.stepLabels) : null,
    ids: set.ids ? pick(set.ids) : null,
  };
}

/** Fails unless `other` has the same features per step as `reference` (names the two files). */
export function checkSameFeatures(reference: { name: string; features: number }, other: { name: string; features: number }, what = 'the model'): void {
  if (other.features !== reference.features) {
    fail(`${other.name}: ${other.features} feature${other.features === 1 ? '' : 's'} a step, but ${what} (${reference.name}) reads ${reference.features}; every file must have the same features`);
  }
}

/** A JSON rendering of a value for messages, cut short. */
export function shown(value: unknown): string {
  let s: string;
  try {
    s = value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
