/**
 * Every non-recurrent kernel of the CUDA backend against the reference backend, on seeded random
 * inputs (never zeros), with odd sizes and edge sizes (1 element, 1 row, 1 column). Skips with the
 * reason when no GPU is usable.
 *
 * Tolerances: elementwise ops atol 1e-6, rtol 1e-5 (float32 vs float64 math rounded to float32;
 * expf/tanhf/logf are within 2 ulp). Sums over n terms (reductions, GEMM, BN, gradients):
 * atol 1e-5·√n, rtol 1e-4 (float32 inputs; the GPU sums in double, cuBLAS in float32). Layout
 * kernels, argmax, casts and gathers move values and must be exact.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Generator, type BinaryOp } from 'indrnn';
import { UNARY_OPS } from 'indrnn/testing';
import {
  assertClose,
  assertEqualInts,
  cuda,
  down,
  ints,
  reference as R,
  rnd,
  gpuFile,
  uniform,
  up,
} from './helpers.mjs';

const gpuDescribe = gpuFile('kernels.test');

const gen = new Generator(2024);
const C = cuda!;

gpuDescribe('cuda storage', () => {
  it('fromHost / toHost round-trip float32 and int32 on every upload path', () => {
    for (const n of [0, 1, 7, 256, 257, 5000, 1_100_000, 1_500_000]) {
      const f = rnd(n, gen);
      const i = ints(n, gen, -1000, 1000);
      // clone: a storage with no host copy, so toHost really downloads
      assertClose(C.clone(up(f)), f, `float32 n=${n}`, 0, 0);
      assertEqualInts(C.clone(up(i)), i, `int32 n=${n}`);
    }
  });

  it('toHost reuses the host copy until a kernel writes the storage in place', () => {
    const x = rnd(1000, gen, 3);
    const s = up(x);
    assert.equal(C.toHost(s), x, 'fromHost keeps the array it was handed');
    C.clampInPlace(s, -1, 1);
    const clamped = C.toHost(s);
    assert.notEqual(clamped, x);
    assert.ok(clamped.every((v) => v >= -1 && v <= 1), 'the in-place result is downloaded');
    assert.equal(C.toHost(s), clamped, 'and cached in turn');
    const p = up(rnd(10, gen));
    const before = Float32Array.from(C.toHost(p));
    const hp = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 };
    C.adamStep(p, up(rnd(10, gen)), C.alloc('float32', 10), C.alloc('float32', 10), hp);
    assert.notDeepEqual(Float32Array.from(C.toHost(p)), before, 'adamStep drops the host copy');
  });

  it('alloc is zero-filled; clone copies; free releases; use after free names the kernel', () => {
    const z = C.alloc('float32', 1000);
    assert.ok(down(z).every((v) => v === 0));
    const x = rnd(333, gen);
    const s = up(x);
    const c = C.clone(s);
    C.free(s);
    assertClose(c, x, 'clone after freeing the source', 0, 0);
    assert.throws(() => C.unary('exp', s), /cuda: unary: x was used after free\(\)/);
    C.free(s); // freeing twice is harmless
  });

  it('a size mismatch is refused before the GPU sees it, naming kernel and argument', () => {
    const a = up(rnd(6, gen));
    const b = up(rnd(5, gen));
    assert.throws(
      () => C.matmul(a, b, 2, 3, 3, false, false),
      /cuda: matmul: b has 5 elements, expected 9/,
    );
    // the context is still healthy
    assertClose(C.unary('neg', a), R.unary('neg', down(a)), 'after the refused call', 0, 0);
  });

  it('float64 stays off the device', () => {
    assert.equal(C.supports('float64'), false);
    assert.equal(C.supports('float32'), true);
    assert.throws(() => C.fromHost(new Float64Array(2)), /float64 is not supported on the GPU/);
  });
});

gpuDescribe('cuda elementwise', () => {
  const unaryOps = UNARY_OPS;
  for (const n of [1, 1023, 40_001]) {
    it(`unary and unaryGrad, n=${n}`, () => {
      for (const op of unaryOps) {
        const positive = op === 'log' || op === 'sqrt';
        const x = positive ? uniform(n, gen, 0.1, 4) : rnd(n, gen, 2);
        const y = R.unary(op, x);
        assertClose(C.unary(op, up(x)), y, `${op}(x)`, 1e-6, 1e-5);
        const dy = rnd(n, gen);
        assertClose(
          C.unaryGrad(op, up(x), up(y), up(dy)),
          R.unaryGrad(op, x, y, dy),
          `d${op}`,
          1e-6,
          1e-5,
        );
      }
    });
  }

  const binaryOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
  const shapes: [number[], number[]][] = [
    [[37], [37]],
    [[1], [1]],
    [[13, 129], [129]], // W x + b: a row vector over every row
    [
      [13, 129],
      [13, 1],
    ], // a column over every column
    [
      [5, 1, 7],
      [1, 3, 7],
    ], // both broadcast
    [[2, 3, 4, 5], []], // scalar
    [
      [3, 1, 4, 1, 5, 1, 2, 3, 2],
      [2, 3, 2],
    ], // deep: coalesces to ≤ 8 axes
  ];
  it('binary ops with broadcasting, both operand orders', () => {
    for (const [sa, sb] of shapes) {
      const outShape = broadcast(sa, sb);
      const a = rnd(size(sa), gen);
      const b = uniform(size(sb), gen, 0.5, 2); // keeps div finite
      for (const op of binaryOps) {
        assertClose(
          C.binary(op, up(a), sa, up(b), sb, outShape),
          R.binary(op, a, sa, b, sb, outShape),
          `${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
          1e-6,
          1e-6,
        );
        assertClose(
          C.binary(op, up(b), sb, up(a), sa, outShape),
          R.binary(op, b, sb, a, sa, outShape),
          `${op} ${JSON.stringify(sb)} ${JSON.stringify(sa)}`,
          1e-6,
          1e-6,
        );
      }
    }
  });

  it('int32 binary ops take the host path and stay exact', () => {
    const a = ints(12, gen, -50, 50);
    const b = ints(4, gen, 1, 9);
    assertEqualInts(
      C.binary('add', up(a), [3, 4], up(b), [4], [3, 4]),
      R.binary('add', a, [3, 4], b, [4], [3, 4]),
      'int add',
    );
  });

  it('affine, clampInPlace, scaleInPlace, sumSquares, cast', () => {
    const x = rnd(10_007, gen, 3);
    assertClose(C.affine(up(x), -1.5, 0.25), R.affine(x, -1.5, 0.25), 'affine', 1e-6, 1e-6);
    const s = up(x);
    C.clampInPlace(s, -1, 2);
    const h = x.slice();
    R.clampInPlace(h, -1, 2);
    assertClose(s, h, 'clamp', 0, 0);
    C.scaleInPlace(s, 0.3);
    R.scaleInPlace(h, 0.3);
    assertClose(s, h, 'scale', 1e-7, 1e-6);
    for (const n of [1, 999, 1_000_003]) {
      const v = rnd(n, gen);
      const got = C.sumSquares(up(v));
      const want = R.sumSquares(v);
      assert.ok(
        Math.abs(got - want) <= 1e-9 * want + 1e-12,
        `sumSquares n=${n}: ${got} vs ${want}`,
      );
    }
    assert.ok(Number.isNaN(C.sumSquares(up(Float32Array.of(1, Number.NaN, 2)))), 'NaN propagates');
    // an unchanged upload answers again from its cache; every in-place write invalidates it
    const c = up(Float32Array.of(1.5, -2, 3));
    assert.equal(C.sumSquares(c), 15.25);
    assert.equal(C.sumSquares(c), 15.25);
    C.clampInPlace(c, -1, 1);
    assert.equal(C.sumSquares(c), 3, 'after clampInPlace');
    C.scaleInPlace(c, 2);
    assert.equal(C.sumSquares(c), 12, 'after scaleInPlace');
    down(c); // a download caches a host copy again: the sum after it must still be current
    assert.equal(C.sumSquares(c), 12);
    C.scaleInPlace(c, 0.5);
    assert.equal(C.sumSquares(c), 3, 'after a write that followed a cached sum');
    assertEqualInts(C.cast(up(x), 'int32'), R.cast(x, 'int32'), 'float32 → int32 truncates');
    const i = ints(333, gen, -100000, 100000);
    assertClose(C.cast(up(i), 'float32'), R.cast(i, 'float32'), 'int32 → float32', 0, 0);
  });
});

gpuDescribe('cuda reductions', () => {
  const cases: [number[], number[]][] = [
    [[131, 67], [0]], // column sums (bias gradient)
    [[131, 67], [1]], // row sums
    [
      [1, 1],
      [0, 1],
    ],
    [[100_003], [0]], // one long row
    [[300_001, 3], [0]], // long and narrow: several chunks, I = 3
    [
      [7, 9, 11],
      [0, 2],
    ], // interleaved: two passes
    [[7, 9, 11], [1]],
    [[4, 1, 5], [1]], // nothing to sum: a copy
    [
      [2, 3, 4, 5],
      [0, 1, 2, 3],
    ],
  ];
  for (const [shape, axes] of cases) {
    it(`reduceSum ${JSON.stringify(shape)} over ${JSON.stringify(axes)}`, () => {
      const x = rnd(size(shape), gen);
      const terms = axes.reduce((n, a) => n * shape[a]!, 1);
      assertClose(
        C.reduceSum(up(x), shape, axes),
        R.reduceSum(x, shape, axes),
        'sum',
        1e-5 * Math.sqrt(terms),
        1e-5,
      );
    });
  }

  it('argmax: first maximum, ties, -Infinity rows and NaN', () => {
    for (const [rows, cols] of [
      [1, 1],
      [17, 3],
      [5, 1000],
      [3, 100_000],
    ] as const) {
      const x = rnd(rows * cols, gen);
      assertEqualInts(
        C.argmax(up(x), rows, cols),
        R.argmax(x, rows, cols),
        `argmax ${rows}x${cols}`,
      );
    }
    const special = Float32Array.of(
      1,
      3,
      3,
      2,
      -Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
      Number.NaN,
      5,
      Number.NaN,
      5,
    );
    assertEqualInts(C.argmax(up(special), 3, 4), R.argmax(special, 3, 4), 'argmax specials');
  });
});

gpuDescribe('cuda layout', () => {
  it('transpose, slice, padSlice, broadcastTo, concat (float32 and int32)', () => {
    for (const make of [(n: number) => rnd(n, gen), (n: number) => ints(n, gen, -9, 9)]) {
      const shape = [3, 5, 7, 2];
      const x = make(size(shape));
      for (const perm of [
        [0, 1, 2, 3],
        [1, 0, 2, 3],
        [3, 2, 1, 0],
        [0, 2, 1, 3],
      ]) {
        assertClose(
          C.transpose(up(x), shape, perm),
          R.transpose(x, shape, perm),
          `transpose ${perm}`,
          0,
          0,
        );
      }
      const begin = [1, 2, 0, 1];
      const sz = [2, 3, 7, 1];
      const sl = R.slice(x, shape, begin, sz);
      assertClose(C.slice(up(x), shape, begin, sz), sl, 'slice', 0, 0);
      assertClose(
        C.padSlice(up(sl), sz, begin, shape),
        R.padSlice(sl, sz, begin, shape),
        'padSlice',
        0,
        0,
      );
      const small = make(5 * 1 * 2);
      assertClose(
        C.broadcastTo(up(small), [5, 1, 2], [4, 5, 3, 2]),
        R.broadcastTo(small, [5, 1, 2], [4, 5, 3, 2]),
        'broadcastTo',
        0,
        0,
      );
      const parts = [make(3 * 2 * 4), make(3 * 5 * 4), make(3 * 1 * 4)];
      const shapes = [
        [3, 2, 4],
        [3, 5, 4],
        [3, 1, 4],
      ];
      for (const axis of [1]) {
        assertClose(
          C.concat(parts.map(up), shapes, axis),
          R.concat(parts, shapes, axis),
          `concat axis ${axis}`,
          0,
          0,
        );
      }
      const rows = [make(2 * 3), make(4 * 3)];
      assertClose(
        C.concat(
          rows.map(up),
          [
            [2, 3],
            [4, 3],
          ],
          0,
        ),
        R.concat(
          rows,
          [
            [2, 3],
            [4, 3],
          ],
          0,
        ),
        'concat axis 0',
        0,
        0,
      );
    }
  });
});

gpuDescribe('cuda matmul (cuBLAS)', () => {
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 3],
    [13, 1, 5],
    [37, 129, 65],
    [256, 130, 300],
    [3, 4, 0],
  ];
  for (const [m, n, k] of sizes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`, () => {
          const a = rnd(m * k, gen);
          const b = rnd(k * n, gen);
          assertClose(
            C.matmul(up(a), up(b), m, n, k, transA, transB),
            R.matmul(a, b, m, n, k, transA, transB),
            'matmul',
            1e-5 * Math.sqrt(k + 1),
            1e-4,
          );
        });
      }
    }
  }
});

gpuDescribe('cuda nn kernels', () => {
  it('gatherRows and scatterAddRows (repeated, negative and out-of-range rows)', () => {
    const rows = 11;
    const cols = 13;
    const table = rnd(rows * cols, gen);
    const idx = Int32Array.of(0, 3, 3, -1, 10, 7, 3, 11, 0);
    assertClose(
      C.gatherRows(up(table), cols, up(idx)),
      R.gatherRows(table, cols, idx),
      'gatherRows',
      0,
      0,
    );
    const dy = rnd(idx.length * cols, gen);
    // the same float32 sums in the same order (positions ascending) as the reference: the same bits
    assertEqualInts(
      new Int32Array((down(C.scatterAddRows(up(dy), cols, up(idx), rows)) as Float32Array).buffer),
      new Int32Array(R.scatterAddRows(dy, cols, idx, rows).buffer as ArrayBuffer),
      'scatterAddRows',
    );
  });

  it('scatterAddRows sums a row repeated across many blocks in one fixed order: the bits of every run', () => {
    // 5 rows hit 2000 times over 37 columns: 74 000 adds, most into the same few rows; atomics
    // would add them in the order the threads ran
    const rows = 5;
    const cols = 37;
    const idx = Int32Array.from({ length: 2000 }, (_, i) => (i * 7) % rows);
    const dy = rnd(idx.length * cols, gen);
    const want = new Int32Array(R.scatterAddRows(dy, cols, idx, rows).buffer as ArrayBuffer);
    for (let run = 0; run < 2; run++) {
      const got = down(C.scatterAddRows(up(dy), cols, up(idx), rows)) as Float32Array;
      assertEqualInts(new Int32Array(got.buffer), want, `run ${run}`);
    }
    // indices made on the device (no host copy): the plan downloads them first
    const onDevice = up(idx);
    onDevice.host = null;
    const got = down(C.scatterAddRows(up(dy), cols, onDevice, rows)) as Float32Array;
    assertEqualInts(new Int32Array(got.buffer), want, 'indices without a host copy');
  });

  for (const [rows, cols] of [
    [1, 1],
    [7, 10],
    [33, 1000],
    [3, 20_000],
  ] as const) {
    it(`softmax and softmax cross-entropy ${rows}x${cols}`, () => {
      const logits = rnd(rows * cols, gen, 4);
      assertClose(
        C.softmax(up(logits), rows, cols),
        R.softmax(logits, rows, cols),
        'softmax',
        1e-7,
        1e-5,
      );
      const targets = ints(rows, gen, 0, cols);
      if (rows > 2) targets[1] = -100; // ignored
      const got = C.softmaxCrossEntropy(up(logits), rows, cols, up(targets), -100);
      const want = R.softmaxCrossEntropy(logits, rows, cols, targets, -100);
      assertClose(got.loss, want.loss, 'loss', 1e-5, 1e-5);
      assertClose(got.probs, want.probs, 'probs', 1e-7, 1e-5);
      const dloss = rnd(rows, gen);
      assertClose(
        C.softmaxCrossEntropyGrad(got.probs, up(targets), up(dloss), rows, cols, -100),
        R.softmaxCrossEntropyGrad(want.probs, targets, dloss, rows, cols, -100),
        'dlogits',
        1e-6,
        1e-5,
      );
    });
  }

  const bnCases: [number, number, number][] = [
    [1, 1, 1],
    [1, 3001, 37],
    [13, 5, 7],
    [1, 20_000, 128],
    [50, 32, 129],
  ];
  for (const [G, Rr, Cc] of bnCases) {
    it(`batch norm train and grad, groups=${G} rows=${Rr} channels=${Cc}`, () => {
      // a large mean over a small spread: the shifted sums must not cancel
      const x = rnd(G * Rr * Cc, gen, 0.5, 30);
      const gamma = uniform(Cc, gen, 0.5, 1.5);
      const beta = rnd(Cc, gen);
      const got = C.batchNormTrain(up(x), G, Rr, Cc, up(gamma), up(beta), 1e-5);
      const want = R.batchNormTrain(x, G, Rr, Cc, gamma, beta, 1e-5);
      assertClose(got.mean, want.mean, 'mean', 1e-5, 1e-6);
      assertClose(got.variance, want.variance, 'variance', 1e-5, 1e-4);
      assertClose(got.invStd, want.invStd, 'invStd', 1e-4, 1e-4);
      assertClose(got.y, want.y, 'y', 1e-4, 1e-4);
      const dy = rnd(G * Rr * Cc, gen);
      const g = C.batchNormGrad(up(dy), up(x), G, Rr, Cc, got.mean, got.invStd, up(gamma));
      const w = R.batchNormGrad(dy, x, G, Rr, Cc, want.mean, want.invStd, gamma);
      const tol = 1e-5 * Math.sqrt(G * Rr);
      assertClose(g.dx, w.dx, 'dx', 1e-4, 1e-3);
      assertClose(g.dgamma, w.dgamma, 'dgamma', tol, 1e-4);
      assertClose(g.dbeta, w.dbeta, 'dbeta', tol, 1e-4);
    });
  }

  // variable lengths: statistics over valid rows only, padded rows 0 (steps no row reaches included;
  // row 0, the unmasked shift row, is padding from step T - 2 on and holds a huge value there)
  const maskedCases: [number, number, number, boolean][] = [
    [1, 1, 1, false],
    [7, 5, 3, true],
    [7, 5, 3, false],
    [40, 33, 37, true],
    [60, 90, 9, false], // several row chunks
  ];
  for (const [T, Rr, Cc, perStep] of maskedCases) {
    it(`batch norm over valid rows, T=${T} rows=${Rr} channels=${Cc} ${perStep ? 'per step' : 'over all steps'}`, () => {
      const x = rnd(T * Rr * Cc, gen, 0.5, 30);
      const lengths = Int32Array.from({ length: Rr }, (_, r) => (r === 0 ? Math.max(0, T - 2) : gen.int(T + 1)));
      for (let t = lengths[0]!; t < T; t++) x.fill(1e30, t * Rr * Cc, t * Rr * Cc + Cc);
      const gamma = uniform(Cc, gen, 0.5, 1.5);
      const beta = rnd(Cc, gen);
      const got = C.batchNormTrainMasked(up(x), T, Rr, Cc, up(lengths), perStep, up(gamma), up(beta), 1e-5);
      const want = R.batchNormTrainMasked(x, T, Rr, Cc, lengths, perStep, gamma, beta, 1e-5);
      assertClose(got.mean, want.mean, 'mean', 1e-5, 1e-6);
      assertClose(got.variance, want.variance, 'variance', 1e-5, 1e-4);
      assertClose(got.invStd, want.invStd, 'invStd', 1e-4, 1e-4);
      assertClose(got.y, want.y, 'y', 1e-4, 1e-4);
      const dy = rnd(T * Rr * Cc, gen);
      const g = C.batchNormGradMasked(up(dy), up(x), T, Rr, Cc, up(lengths), perStep, got.mean, got.invStd, up(gamma));
      const w = R.batchNormGradMasked(dy, x, T, Rr, Cc, lengths, perStep, want.mean, want.invStd, gamma);
      const tol = 1e-5 * Math.sqrt(T * Rr);
      assertClose(g.dx, w.dx, 'dx', 1e-4, 1e-3);
      assertClose(g.dgamma, w.dgamma, 'dgamma', tol, 1e-4);
      assertClose(g.dbeta, w.dbeta, 'dbeta', tol, 1e-4);
      const y = down(got.y);
      const dx = down(g.dx);
      for (let t = 0; t < T; t++) {
        for (let r = 0; r < Rr; r++) {
          if (t < lengths[r]!) continue;
          const o = (t * Rr + r) * Cc;
          assert.ok(y.subarray(o, o + Cc).every((v) => v === 0), `y is 0 on padded row (${t}, ${r})`);
          assert.ok(dx.subarray(o, o + Cc).every((v) => v === 0), `dx is 0 on padded row (${t}, ${r})`);
        }
      }
    });
  }

  it('im2col and col2im (padding, strides, 1-D)', () => {
    const geoms = [
      { N: 2, H: 7, W: 6, C: 3, KH: 3, KW: 2, padH: 1, padW: 0, strideH: 2, strideW: 1 },
      { N: 1, H: 1, W: 17, C: 5, KH: 1, KW: 4, padH: 0, padW: 2, strideH: 1, strideW: 3 },
      { N: 3, H: 5, W: 5, C: 1, KH: 5, KW: 5, padH: 2, padW: 2, strideH: 1, strideW: 1 },
    ];
    for (const g of geoms) {
      const x = rnd(g.N * g.H * g.W * g.C, gen);
      const cols = R.im2col!(x, g);
      assertClose(C.im2col!(up(x), g), cols, `im2col ${JSON.stringify(g)}`, 0, 0);
      const dc = rnd(cols.length, gen);
      assertClose(
        C.col2im!(up(dc), g),
        R.col2im!(dc, g),
        `col2im ${JSON.stringify(g)}`,
        1e-6,
        1e-5,
      );
    }
  });
});

gpuDescribe('cuda optimizers', () => {
  it('Adam over several steps, with weight decay', () => {
    const n = 10_001;
    const p = rnd(n, gen);
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    const [dp, dm, dv] = [up(p), up(m), up(v)];
    for (let step = 1; step <= 3; step++) {
      const g = rnd(n, gen);
      const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-3, step };
      C.adamStep(dp, up(g), dm, dv, hp);
      R.adamStep(p, g, m, v, hp);
    }
    assertClose(dp, p, 'param', 1e-6, 1e-5);
    assertClose(dm, m, 'm', 1e-7, 1e-5);
    assertClose(dv, v, 'v', 1e-8, 1e-5);
  });

  it('fused Adam over many tensors (more than one launch of 32) with gradient clamp and bounds', () => {
    // 35 tensors of mixed sizes (1 element to 10 001), every third without a bound
    const sizes = Array.from({ length: 35 }, (_, i) => [1, 37, 10_001, 128, 3][i % 5]!);
    const bounds = sizes.map((_, i) => (i % 3 === 0 ? 0 : 0.8 + 0.01 * i));
    const params = sizes.map((n) => rnd(n, gen));
    const ms = sizes.map((n) => new Float32Array(n));
    const vs = sizes.map((n) => new Float32Array(n));
    const [dp, dm, dv] = [params.map(up), ms.map(up), vs.map(up)];
    const clip = 2;
    for (let step = 1; step <= 3; step++) {
      const grads = sizes.map((n) => rnd(n, gen, 3)); // a third of them beyond ±2
      const hp = { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-3, step };
      const dg = grads.map(up);
      C.adamStepMany!(dp, dg, dm, dv, hp, clip, bounds);
      grads.forEach((g, i) => {
        R.clampInPlace(g, -clip, clip);
        R.adamStep(params[i]!, g, ms[i]!, vs[i]!, hp);
        if (bounds[i]! > 0) R.clampInPlace(params[i]!, -bounds[i]!, bounds[i]!);
      });
      grads.forEach((g, i) => assertClose(dg[i]!, g, `grad ${i} clamped in place`, 0, 0));
    }
    params.forEach((p, i) => {
      assertClose(dp[i]!, p, `param ${i}`, 1e-6, 1e-5);
      assertClose(dm[i]!, ms[i]!, `m ${i}`, 1e-7, 1e-5);
      assertClose(dv[i]!, vs[i]!, `v ${i}`, 1e-8, 1e-5);
    });
    const bounded = down(dp[1]!);
    assert.ok(bounded.some((x) => Math.abs(x) === Math.fround(bounds[1]!)), 'some parameters sit at their bound');
  });

  it('SGD with momentum, dampening and nesterov', () => {
    for (const nesterov of [false, true]) {
      const n = 777;
      const p = rnd(n, gen);
      const buf = new Float32Array(n);
      const [dp, db] = [up(p), up(buf)];
      for (let step = 0; step < 3; step++) {
        const g = rnd(n, gen);
        const hp = {
          lr: 0.1,
          momentum: 0.9,
          dampening: nesterov ? 0 : 0.1,
          nesterov,
          weightDecay: 1e-4,
          hasMomentum: step > 0,
        };
        C.sgdStep(dp, up(g), db, hp);
        R.sgdStep(p, g, buf, hp);
      }
      assertClose(dp, p, `param nesterov=${nesterov}`, 1e-6, 1e-5);
      assertClose(db, buf, `buf nesterov=${nesterov}`, 1e-6, 1e-5);
    }
  });
});

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}
