/**
 * Predictions as text: JSON Lines (one object a sequence, in input order) or CSV with one row a
 * sequence: `index[,id],prediction` then, for classification, one probability column per class
 * (`p_<class>`) or, with top-k, `class_1,p_1,...,class_k,p_k`; for K regression targets,
 * `prediction_0..prediction_{K-1}`. A per-step model gets one row per step, with a `step` column.
 */
import type { Prediction } from './predictor.js';
import { className, type TargetSpec } from '../data/sequences/targets.js';

export function predictionsToJsonl(predictions: readonly Prediction[]): string {
  return predictions.map((p) => JSON.stringify(p) + '\n').join('');
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface CsvOutputOptions {
  /** The probability columns hold the k most probable classes. */
  topK?: number;
  /** One row per step (per-step predictions). */
  perStep?: boolean;
}

type One = { prediction: string | number | number[]; probabilities?: Record<string, number> };

/** Per-step predictions as one prediction per step. */
function steps(p: Prediction): One[] {
  const q = p as { prediction: (string | number)[]; probabilities?: Record<string, number>[] };
  return q.prediction.map((prediction, t) => ({ prediction, ...(q.probabilities ? { probabilities: q.probabilities[t]! } : {}) }));
}

export function predictionsToCsv(predictions: readonly Prediction[], target: TargetSpec, opts: CsvOutputOptions = {}): string {
  const { topK, perStep } = opts;
  const withId = predictions.some((p) => p.id !== undefined);
  const header: (string | number)[] = ['index', ...(withId ? ['id'] : []), ...(perStep ? ['step'] : [])];
  let cells: (p: One) => (string | number)[];
  if (target.kind === 'regress') {
    const K = target.outputs;
    header.push(...(K === 1 ? ['prediction'] : Array.from({ length: K }, (_, k) => `prediction_${k}`)));
    cells = (p) => (K === 1 ? [p.prediction as number] : (p.prediction as number[]));
  } else if (topK) {
    const k = Math.min(topK, target.numClasses);
    header.push('prediction', ...Array.from({ length: k }, (_, i) => [`class_${i + 1}`, `p_${i + 1}`]).flat());
    cells = (p) => {
      const probs = Object.entries((p as { probabilities: Record<string, number> }).probabilities).sort((a, b) => b[1] - a[1]);
      return [p.prediction as string | number, ...probs.flatMap(([c, v]) => [c, v])];
    };
  } else {
    const names = Array.from({ length: target.numClasses }, (_, k) => String(className(target, k)));
    header.push('prediction', ...names.map((n) => `p_${n}`));
    cells = (p) => [p.prediction as string | number, ...names.map((n) => (p as { probabilities: Record<string, number> }).probabilities[n]!)];
  }
  const lines = [header.map(csvField).join(',')];
  for (const p of predictions) {
    const lead = [p.index, ...(withId ? [p.id ?? ''] : [])];
    if (perStep) steps(p).forEach((q, t) => lines.push([...lead, t, ...cells(q)].map(csvField).join(',')));
    else lines.push([...lead, ...cells(p as One)].map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}
