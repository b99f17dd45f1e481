/**
 * Every elementwise, reduction, layout, softmax, batch-norm and optimizer kernel of the native
 * backend against the reference on seeded random inputs, at sizes that are not multiples of the
 * vector width, large enough to be split over the thread pool, and at edge sizes.
 *
 * Tolerance, unless a test says otherwise: atol 1e-5, rtol 1e-4 relative to the reference (the
 * reference computes in float64 and rounds once; native computes in float32, and exp/tanh/sigmoid
 * use polynomial approximations accurate to about 1-2 ulp).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Generator, type BinaryOp } from 'indrnn';
import { UNARY_OPS } from 'indrnn/testing';
import {
  assertClose,
  assertEqualInts,
  native,
  reference,
  rnd,
  simdLevels,
  skipReason,
  uniform,
  withSimd,
} from './helpers.mjs';

const gen = new Generator(7);
const N = native!;
const R = reference;

// sizes: tiny, odd, and one big enough for the pool (> 2^15 elements per thread)
const SIZES = [1, 7, 33, 1023, 100_003];

describe('native elementwise kernels', { skip: skipReason }, () => {
  const unaryOps = UNARY_OPS;
  for (const level of simdLevels) {
    it(`unary and unaryGrad, every op (${level})`, () => {
      withSimd(level, () => {
        for (const n of SIZES) {
          for (const op of unaryOps) {
            const positive = op === 'log' || op === 'sqrt';
            const x = positive ? uniform(n, gen, 0.05, 4) : rnd(n, gen, 3);
            const y = R.unary(op, x);
            assertClose(N.unary(op, x), y, `unary ${op} n=${n}`);
            const dy = rnd(n, gen);
            assertClose(
              N.unaryGrad(op, x, y, dy),
              R.unaryGrad(op, x, y, dy),
              `unaryGrad ${op} n=${n}`,
            );
          }
        }
      });
    });
  }

  it('exp, tanh and sigmoid at the edges: large, tiny, infinite and NaN inputs', () => {
    const x = Float32Array.from([
      -120,
      -104,
      -90,
      -87.5,
      -30,
      -1e-7,
      1e-7,
      0.3,
      0.624,
      0.626,
      9,
      20,
      88.5,
      89,
      200,
      Infinity,
      -Infinity,
      NaN,
    ]);
    for (const op of ['exp', 'tanh', 'sigmoid'] as const) {
      assertClose(N.unary(op, x), R.unary(op, x), `unary ${op} edge values`, 1e-30, 1e-5);
    }
  });

  const binaryOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
  const shapes: [number[], number[]][] = [
    [
      [37, 19],
      [37, 19],
    ], // same shape
    [[301, 129], []], // scalar
    [[1], [7, 5]], // scalar first
    [[40, 33, 17], [17]], // trailing bias vector
    [
      [40, 33, 17],
      [33, 17],
    ],
    [
      [33, 17],
      [40, 33, 17],
    ], // bias first
    [
      [41, 1, 17],
      [1, 29, 17],
    ], // general: both broadcast
    [
      [9, 31],
      [9, 1],
    ], // column broadcast
    [
      [3, 1, 5, 1],
      [1, 4, 1, 6],
    ],
    [
      [2000, 65],
      [1, 65],
    ],
    [
      [513, 129],
      [513, 1],
    ],
  ];
  it('binary ops with every broadcast pattern', () => {
    for (const op of binaryOps) {
      for (const [as, bs] of shapes) {
        const a = rnd(
          as.reduce((p, d) => p * d, 1),
          gen,
        );
        const b =
          op === 'div'
            ? uniform(
                bs.reduce((p, d) => p * d, 1),
                gen,
                0.5,
                2,
              )
            : rnd(
                bs.reduce((p, d) => p * d, 1),
                gen,
              );
        const outShape = broadcast(as, bs);
        assertClose(
          N.binary(op, a, as, b, bs, outShape),
          R.binary(op, a, as, b, bs, outShape),
          `${op} [${as}] ∘ [${bs}]`,
        );
      }
    }
  });

  it('maximum and minimum break ties and NaN the way the reference does', () => {
    const a = Float32Array.from([1, 2, NaN, 3, -0, 0]);
    const b = Float32Array.from([1, NaN, 2, 3, 0, -0]);
    for (const op of ['maximum', 'minimum'] as const) {
      const got = N.binary(op, a, [6], b, [6], [6]);
      const want = R.binary(op, a, [6], b, [6], [6]);
      assertClose(got, want, op);
      for (let i = 0; i < 6; i++)
        assert.equal(Object.is(got[i], -0), Object.is(want[i], -0), `${op}[${i}] sign of zero`);
    }
  });

  it('affine, clampInPlace, scaleInPlace, sumSquares', () => {
    for (const n of SIZES) {
      const x = rnd(n, gen, 2);
      assertClose(N.affine(x, 1.7, -0.3), R.affine(x, 1.7, -0.3), `affine n=${n}`);
      const c1 = x.slice();
      const c2 = x.slice();
      N.clampInPlace(c1, -0.5, 0.75);
      R.clampInPlace(c2, -0.5, 0.75);
      assertClose(c1, c2, `clampInPlace n=${n}`, 0, 0);
      const s1 = x.slice();
      const s2 = x.slice();
      N.scaleInPlace(s1, -0.37);
      R.scaleInPlace(s2, -0.37);
      assertClose(s1, s2, `scaleInPlace n=${n}`);
      assertClose([N.sumSquares(x)], [R.sumSquares(x)], `sumSquares n=${n}`, 0, 1e-9);
    }
    const bad = Float32Array.from([1, 2, NaN, 3]);
    assert.ok(Number.isNaN(N.sumSquares(bad)), 'sumSquares returns NaN for NaN input');
    assert.equal(
      N.sumSquares(Float32Array.from([1, Infinity])),
      Infinity,
      'sumSquares returns Infinity',
    );
    const withNaN = Float32Array.from([NaN, -3, 3]);
    N.clampInPlace(withNaN, -1, 1);
    assert.ok(Number.isNaN(withNaN[0]!), 'clamp keeps NaN');
  });

  it('cast float32 <-> int32 truncates and wraps like a JS Int32Array', () => {
    const x = Float32Array.from([
      1.9,
      -1.9,
      0.4,
      -0.4,
      3e9,
      -3e9,
      2147483520,
      NaN,
      Infinity,
      -Infinity,
      12345.6,
    ]);
    assertEqualInts(N.cast(x, 'int32'), R.cast(x, 'int32'), 'cast to int32');
    const i = Int32Array.from([-5, 0, 7, 2147483647, -2147483648, 16777217]);
    assertClose(N.cast(i, 'float32'), R.cast(i, 'float32'), 'cast to float32', 0, 0);
    assert.ok(
      N.cast(x, 'float64') instanceof Float64Array,
      'cast to float64 goes to the reference',
    );
    const y = rnd(1001, gen);
    assertClose(N.cast(y, 'float32'), y, 'cast float32 to float32 copies', 0, 0);
  });

  it('argmax: first maximum wins, NaN never does', () => {
    for (const [rows, cols] of [
      [1, 1],
      [7, 13],
      [1000, 37],
      [3, 100_001],
    ] as const) {
      const x = rnd(rows * cols, gen);
      assertEqualInts(N.argmax(x, rows, cols), R.argmax(x, rows, cols), `argmax ${rows}x${cols}`);
    }
    const ties = Float32Array.from([1, 3, 3, NaN, 2, NaN, 5, 5, -Infinity, -Infinity]);
    assertEqualInts(N.argmax(ties, 2, 5), R.argmax(ties, 2, 5), 'argmax ties and NaN');
  });
});

describe('native reductions', { skip: skipReason }, () => {
  const cases: [number[], number[]][] = [
    [[1003, 37], [0]], // bias gradient: leading axis
    [
      [50, 40, 37],
      [0, 1],
    ], // [T, B, H] -> [H]
    [[37, 1003], [1]], // row sums
    [
      [7, 5, 3],
      [0, 1, 2],
    ], // everything
    [[6, 111, 9], [1]], // middle
    [
      [4, 3, 5, 6],
      [0, 2],
    ], // non-adjacent: general path
    [[2, 1, 3], [1]], // size-1 axis
    [[5], []], // nothing
    [[300, 700], [0]], // wide enough to split rows over threads
    [[3, 20000, 5], [1]],
  ];
  it('reduceSum over every axis pattern', () => {
    for (const [shape, axes] of cases) {
      const x = rnd(
        shape.reduce((p, d) => p * d, 1),
        gen,
      );
      const n = Math.max(
        1,
        axes.reduce((p, a) => p * shape[a]!, 1),
      );
      assertClose(
        N.reduceSum(x, shape, axes),
        R.reduceSum(x, shape, axes),
        `reduceSum [${shape}] over [${axes}]`,
        1e-5 * Math.sqrt(n),
        1e-5,
      );
    }
  });
});

describe('native layout kernels', { skip: skipReason }, () => {
  it('transpose: 2-D, batched, and general permutations, float32 and int32', () => {
    const cases: [number[], number[]][] = [
      [
        [37, 53],
        [1, 0],
      ],
      [
        [300, 700],
        [1, 0],
      ],
      [
        [5, 37, 53],
        [0, 2, 1],
      ],
      [
        [5, 37, 53],
        [2, 1, 0],
      ],
      [
        [4, 6, 7, 3],
        [3, 1, 0, 2],
      ],
      [
        [4, 6, 7, 3],
        [0, 1, 2, 3],
      ],
      [
        [1, 9, 1, 5],
        [3, 2, 1, 0],
      ],
      [
        [31, 33, 2],
        [1, 0, 2],
      ], // inner axis stays: row copies
    ];
    for (const [shape, perm] of cases) {
      const x = rnd(
        shape.reduce((p, d) => p * d, 1),
        gen,
      );
      assertClose(
        N.transpose(x, shape, perm),
        R.transpose(x, shape, perm),
        `transpose [${shape}] by [${perm}]`,
        0,
        0,
      );
      const xi = Int32Array.from(x, (v) => Math.round(v * 1000));
      const got = N.transpose(xi, shape, perm);
      assert.ok(got instanceof Int32Array, 'int32 stays int32');
      assertEqualInts(got, R.transpose(xi, shape, perm), `transpose int32 [${shape}]`);
    }
  });

  it('broadcastTo', () => {
    const cases: [number[], number[]][] = [
      [[17], [33, 17]],
      [
        [33, 1],
        [33, 17],
      ],
      [
        [1, 1],
        [5, 7],
      ],
      [
        [3, 1, 5],
        [2, 3, 4, 5],
      ],
      [[], [4, 3]],
      [[129], [1000, 129]],
    ];
    for (const [s, o] of cases) {
      const x = rnd(
        s.reduce((p, d) => p * d, 1),
        gen,
      );
      assertClose(
        N.broadcastTo(x, s, o),
        R.broadcastTo(x, s, o),
        `broadcastTo [${s}] -> [${o}]`,
        0,
        0,
      );
    }
  });

  it('slice and padSlice (its inverse)', () => {
    const cases: [number[], number[], number[]][] = [
      [
        [20, 30],
        [3, 5],
        [11, 17],
      ],
      [
        [7, 8, 9],
        [0, 2, 1],
        [7, 5, 8],
      ],
      [
        [7, 8, 9],
        [6, 7, 8],
        [1, 1, 1],
      ],
      [
        [50, 40, 33],
        [10, 0, 0],
        [40, 40, 33],
      ], // whole rows
      [
        [5, 6],
        [2, 0],
        [0, 6],
      ], // empty
    ];
    for (const [shape, begin, size] of cases) {
      const x = rnd(
        shape.reduce((p, d) => p * d, 1),
        gen,
      );
      assertClose(
        N.slice(x, shape, begin, size),
        R.slice(x, shape, begin, size),
        `slice [${shape}] at [${begin}] size [${size}]`,
        0,
        0,
      );
      const g = rnd(
        size.reduce((p, d) => p * d, 1),
        gen,
      );
      assertClose(
        N.padSlice(g, size, begin, shape),
        R.padSlice(g, size, begin, shape),
        `padSlice [${size}] into [${shape}]`,
        0,
        0,
      );
    }
    const xi = Int32Array.from([1, 2, 3, 4, 5, 6]);
    assertEqualInts(
      N.slice(xi, [2, 3], [1, 1], [1, 2]),
      R.slice(xi, [2, 3], [1, 1], [1, 2]),
      'slice int32',
    );
  });

  it('concat along every axis', () => {
    const parts: [number[][], number][] = [
      [
        [
          [3, 5],
          [3, 7],
          [3, 1],
        ],
        1,
      ],
      [
        [
          [3, 5],
          [4, 5],
        ],
        0,
      ],
      [
        [
          [2, 3, 4],
          [2, 5, 4],
          [2, 1, 4],
        ],
        1,
      ],
      [
        [
          [2, 3, 4],
          [2, 3, 9],
        ],
        2,
      ],
      [
        [
          [1000, 33],
          [1000, 65],
        ],
        1,
      ],
    ];
    for (const [shapes, axis] of parts) {
      const xs = shapes.map((s) =>
        rnd(
          s.reduce((p, d) => p * d, 1),
          gen,
        ),
      );
      assertClose(
        N.concat(xs, shapes, axis),
        R.concat(xs, shapes, axis),
        `concat ${JSON.stringify(shapes)} axis ${axis}`,
        0,
        0,
      );
    }
  });

  it('gatherRows and scatterAddRows, with repeated and -1 indices', () => {
    for (const [rows, cols, n] of [
      [11, 7, 30],
      [50, 64, 2000],
      [3, 1, 5],
    ] as const) {
      const table = rnd(rows * cols, gen);
      const idx = Int32Array.from({ length: n }, (_, i) => (i % 9 === 4 ? -1 : gen.int(rows)));
      assertClose(
        N.gatherRows(table, cols, idx),
        R.gatherRows(table, cols, idx),
        `gatherRows ${rows}x${cols} n=${n}`,
        0,
        0,
      );
      const dy = rnd(n * cols, gen);
      assertClose(
        N.scatterAddRows(dy, cols, idx, rows),
        R.scatterAddRows(dy, cols, idx, rows),
        `scatterAddRows ${rows}x${cols} n=${n}`,
      );
    }
  });

  it('rejects out-of-range indices and bad shapes with the kernel and argument named', () => {
    const table = rnd(12, gen);
    assert.throws(
      () => N.gatherRows(table, 4, Int32Array.from([0, 3])),
      /gatherRows: index 3 at position 1 is past the table's 3 rows/,
    );
    assert.throws(
      () => N.transpose(table, [3, 4], [0, 0]),
      /transpose: perm \[0, 0\] is not a permutation/,
    );
    assert.throws(
      () => N.matmul(table, table, 5, 5, 5, false, false),
      /native matmul: argument 'out'|native matmul: argument 'a' needs at least 25 elements, got 12/,
    );
    assert.throws(
      () =>
        N.indrnnScan(rnd(6, gen), rnd(3, gen), rnd(3, gen), Int32Array.from([5]), 2, 1, 3, 'relu'),
      /indrnnScan: lengths\[0\] = 5 is outside \[0, 2\]/,
    );
  });
});

describe('native softmax and cross-entropy', { skip: skipReason }, () => {
  it('softmax, softmaxCrossEntropy (+ ignored rows) and its gradient', () => {
    for (const [rows, cols] of [
      [1, 1],
      [7, 3],
      [64, 10],
      [33, 1001],
      [3000, 17],
    ] as const) {
      const x = rnd(rows * cols, gen, 4);
      assertClose(
        N.softmax(x, rows, cols),
        R.softmax(x, rows, cols),
        `softmax ${rows}x${cols}`,
        1e-6,
        1e-4,
      );
      const targets = Int32Array.from({ length: rows }, (_, i) =>
        i % 5 === 3 ? -100 : gen.int(cols),
      );
      const a = N.softmaxCrossEntropy(x, rows, cols, targets, -100);
      const b = R.softmaxCrossEntropy(x, rows, cols, targets, -100);
      assertClose(a.loss, b.loss, `cross-entropy loss ${rows}x${cols}`);
      assertClose(a.probs, b.probs, `cross-entropy probs ${rows}x${cols}`, 1e-6, 1e-4);
      const dl = rnd(rows, gen);
      assertClose(
        N.softmaxCrossEntropyGrad(b.probs, targets, dl, rows, cols, -100),
        R.softmaxCrossEntropyGrad(b.probs, targets, dl, rows, cols, -100),
        `cross-entropy grad ${rows}x${cols}`,
      );
    }
  });
});

describe('native batch norm', { skip: skipReason }, () => {
  // [groups, rows, channels]: sequence-wise (1 group of T·B rows), frame-wise (T groups of B rows)
  const cases: [number, number, number][] = [
    [1, 1, 1],
    [1, 3000, 37], // sequence-wise, rows split over threads
    [50, 9, 33], // frame-wise, groups split over threads
    [3, 7, 5],
    [1, 2, 129],
  ];
  it('batchNormTrain and batchNormGrad', () => {
    for (const [G, Rw, C] of cases) {
      const x = rnd(G * Rw * C, gen, 2, 3); // a non-zero mean exercises the two-pass variance
      const gamma = rnd(C, gen, 0.5, 1);
      const beta = rnd(C, gen);
      const a = N.batchNormTrain(x, G, Rw, C, gamma, beta, 1e-5);
      const b = R.batchNormTrain(x, G, Rw, C, gamma, beta, 1e-5);
      for (const key of ['y', 'mean', 'variance', 'invStd'] as const) {
        assertClose(a[key], b[key], `batchNormTrain ${key} [${G}, ${Rw}, ${C}]`, 1e-5, 1e-4);
      }
      const dy = rnd(x.length, gen);
      const da = N.batchNormGrad(dy, x, G, Rw, C, b.mean, b.invStd, gamma);
      const db = R.batchNormGrad(dy, x, G, Rw, C, b.mean, b.invStd, gamma);
      assertClose(da.dx, db.dx, `batchNormGrad dx [${G}, ${Rw}, ${C}]`, 1e-5, 1e-4);
      const sumTol = 1e-5 * Math.sqrt(G * Rw);
      assertClose(da.dgamma, db.dgamma, `batchNormGrad dgamma [${G}, ${Rw}, ${C}]`, sumTol, 1e-4);
      assertClose(da.dbeta, db.dbeta, `batchNormGrad dbeta [${G}, ${Rw}, ${C}]`, sumTol, 1e-4);
    }
  });

  it('statistics stay exact for a mean 10⁵ times the spread (one-pass moments about a shift)', () => {
    const [G, Rw, C] = [1, 5000, 7];
    const x = rnd(G * Rw * C, gen, 0.01, 1000);
    const gamma = rnd(C, gen, 0.5, 1);
    const beta = rnd(C, gen);
    const a = N.batchNormTrain(x, G, Rw, C, gamma, beta, 1e-5);
    const b = R.batchNormTrain(x, G, Rw, C, gamma, beta, 1e-5);
    assertClose(a.mean, b.mean, 'mean', 0, 1e-7);
    assertClose(a.variance, b.variance, 'variance', 0, 1e-4);
    assertClose(a.invStd, b.invStd, 'invStd', 0, 1e-4);
  });
});

describe('native batch norm over valid rows (variable lengths)', { skip: skipReason }, () => {
  // [T, R, C, perStep]: frame-wise with steps no row reaches, sequence-wise split over threads
  const cases: [number, number, number, boolean][] = [
    [1, 1, 1, false],
    [7, 5, 3, true],
    [7, 5, 3, false],
    [60, 9, 33, true], // groups split over threads
    [40, 80, 37, false], // rows split over threads
    [5, 3, 129, true],
  ];
  it('batchNormTrainMasked and batchNormGradMasked: statistics over valid rows, padded rows 0', () => {
    for (const [T, Rw, C, perStep] of cases) {
      const x = rnd(T * Rw * C, gen, 2, 3); // padded rows hold random values too: they must not count
      const lengths = Int32Array.from({ length: Rw }, (_, r) => (r === 0 ? Math.max(0, T - 2) : gen.int(T + 1)));
      const gamma = rnd(C, gen, 0.5, 1);
      const beta = rnd(C, gen);
      const what = `[${T}, ${Rw}, ${C}] ${perStep ? 'per step' : 'over all steps'}`;
      const a = N.batchNormTrainMasked(x, T, Rw, C, lengths, perStep, gamma, beta, 1e-5);
      const b = R.batchNormTrainMasked(x, T, Rw, C, lengths, perStep, gamma, beta, 1e-5);
      for (const key of ['y', 'mean', 'variance', 'invStd'] as const) {
        assertClose(a[key], b[key], `batchNormTrainMasked ${key} ${what}`, 1e-5, 1e-4);
      }
      const dy = rnd(x.length, gen);
      const da = N.batchNormGradMasked(dy, x, T, Rw, C, lengths, perStep, b.mean, b.invStd, gamma);
      const db = R.batchNormGradMasked(dy, x, T, Rw, C, lengths, perStep, b.mean, b.invStd, gamma);
      assertClose(da.dx, db.dx, `batchNormGradMasked dx ${what}`, 1e-5, 1e-4);
      const sumTol = 1e-5 * Math.sqrt(T * Rw);
      assertClose(da.dgamma, db.dgamma, `batchNormGradMasked dgamma ${what}`, sumTol, 1e-4);
      assertClose(da.dbeta, db.dbeta, `batchNormGradMasked dbeta ${what}`, sumTol, 1e-4);
      for (let t = 0; t < T; t++) {
        for (let r = 0; r < Rw; r++) {
          if (t < lengths[r]!) continue;
          const row = (t * Rw + r) * C;
          assert.ok(a.y.subarray(row, row + C).every((v) => v === 0), `y is 0 on padded row (${t}, ${r}) ${what}`);
          assert.ok(da.dx.subarray(row, row + C).every((v) => v === 0), `dx is 0 on padded row (${t}, ${r}) ${what}`);
        }
      }
    }
  });

  it('a huge value in a padded first row does not spoil the statistics of a large-mean input', () => {
    const [T, Rw, C] = [50, 40, 5];
    const x = rnd(T * Rw * C, gen, 0.01, 1000);
    x.fill(1e30, 0, C); // row (0, 0): padding
    const lengths = Int32Array.from({ length: Rw }, (_, r) => (r === 0 ? 0 : T));
    const gamma = rnd(C, gen, 0.5, 1);
    const beta = rnd(C, gen);
    for (const perStep of [false, true]) {
      const a = N.batchNormTrainMasked(x, T, Rw, C, lengths, perStep, gamma, beta, 1e-5);
      const b = R.batchNormTrainMasked(x, T, Rw, C, lengths, perStep, gamma, beta, 1e-5);
      assertClose(a.mean, b.mean, 'mean', 0, 1e-7);
      assertClose(a.variance, b.variance, 'variance', 0, 1e-3);
    }
  });

  it('lengths outside [0, T] are refused by the addon, naming the kernel and the row', () => {
    const x = rnd(3 * 2 * 4, gen);
    const g = rnd(4, gen);
    assert.throws(
      () => N.batchNormTrainMasked(x, 3, 2, 4, Int32Array.from([3, 4]), true, g, g, 1e-5),
      /native batchNormTrainMasked: lengths\[1\] = 4 is outside \[0, 3\]/,
    );
    assert.throws(
      () => N.batchNormGradMasked(x, x, 3, 2, 4, Int32Array.from([-1, 2]), false, g, g, g),
      /native batchNormGradMasked: lengths\[0\] = -1 is outside \[0, 3\]/,
    );
  });
});

describe('native optimizer steps', { skip: skipReason }, () => {
  it('adamStep over several steps, with and without weight decay', () => {
    for (const n of [1, 37, 100_003]) {
      const p1 = rnd(n, gen);
      const p2 = p1.slice();
      const m1 = new Float32Array(n);
      const m2 = new Float32Array(n);
      const v1 = new Float32Array(n);
      const v2 = new Float32Array(n);
      for (let step = 1; step <= 3; step++) {
        const g = rnd(n, gen);
        const hp = {
          lr: 1e-2,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          weightDecay: step === 2 ? 0.01 : 0,
          step,
        };
        N.adamStep(p1, g, m1, v1, hp);
        R.adamStep(p2, g, m2, v2, hp);
      }
      // tight enough to see 1 - β taken in float32 (v off by 1.3e-5 relative)
      assertClose(p1, p2, `adam param n=${n}`, 1e-6, 1e-5);
      assertClose(m1, m2, `adam m n=${n}`, 1e-7, 1e-5);
      assertClose(v1, v2, `adam v n=${n}`, 1e-8, 1e-5);
    }
  });

  it('sgdStep: plain, momentum, dampening, nesterov, weight decay', () => {
    const variants = [
      { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
      { momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 1e-3 },
      { momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0 },
      { momentum: 0.8, dampening: 0, nesterov: true, weightDecay: 0 },
    ];
    for (const v of variants) {
      for (const n of [5, 100_003]) {
        const p1 = rnd(n, gen);
        const p2 = p1.slice();
        const b1 = new Float32Array(n);
        const b2 = new Float32Array(n);
        for (let step = 0; step < 3; step++) {
          const g = rnd(n, gen);
          const hp = { lr: 0.05, ...v, hasMomentum: step > 0 };
          N.sgdStep(p1, g, b1, hp);
          R.sgdStep(p2, g, b2, hp);
        }
        assertClose(p1, p2, `sgd ${JSON.stringify(v)} n=${n}`);
        assertClose(b1, b2, `sgd buffer ${JSON.stringify(v)} n=${n}`);
      }
    }
  });
});

describe('native storage and dtype routing', { skip: skipReason }, () => {
  it('keeps host typed arrays as storage (zero copy) and sends float64 to the reference', () => {
    const x = rnd(10, gen);
    assert.equal(N.fromHost(x), x);
    assert.equal(N.toHost(x), x);
    assert.equal(N.supports('float64'), false);
    assert.equal(N.supports('float32'), true);
    const d = Float64Array.from(x);
    const y = N.unary('tanh', d);
    assert.ok(y instanceof Float64Array);
    assertClose(y, R.unary('tanh', d), 'float64 unary via the reference', 0, 0);
    assert.ok(N.alloc('int32', 3) instanceof Int32Array);
    const c = N.clone(x);
    assert.notEqual(c, x);
    assertClose(c, x, 'clone', 0, 0);
  });
});

function broadcast(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}
