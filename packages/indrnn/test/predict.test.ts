/**
 * Predictions of sequences models: whole files in input order with class names, top-k and the
 * metric; text output as JSON lines and CSV; and the stream, whose prediction after each step of a
 * sequence equals the full-sequence prediction of the sequence cut there, for every model family.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SequencePredictor, buildModel, data, manualSeed, predictionsToCsv, predictionsToJsonl, setBackend,
  type EncoderConfig, type Prediction,
} from '../src/index.js';
import { assertIndrnnError } from './data.helpers.js';
import { waves } from './sequences.helpers.js';

setBackend('reference');

const CLASSES: data.TargetSpec = { kind: 'classify', numClasses: 3, classNames: ['ant', 'bee', 'cat'] };

function spec(target: data.TargetSpec, features = 2): data.SequenceSpec {
  return {
    format: 'indrnn-sequences', version: 1, features, featureNames: null,
    standardization: { mean: [0.1, 3], std: [0.7, 0.1] }, target, longestTraining: 12,
  };
}

function predictor(encoder: EncoderConfig, target: data.TargetSpec = CLASSES, seed = 3, perStep = false): SequencePredictor {
  manualSeed(seed);
  const model = buildModel({ kind: 'sequence', encoder, outputSize: target.kind === 'classify' ? target.numClasses : target.outputs });
  // BN running statistics away from their initial values, so eval mode really uses them
  for (const [name, t] of model.stateDict()) {
    if (name.endsWith('runningMean')) t.assign(t.add(0.3));
    if (name.endsWith('runningVar')) t.assign(t.mul(1.7));
  }
  return new SequencePredictor(model, { ...spec(target), ...(perStep ? { perStep: true } : {}) }, 'test-model');
}

function setOf(x: number[][][], labels: data.SequenceLabel[] | null = null): data.SequenceSet {
  return {
    name: 'input.jsonl', features: 2, sequences: x.map((s) => Float32Array.from(s.flat())), origins: x.map((_, i) => `line ${i + 1}`),
    labels, ids: null, featureNames: null,
  };
}

const indrnn = (extra: object = {}): EncoderConfig => ({ type: 'indrnn', inputSize: 2, hiddenSize: 6, numLayers: 2, seqLen: 12, ...extra }) as EncoderConfig;

describe('SequencePredictor on files', () => {
  const s = waves(7, 11);

  it('one prediction per sequence in input order, with class names, probabilities and top-k', () => {
    const p = predictor(indrnn({ bn: 'sequence' }));
    const { predictions, metric } = p.predict(setOf(s.x));
    assert.equal(metric, null);
    assert.deepEqual(predictions.map((q) => q.index), [0, 1, 2, 3, 4, 5, 6]);
    for (const q of predictions as (Prediction & { probabilities: Record<string, number> })[]) {
      assert.deepEqual(Object.keys(q.probabilities).sort(), ['ant', 'bee', 'cat']);
      const total = Object.values(q.probabilities).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 1) < 1e-5);
      const best = Object.entries(q.probabilities).sort((a, b) => b[1] - a[1])[0]![0];
      assert.equal(q.prediction, best);
    }
    // predictions do not depend on the batch a sequence is in
    const alone = p.predict(setOf([s.x[4]!])).predictions[0]!;
    assert.deepEqual({ ...alone, index: 4 }, predictions[4]);
    const top = p.predict(setOf(s.x), { topK: 1, batchSize: 2 }).predictions as (Prediction & { probabilities: Record<string, number> })[];
    assert.deepEqual(top.map((q) => Object.keys(q.probabilities)), predictions.map((q) => [q.prediction]));
  });

  it('labelled input gives the metric; a label the model does not know is an error naming the line', () => {
    const p = predictor(indrnn());
    const { predictions } = p.predict(setOf(s.x));
    const right = predictions.map((q) => q.prediction as string);
    const labels = right.map((c, i) => (i < 3 ? (c === 'ant' ? 'bee' : 'ant') : c));
    assert.deepEqual(p.predict(setOf(s.x, labels)).metric, { name: 'accuracy', value: 4 / 7, count: 7 });
    assertIndrnnError(() => p.predict(setOf(s.x, labels.map((l, i) => (i === 5 ? 'dog' : l)))), 'input.jsonl: line 6', 'label "dog" is not one of the 3 classes');
    const reg = predictor(indrnn(), { kind: 'regress', outputs: 2 });
    const values = reg.predict(setOf(s.x)).predictions.map((q) => q.prediction as number[]);
    const m = reg.predict(setOf(s.x, values.map((v) => [v[0]! + 1, v[1]!]))).metric!;
    assert.equal(m.name, 'mse');
    assert.ok(Math.abs(m.value - 0.5) < 1e-5);
  });

  it('a file whose feature count differs from the model\'s is an error naming both', () => {
    const p = predictor(indrnn());
    const three = { ...setOf(s.x), features: 3, sequences: [Float32Array.of(1, 2, 3)] };
    assertIndrnnError(() => p.predict(three), 'input.jsonl', '3 features a step', 'the model (test-model) reads 2');
  });

  it('writes JSON lines and CSV (one probability column a class, or top-k pairs; ids when the file has them)', () => {
    const p = predictor(indrnn());
    const set = { ...setOf(s.x.slice(0, 2)), ids: ['s,1', 's2'] };
    const { predictions } = p.predict(set);
    const lines = predictionsToJsonl(predictions).trim().split('\n').map((l) => JSON.parse(l) as Prediction);
    assert.deepEqual(lines, predictions);
    const csv = predictionsToCsv(predictions, CLASSES).trim().split('\n');
    assert.equal(csv[0], 'index,id,prediction,p_ant,p_bee,p_cat');
    assert.match(csv[1]!, /^0,"s,1",(ant|bee|cat),[\d.e-]+,[\d.e-]+,[\d.e-]+$/);
    const top = predictionsToCsv(predictions, CLASSES, { topK: 2 }).trim().split('\n');
    assert.equal(top[0], 'index,id,prediction,class_1,p_1,class_2,p_2');
    assert.equal(top[2]!.split(',')[3], predictions[1]!.prediction);
    const reg = predictor(indrnn(), { kind: 'regress', outputs: 2 });
    assert.equal(predictionsToCsv(reg.predict(setOf(s.x.slice(0, 1))).predictions, reg.target).split('\n')[0], 'index,prediction_0,prediction_1');
  });
});

describe('PredictionStream: step-by-step predictions equal full-sequence predictions', () => {
  const s = waves(4, 12, { minLen: 3, maxLen: 7 });
  const families: [string, EncoderConfig][] = [
    ['indrnn, BN sequence-wise after', indrnn({ bn: 'sequence', bnPosition: 'after' })],
    ['indrnn, BN frame-wise before', indrnn({ bn: 'frame', bnPosition: 'before', bnOptions: { maxPositions: 20 } })],
    ['res-indrnn', { type: 'res-indrnn', inputSize: 2, hiddenSize: 6, numBlocks: 1, bn: 'frame', seqLen: 12 }],
    ['dense-indrnn', { type: 'dense-indrnn', inputSize: 2, growthRate: 3, blockConfig: [1, 1], bn: 'sequence', seqLen: 12 }],
    ['conv-indrnn', { type: 'conv-indrnn', inputShape: [2, 1], channels: [3], kernelSize: 3, seqLen: 12 }],
    ['lstm', { type: 'lstm', inputSize: 2, hiddenSize: 5, numLayers: 2 }],
    ['rnn', { type: 'rnn', inputSize: 2, hiddenSize: 5, numLayers: 1, nonlinearity: 'tanh' }],
  ];

  for (const [label, encoder] of families) {
    it(label, () => {
      const p = predictor(encoder);
      // every prefix of every sequence, predicted as whole sequences in one padded batch
      const prefixes: number[][][] = [];
      for (const x of s.x) for (let t = 1; t <= x.length; t++) prefixes.push(x.slice(0, t));
      const full = p.predict(setOf(prefixes)).predictions as (Prediction & { probabilities: Record<string, number> })[];
      // the stream gets the sequences' steps interleaved, as from several live sources
      const stream = p.stream();
      const got = new Map<string, Prediction[]>();
      const longest = Math.max(...s.x.map((x) => x.length));
      for (let t = 0; t < longest; t++) {
        s.x.forEach((x, i) => {
          if (t >= x.length) return;
          const q = stream.step(`s${i}`, x[t]!);
          assert.equal(q.step, t);
          got.set(`s${i}`, [...(got.get(`s${i}`) ?? []), q as unknown as Prediction]);
        });
      }
      assert.equal(stream.size, s.x.length);
      let k = 0;
      s.x.forEach((x, i) => {
        for (let t = 0; t < x.length; t++, k++) {
          const a = got.get(`s${i}`)![t] as Prediction & { probabilities: Record<string, number> };
          const b = full[k]!;
          assert.equal(a.prediction, b.prediction, `${label}: sequence ${i}, step ${t}`);
          for (const c of ['ant', 'bee', 'cat']) assert.ok(Math.abs(a.probabilities[c]! - b.probabilities[c]!) < 1e-5, `${label}: sequence ${i}, step ${t}, p(${c})`);
        }
      });
      // end drops the state: the id starts over
      assert.equal(stream.end('s0'), true);
      assert.equal(stream.end('s0'), false);
      const again = stream.step('s0', s.x[0]![0]!);
      assert.equal(again.step, 0);
      assert.deepEqual((again as unknown as { probabilities: unknown }).probabilities, (got.get('s0')![0] as unknown as { probabilities: unknown }).probabilities);
    });
  }

  it('a step with the wrong feature count, and a bidirectional model, are errors', () => {
    const p = predictor(indrnn());
    assertIndrnnError(() => p.stream().step('a', [1, 2, 3]), 'sequence "a"', '3 features a step', 'the model reads 2');
    manualSeed(1);
    const bi = buildModel({ kind: 'sequence', outputSize: 3, encoder: { type: 'bidirectional', encoder: indrnn() } });
    assertIndrnnError(() => new SequencePredictor(bi, spec(CLASSES), 'bi-model').stream(), 'bi-model', 'bidirectional', 'step by step');
  });
});

describe('per-step models: a prediction at every step', () => {
  const s = waves(4, 13, { minLen: 3, maxLen: 7 });
  type Steps = Prediction & { prediction: string[]; probabilities: Record<string, number>[] };

  for (const [label, encoder] of [
    ['indrnn, BN frame-wise after', indrnn({ bn: 'frame', bnOptions: { maxPositions: 20 } })],
    ['lstm', { type: 'lstm', inputSize: 2, hiddenSize: 5, numLayers: 1 }],
  ] as [string, EncoderConfig][]) {
    it(`${label}: file predictions per step equal the stream's`, () => {
      const p = predictor(encoder, CLASSES, 3, true);
      const full = p.predict(setOf(s.x)).predictions as Steps[];
      full.forEach((q, i) => {
        assert.equal(q.prediction.length, s.x[i]!.length);
        assert.equal(q.probabilities.length, s.x[i]!.length);
      });
      const stream = p.stream();
      const longest = Math.max(...s.x.map((x) => x.length));
      for (let t = 0; t < longest; t++) {
        s.x.forEach((x, i) => {
          if (t >= x.length) return;
          const q = stream.step(`s${i}`, x[t]!) as unknown as { prediction: string; probabilities: Record<string, number> };
          assert.equal(q.prediction, full[i]!.prediction[t], `${label}: sequence ${i}, step ${t}`);
          for (const c of ['ant', 'bee', 'cat']) assert.ok(Math.abs(q.probabilities[c]! - full[i]!.probabilities[t]![c]!) < 1e-5);
        });
      }
    });
  }

  it('the metric counts every labelled step; CSV has a row per step', () => {
    const p = predictor(indrnn(), CLASSES, 3, true);
    const full = p.predict(setOf(s.x)).predictions as Steps[];
    // labels: the predictions themselves, but the first step of every sequence wrong
    const stepLabels = full.map((q) => q.prediction.map((c, t) => (t === 0 ? (c === 'ant' ? 'bee' : 'ant') : c)));
    const total = s.x.reduce((a, x) => a + x.length, 0);
    const metric = p.predict({ ...setOf(s.x), stepLabels }).metric!;
    assert.deepEqual(metric, { name: 'accuracy', value: (total - s.x.length) / total, count: total });
    const csv = predictionsToCsv(full, CLASSES, { perStep: true, topK: 1 }).trim().split('\n');
    assert.equal(csv[0], 'index,step,prediction,class_1,p_1');
    assert.equal(csv.length, 1 + total);
    assert.deepEqual(csv[2]!.split(',').slice(0, 3), ['0', '1', full[0]!.prediction[1]]);
    const reg = predictor(indrnn(), { kind: 'regress', outputs: 1 }, 3, true);
    const values = reg.predict(setOf(s.x)).predictions.map((q) => q.prediction as number[]);
    assert.deepEqual(values.map((v) => v.length), s.x.map((x) => x.length));
  });
});
