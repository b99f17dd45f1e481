/**
 * Learning curves from metrics.jsonl records: the training loss per step, other training metrics
 * (e.g. bpc), every validation metric (`val_*`) and the learning rate, plus the EMA smoothing that
 * makes a noisy per-step loss readable.
 */
import type { MetricsRecord } from './run-files.js';
import type { Point } from './svg.js';

export interface Curves {
  /** Training loss per step; NaN where the loss was not finite (JSON writes NaN as null). */
  loss: Point[];
  /** Other numeric keys of the training lines, e.g. `bpc` for char-level language models. */
  train: Map<string, Point[]>;
  /** Every `val_*` metric, by name, at the steps the run validated. */
  val: Map<string, Point[]>;
  /** Learning rate at each training step. */
  lr: Point[];
}

/** Keys of a training line that are bookkeeping, not metrics. */
const NOT_TRAIN_METRICS = new Set(['step', 'loss', 'lr', 'event']);

function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : NaN;
}

function push(map: Map<string, Point[]>, key: string, point: Point): void {
  const list = map.get(key);
  if (list) list.push(point);
  else map.set(key, [point]);
}

/** Splits the records into named series; event lines (done, interrupted) are not curve points. */
export function extractCurves(records: readonly MetricsRecord[]): Curves {
  const curves: Curves = { loss: [], train: new Map(), val: new Map(), lr: [] };
  for (const rec of records) {
    if (rec.event !== undefined) continue;
    const valKeys = Object.keys(rec).filter((k) => k.startsWith('val_'));
    if (valKeys.length > 0) {
      for (const k of valKeys) push(curves.val, k, [rec.step, asNumber(rec[k])]);
      continue;
    }
    if (!('loss' in rec)) continue;
    curves.loss.push([rec.step, asNumber(rec['loss'])]);
    if (typeof rec['lr'] === 'number') curves.lr.push([rec.step, rec['lr']]);
    for (const [k, v] of Object.entries(rec)) {
      if (!NOT_TRAIN_METRICS.has(k) && typeof v === 'number') push(curves.train, k, [rec.step, v]);
    }
  }
  return curves;
}

/**
 * An EMA weight for n points: a time constant of about n/50 points, so the curve keeps the shape of
 * a short run and still smooths a long one (TensorBoard's fixed 0.6 barely smooths 60K steps).
 * Capped at a time constant of 1000 steps.
 */
export function emaWeight(n: number): number {
  const timeConstant = Math.min(1000, Math.max(1, n / 50));
  return Number((1 - 1 / timeConstant).toFixed(4));
}

/**
 * Exponential moving average with bias correction (as in Adam and TensorBoard): early points are
 * not pulled towards 0. Non-finite values are skipped and keep their NaN in the output.
 */
export function ema(points: readonly Point[], weight: number): Point[] {
  let average = 0;
  let seen = 0;
  return points.map(([x, y]) => {
    if (!Number.isFinite(y)) return [x, NaN] as const;
    seen++;
    average = weight * average + (1 - weight) * y;
    return [x, average / (1 - Math.pow(weight, seen))] as const;
  });
}

/** Whether the learning rate ever changed (only then is an lr chart worth drawing). */
export function lrChanges(lr: readonly Point[]): boolean {
  return lr.some(([, v]) => v !== lr[0]![1]);
}

/** The last finite value of a series, with its step. */
export function lastValue(points: readonly Point[]): Point | null {
  for (let i = points.length - 1; i >= 0; i--)
    if (Number.isFinite(points[i]![1])) return points[i]!;
  return null;
}
