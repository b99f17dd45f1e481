/**
 * Reads a user's sequence file by its extension: `.jsonl`/`.ndjson` (JSON Lines), `.npy` (with its
 * labels and lengths arrays), `.csv`/`.tsv` (long form); any of them may be gzipped (`.gz`).
 *
 * A `.npy` array named `<prefix>x.npy` finds its companions beside it when they are not given:
 * `<prefix>y.npy` (labels) and `<prefix>len.npy` or `<prefix>lengths.npy` (lengths); `x.npy`
 * finds `y.npy` and `len.npy`.
 */
import { basename, dirname, join } from 'node:path';
import { fail } from '../../util/errors.js';
import { parseSequencesCsv, type CsvSequenceOptions } from '../sequences/csv.js';
import { parseSequencesJsonl } from '../sequences/jsonl.js';
import { parseSequencesNpy } from '../sequences/npy.js';
import type { SequenceSet } from '../sequences/types.js';
import { isFile, readDataFile } from './files.js';

export const SEQUENCE_FORMATS = ['jsonl', 'npy', 'csv'] as const;
export type SequenceFormat = (typeof SEQUENCE_FORMATS)[number];

export interface SequenceFileOptions extends CsvSequenceOptions {
  /** .npy: the labels array (default: found beside x by name, when it exists). */
  labels?: string | null;
  /** .npy: the lengths array (default: found beside x by name, when it exists). */
  lengths?: string | null;
}

/** The format of a file by its extension (ignoring a final .gz). */
export function sequenceFormatOf(file: string): SequenceFormat {
  const base = basename(file).toLowerCase().replace(/\.gz$/, '');
  if (base.endsWith('.jsonl') || base.endsWith('.ndjson')) return 'jsonl';
  if (base.endsWith('.npy')) return 'npy';
  if (base.endsWith('.csv') || base.endsWith('.tsv')) return 'csv';
  return fail(`${file}: unknown sequence file format; expected .jsonl (JSON Lines), .npy (NumPy [N, T, F]) or .csv (long form), optionally gzipped (.gz)`);
}

/** `<prefix>y.npy`, `<prefix>len.npy`/`<prefix>lengths.npy` beside `<prefix>x.npy`, where they exist. */
export function npyCompanions(file: string): { labels: string | null; lengths: string | null } {
  const m = /^(.*)x\.npy(\.gz)?$/i.exec(basename(file));
  if (!m) return { labels: null, lengths: null };
  const dir = dirname(file);
  const find = (stems: string[]): string | null => {
    for (const stem of stems) {
      for (const ext of ['.npy', '.npy.gz']) {
        const p = join(dir, `${m[1]}${stem}${ext}`);
        if (isFile(p)) return p;
      }
    }
    return null;
  };
  return { labels: find(['y']), lengths: find(['len', 'lengths']) };
}

/** What was read, for a run's notes: the file, and for .npy its companions. */
export interface ReadSequences {
  set: SequenceSet;
  format: SequenceFormat;
  /** Every file read (x first). */
  files: string[];
}

export function readSequenceFile(file: string, opts: SequenceFileOptions = {}): ReadSequences {
  const format = sequenceFormatOf(file);
  if (!isFile(file)) fail(`${file}: no such file`);
  if (format === 'jsonl') return { set: parseSequencesJsonl(readDataFile(file), file, { perStep: opts.perStep ?? false }), format, files: [file] };
  if (format === 'csv') {
    const delimiter = opts.delimiter ?? (/\.tsv(\.gz)?$/i.test(file) ? '\t' : ',');
    return { set: parseSequencesCsv(readDataFile(file), file, { ...opts, delimiter }), format, files: [file] };
  }
  const found = npyCompanions(file);
  const labels = opts.labels === undefined ? found.labels : opts.labels;
  const lengths = opts.lengths === undefined ? found.lengths : opts.lengths;
  for (const [what, p] of [['labels', labels], ['lengths', lengths]] as const) {
    if (p && !isFile(p)) fail(`${p}: no such file (the ${what} of ${file})`);
  }
  if (opts.requireLabels && !labels) {
    fail(`${file}: no labels; pass them with --labels FILE.npy (or name the arrays <prefix>x.npy and <prefix>y.npy side by side)`);
  }
  const set = parseSequencesNpy({
    x: { bytes: readDataFile(file), name: file },
    labels: labels ? { bytes: readDataFile(labels), name: labels } : null,
    lengths: lengths ? { bytes: readDataFile(lengths), name: lengths } : null,
    perStep: opts.perStep ?? false,
  });
  return { set, format, files: [file, ...(labels ? [labels] : []), ...(lengths ? [lengths] : [])] };
}
