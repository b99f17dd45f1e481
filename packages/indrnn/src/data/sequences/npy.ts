/**
 * NumPy sequences: `x.npy` of shape [N, T, F] (or [N, T] for one feature a step), float32 or
 * float64 (integer arrays are read as numbers too); labels [N] (class indices, or one regression
 * target) or [N, K] (K regression targets); optional lengths [N] in 1..T for sequences shorter than T
 * (the steps after a sequence's length are padding and are never read). With `perStep`, labels are
 * [N, T]: one label per step (the padding's labels are never read either).
 */
import { fail } from '../../util/errors.js';
import { parseNpy, type NpyArray } from '../npy.js';
import type { SequenceLabel, SequenceSet, StepLabel } from './types.js';

/** A file's bytes and its name (for messages). */
export interface NamedBytes {
  bytes: Uint8Array;
  name: string;
}

export interface NpySequenceInputs {
  x: NamedBytes;
  labels?: NamedBytes | null;
  lengths?: NamedBytes | null;
  /** Labels are [N, T], one per step. */
  perStep?: boolean;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

function numberAt(arr: NpyArray, i: number): number {
  return Number(arr.data[i]!);
}

export function parseSequencesNpy(inputs: NpySequenceInputs): SequenceSet {
  const { name } = inputs.x;
  const x = parseNpy(inputs.x.bytes, name);
  if (x.shape.length !== 3 && x.shape.length !== 2) {
    fail(`${name}: shape (${x.shape.join(', ')}) is not [N, T, F] (sequences, steps, features) or [N, T] (one feature a step)`);
  }
  const [N, T, F = 1] = x.shape as [number, number, number?];
  if (N === 0) fail(`${name}: shape (${x.shape.join(', ')}) holds no sequences (empty array)`);
  if (T === 0) fail(`${name}: shape (${x.shape.join(', ')}) has zero steps; a sequence needs at least one step`);
  if (F === 0) fail(`${name}: shape (${x.shape.join(', ')}) has zero features a step`);

  let lengths: Int32Array | null = null;
  if (inputs.lengths) {
    const ln = inputs.lengths.name;
    const arr = parseNpy(inputs.lengths.bytes, ln);
    if (!(arr.shape.length === 1 || (arr.shape.length === 2 && arr.shape[1] === 1))) fail(`${ln}: shape (${arr.shape.join(', ')}) is not [N] (one length per sequence)`);
    if (arr.shape[0] !== N) fail(`${ln} holds ${plural(arr.shape[0]!, 'length')} but ${name} holds ${plural(N, 'sequence')}; they must match`);
    lengths = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      const v = numberAt(arr, i);
      if (!Number.isInteger(v)) fail(`${ln}: length of sequence ${i} is ${String(arr.data[i])}, not an integer`);
      if (v === 0) fail(`${ln}: sequence ${i} has length 0; a sequence needs at least one step (drop it from ${name})`);
      if (v < 1 || v > T) fail(`${ln}: length of sequence ${i} is ${v}, outside 1..${T} (the steps of ${name})`);
      lengths[i] = v;
    }
  }

  const sequences: Float32Array[] = new Array(N);
  const origins: string[] = new Array(N);
  for (let i = 0; i < N; i++) {
    const len = lengths ? lengths[i]! : T;
    const out = new Float32Array(len * F);
    const base = i * T * F;
    for (let k = 0; k < len * F; k++) {
      const v = numberAt(x, base + k);
      if (!Number.isFinite(v)) fail(`${name}: sequence ${i}, step ${Math.floor(k / F)}, feature ${k % F} is ${v}; features must be finite numbers`);
      out[k] = v;
    }
    sequences[i] = out;
    origins[i] = `sequence ${i}`;
  }

  let labels: SequenceLabel[] | null = null;
  let stepLabels: StepLabel[][] | null = null;
  if (inputs.labels && inputs.perStep) {
    const yn = inputs.labels.name;
    const arr = parseNpy(inputs.labels.bytes, yn);
    if (arr.shape.length !== 2 || arr.shape[1] !== T) fail(`${yn}: shape (${arr.shape.join(', ')}) is not [N, T] = [${N}, ${T}] (one label per step of ${name}; --per-step)`);
    if (arr.shape[0] !== N) fail(`${yn} holds labels of ${plural(arr.shape[0]!, 'sequence')} but ${name} holds ${plural(N, 'sequence')}; they must match`);
    stepLabels = new Array(N);
    for (let i = 0; i < N; i++) {
      const len = lengths ? lengths[i]! : T;
      const row = Array.from({ length: len }, (_, t) => numberAt(arr, i * T + t));
      const bad = row.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) fail(`${yn}: label of sequence ${i}, step ${bad} is ${row[bad]}; labels must be finite numbers`);
      stepLabels[i] = row;
    }
  } else if (inputs.labels) {
    const yn = inputs.labels.name;
    const arr = parseNpy(inputs.labels.bytes, yn);
    if (arr.shape.length !== 1 && arr.shape.length !== 2) fail(`${yn}: shape (${arr.shape.join(', ')}) is not [N] (one label per sequence) or [N, K] (K regression targets)`);
    if (arr.shape[0] !== N) fail(`${yn} holds ${plural(arr.shape[0]!, 'label')} but ${name} holds ${plural(N, 'sequence')}; they must match`);
    const K = arr.shape.length === 2 ? arr.shape[1]! : 1;
    if (K === 0) fail(`${yn}: shape (${arr.shape.join(', ')}) has no targets per sequence`);
    labels = new Array(N);
    for (let i = 0; i < N; i++) {
      const row = Array.from({ length: K }, (_, k) => numberAt(arr, i * K + k));
      const bad = row.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) fail(`${yn}: label of sequence ${i}${K > 1 ? ` (target ${bad})` : ''} is ${row[bad]}; labels must be finite numbers`);
      labels[i] = arr.shape.length === 1 ? row[0]! : row;
    }
  }
  return {
    name, features: F, sequences, origins, labels, stepLabels, ...(inputs.labels ? { labelSource: inputs.labels.name } : {}),
    ids: null, featureNames: null,
  };
}
