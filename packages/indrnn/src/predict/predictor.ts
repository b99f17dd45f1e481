/**
 * Predictions of a model trained by the `sequences` task on new sequences: the spec's
 * standardisation applied, batches of similar length run in eval mode, and each sequence's output
 * turned into a class (with its probabilities) or regression values. When the sequences have labels,
 * also the metric (accuracy or mean squared error). Browser-safe.
 */
import { SequenceModel, type Model } from '../nn/models.js';
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../backend/memory.js';
import { fail } from '../util/errors.js';
import { sequenceBatch, indicesByLength } from '../data/sequences/batch.js';
import { standardize } from '../data/sequences/standardize.js';
import { className, encodeTargets, stepLabelView, type TargetSpec } from '../data/sequences/targets.js';
import { checkSameFeatures, type SequenceSet } from '../data/sequences/types.js';
import type { SequenceSpec } from '../data/sequences/spec.js';
import { PredictionStream } from './stream.js';
import { stepOutputs } from './steps.js';

/** A class with its probabilities (by class name), or regression values; per step, a list of them. */
export type PredictedValue =
  | { prediction: string | number; probabilities: Record<string, number> }
  | { prediction: number | number[] }
  | { prediction: (string | number)[]; probabilities: Record<string, number>[] };

/** One sequence's prediction, by its position in the input (and its id when the file names one). */
export type Prediction = { index: number; id?: string } & PredictedValue;

export interface PredictOptions {
  /** Sequences a batch (default 256). */
  batchSize?: number;
  /** Keep only the k most probable classes in `probabilities` (default: all). */
  topK?: number;
}

export interface PredictionMetric {
  name: 'accuracy' | 'mse';
  value: number;
  /** Labelled sequences it was computed on (per step: labelled steps). */
  count: number;
}

export interface PredictResult {
  predictions: Prediction[];
  /** Accuracy or mean squared error when the sequences have labels, else null. */
  metric: PredictionMetric | null;
}

/** Softmax of one row of logits, in float64. */
export function softmaxRow(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const e = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i]! - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export class SequencePredictor {
  readonly model: SequenceModel;

  /** `source` names the model in messages (its directory). */
  constructor(model: Model, readonly spec: SequenceSpec, readonly source = 'the model') {
    if (!(model instanceof SequenceModel)) fail(`${source}: predict needs a sequence model (config kind 'sequence'); this is a language model`);
    if (model.encoder.inputSize !== spec.features) fail(`${source}: the model reads ${model.encoder.inputSize} features a step, but its sequences spec says ${spec.features}`);
    const outputs = spec.target.kind === 'classify' ? spec.target.numClasses : spec.target.outputs;
    if (model.config.outputSize !== outputs) fail(`${source}: the model has ${model.config.outputSize} outputs, but its sequences spec expects ${outputs}`);
    this.model = model;
    model.eval();
  }

  get target(): TargetSpec {
    return this.spec.target;
  }

  /** A step's features with the model's standardisation applied (a copy). */
  prepare(values: Float32Array): Float32Array {
    return this.spec.standardization ? standardize(values, this.spec.standardization) : values;
  }

  /** Fails unless the set has the model's feature count (names the file and the model). */
  checkInput(set: { name: string; features: number }): void {
    checkSameFeatures({ name: this.source, features: this.spec.features }, set, 'the model');
  }

  /** Whether the model predicts at every step (trained with one label per step). */
  get perStep(): boolean {
    return this.spec.perStep === true;
  }

  /**
   * The model's raw outputs (logits or regression values) for every sequence: one row of width
   * `outputs` each, or per step, length × outputs values (step by step).
   */
  outputs(set: SequenceSet, batchSize = 256): Float32Array[] {
    this.checkInput(set);
    const F = set.features;
    const seqs = set.sequences.map((s) => this.prepare(s));
    const order = indicesByLength(seqs);
    const rows: Float32Array[] = new Array(seqs.length);
    this.model.eval();
    for (let i = 0; i < order.length; i += batchSize) {
      const idx = order.subarray(i, Math.min(order.length, i + batchSize));
      const { out, T } = tidy(() => noGrad(() => {
        const b = sequenceBatch(seqs, F, idx);
        const y = this.perStep ? stepOutputs(this.model, b.x, b.lengths) : this.model.forward(b.x, { lengths: b.lengths });
        return { out: y.data().slice() as Float32Array, T: b.x.shape[0]! };
      }));
      const B = idx.length;
      if (!this.perStep) {
        const width = out.length / B;
        idx.forEach((k, j) => (rows[k] = out.subarray(j * width, (j + 1) * width)));
        continue;
      }
      // [T, B, C]: sequence j's valid steps, step by step
      const C = out.length / (T * B);
      idx.forEach((k, j) => {
        const len = seqs[k]!.length / F;
        const row = new Float32Array(len * C);
        for (let t = 0; t < len; t++) row.set(out.subarray((t * B + j) * C, (t * B + j + 1) * C), t * C);
        rows[k] = row;
      });
    }
    return rows;
  }

  /** One output row as a prediction: the class and its probabilities (the topK best), or the regression values. */
  format(row: ArrayLike<number>, topK?: number): PredictedValue {
    const t = this.spec.target;
    if (t.kind === 'regress') return { prediction: t.outputs === 1 ? row[0]! : Array.from(row) };
    const p = softmaxRow(row);
    const ranked = p.map((v, k) => [k, v] as const).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const probabilities: Record<string, number> = {};
    // six significant digits: the last bits differ between backends and thread counts anyway
    for (const [k, v] of topK ? ranked.slice(0, topK) : ranked) probabilities[String(className(t, k))] = Number(v.toPrecision(6));
    return { prediction: className(t, ranked[0]![0]), probabilities };
  }

  /** Per step: each step's prediction, as lists. */
  private formatSteps(row: Float32Array, topK?: number): PredictedValue {
    const C = this.spec.target.kind === 'classify' ? this.spec.target.numClasses : this.spec.target.outputs;
    const steps = Array.from({ length: row.length / C }, (_, t) => this.format(row.subarray(t * C, (t + 1) * C), topK));
    if (this.spec.target.kind === 'regress') return { prediction: steps.map((p) => p.prediction as number) };
    return {
      prediction: steps.map((p) => p.prediction as string | number),
      probabilities: steps.map((p) => (p as { probabilities: Record<string, number> }).probabilities),
    };
  }

  predict(set: SequenceSet, opts: PredictOptions = {}): PredictResult {
    if (opts.topK !== undefined && (!Number.isInteger(opts.topK) || opts.topK < 1)) fail(`predict: topK must be an integer >= 1, got ${opts.topK}`);
    // labels are checked before the model runs, so a bad label fails fast
    const labelled = this.perStep ? (set.stepLabels ? stepLabelView(set) : null) : set.labels ? set : null;
    const targets = labelled ? encodeTargets(labelled, this.spec.target) : null;
    const rows = this.outputs(set, opts.batchSize ?? 256);
    const predictions = rows.map((row, i): Prediction => {
      const id = set.ids?.[i] ?? null;
      return { index: i, ...(id !== null ? { id } : {}), ...(this.perStep ? this.formatSteps(row, opts.topK) : this.format(row, opts.topK)) };
    });
    // the metric over every labelled row: a sequence's output, or per step each step's
    const C = this.spec.target.kind === 'classify' ? this.spec.target.numClasses : this.spec.target.outputs;
    const flat = rows.flatMap((row) => Array.from({ length: row.length / C }, (_, t) => row.subarray(t * C, (t + 1) * C)));
    let metric: PredictionMetric | null = null;
    if (targets?.kind === 'classify') {
      let correct = 0;
      flat.forEach((row, i) => {
        let best = 0;
        for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
        if (best === targets.classes[i]) correct++;
      });
      metric = { name: 'accuracy', value: correct / flat.length, count: flat.length };
    } else if (targets?.kind === 'regress') {
      let sq = 0;
      flat.forEach((row, i) => {
        for (let k = 0; k < row.length; k++) sq += (row[k]! - targets.values[i * targets.outputs + k]!) ** 2;
      });
      metric = { name: 'mse', value: sq / (flat.length * targets.outputs), count: flat.length };
    }
    return { predictions, metric };
  }

  /** Online inference: one time step at a time per sequence id, with the model's recurrent state kept per id. */
  stream(opts: { topK?: number } = {}): PredictionStream {
    return new PredictionStream(this, opts);
  }
}
