/**
 * Small sequence data sets for the sequences tests, and writers for the three file formats written
 * here independently of the library's readers (so a round trip checks a reader against the format).
 */
import { Generator } from '../src/index.js';
import { npyBytes } from './data.helpers.js';

export interface Sequences {
  /** [sequence][step][feature] */
  x: number[][][];
  y: (number | string | number[])[];
}

/**
 * Noisy sine waves of 2 features and 5..12 steps (values rounded to 4 decimals, so every format
 * writes them exactly). Class 'fast' or 'slow' by frequency, or with `numeric` 0/1; `regress` gives
 * the frequency itself as the label.
 */
export function waves(n: number, seed: number, opts: { labels?: 'names' | 'numeric' | 'regress'; minLen?: number; maxLen?: number } = {}): Sequences {
  const gen = new Generator(seed);
  const minLen = opts.minLen ?? 5;
  const maxLen = opts.maxLen ?? 12;
  const x: number[][][] = [];
  const y: (number | string | number[])[] = [];
  for (let i = 0; i < n; i++) {
    const fast = i % 2 === 0;
    const freq = (fast ? 1.2 : 0.3) + 0.2 * gen.random();
    const len = minLen + gen.int(maxLen - minLen + 1);
    const phase = gen.random() * 6;
    x.push(Array.from({ length: len }, (_, t) => [
      Math.round(Math.sin(freq * t + phase) * 1e4) / 1e4,
      Math.round((3 + 0.1 * gen.normal()) * 1e4) / 1e4,
    ]));
    y.push(opts.labels === 'regress' ? Math.round(freq * 1e4) / 1e4 : opts.labels === 'numeric' ? (fast ? 1 : 0) : fast ? 'fast' : 'slow');
  }
  return { x, y };
}

export function toJsonl(s: Sequences, opts: { labels?: boolean } = {}): string {
  return s.x.map((x, i) => JSON.stringify(opts.labels === false ? { x } : { x, y: s.y[i] }) + '\n').join('');
}

/** Long form: id,f0,f1,...,label with one row per step. */
export function toCsv(s: Sequences, opts: { labels?: boolean; idCol?: string; labelCol?: string } = {}): string {
  const F = s.x[0]![0]!.length;
  const head = [opts.idCol ?? 'id', ...Array.from({ length: F }, (_, f) => `f${f}`), ...(opts.labels === false ? [] : [opts.labelCol ?? 'label'])];
  const lines = [head.join(',')];
  s.x.forEach((x, i) => {
    for (const row of x) lines.push([`s${i}`, ...row, ...(opts.labels === false ? [] : [s.y[i]])].join(','));
  });
  return lines.join('\n') + '\n';
}

/** x [N, Tmax, F] float32 zero-padded, y [N] (int32 or float32), lengths [N] int32. */
export function toNpy(s: Sequences): { x: Uint8Array; y: Uint8Array; lengths: Uint8Array } {
  const N = s.x.length;
  const F = s.x[0]![0]!.length;
  const T = Math.max(...s.x.map((x) => x.length));
  const flat = new Array<number>(N * T * F).fill(0);
  s.x.forEach((x, i) => x.forEach((row, t) => row.forEach((v, f) => (flat[(i * T + t) * F + f] = v))));
  const numeric = s.y.every((v) => typeof v === 'number');
  const ints = numeric && s.y.every((v) => Number.isInteger(v));
  return {
    x: npyBytes('<f4', [N, T, F], flat),
    y: npyBytes(ints ? '<i4' : '<f4', [N], s.y as number[]),
    lengths: npyBytes('<i8', [N], s.x.map((x) => x.length)),
  };
}
