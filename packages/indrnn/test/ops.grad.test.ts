/** Finite-difference gradient checks for every differentiable op (float64, reference backend). */
import { describe, it } from 'node:test';
import { Generator, ops } from '../src/index.js';
import { assertGradcheck, int32, rnd64 } from './helpers.js';

const gen = new Generator(42);

describe('gradcheck: elementwise and broadcasting', () => {
  for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const) {
    it(`${op} with broadcasting [3,1,4] ∘ [2,4]`, () => {
      const a = rnd64([3, 1, 4], gen);
      const b = op === 'div' ? rnd64([2, 4], gen, 0.3, 2) : rnd64([2, 4], gen);
      assertGradcheck(() => ops[op](a, b), [a, b]);
    });
  }
  for (const op of ['neg', 'relu', 'tanh', 'sigmoid', 'exp', 'square', 'abs'] as const) {
    it(op, () => {
      const x = rnd64([4, 5], gen);
      assertGradcheck(() => ops[op](x), [x]);
    });
  }
  for (const op of ['log', 'sqrt'] as const) {
    it(op, () => {
      const x = rnd64([4, 5], gen, 0.2, 2);
      assertGradcheck(() => ops[op](x), [x]);
    });
  }
  it('affine and scalar operands', () => {
    const x = rnd64([3, 4], gen);
    assertGradcheck(() => [ops.affine(x, 1.7, -0.3), ops.mul(x, 3), ops.sub(2, x)], [x]);
  });
});

describe('gradcheck: reductions and layout', () => {
  it('sum and mean over axes', () => {
    const x = rnd64([2, 3, 4], gen);
    assertGradcheck(() => [ops.sum(x, [0, 2]), ops.mean(x, 1, true), ops.sum(x)], [x]);
  });
  it('reshape, transpose, slice', () => {
    const x = rnd64([2, 3, 4], gen);
    assertGradcheck(() => [ops.transpose(x, [2, 0, 1]), ops.slice(x.reshape([6, 4]), [1, 1], [4, 2])], [x]);
  });
  it('batch-first ↔ time-major (toTimeMajor, toBatchFirst)', () => {
    const x = rnd64([2, 3, 4], gen);
    assertGradcheck(() => [ops.toTimeMajor(x), ops.toBatchFirst(x.reshape([2, 12]))], [x]);
  });
  it('concat and stack', () => {
    const a = rnd64([2, 3], gen);
    const b = rnd64([2, 5], gen);
    const c = rnd64([2, 3], gen);
    assertGradcheck(() => [ops.concat([a, b], 1), ops.stack([a, c], 1)], [a, b, c]);
  });
  it('broadcastTo', () => {
    const x = rnd64([3, 1], gen);
    assertGradcheck(() => ops.broadcastTo(x, [2, 3, 4]), [x]);
  });
  it('matmul in every transposition', () => {
    const a = rnd64([3, 4], gen);
    const at = rnd64([4, 3], gen);
    const b = rnd64([4, 5], gen);
    const bt = rnd64([5, 4], gen);
    assertGradcheck(
      () => [ops.matmul(a, b), ops.matmul(at, b, true), ops.matmul(a, bt, false, true), ops.matmul(at, bt, true, true)],
      [a, at, b, bt],
    );
  });
  it('linear over time', () => {
    const x = rnd64([3, 2, 4], gen);
    const w = rnd64([5, 4], gen);
    const b = rnd64([5], gen);
    assertGradcheck(() => ops.linear(x, w, b), [x, w, b]);
  });
});

describe('gradcheck: losses, embedding, norm, dropout', () => {
  it('softmax cross-entropy with an ignore index', () => {
    const logits = rnd64([5, 4], gen, 2);
    const targets = int32([0, 3, -100, 1, 2]);
    assertGradcheck(() => ops.softmaxCrossEntropy(logits, targets), [logits]);
  });
  it('mse', () => {
    const p = rnd64([4, 3], gen);
    const t = rnd64([4, 3], gen);
    assertGradcheck(() => ops.mseLoss(p, t), [p, t]);
  });
  it('embedding gather with repeated ids (scatter-add gradient)', () => {
    const table = rnd64([6, 3], gen);
    const ids = int32([1, 4, 1, 0, 5, 1], [2, 3]);
    assertGradcheck(() => ops.embedding(table, ids), [table]);
  });
  it('batch norm sequence-wise (1 group) and frame-wise (per step)', () => {
    const x = rnd64([4, 3, 5], gen, 1.5, 0.5);
    const g = rnd64([5], gen, 0.5, 1);
    const b = rnd64([5], gen);
    assertGradcheck(() => ops.batchNormTrain(x, 1, g, b, 1e-5).y, [x, g, b]);
    assertGradcheck(() => ops.batchNormTrain(x, 4, g, b, 1e-5).y, [x, g, b]);
  });
  it('batch norm over valid steps only (lengths), sequence- and frame-wise', () => {
    // a length-0 row, a step with one valid row (variance 0) and steps with several
    const x = rnd64([5, 4, 3], gen, 1.5, 0.5);
    const g = rnd64([3], gen, 0.5, 1);
    const b = rnd64([3], gen);
    const lengths = int32([5, 3, 0, 4]);
    assertGradcheck(() => ops.batchNormTrain(x, 1, g, b, 1e-5, lengths).y, [x, g, b]);
    assertGradcheck(() => ops.batchNormTrain(x, 5, g, b, 1e-5, lengths).y, [x, g, b]);
  });
  it('dropout with a fixed time-shared mask', () => {
    const x = rnd64([4, 3, 5], gen);
    assertGradcheck(() => ops.dropoutShared(x, 0.4, new Generator(7)), [x]);
  });
});

describe('gradcheck: fused recurrences', () => {
  const T = 6;
  const B = 3;
  const N = 4;
  for (const act of ['relu', 'tanh', 'identity'] as const) {
    it(`indrnnScan ${act} with an initial state`, () => {
      const z = rnd64([T, B, N], gen, 1, 0.2);
      const u = rnd64([N], gen, 0.5);
      const h0 = rnd64([B, N], gen);
      assertGradcheck(() => ops.indrnnScan(z, u, h0, null, act), [z, u, h0]);
    });
    it(`indrnnScan ${act} with variable lengths`, () => {
      const z = rnd64([T, B, N], gen, 1, 0.2);
      const u = rnd64([N], gen, 0.5);
      const h0 = rnd64([B, N], gen);
      const lengths = int32([6, 2, 0]);
      assertGradcheck(() => ops.indrnnScan(z, u, h0, lengths, act), [z, u, h0]);
    });
  }
  for (const act of ['tanh', 'relu'] as const) {
    it(`rnnScan ${act} with lengths`, () => {
      const gx = rnd64([T, B, N], gen);
      const whh = rnd64([N, N], gen, 0.4);
      const h0 = rnd64([B, N], gen);
      assertGradcheck(() => ops.rnnScan(gx, whh, h0, int32([6, 3, 1]), act), [gx, whh, h0]);
    });
  }
  it('lstmScan, gradient through h and c, with lengths', () => {
    const gx = rnd64([T, B, 4 * N], gen);
    const whh = rnd64([4 * N, N], gen, 0.4);
    const h0 = rnd64([B, N], gen);
    const c0 = rnd64([B, N], gen);
    assertGradcheck(() => {
      const { h, c } = ops.lstmScan(gx, whh, h0, c0, int32([6, 4, 2]));
      return [h, c];
    }, [gx, whh, h0, c0]);
  });
});

describe('gradcheck itself', () => {
  it('catches a wrong backward rule', async () => {
    const { record } = await import('../src/autograd/tape.js');
    const { gradcheck } = await import('../src/index.js');
    const x = rnd64([3], gen);
    // y = x² with a deliberately wrong rule dy/dx = x (should be 2x)
    const wrongSquare = () => {
      const y = x.detach().square();
      record('wrongSquare', [x], [y], ([g]) => [g!.mul(x.detach())]);
      return y;
    };
    const r = gradcheck(wrongSquare, [x]);
    if (r.ok) throw new Error('gradcheck accepted a wrong gradient');
  });
});

describe('gradcheck: the IndRNN scan with the bias folded in', () => {
  for (const act of ['relu', 'tanh'] as const) {
    it(`fused bias, ${act}, with lengths, equals add-then-scan`, async () => {
      const { setBackend } = await import('../src/index.js');
      setBackend('reference');
      const z = rnd64([5, 3, 4], gen, 1, 0.2);
      const u = rnd64([4], gen, 0.5);
      const h0 = rnd64([3, 4], gen);
      const b = rnd64([4], gen, 0.5);
      const lengths = int32([5, 2, 0]);
      assertGradcheck(() => ops.indrnnScan(z, u, h0, lengths, act, b), [z, u, h0, b]);
      const fused = ops.indrnnScan(z, u, h0, lengths, act, b).toArray();
      const composed = ops.indrnnScan(ops.add(z, b), u, h0, lengths, act).toArray();
      for (let i = 0; i < fused.length; i++) if (Math.abs(fused[i]! - composed[i]!) > 1e-12) throw new Error(`fused != composed at ${i}`);
    });
  }
});

describe('gradcheck: the IndRNN scan with a narrow projection folded in', () => {
  it('fused projection (F = 2) with lengths: every input including x', async () => {
    const { setBackend } = await import('../src/index.js');
    setBackend('reference');
    const x = rnd64([5, 3, 2], gen, 1, 0.2);
    const w = rnd64([4, 2], gen);
    const b = rnd64([4], gen, 0.5);
    const u = rnd64([4], gen, 0.5);
    const h0 = rnd64([3, 4], gen);
    assertGradcheck(() => ops.indrnnScanProjected(x, w, b, u, h0, int32([5, 3, 1]), 'relu'), [x, w, b, u, h0]);
    const fused = ops.indrnnScanProjected(x, w, b, u, h0, null, 'tanh').toArray();
    const composed = ops.indrnnScan(ops.linear(x, w, b), u, h0, null, 'tanh').toArray();
    for (let i = 0; i < fused.length; i++) if (Math.abs(fused[i]! - composed[i]!) > 1e-12) throw new Error(`fused != composed at ${i}`);
  });
});
