/** Behaviour of layers beyond gradients: the scan's loop definition, BN statistics, streaming, reversal. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchNorm, Bidirectional, Dropout, Generator, IndRecurrent, PlainIndRNN, applyRecurrentConstraints, buildEncoder, buildModel, deserializeModel, manualSeed,
  noGrad, ops, randn, serializeModel, tensor, reverseSequences, type SequenceModel, type SequenceModelConfig, type Tensor,
} from '../src/index.js';
import { assertClose } from './helpers.js';

describe('IndRNN layer', () => {
  it('equals the loop h_t = relu(W x_t + b + u ⊙ h_{t-1}) written out per step', () => {
    manualSeed(3);
    const enc = new PlainIndRNN({ type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 1, biasInit: { kind: 'normal', std: 0.5 } });
    const x = randn([6, 2, 3], { generator: new Generator(1) });
    const out = noGrad(() => enc.forward(x).output).data();
    const W = enc.layers.at(0).proj.weight.data();
    const b = enc.layers.at(0).proj.bias!.data();
    const u = enc.layers.at(0).rec.weightHh.data();
    const xs = x.data();
    const h = new Float64Array(2 * 4);
    const expected: number[] = [];
    for (let t = 0; t < 6; t++) {
      for (let bi = 0; bi < 2; bi++) {
        for (let n = 0; n < 4; n++) {
          let z = b[n]!;
          for (let f = 0; f < 3; f++) z += W[n * 3 + f]! * xs[(t * 2 + bi) * 3 + f]!;
          h[bi * 4 + n] = Math.max(0, z + u[n]! * h[bi * 4 + n]!);
        }
      }
      expected.push(...h);
    }
    assertClose(out, expected, 1e-6, 1e-5);
  });

  it('streaming step() matches the full-sequence forward', () => {
    manualSeed(4);
    const enc = buildEncoder({ type: 'res-indrnn', inputSize: 2, hiddenSize: 5, numBlocks: 1, bn: 'frame', bnOptions: { maxPositions: 16 } });
    const x = randn([7, 3, 2], { generator: new Generator(2) });
    enc.forward(x); // training pass fills running stats
    enc.eval();
    const full = noGrad(() => enc.forward(x).output);
    let states: Tensor[] | null = null;
    const steps: number[] = [];
    noGrad(() => {
      for (let t = 0; t < 7; t++) {
        const r = enc.step(x.slice([t, 0, 0], [1, -1, -1]).reshape([3, 2]), states, t);
        states = r.states;
        steps.push(...r.output.data());
      }
    });
    assertClose(steps, full.data(), 1e-6, 1e-5);
  });

  it('padded steps keep the state: the last state equals the state at length - 1', () => {
    manualSeed(5);
    const enc = buildEncoder({ type: 'indrnn', inputSize: 2, hiddenSize: 3, numLayers: 2 });
    const x = randn([6, 2, 2], { generator: new Generator(3) });
    const lengths = tensor(Int32Array.from([6, 3]), [2], 'int32');
    const full = noGrad(() => enc.forward(x, { lengths }));
    const short = noGrad(() => enc.forward(x.slice([0, 1, 0], [3, 1, 2])));
    assertClose(full.states[1]!.slice([1, 0], [1, 3]).data(), short.states[1]!.data(), 1e-6, 1e-6, 'last state of the short sequence');
  });
});

describe('the |u| constraint', () => {
  it('IndRecurrent keeps |u| within its bound after the constraint', () => {
    manualSeed(9);
    // an init far outside the bound: the constructor applies the constraint once
    const rec = new IndRecurrent(64, { uBound: 0.5, recurrentInit: { kind: 'uniform', low: -2, high: 2 } });
    const init = Array.from(rec.weightHh.data());
    assert.ok(init.every((v) => Math.abs(v) <= 0.5), `|u| <= 0.5 after construction: ${init}`);
    assert.ok(init.includes(0.5) && init.includes(-0.5), 'values beyond the bound were clamped to it, on both sides');
    assert.ok(init.some((v) => Math.abs(v) < 0.5), 'values inside the bound were left alone');
    // an update that pushes u out again: applyConstraint clamps exactly those entries, keeping signs
    const pushed = Float32Array.from([-2, -0.7, -0.5, -0.1, 0.25, 0.5, 0.75, 3]);
    const small = new IndRecurrent(8, { uBound: 0.5 });
    small.weightHh.assign(tensor(pushed, [8]));
    small.applyConstraint();
    assert.deepEqual(Array.from(small.weightHh.data()), Array.from(Float32Array.from([-0.5, -0.5, -0.5, -0.1, 0.25, 0.5, 0.5, 0.5])));
    // applyRecurrentConstraints reaches every layer of a model; constrain: false opts out
    const enc = new PlainIndRNN({ type: 'indrnn', inputSize: 2, hiddenSize: 8, numLayers: 2, uBound: 0.5 });
    for (const layer of [enc.layers.at(0), enc.layers.at(1)]) layer.rec.weightHh.assign(tensor(pushed, [8]));
    applyRecurrentConstraints(enc);
    for (const layer of [enc.layers.at(0), enc.layers.at(1)]) assert.ok(layer.rec.weightHh.data().every((v) => Math.abs(v) <= 0.5));
    const free = new IndRecurrent(8, { uBound: 0.5, constrain: false });
    free.weightHh.assign(tensor(pushed, [8]));
    free.applyConstraint();
    assert.deepEqual(Array.from(free.weightHh.data()), Array.from(pushed));
  });
});

describe('BatchNorm', () => {
  it('sequence-wise normalises each channel over T·B and tracks unbiased running variance', () => {
    const bn = new BatchNorm(2, { mode: 'sequence', momentum: 0.5 });
    const x = tensor(Float32Array.from([1, 10, 3, 20, 5, 30, 7, 40]), [2, 2, 2]);
    const y = Array.from(bn.forward(x).data());
    const channel0 = y.filter((_, i) => i % 2 === 0);
    assertClose([channel0.reduce((a, b) => a + b, 0) / 4], [0], 1e-6);
    assertClose([y[0]!], [(1 - 4) / Math.sqrt(5 + 1e-5)], 1e-5);
    // running mean 0.5·0 + 0.5·4 = 2; running var 0.5·1 + 0.5·(5·4/3)
    assertClose(bn.runningMean.data(), [2, 12.5], 1e-5);
    assertClose(bn.runningVar.data(), [0.5 + 0.5 * (20 / 3), 0.5 + 0.5 * (500 / 3)], 1e-4);
  });

  it('frame-wise uses per-step statistics and per-position running stats', () => {
    const bn = new BatchNorm(1, { mode: 'frame', momentum: 1, maxPositions: 4 });
    const x = tensor(Float32Array.from([0, 2, 10, 14]), [2, 2, 1]);
    const y = bn.forward(x, 1).data();
    assertClose(y, [-1, 1, -1, 1], 1e-4);
    // momentum 1: running stats become the batch stats at positions 1 and 2
    assertClose(bn.runningMean.data(), [0, 1, 12, 0], 1e-6);
    assertClose(bn.runningVar.data(), [1, 2, 8, 1], 1e-5);
    bn.eval();
    const z = bn.forward(tensor(Float32Array.from([1, 12]), [2, 1, 1]), 1).data();
    assertClose(z, [0, 0], 1e-5);
  });

  it('with lengths, takes statistics over valid steps only: sequence-wise over every valid (t, b), frame-wise over the sequences still running', () => {
    const [T, B, C] = [4, 3, 2];
    const lens = [4, 1, 3];
    const x = randn([T, B, C], { generator: new Generator(9) });
    const xs = x.data();
    const lengths = tensor(Int32Array.from(lens), [B], 'int32');
    const rowsOf = (steps: number[]): number[] => steps.flatMap((t) => [0, 1, 2].filter((b) => t < lens[b]!).map((b) => t * B + b));
    /** BN of the given rows alone (the definition), written into a [T, B, C] array with 0 elsewhere. */
    const expected = (groups: number[][]): { y: Float64Array; means: number[][]; vars: number[][] } => {
      const y = new Float64Array(T * B * C);
      const means: number[][] = [];
      const vars: number[][] = [];
      for (const rows of groups) {
        const m: number[] = [];
        const v: number[] = [];
        for (let c = 0; c < C; c++) {
          const vals = rows.map((r) => xs[r * C + c]!);
          const mu = vals.reduce((a, b) => a + b, 0) / vals.length;
          const va = vals.reduce((a, b) => a + (b - mu) ** 2, 0) / vals.length;
          rows.forEach((r, k) => (y[r * C + c] = (vals[k]! - mu) / Math.sqrt(va + 1e-5)));
          m.push(mu);
          v.push(vals.length > 1 ? (va * vals.length) / (vals.length - 1) : va);
        }
        means.push(m);
        vars.push(v);
      }
      return { y, means, vars };
    };
    const seq = new BatchNorm(C, { mode: 'sequence', momentum: 1 });
    const e1 = expected([rowsOf([0, 1, 2, 3])]);
    assertClose(seq.forward(x, 0, lengths).data(), e1.y, 1e-5, 1e-4, 'sequence-wise y');
    assertClose(seq.runningMean.data(), e1.means[0]!, 1e-6, 1e-5, 'sequence-wise running mean');
    assertClose(seq.runningVar.data(), e1.vars[0]!, 1e-5, 1e-4, 'sequence-wise running variance (unbiased over 8 valid rows)');
    const frame = new BatchNorm(C, { mode: 'frame', momentum: 1, maxPositions: 6 });
    const e2 = expected([[0], [1], [2], [3]].map(rowsOf));
    assertClose(frame.forward(x, 0, lengths).data(), e2.y, 1e-5, 1e-4, 'frame-wise y');
    assertClose(frame.runningMean.data().slice(0, T * C), e2.means.flat(), 1e-6, 1e-5, 'frame-wise running means');
    assertClose(frame.runningVar.data().slice(0, T * C), e2.vars.flat(), 1e-5, 1e-4, 'frame-wise running variances');
    // eval: padded outputs are 0 as in training; valid ones use the running statistics
    frame.eval();
    const ev = frame.forward(x, 0, lengths).data();
    const padded = [];
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t >= lens[b]!) padded.push(ev[(t * B + b) * C]!, ev[(t * B + b) * C + 1]!);
    assert.equal(padded.length, 2 * 4);
    assert.ok(padded.every((v) => v === 0), `padded eval outputs: ${padded}`);
    assert.ok(ev.some((v) => v !== 0));
  });

  it('a step no sequence reaches leaves its running statistics alone', () => {
    const bn = new BatchNorm(2, { mode: 'frame', momentum: 0.5, maxPositions: 4 });
    const x = randn([3, 2, 2], { generator: new Generator(10) });
    bn.forward(x, 1, tensor(Int32Array.from([2, 1]), [2], 'int32'));
    // positions 1 and 2 updated (steps 0 and 1), position 3 (step 2: no sequence) untouched
    assert.deepEqual(Array.from(bn.runningMean.data().slice(6)), [0, 0]);
    assert.deepEqual(Array.from(bn.runningVar.data().slice(6)), [1, 1]);
    assert.notDeepEqual(Array.from(bn.runningMean.data().slice(2, 4)), [0, 0]);
  });
});

describe('batch-first input', () => {
  it('batchFirst: true takes [B, T, F] and gives the time-major model\'s outputs and gradients; it survives save and load', () => {
    const config: SequenceModelConfig = { kind: 'sequence', encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 6, numLayers: 2, bn: 'frame' }, outputSize: 4 };
    const lengths = tensor(Int32Array.from([5, 2, 4]), [3], 'int32');
    const x = randn([3, 5, 3], { generator: new Generator(20) }); // [B, T, F]
    const run = (batchFirst: boolean): { out: number[]; grads: number[][] } => {
      manualSeed(8);
      const model = buildModel({ ...config, batchFirst }) as SequenceModel;
      const input = batchFirst ? x : ops.toTimeMajor(x);
      const out = model.forward(input, { lengths });
      out.square().sum().backward();
      return { out: Array.from(out.data()), grads: model.parameters().map((p) => Array.from(p.grad!.data())) };
    };
    const first = run(true);
    const major = run(false);
    assert.deepEqual(first.out, major.out);
    assert.deepEqual(first.grads, major.grads);
    manualSeed(8);
    const saved = serializeModel(buildModel({ ...config, batchFirst: true }));
    const loaded = deserializeModel(saved.config, saved.weights) as SequenceModel;
    assert.equal(loaded.batchFirst, true);
    assert.throws(() => loaded.forward(randn([15, 3])), /SequenceModel: input must be batch-first \[B, T, F\] \(batchFirst is set\), got \[15, 3\]/);
    assert.throws(() => buildModel({ ...config, batchFirst: 'yes' as unknown as boolean }), /SequenceModel: batchFirst must be true or false, got "yes"/);
  });
});

describe('dropout and reversal', () => {
  it('the dropout mask is shared over time and scaled by 1/(1-p)', () => {
    manualSeed(1);
    const d = new Dropout(0.5);
    const y = d.forward(tensor(new Float32Array(4 * 3 * 8).fill(1), [4, 3, 8])).data();
    for (let t = 1; t < 4; t++) assert.deepEqual(Array.from(y.subarray(t * 24, (t + 1) * 24)), Array.from(y.subarray(0, 24)));
    assert.ok(Array.from(y).every((v) => v === 0 || v === 2));
    assert.ok(Array.from(y).some((v) => v === 0) && Array.from(y).some((v) => v === 2));
    d.eval();
    assert.equal(d.forward(tensor(Float32Array.from([3]), [1, 1])).item(), 3);
  });

  it('reverses each sequence within its length and the bidirectional output is [T, B, 2H]', () => {
    const x = tensor(Float32Array.from([1, 10, 2, 20, 3, 30]), [3, 2, 1]);
    const r = reverseSequences(x, tensor(Int32Array.from([3, 2]), [2], 'int32')).data();
    assert.deepEqual(Array.from(r), [3, 20, 2, 10, 1, 30]);
    manualSeed(2);
    const bi = buildEncoder({ type: 'bidirectional', encoder: { type: 'lstm', inputSize: 1, hiddenSize: 4 } }) as Bidirectional;
    assert.deepEqual(bi.forward(x).output.shape, [3, 2, 8]);
    void ops;
  });
});

describe('BN recalibration', () => {
  it('replaces running statistics by the plain average of the calibration batches', async () => {
    const { recalibrateBatchNorm } = await import('../src/index.js');
    const bn = new BatchNorm(1, { mode: 'sequence', momentum: 0.1 });
    const batches = [[0, 2], [10, 14], [4, 4]].map((v) => tensor(Float32Array.from(v), [2, 1]));
    bn.forward(tensor(Float32Array.from([100, 300]), [2, 1])); // stale history that must be forgotten
    recalibrateBatchNorm(bn, 3, (i) => bn.forward(batches[i]!));
    assertClose(bn.runningMean.data(), [(1 + 12 + 4) / 3], 1e-5);
    // unbiased per-batch variances 2, 8 and 0, averaged
    assertClose(bn.runningVar.data(), [(2 + 8 + 0) / 3], 1e-5);
    assert.equal(bn.training, false, 'the model is left in eval mode');
    bn.train();
    bn.forward(batches[0]!); // back to the exponential average afterwards
    assertClose(bn.runningMean.data(), [0.9 * (17 / 3) + 0.1 * 1], 1e-5);
  });
});
