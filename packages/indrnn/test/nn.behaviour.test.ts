/** Behaviour of layers beyond gradients: the scan's loop definition, BN statistics, streaming, reversal. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchNorm, Bidirectional, Dropout, Generator, IndRecurrent, PlainIndRNN, applyRecurrentConstraints, buildEncoder, manualSeed, noGrad, ops, randn, tensor,
  reverseSequences, type Tensor,
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
