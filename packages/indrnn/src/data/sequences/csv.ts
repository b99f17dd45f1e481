/**
 * Long-form CSV sequences: one row per time step, with a sequence-id column, feature columns and a
 * label column (or several, for regression targets). A sequence's rows keep their file order; the
 * sequences come in the order their ids first appear. Every row of a sequence carries the same
 * label. The first row is the header. Parsing is csv-parse's (quotes, CRLF, a byte-order mark).
 *
 * Labels: when every label cell is a number the labels are numbers (class indices or regression
 * targets), otherwise they are class names; several label columns make a list of numbers
 * (regression targets). With `perStep`, each row's label is the label of its step.
 */
// Node only (exported from 'indrnn/node'): csv-parse's Node build needs Buffer, and its browser
// build, which carries a Buffer polyfill, parses about 3x slower
import { parse } from 'csv-parse/sync';
import { fail } from '../../util/errors.js';
import { decodeText } from '../bytes.js';
import { shown, type SequenceLabel, type SequenceSet, type StepLabel } from './types.js';

export interface CsvSequenceOptions {
  /** Column naming each row's sequence (default 'id'). */
  idCol?: string;
  /** Label column(s) (default ['label']); several make a regression target list. */
  labelCols?: readonly string[];
  /** Feature columns (default: every column that is neither the id nor a label). */
  featureCols?: readonly string[] | null;
  /** Fail when the label columns are missing (training); otherwise the set has no labels. */
  requireLabels?: boolean;
  /** Field delimiter (default ','). */
  delimiter?: string;
  /** Each row's label is its step's label (one label column). */
  perStep?: boolean;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

function numberCell(cell: string, where: string): number {
  if (cell === '') fail(`${where} is empty; every feature needs a number`);
  if (NUMBER.test(cell)) {
    const v = Number(cell);
    if (Number.isFinite(v)) return v;
  }
  fail(`${where} is ${shown(cell)}, not a finite number${NON_FINITE.test(cell) ? ' (NaN and Inf are not allowed)' : ''}`);
}

export function parseSequencesCsv(input: Uint8Array | string, name: string, opts: CsvSequenceOptions = {}): SequenceSet {
  const text = decodeText(input, name);
  const idCol = opts.idCol ?? 'id';
  const labelCols = opts.labelCols ?? ['label'];
  let rows: CsvRecord[];
  try {
    rows = parse(text, {
      bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true,
      delimiter: opts.delimiter ?? ',',
    }) as unknown as CsvRecord[];
  } catch (e) {
    fail(`${name}: not a readable CSV file (${(e as Error).message})`);
  }
  if (rows.length === 0) fail(`${name}: no rows (the file is empty); expected a header such as id,f1,f2,label and one row per time step`);
  const header = rows[0]!.record;
  const column = new Map<string, number>();
  header.forEach((h, i) => {
    if (h === '') fail(`${name}: line ${rows[0]!.info.lines}: column ${i + 1} of the header has no name`);
    if (column.has(h)) fail(`${name}: line ${rows[0]!.info.lines}: the header names column ${shown(h)} twice`);
    column.set(h, i);
  });
  const columnsText = header.map((h) => shown(h)).join(', ');
  const idIndex = column.get(idCol);
  if (idIndex === undefined) fail(`${name}: no id column ${shown(idCol)} in the header (columns: ${columnsText}); name it with --id-col`);
  const labelIdx = labelCols.map((c) => column.get(c));
  const missingLabels = labelCols.filter((_, k) => labelIdx[k] === undefined);
  const hasLabels = missingLabels.length === 0;
  if (!hasLabels && (opts.requireLabels || missingLabels.length < labelCols.length)) {
    fail(`${name}: no label column ${missingLabels.map(shown).join(', ')} in the header (columns: ${columnsText}); name it with --label-col`);
  }
  let featureIdx: number[];
  let featureNames: string[];
  if (opts.featureCols) {
    if (opts.featureCols.length === 0) fail(`${name}: no feature columns were named`);
    featureNames = [...opts.featureCols];
    featureIdx = featureNames.map((c) => {
      const i = column.get(c);
      if (i === undefined) fail(`${name}: no feature column ${shown(c)} in the header (columns: ${columnsText})`);
      if (i === idIndex || labelIdx.includes(i)) fail(`${name}: column ${shown(c)} cannot be both a feature and the id or a label`);
      return i;
    });
  } else {
    featureIdx = header.map((_, i) => i).filter((i) => i !== idIndex && !labelIdx.includes(i));
    featureNames = featureIdx.map((i) => header[i]!);
    if (featureIdx.length === 0) fail(`${name}: no feature columns: the header (${columnsText}) has only the id and label columns`);
  }
  const F = featureIdx.length;
  if (opts.perStep && labelCols.length > 1) fail(`${name}: --per-step takes one label column, got ${labelCols.length} (${labelCols.map(shown).join(', ')})`);

  const byId = new Map<string, { steps: number[]; line: number; label: string[] | null; labelLine: number; stepLabels: string[]; stepLines: number[] }>();
  for (let r = 1; r < rows.length; r++) {
    const { record, info } = rows[r]!;
    const at = `${name}: line ${info.lines}`;
    if (record.length !== header.length) fail(`${at}: ${record.length} field${record.length === 1 ? '' : 's'}, but the header has ${header.length} (ragged row)`);
    const id = record[idIndex]!;
    if (id === '') fail(`${at}: the id column ${shown(idCol)} is empty; every row needs the id of its sequence`);
    let seq = byId.get(id);
    const label = hasLabels ? labelIdx.map((i) => record[i!]!) : null;
    if (!seq) {
      seq = { steps: [], line: info.lines, label, labelLine: info.lines, stepLabels: [], stepLines: [] };
      byId.set(id, seq);
    } else if (label && !opts.perStep && label.join('\u0000') !== seq.label!.join('\u0000')) {
      fail(`${at}: sequence ${shown(id)} has label ${shown(label.join(','))} here but ${shown(seq.label!.join(','))} on line ${seq.labelLine}; every row of a sequence must carry the same label (for one label per step pass --per-step)`);
    }
    if (label && opts.perStep) {
      seq.stepLabels.push(label[0]!);
      seq.stepLines.push(info.lines);
    }
    for (let f = 0; f < F; f++) seq.steps.push(numberCell(record[featureIdx[f]!]!, `${at}, column ${shown(featureNames[f])}`));
  }
  if (byId.size === 0) fail(`${name}: the header has no rows under it (no sequences)`);

  const entries = [...byId.entries()];
  let labels: SequenceLabel[] | null = null;
  let stepLabels: StepLabel[][] | null = null;
  if (hasLabels && opts.perStep) {
    const all = entries.flatMap(([, s]) => s.stepLabels.map((c, t) => [c, s.stepLines[t]!] as const));
    for (const [c, line] of all) {
      if (c === '') fail(`${name}: line ${line}: label column ${shown(labelCols[0])} is empty`);
      if (NON_FINITE.test(c)) fail(`${name}: line ${line}: label ${shown(c)} in column ${shown(labelCols[0])} is not a finite number`);
    }
    const numeric = all.every(([c]) => NUMBER.test(c));
    stepLabels = entries.map(([, s]) => s.stepLabels.map((c) => (numeric ? Number(c) : c)));
  } else if (hasLabels) {
    const where = (k: number): string => `${name}: line ${entries[k]![1].labelLine}`;
    for (let k = 0; k < entries.length; k++) {
      const cells = entries[k]![1].label!;
      cells.forEach((c, j) => {
        if (c === '') fail(`${where(k)}: label column ${shown(labelCols[j])} is empty`);
        if (NON_FINITE.test(c)) fail(`${where(k)}: label ${shown(c)} in column ${shown(labelCols[j])} is not a finite number`);
      });
    }
    if (labelCols.length > 1) {
      labels = entries.map(([, s], k) => s.label!.map((c, j) => numberCell(c, `${where(k)}, label column ${shown(labelCols[j])}`)));
    } else {
      const numeric = entries.every(([, s]) => NUMBER.test(s.label![0]!));
      labels = entries.map(([, s]) => (numeric ? Number(s.label![0]) : s.label![0]!));
    }
  }
  return {
    name,
    features: F,
    sequences: entries.map(([, s]) => Float32Array.from(s.steps)),
    origins: entries.map(([id, s]) => `line ${s.line} (id ${shown(id)})`),
    labels,
    stepLabels,
    ids: entries.map(([id]) => id),
    featureNames,
  };
}
