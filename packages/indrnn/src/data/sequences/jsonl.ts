/**
 * JSON Lines sequences: one sequence a line, `{"x": [[f1, ..., fF], ...one row per step], "y": LABEL}`
 * with an optional `"id"`. `"x"` may also be a flat list of numbers (one feature a step). Lengths
 * may differ from line to line; the feature count may not. Blank lines are skipped.
 *
 * Labels: a number, a string (a class name) or an array of numbers (regression targets), of one
 * kind in the whole file; either every line has `"y"` or none does. With `perStep`, `"y"` is a list
 * of one label per step (numbers or class names).
 */
import { fail } from '../../util/errors.js';
import { decodeText } from '../bytes.js';
import { shown, type SequenceLabel, type SequenceSet, type StepLabel } from './types.js';

type LabelKind = 'number' | 'string' | 'array';

function labelKind(y: unknown): LabelKind | null {
  if (typeof y === 'number') return 'number';
  if (typeof y === 'string') return 'string';
  if (Array.isArray(y)) return 'array';
  return null;
}

const notFinite = (v: unknown): string =>
  v === null ? 'null (NaN and Inf are not allowed; JSON writes them as null or not at all)' : `${shown(v)}, not a finite number`;

export interface JsonlSequenceOptions {
  /** "y" holds one label per step. */
  perStep?: boolean;
}

export function parseSequencesJsonl(input: Uint8Array | string, name: string, opts: JsonlSequenceOptions = {}): SequenceSet {
  const text = decodeText(input, name).replace(/^\uFEFF/, '');
  const sequences: Float32Array[] = [];
  const origins: string[] = [];
  const labels: SequenceLabel[] = [];
  const stepLabels: StepLabel[][] = [];
  let stepKind: { kind: 'number' | 'string'; line: number } | null = null;
  const ids: (string | null)[] = [];
  let anyId = false;
  let features = -1;
  let featuresLine = 0;
  let hasLabels: boolean | null = null;
  let firstLabel: { kind: LabelKind; line: number; size: number } | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const n = i + 1;
    const at = `${name}: line ${n}`;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      const hint = /\bNaN\b|Infinity/.test(line) ? '; NaN and Infinity are not JSON (and not allowed in features)' : '';
      fail(`${at}: not valid JSON (${(e as Error).message})${hint}`);
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
      fail(`${at}: expected an object such as {"x": [[0.1, 0.2], [0.3, 0.4]], "y": 1}, got ${shown(rec)}`);
    }
    const obj = rec as Record<string, unknown>;
    const x = obj['x'];
    if (!Array.isArray(x)) fail(`${at}: "x" must be a list of steps (one list of features per step), got ${shown(x)}`);
    if (x.length === 0) fail(`${at}: "x" is empty; a sequence needs at least one step`);
    // one feature a step when x is a flat list of numbers
    const flat = !Array.isArray(x[0]);
    const F = flat ? 1 : (x[0] as unknown[]).length;
    if (F === 0) fail(`${at}: step 0 has no features`);
    if (features < 0) {
      features = F;
      featuresLine = n;
    } else if (F !== features) {
      fail(`${at}: ${F} feature${F === 1 ? '' : 's'} a step, but line ${featuresLine} has ${features}; every sequence must have the same features`);
    }
    const values = new Float32Array(x.length * F);
    for (let t = 0; t < x.length; t++) {
      const row = x[t];
      if (flat) {
        if (typeof row !== 'number' || !Number.isFinite(row)) {
          fail(Array.isArray(row) ? `${at}: "x" mixes numbers and lists; write every step as a list of features` : `${at}: x[${t}] is ${notFinite(row)}`);
        }
        values[t] = row;
        continue;
      }
      if (!Array.isArray(row)) fail(`${at}: x[${t}] must be a list of ${F} features, got ${shown(row)}`);
      if (row.length !== F) fail(`${at}: step ${t} has ${row.length} feature${row.length === 1 ? '' : 's'}, step 0 has ${F} (ragged rows)`);
      for (let f = 0; f < F; f++) {
        const v = row[f];
        if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${at}: x[${t}][${f}] is ${notFinite(v)}`);
        values[t * F + f] = v;
      }
    }
    const has = 'y' in obj;
    if (hasLabels === null) hasLabels = has;
    else if (has !== hasLabels) {
      fail(has
        ? `${at}: has "y" but the lines before it have none; label every sequence or none`
        : `${at}: has no "y" but the lines before it have one; label every sequence or none`);
    }
    if (has && opts.perStep) stepLabels.push(checkStepLabels(obj['y'], x.length, at, n, (first) => (stepKind ??= first)));
    else if (has) labels.push(checkLabel(obj['y'], at, n, (first) => (firstLabel ??= first)));
    const id = obj['id'];
    if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') fail(`${at}: "id" must be a string or a number, got ${shown(id)}`);
    if (id !== undefined) anyId = true;
    ids.push(id === undefined ? null : String(id));
    sequences.push(values);
    origins.push(`line ${n}`);
  }
  if (sequences.length === 0) fail(`${name}: no sequences (the file is empty); expected one JSON object a line such as {"x": [[0.1, 0.2]], "y": 1}`);
  return {
    name, features, sequences, origins, labels: hasLabels && !opts.perStep ? labels : null,
    stepLabels: hasLabels && opts.perStep ? stepLabels : null, ids: anyId ? ids : null, featureNames: null,
  };
}

/** Checks a per-step "y": one number or class name per step, of the first line's kind. */
function checkStepLabels(
  y: unknown,
  steps: number,
  at: string,
  line: number,
  first: (k: { kind: 'number' | 'string'; line: number }) => { kind: 'number' | 'string'; line: number },
): StepLabel[] {
  if (!Array.isArray(y)) fail(`${at}: "y" must be a list of one label per step (--per-step), got ${shown(y)}`);
  if (y.length !== steps) fail(`${at}: "y" has ${y.length} label${y.length === 1 ? '' : 's'} but "x" has ${steps} step${steps === 1 ? '' : 's'}; --per-step needs one label per step`);
  for (let t = 0; t < y.length; t++) {
    const v = y[t];
    const kind = typeof v === 'number' ? 'number' : typeof v === 'string' ? 'string' : null;
    if (kind === null) fail(`${at}: y[${t}] is ${shown(v)}; a step's label is a number or a class name`);
    if (kind === 'number' && !Number.isFinite(v)) fail(`${at}: y[${t}] is ${notFinite(v)}`);
    if (kind === 'string' && v === '') fail(`${at}: y[${t}] is an empty string; class names must not be empty`);
    const f = first({ kind, line });
    if (f.kind !== kind) fail(`${at}: y[${t}] is a ${kind} (${shown(v)}), but the labels of line ${f.line} are ${f.kind}s; labels of mixed type`);
  }
  return y as StepLabel[];
}

/** Checks one "y" and that its kind (and array length) matches the first label's. */
function checkLabel(
  y: unknown,
  at: string,
  line: number,
  first: (l: { kind: LabelKind; line: number; size: number }) => { kind: LabelKind; line: number; size: number },
): SequenceLabel {
  const kind = labelKind(y);
  if (kind === null) fail(`${at}: "y" must be a number, a string (a class name) or a list of numbers, got ${shown(y)}`);
  if (kind === 'number' && !Number.isFinite(y as number)) fail(`${at}: "y" is ${notFinite(y)}`);
  if (kind === 'string' && (y as string).length === 0) fail(`${at}: "y" is an empty string; class names must not be empty`);
  let size = 1;
  if (kind === 'array') {
    const arr = y as unknown[];
    if (arr.length === 0) fail(`${at}: "y" is an empty list; regression targets need at least one number`);
    const bad = arr.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) {
      const v = arr[bad];
      fail(typeof v === 'string' || Array.isArray(v)
        ? `${at}: "y" is a list holding ${shown(v)}; list labels are regression targets and must be numbers (for one label per step pass --per-step)`
        : `${at}: y[${bad}] is ${notFinite(v)}`);
    }
    size = arr.length;
  }
  const f = first({ kind, line, size });
  if (f.kind !== kind) {
    fail(`${at}: "y" is ${kind === 'array' ? 'a list' : `a ${kind}`} (${shown(y)}), but line ${f.line}'s is ${f.kind === 'array' ? 'a list' : `a ${f.kind}`}; labels of mixed type`);
  }
  if (kind === 'array' && f.size !== size) fail(`${at}: "y" has ${size} values, but line ${f.line}'s has ${f.size}; every target list must have the same length`);
  return kind === 'array' ? [...(y as number[])] : (y as number | string);
}
