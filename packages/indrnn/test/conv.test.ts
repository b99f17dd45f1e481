/** Convolutional IndRNN: the conv ops against direct loops, gradient checks, the layer's sharing of u. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConvIndRNN, Generator, buildEncoder, manualSeed, noGrad, ops, randn } from '../src/index.js';
import { assertClose, assertGradcheck, rnd64 } from './helpers.js';

/** Direct 2-D convolution, channels-last, zero padding, stride 1. */
function directConv2d(x: ArrayLike<number>, [N, H, W, C]: number[], w: ArrayLike<number>, [Co, KH, KW]: number[], b: ArrayLike<number>, padH: number, padW = padH): number[] {
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) for (let o = 0; o < Co!; o++) {
    let s = b[o]!;
    for (let p = 0; p < KH!; p++) for (let q = 0; q < KW!; q++) {
      const ii = i + p - padH;
      const jj = j + q - padW;
      if (ii < 0 || ii >= H! || jj < 0 || jj >= W!) continue;
      for (let c = 0; c < C!; c++) s += x[((n * H! + ii) * W! + jj) * C! + c]! * w[((o * KH! + p) * KW! + q) * C! + c]!;
    }
    out.push(s);
  }
  return out;
}

describe('conv ops', () => {
  it('conv2d equals the direct convolution loop', () => {
    const gen = new Generator(1);
    const x = randn([2, 5, 4, 3], { generator: gen });
    const w = randn([4, 3, 3, 3], { generator: gen });
    const b = randn([4], { generator: gen });
    const y = ops.conv2d(x, w, b);
    assert.deepEqual(y.shape, [2, 5, 4, 4]);
    assertClose(y.data(), directConv2d(x.data(), [2, 5, 4, 3], w.data(), [4, 3, 3], b.data(), 1), 1e-5, 1e-5);
  });
  it('conv1d equals the direct loop with a 1×K kernel and width padding', () => {
    const gen = new Generator(2);
    const x = randn([3, 7, 2], { generator: gen });
    const w = randn([5, 3, 2], { generator: gen });
    const y = ops.conv1d(x, w, null);
    assert.deepEqual(y.shape, [3, 7, 5]);
    assertClose(y.data(), directConv2d(x.data(), [3, 1, 7, 2], w.data(), [5, 1, 3], new Float32Array(5), 0, 1), 1e-5, 1e-5);
  });
  it('gradcheck conv1d and conv2d (stride 2, explicit padding)', () => {
    const gen = new Generator(3);
    const x1 = rnd64([2, 6, 3], gen);
    const w1 = rnd64([4, 3, 3], gen);
    const b1 = rnd64([4], gen);
    assertGradcheck(() => ops.conv1d(x1, w1, b1), [x1, w1, b1]);
    const x2 = rnd64([2, 5, 5, 2], gen);
    const w2 = rnd64([3, 3, 3, 2], gen);
    assertGradcheck(() => ops.conv2d(x2, w2, null, { stride: 2, padding: 1 }), [x2, w2]);
  });
});

describe('ConvIndRNN layer', () => {
  it('gradcheck: 1-D conv IndRNN with BN, residual and per-channel u', () => {
    manualSeed(4);
    const enc = buildEncoder({
      type: 'conv-indrnn', inputShape: [5, 2], channels: [3, 3], kernelSize: 3, residual: true, bn: 'sequence',
      biasInit: { kind: 'normal', std: 0.5 }, dropout: 0.2,
    }).to('float64');
    const x = rnd64([4, 2, 10], new Generator(5), 1, 0.2);
    assertGradcheck(() => {
      manualSeed(6);
      const r = enc.forward(x);
      return [r.output, ...r.states];
    }, [x, ...enc.parameters()], { maxPerTensor: 30 });
  });
  it('gradcheck: 2-D conv IndRNN with per-position u and frame-wise BN', () => {
    manualSeed(7);
    const enc = buildEncoder({ type: 'conv-indrnn', inputShape: [3, 3, 1], channels: [2], perPositionU: true, bn: 'frame', bnPosition: 'before' }).to('float64');
    const x = rnd64([3, 2, 9], new Generator(8), 1, 0.2);
    assertGradcheck(() => enc.forward(x).output, [x, ...enc.parameters()], { maxPerTensor: 30 });
  });
  it('shares one u per channel across positions', () => {
    manualSeed(9);
    const enc = buildEncoder({ type: 'conv-indrnn', inputShape: [28, 1], channels: [8, 16] }) as ConvIndRNN;
    assert.equal(enc.outputSize, 28 * 16);
    assert.deepEqual(enc.layers.at(1).rec.weightHh.shape, [16]);
    const out = noGrad(() => enc.forward(randn([4, 2, 28])).output);
    assert.deepEqual(out.shape, [4, 2, 448]);
  });
});
