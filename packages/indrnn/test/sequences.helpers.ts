/**
 * Small sequence data sets for the sequences tests, and writers for the three file formats written
 * here independently of the library's readers (so a round trip checks a reader against the format).
 */
import { Generator } from '../src/index.js';
import { npyBytes } from './data.helpers.js';

export interface Sequences {
  /** [sequence][step][feature] */
  x: number[][][];
  /** Per sequence, or with per-step labels one list per sequence (one label a step). */
  y: (number | string | number[] | (number | string)[])[];
}

/**
 * Noisy sine waves of 2 features and 5..12 steps (values rounded to 4 decimals, so every format
 * writes them exactly). Class 'fast' or 'slow' by frequency, or with `numeric` 0/1; `regress` gives
 * the frequency itself as the label; 'steps' and 'steps-numeric' label every step 'up'/'down' (1/0) by
 * whether the wave rises into it.
 */
export function waves(n: number, seed: number, opts: { labels?: 'names' | 'numeric' | 'regress' | 'steps' | 'steps-numeric'; minLen?: number; maxLen?: number } = {}): Sequences {
  const gen = new Generator(seed);
  const minLen = opts.minLen ?? 5;
  const maxLen = opts.maxLen ?? 12;
  const x: number[][][] = [];
  const y: Sequences['y'] = [];
  for (let i = 0; i < n; i++) {
    const fast = i % 2 === 0;
    const freq = (fast ? 1.2 : 0.3) + 0.2 * gen.random();
    const len = minLen + gen.int(maxLen - minLen + 1);
    const phase = gen.random() * 6;
    x.push(Array.from({ length: len }, (_, t) => [
      Math.round(Math.sin(freq * t + phase) * 1e4) / 1e4,
      Math.round((3 + 0.1 * gen.normal()) * 1e4) / 1e4,
    ]));
    const rising = (t: number): boolean => t > 0 && x[i]![t]![0]! > x[i]![t - 1]![0]!;
    if (opts.labels === 'steps' || opts.labels === 'steps-numeric') {
      y.push(Array.from({ length: len }, (_, t) => (opts.labels === 'steps' ? (rising(t) ? 'up' : 'down') : rising(t) ? 1 : 0)));
      continue;
    }
    y.push(opts.labels === 'regress' ? Math.round(freq * 1e4) / 1e4 : opts.labels === 'numeric' ? (fast ? 1 : 0) : fast ? 'fast' : 'slow');
  }
  return { x, y };
}

export function toJsonl(s: Sequences, opts: { labels?: boolean } = {}): string {
  return s.x.map((x, i) => JSON.stringify(opts.labels === false ? { x } : { x, y: s.y[i] }) + '\n').join('');
}

/** Long form: id,f0,f1,...,label with one row per step. */
export function toCsv(s: Sequences, opts: { labels?: boolean; idCol?: string; labelCol?: string; perStep?: boolean } = {}): string {
  const F = s.x[0]![0]!.length;
  const head = [opts.idCol ?? 'id', ...Array.from({ length: F }, (_, f) => `f${f}`), ...(opts.labels === false ? [] : [opts.labelCol ?? 'label'])];
  const lines = [head.join(',')];
  s.x.forEach((x, i) => {
    const y = s.y[i];
    x.forEach((row, t) => lines.push([`s${i}`, ...row, ...(opts.labels === false ? [] : [Array.isArray(y) && opts.perStep ? y[t] : y])].join(',')));
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
  if (s.y.every((v) => Array.isArray(v))) {
    // one label per step: [N, T], padded with 0
    const y = new Array<number>(N * T).fill(0);
    s.y.forEach((steps, i) => (steps as number[]).forEach((v, t) => (y[i * T + t] = v)));
    return { x: npyBytes('<f4', [N, T, F], flat), y: npyBytes('<i4', [N, T], y), lengths: npyBytes('<i8', [N], s.x.map((x) => x.length)) };
  }
  const numeric = s.y.every((v) => typeof v === 'number');
  const ints = numeric && s.y.every((v) => Number.isInteger(v));
  return {
    x: npyBytes('<f4', [N, T, F], flat),
    y: npyBytes(ints ? '<i4' : '<f4', [N], s.y as number[]),
    lengths: npyBytes('<i8', [N], s.x.map((x) => x.length)),
  };
}
