/** Bad input throws errors that name the op or option, the expected and the given values. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  IndrnnError, buildModel, buildEncoder, manualSeed, ops, randn, tensor, zeros, Linear, Adam, BatchNorm,
  type SequenceModel, type EncoderConfig,
} from '../src/index.js';

function throwsWith(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IndrnnError, `expected an IndrnnError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('shape and dtype errors name the op, expected and given', () => {
  it('matmul inner size mismatch', () =>
    throwsWith(() => ops.matmul(zeros([2, 3]), zeros([4, 5])), 'matmul: inner sizes differ: op(a) is [2, 3] and op(b) is [4, 5] (a [2, 3], b [4, 5])'));
  it('broadcasting mismatch', () =>
    throwsWith(() => ops.add(zeros([2, 3]), zeros([4, 3])), 'add: shapes [2, 3] and [4, 3] cannot be broadcast together (axis 0: 2 vs 4)'));
  it('int32 where a float is needed', () =>
    throwsWith(() => ops.relu(tensor(Int32Array.from([1, 2]), [2], 'int32')), 'relu: input must be a float tensor, got int32'));
  it('mixed dtypes', () =>
    throwsWith(() => ops.mul(zeros([2]), zeros([2], 'float64')), 'mul: dtypes differ (float32 and float64); cast one of them first'));
  it('scan input that is not time-major 3-D', () =>
    throwsWith(() => ops.indrnnScan(zeros([4, 5]), zeros([5])), 'indrnnScan: input must have rank 3, got shape [4, 5] (time-major [T, B, N])'));
  it('batch norm lengths outside [0, T], of the wrong count, or with groups that are not 1 or T', () => {
    const x = zeros([3, 2, 4]);
    const [g, b] = [zeros([4]), zeros([4])];
    throwsWith(() => ops.batchNormTrain(x, 1, g, b, 1e-5, tensor(Int32Array.from([3, 4]), [2], 'int32')), 'batchNorm: lengths[1] = 4 is outside [0, 3]');
    throwsWith(() => ops.batchNormTrain(x, 1, g, b, 1e-5, tensor(Int32Array.from([3]), [1], 'int32')), 'batchNorm: lengths must have shape [2], got [1] (one length per row of a step)');
    throwsWith(() => ops.batchNormTrain(zeros([6, 4]), 2, g, b, 1e-5, tensor(Int32Array.from([3]), [1], 'int32')), 'batchNorm: with lengths the input must be [T, R, C], got [6, 4]');
    throwsWith(() => ops.batchNormTrain(zeros([4, 2, 4]), 2, g, b, 1e-5, tensor(Int32Array.from([3, 1]), [2], 'int32')), 'batchNorm: with lengths, groups must be 1 (sequence-wise) or T = 4 (frame-wise), got 2');
  });
  it('scan recurrent weight of the wrong size', () =>
    throwsWith(() => ops.indrnnScan(zeros([3, 2, 5]), zeros([4])), 'indrnnScan: recurrent weight must have shape [5], got [4]'));
  it('lengths outside [0, T]', () =>
    throwsWith(() => ops.indrnnScan(zeros([3, 2, 5]), zeros([5]), null, tensor(Int32Array.from([3, 4]), [2], 'int32')), 'indrnnScan: lengths[1] = 4 is outside [0, 3]'));
  it('model input with the wrong feature size', () => {
    manualSeed(1);
    const m = buildModel({ kind: 'sequence', outputSize: 2, encoder: { type: 'indrnn', inputSize: 1, hiddenSize: 4, numLayers: 1 } }) as SequenceModel;
    throwsWith(() => m.forward(zeros([784, 2, 28])), 'PlainIndRNN: expected input size 1, got 28 in [784, 2, 28]');
    throwsWith(() => m.forward(zeros([2, 784])), /PlainIndRNN: input must be time-major \[T, B, F\], got \[2, 784\] \(for batch-first \[B, T, F\] data set batchFirst: true on the model, or convert with ops.toTimeMajor\(x\)\)/);
  });
  it('targets out of range and of the wrong shape', () => {
    throwsWith(() => ops.softmaxCrossEntropy(zeros([2, 3]), tensor(Int32Array.from([0, 3]), [2], 'int32')), 'softmaxCrossEntropy: target 3 at position 1 is out of range [0, 3) (ignoreIndex is -100)');
    throwsWith(() => ops.softmaxCrossEntropy(zeros([2, 3]), tensor(Int32Array.from([0]), [1], 'int32')), 'softmaxCrossEntropy: targets must have shape [2] to match logits [2, 3], got [1]');
  });
  it('embedding ids out of range', () =>
    throwsWith(() => ops.embedding(zeros([5, 2]), tensor(Int32Array.from([1, 5]), [2], 'int32')), 'embedding: index 5 at position 1 is out of range [0, 5) (use -1 for a zero row)'));
});

describe('NaN and Inf in inputs', () => {
  it('a model input with NaN names the position', () => {
    manualSeed(1);
    const m = buildModel({ kind: 'sequence', outputSize: 2, encoder: { type: 'indrnn', inputSize: 1, hiddenSize: 4, numLayers: 1 } }) as SequenceModel;
    const x = randn([3, 2, 1]).data().slice();
    x[4] = NaN;
    throwsWith(() => m.forward(tensor(x, [3, 2, 1])), 'SequenceModel input: input contains NaN at flat index 4 (shape [3, 2, 1]); clean or mask the data before calling');
    x[4] = -Infinity;
    throwsWith(() => m.forward(tensor(x, [3, 2, 1])), /input contains -Infinity at flat index 4/);
  });
  it('huge finite inputs pass (their sum of squares overflows, but no value is bad)', () => {
    manualSeed(1);
    const m = buildModel({ kind: 'sequence', outputSize: 2, encoder: { type: 'indrnn', inputSize: 1, hiddenSize: 4, numLayers: 1 } }) as SequenceModel;
    const x = randn([3, 2, 1]).data().slice();
    x[2] = 3e38; // its square overflows float32 (a backend may sum squares in float32)
    assert.equal(m.forward(tensor(x, [3, 2, 1])).shape.join(), '2,2');
  });
});

describe('bad configs name the option', () => {
  const cases: [string, EncoderConfig, string][] = [
    ['negative hidden size', { type: 'indrnn', inputSize: 2, hiddenSize: -4, numLayers: 1 }, 'IndRNN: hiddenSize must be an integer >= 1, got -4'],
    ['fractional layer count', { type: 'indrnn', inputSize: 2, hiddenSize: 4, numLayers: 1.5 }, 'IndRNN: numLayers must be an integer >= 1, got 1.5'],
    ['unknown activation', { type: 'indrnn', inputSize: 2, hiddenSize: 4, numLayers: 1, activation: 'gelu' as 'relu' }, "IndRNN: activation must be one of 'relu', 'tanh', 'identity', got \"gelu\""],
    ['unknown bn mode', { type: 'indrnn', inputSize: 2, hiddenSize: 4, numLayers: 1, bn: 'layer' as 'none' }, "IndRNN: bn must be one of 'none', 'sequence', 'frame', got \"layer\""],
    ['constraint without a bound', { type: 'indrnn', inputSize: 2, hiddenSize: 4, numLayers: 1, constrain: true }, 'IndRNN: constrain is set but no bound is given (pass uBound, or gamma and seqLen)'],
    ['empty dense block config', { type: 'dense-indrnn', inputSize: 2, growthRate: 4, blockConfig: [] }, 'DenseIndRNN: blockConfig must be a non-empty list of layer counts, got []'],
    ['unknown encoder type', { type: 'gru' } as unknown as EncoderConfig, 'buildEncoder: unknown encoder type "gru"; expected one of indrnn, res-indrnn, dense-indrnn, conv-indrnn, lstm, rnn, bidirectional'],
  ];
  for (const [name, cfg, msg] of cases) it(name, () => throwsWith(() => buildEncoder(cfg), msg));
  it('optimizer and layer options', () => {
    throwsWith(() => new Adam(new Linear(2, 2).parameters(), { lr: -1 }), 'Adam: lr must be a finite number >= 0, got -1');
    throwsWith(() => new BatchNorm(4, { momentum: 2 }), 'BatchNorm: momentum must be a finite number >= 0 and <= 1, got 2');
    throwsWith(() => buildModel({ kind: 'cnn' } as never), "buildModel: unknown model kind \"cnn\"; expected 'sequence' or 'lm'");
  });
});
