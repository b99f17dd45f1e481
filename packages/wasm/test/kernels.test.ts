/**
 * Every wasm kernel against the reference backend on seeded random inputs (never zeros), sizes that
 * are not multiples of the SIMD width (4) or of the GEMM tile (4x8), and edge sizes (T = 1, B = 1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Generator, type Activation, type Backend, type BinaryOp, type Shape, type TypedArray } from 'indrnn';
import { perturbedBackend, relativeTo, UNARY_OPS } from 'indrnn/testing';
import {
  assertAllClose,
  assertClose,
  ints,
  randn,
  ref,
  uniform,
  wasm,
  type Tolerance,
} from './helpers.js';
import { createWasmBackend } from '../src/backend.js';
import { instantiateKernelsSync } from '../src/loader.js';

const gen = new Generator(2024);
/** Elementwise kernels are exact up to a few ulps of float32. */
const ELEMENTWISE: Tolerance = { atol: 1e-7, rtol: 2e-6 };
/**
 * Optimizer states are sums of O(1) terms (momentum·buf + g) that can nearly cancel: a result
 * near zero keeps their float32 rounding, about ulp(1) = 1.2e-7, so atol is a few of those.
 */
const OPTIMIZER: Tolerance = { atol: 5e-7, rtol: 2e-6 };
const TRANSCENDENTAL: Tolerance = { atol: 1e-7, rtol: 1e-5 };
/** f32 accumulation order differs from the reference's f64 sums. */
const ACCUMULATED: Tolerance = { atol: 2e-5, rtol: 2e-5 };

describe('wasm matmul (blocked GEMM) against the reference', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 4, 0],
    [5, 7, 3],
    [4, 8, 256],
    [33, 17, 300],
    [130, 9, 257],
    [1, 37, 513],
    [67, 131, 19],
  ];
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`[${m}, ${k}]${transA ? 'ᵀ' : ''} · [${k}, ${n}]${transB ? 'ᵀ' : ''}`, () => {
          const a = randn(gen, m * k);
          const b = randn(gen, k * n);
          const got = wasm.matmul(a, b, m, n, k, transA, transB);
          assert.ok(got instanceof Float32Array);
          // error grows with the k products summed in float32
          assertClose(
            got,
            ref.matmul(a, b, m, n, k, transA, transB),
            { atol: 1e-6 * Math.max(k, 1), rtol: 1e-5 },
            'matmul',
          );
        });
      }
    }
  }
  it('float64 operands go to the reference kernel and stay float64', () => {
    const a = Float64Array.from(randn(gen, 6));
    const b = Float64Array.from(randn(gen, 6));
    const got = wasm.matmul(a, b, 2, 2, 3, false, false);
    assert.ok(got instanceof Float64Array);
    assert.deepEqual(got, ref.matmul(a, b, 2, 2, 3, false, false));
  });
});

describe('wasm elementwise kernels against the reference', () => {
  const unaryOps = UNARY_OPS;
  for (const op of unaryOps) {
    for (const n of [1, 37]) {
      it(`unary ${op} and its gradient, n = ${n}`, () => {
        const x = op === 'log' || op === 'sqrt' ? uniform(gen, n, 0.1, 3) : randn(gen, n);
        const tol = ['tanh', 'sigmoid', 'exp', 'log'].includes(op) ? TRANSCENDENTAL : ELEMENTWISE;
        const y = ref.unary(op, x);
        assertClose(wasm.unary(op, x), y, tol, `unary ${op}`);
        const dy = randn(gen, n);
        assertClose(
          wasm.unaryGrad(op, x, y, dy),
          ref.unaryGrad(op, x, y, dy),
          tol,
          `unaryGrad ${op}`,
        );
      });
    }
  }

  const binaryOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
  const pairs: [Shape, Shape, Shape][] = [
    [
      [2, 3, 5],
      [2, 3, 5],
      [2, 3, 5],
    ],
    [
      [3, 1, 5],
      [2, 5],
      [3, 2, 5],
    ],
    [[7, 9], [9], [7, 9]],
    [[9], [7, 9], [7, 9]],
    [[], [3], [3]],
    [
      [4, 1],
      [1, 6],
      [4, 6],
    ],
    [
      [5, 1, 3],
      [5, 2, 1],
      [5, 2, 3],
    ],
    [[1], [1], [1]],
  ];
  for (const op of binaryOps) {
    it(`binary ${op} with broadcasting`, () => {
      for (const [as, bs, os] of pairs) {
        const a = randn(
          gen,
          as.reduce((p, q) => p * q, 1),
        );
        const b =
          op === 'div'
            ? uniform(
                gen,
                bs.reduce((p, q) => p * q, 1),
                0.5,
                2,
              )
            : randn(
                gen,
                bs.reduce((p, q) => p * q, 1),
              );
        const what = `${op} [${as}] ∘ [${bs}]`;
        assertClose(
          wasm.binary(op, a, as, b, bs, os),
          ref.binary(op, a, as, b, bs, os),
          ELEMENTWISE,
          what,
        );
      }
    });
  }
  it('binary on int32 operands goes to the reference kernel', () => {
    const a = ints(gen, 6, -5, 5);
    const b = ints(gen, 3, 1, 5);
    const got = wasm.binary('add', a, [2, 3], b, [3], [2, 3]);
    assert.ok(got instanceof Int32Array);
    assert.deepEqual(got, ref.binary('add', a, [2, 3], b, [3], [2, 3]));
  });

  it('affine', () => {
    const x = randn(gen, 41);
    assertClose(wasm.affine(x, 1.7, -0.3), ref.affine(x, 1.7, -0.3), ELEMENTWISE, 'affine');
  });

  it('broadcastTo', () => {
    const cases: [Shape, Shape][] = [
      [
        [3, 1],
        [2, 3, 4],
      ],
      [[5], [3, 5]],
      [[], [2, 2]],
      [
        [2, 1, 3],
        [2, 5, 3],
      ],
      [[7], [7]],
    ];
    for (const [s, o] of cases) {
      const x = randn(
        gen,
        s.reduce((p, q) => p * q, 1),
      );
      assertClose(
        wasm.broadcastTo(x, s, o),
        ref.broadcastTo(x, s, o),
        ELEMENTWISE,
        `broadcastTo [${s}] → [${o}]`,
      );
    }
  });

  it('reduceSum over every kind of axis set', () => {
    const cases: [Shape, number[]][] = [
      [
        [2, 3, 5],
        [0, 2],
      ],
      [[2, 3, 5], [1]],
      [
        [2, 3, 5],
        [0, 1, 2],
      ],
      [[2, 3, 5], [0]],
      [[2, 3, 5], [2]],
      [[37], [0]],
      [[1001, 7], [0]],
      [[3, 1, 4], [1]],
      [[6, 5], []],
    ];
    for (const [s, axes] of cases) {
      const x = randn(
        gen,
        s.reduce((p, q) => p * q, 1),
      );
      assertClose(
        wasm.reduceSum(x, s, axes),
        ref.reduceSum(x, s, axes),
        ACCUMULATED,
        `reduceSum [${s}] over [${axes}]`,
      );
    }
  });

  it('clampInPlace and scaleInPlace update the array they are given', () => {
    const x = randn(gen, 23);
    const a = x.slice();
    const b = x.slice();
    wasm.clampInPlace(a, -0.5, 0.7);
    ref.clampInPlace(b, -0.5, 0.7);
    assertClose(a, b, ELEMENTWISE, 'clampInPlace');
    wasm.scaleInPlace(a, -1.3);
    ref.scaleInPlace(b, -1.3);
    assertClose(a, b, ELEMENTWISE, 'scaleInPlace');
  });

  it('sumSquares, with NaN and Infinity passed through', () => {
    const x = randn(gen, 1003);
    assertClose([wasm.sumSquares(x)], [ref.sumSquares(x)], { atol: 0, rtol: 1e-9 }, 'sumSquares');
    x[500] = NaN;
    assert.ok(Number.isNaN(wasm.sumSquares(x)));
    x[500] = Infinity;
    assert.equal(wasm.sumSquares(x), Infinity);
  });
});

/** Shapes [groups, rows, channels] of the BN checks: rows = 1 is the zero-variance edge. */
const BN_SHAPES = [
  [1, 5, 7],
  [3, 4, 9],
  [1, 1, 1],
  [2, 33, 4],
  [2, 1, 9],
] as const;

describe('wasm nn kernels against the reference', () => {
  it('softmax, cross-entropy (with ignored rows) and its gradient', () => {
    for (const [rows, cols] of [
      [1, 1],
      [5, 7],
      [13, 65],
    ] as const) {
      const x = randn(gen, rows * cols, 3);
      assertClose(
        wasm.softmax(x, rows, cols),
        ref.softmax(x, rows, cols),
        TRANSCENDENTAL,
        `softmax ${rows}x${cols}`,
      );
      const targets = ints(gen, rows, 0, cols);
      targets[rows - 1] = -100;
      const got = wasm.softmaxCrossEntropy(x, rows, cols, targets, -100);
      const want = ref.softmaxCrossEntropy(x, rows, cols, targets, -100);
      assertAllClose(got, want, TRANSCENDENTAL, `softmaxCrossEntropy ${rows}x${cols}`);
      const dloss = randn(gen, rows);
      const dx = wasm.softmaxCrossEntropyGrad(want.probs, targets, dloss, rows, cols, -100);
      assertClose(
        dx,
        ref.softmaxCrossEntropyGrad(want.probs, targets, dloss, rows, cols, -100),
        ELEMENTWISE,
        'CE grad',
      );
    }
  });

  for (const [groups, rows, channels] of BN_SHAPES) {
    it(`batch norm train and backward, [${groups}, ${rows}, ${channels}]`, () => checkBatchNorm(wasm, groups, rows, channels));
  }

  // variable lengths: statistics over valid rows only (steps no row reaches included), padded rows 0
  for (const [T, R, C, perStep] of [
    [1, 1, 1, false],
    [6, 5, 7, true],
    [6, 5, 7, false],
    [9, 3, 4, true],
    [20, 33, 9, false],
  ] as const) {
    it(`batch norm over valid rows, [${T}, ${R}, ${C}] ${perStep ? 'per step' : 'over all steps'}`, () => {
      const x = randn(gen, T * R * C, 2, 0.5); // padded rows hold random values: they must not count
      const lengths = Int32Array.from({ length: R }, (_, r) => (r === 0 ? Math.max(0, T - 2) : gen.int(T + 1)));
      const gamma = randn(gen, C, 0.5, 1);
      const beta = randn(gen, C);
      const want = ref.batchNormTrainMasked(x, T, R, C, lengths, perStep, gamma, beta, 1e-5);
      const got = wasm.batchNormTrainMasked(x, T, R, C, lengths, perStep, gamma, beta, 1e-5);
      // relative to each output (measured: the same 1e-7 level as the unpadded kernels)
      for (const k of ['y', 'mean', 'variance', 'invStd'] as const) {
        assertClose(got[k], want[k], relativeTo(want[k], 1e-6), `batchNormTrainMasked.${k}`);
      }
      const dy = randn(gen, x.length);
      const dgot = wasm.batchNormGradMasked(dy, x, T, R, C, lengths, perStep, want.mean, want.invStd, gamma);
      const dexp = ref.batchNormGradMasked(dy, x, T, R, C, lengths, perStep, want.mean, want.invStd, gamma);
      for (const k of ['dx', 'dgamma', 'dbeta'] as const) {
        assertClose(dgot[k], dexp[k], relativeTo(dexp[k], 1e-6), `batchNormGradMasked.${k}`);
      }
      for (let t = 0; t < T; t++) {
        for (let r = 0; r < R; r++) {
          if (t < lengths[r]!) continue;
          const o = (t * R + r) * C;
          assert.ok((got.y as Float32Array).subarray(o, o + C).every((v) => v === 0), `y is 0 on padded row (${t}, ${r})`);
          assert.ok((dgot.dx as Float32Array).subarray(o, o + C).every((v) => v === 0), `dx is 0 on padded row (${t}, ${r})`);
        }
      }
    });
  }
  it('batch norm over valid rows refuses lengths outside [0, T]', () => {
    const x = randn(gen, 3 * 2 * 4);
    const g = randn(gen, 4);
    assert.throws(() => wasm.batchNormTrainMasked(x, 3, 2, 4, Int32Array.from([3, 4]), true, g, g, 1e-5), /wasm batchNormTrainMasked: lengths\[1\] = 4 is outside \[0, 3\]/);
  });

  it('batch norm: each output off by 0.1% fails its check', () => {
    // reproduce: node --test --test-name-pattern='off by 0.1%' packages/wasm/dist/test/kernels.test.js
    const caught: string[] = [];
    for (const [kernel, outputs] of [
      ['batchNormTrain', ['y', 'mean', 'variance', 'invStd']],
      ['batchNormGrad', ['dx', 'dgamma', 'dbeta']],
    ] as const) {
      for (const output of outputs) {
        for (const [groups, rows, channels] of BN_SHAPES) {
          const wrong = perturbedBackend(wasm, kernel, { output });
          const label = `${kernel}.${output} [${groups}, ${rows}, ${channels}]`;
          const threw = (() => {
            try {
              checkBatchNorm(wrong, groups, rows, channels);
              return false;
            } catch {
              return true;
            }
          })();
          // with one row the variance, dx and dgamma are exactly 0 (x equals its mean), which no
          // scaling changes; they are compared exactly (atol = 1e-6 · max|0| = 0)
          const exactZero = rows === 1 && ['variance', 'dx', 'dgamma'].includes(output);
          if (threw !== !exactZero) caught.push(`${label}: ${threw ? 'caught' : 'passed'}`);
        }
      }
    }
    assert.deepEqual(caught, [], 'every perturbed output with a nonzero value fails the check');
    console.log(`# ${7 * BN_SHAPES.length} (output, shape) pairs perturbed by 0.1%: all failed but the 6 exactly-zero outputs of rows = 1`);
  });
});

/**
 * BN forward and backward on `backend` against the reference, on inputs seeded by the shape. Every
 * output within 1e-6 of its own largest entry (measured: at most 1.1e-7, float32 products and sums in
 * another order; with one row every output is exact).
 */
function checkBatchNorm(backend: Backend<TypedArray>, groups: number, rows: number, channels: number): void {
  const g = new Generator(1000 * groups + 100 * rows + channels);
  const x = randn(g, groups * rows * channels, 2, 0.5);
  const gamma = randn(g, channels, 0.5, 1);
  const beta = randn(g, channels);
  const want = ref.batchNormTrain(x, groups, rows, channels, gamma, beta, 1e-5);
  const got = backend.batchNormTrain(x, groups, rows, channels, gamma, beta, 1e-5);
  for (const k of ['y', 'mean', 'variance', 'invStd'] as const) {
    assertClose(got[k], want[k], relativeTo(want[k], 1e-6), `batchNormTrain.${k}`);
  }
  const dy = randn(g, x.length);
  const gotGrad = backend.batchNormGrad(dy, x, groups, rows, channels, want.mean, want.invStd, gamma);
  const wantGrad = ref.batchNormGrad(dy, x, groups, rows, channels, want.mean, want.invStd, gamma);
  for (const k of ['dx', 'dgamma', 'dbeta'] as const) {
    assertClose(gotGrad[k], wantGrad[k], relativeTo(wantGrad[k], 1e-6), `batchNormGrad.${k}`);
  }
}

/** Lengths for B sequences of up to T steps: full, short and (when T > 1) empty ones. */
function lengthsFor(T: number, B: number): Int32Array {
  return Int32Array.from({ length: B }, (_, b) => (b === 0 ? T : b === 1 ? 0 : 1 + gen.int(T)));
}

const SCAN: Tolerance = { atol: 1e-5, rtol: 1e-5 };
const SCAN_GRAD: Tolerance = { atol: 1e-4, rtol: 1e-4 };
const scanShapes: [number, number, number][] = [
  [1, 1, 1],
  [1, 3, 5],
  [7, 1, 6],
  [9, 3, 5],
  [6, 4, 13],
];
const activations: Activation[] = ['relu', 'tanh', 'identity'];

/** The scan with a narrow input projection folded in (F = 1, 2, 3), forward and backward (with and without dx). */
function projCase(
  backend: typeof wasm, gen: Generator, T: number, B: number, N: number, act: Activation, u: Float32Array, h0: Float32Array,
  bias: Float32Array, dh: Float32Array, lengths: Int32Array | null,
): void {
  for (const F of [1, 2, 3]) {
    const x = randn(gen, T * B * F);
    const w = randn(gen, N * F, 0.5);
    const hp = ref.indrnnScanProj!(x, w, bias, u, h0, lengths, T, B, N, F, act);
    assertClose(backend.indrnnScanProj!(x, w, bias, u, h0, lengths, T, B, N, F, act), hp, SCAN, `indrnnScanProj h F=${F}`);
    for (const wantDx of [false, true]) {
      const got = backend.indrnnScanProjGrad!(dh, hp, x, w, u, h0, lengths, T, B, N, F, act, wantDx);
      const want = ref.indrnnScanProjGrad!(dh, hp, x, w, u, h0, lengths, T, B, N, F, act, wantDx);
      assert.equal(got.dx === null, !wantDx);
      const arrays = (r: Record<string, TypedArray | null>) =>
        Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as Record<string, TypedArray>;
      assertAllClose(arrays(got), arrays(want), SCAN_GRAD, `indrnnScanProjGrad F=${F} wantDx=${wantDx}`);
    }
  }
}

/**
 * The three IndRNN scans of `backend` against the reference: plain, with the bias folded in, and
 * with a narrow input projection folded in; forward and backward each.
 */
function checkScans(
  backend: typeof wasm, gen: Generator, T: number, B: number, N: number, act: Activation,
  lengths: Int32Array | null, label: string,
): void {
  const z = randn(gen, T * B * N);
  const u = uniform(gen, N, -1, 1);
  const h0 = randn(gen, B * N, 0.5);
  const h = ref.indrnnScan(z, u, h0, lengths, T, B, N, act);
  assertClose(backend.indrnnScan(z, u, h0, lengths, T, B, N, act), h, SCAN, `${label}indrnnScan h`);
  const dh = randn(gen, T * B * N);
  assertAllClose(
    backend.indrnnScanGrad(dh, z, h, u, h0, lengths, T, B, N, act),
    ref.indrnnScanGrad(dh, z, h, u, h0, lengths, T, B, N, act),
    SCAN_GRAD,
    `${label}indrnnScanGrad`,
  );
  // the projection bias folded into the loop, and db from the reverse loop
  const bias = randn(gen, N, 0.5);
  const hb = ref.indrnnScanBias!(z, u, bias, h0, lengths, T, B, N, act);
  assertClose(backend.indrnnScanBias!(z, u, bias, h0, lengths, T, B, N, act), hb, SCAN, `${label}indrnnScanBias h`);
  assertAllClose(
    backend.indrnnScanBiasGrad!(dh, hb, u, h0, lengths, T, B, N, act),
    ref.indrnnScanBiasGrad!(dh, hb, u, h0, lengths, T, B, N, act),
    SCAN_GRAD,
    `${label}indrnnScanBiasGrad`,
  );
  projCase(backend, gen, T, B, N, act, u, h0, bias, dh, lengths);
}

describe('wasm IndRNN scan against the reference', () => {
  for (const [T, B, N] of scanShapes) {
    for (const act of activations) {
      for (const masked of [false, true]) {
        it(`T=${T} B=${B} N=${N} ${act}${masked ? ' with lengths' : ''}`, () => {
          checkScans(wasm, gen, T, B, N, act, masked ? lengthsFor(T, B) : null, '');
        });
      }
    }
  }
});

describe('wasm matmul in blocks (operands larger than the chunk)', () => {
  // a 2000-element chunk: each case below runs in several row or k blocks
  const blocked = createWasmBackend(instantiateKernelsSync(), undefined, { gemmChunkElements: 2000 });
  const gen = new Generator(78);
  const cases: [number, number, number, boolean, boolean, string][] = [
    [301, 9, 12, false, false, 'row blocks'],
    [301, 9, 12, false, true, 'row blocks, b transposed'],
    [11, 13, 517, true, false, 'k blocks (aᵀ b over a long k)'],
    [40, 60, 70, true, true, 'too large, no contiguous split: one pass'],
  ];
  for (const [m, n, k, transA, transB, what] of cases) {
    it(`[${m}, ${k}]${transA ? 'ᵀ' : ''} · [${k}, ${n}]${transB ? 'ᵀ' : ''}: ${what}`, () => {
      const a = randn(gen, m * k);
      const b = randn(gen, k * n);
      assertClose(
        blocked.matmul(a, b, m, n, k, transA, transB),
        ref.matmul(a, b, m, n, k, transA, transB),
        { atol: 1e-6 * k, rtol: 1e-5 },
        'blocked matmul',
      );
    });
  }
});

describe('wasm IndRNN scan in time chunks (state and gradient carried across them)', () => {
  // 2 steps per chunk: T = 7 runs as 4 chunks, the last one short; lengths end inside and between them
  const [T, B, N] = [7, 3, 5];
  const gen = new Generator(77); // a stream of its own: the other tests' inputs stay as they were
  const chunked = createWasmBackend(instantiateKernelsSync(), undefined, { scanChunkElements: 2 * B * N });
  for (const act of activations) {
    for (const masked of [false, true]) {
      it(`T=${T} B=${B} N=${N} ${act}${masked ? ' with lengths' : ''}`, () => {
        checkScans(chunked, gen, T, B, N, act, masked ? Int32Array.from([T, 0, 3]) : null, 'chunked ');
      });
    }
  }
});

describe('wasm RNN and LSTM scans against the reference', () => {
  for (const [T, B, H] of scanShapes) {
    for (const masked of [false, true]) {
      for (const act of activations) {
        it(`RNN T=${T} B=${B} H=${H} ${act}${masked ? ' with lengths' : ''}`, () => {
          const gx = randn(gen, T * B * H);
          const whh = randn(gen, H * H, 0.3);
          const h0 = randn(gen, B * H, 0.5);
          const lengths = masked ? lengthsFor(T, B) : null;
          const h = ref.rnnScan(gx, whh, h0, lengths, T, B, H, act);
          assertClose(wasm.rnnScan(gx, whh, h0, lengths, T, B, H, act), h, SCAN, 'rnnScan h');
          const dh = randn(gen, T * B * H);
          const got = wasm.rnnScanGrad(dh, h, whh, h0, lengths, T, B, H, act);
          assertAllClose(
            got,
            ref.rnnScanGrad(dh, h, whh, h0, lengths, T, B, H, act),
            SCAN_GRAD,
            'rnnScanGrad',
          );
        });
      }
      it(`LSTM T=${T} B=${B} H=${H}${masked ? ' with lengths' : ''}`, () => {
        const gx = randn(gen, T * B * 4 * H);
        const whh = randn(gen, 4 * H * H, 0.3);
        const h0 = randn(gen, B * H, 0.5);
        const c0 = randn(gen, B * H, 0.5);
        const lengths = masked ? lengthsFor(T, B) : null;
        const fwd = ref.lstmScan(gx, whh, h0, c0, lengths, T, B, H);
        assertAllClose(wasm.lstmScan(gx, whh, h0, c0, lengths, T, B, H), fwd, SCAN, 'lstmScan');
        const dh = randn(gen, T * B * H);
        const dc = randn(gen, T * B * H);
        const got = wasm.lstmScanGrad(
          dh,
          dc,
          fwd.gates,
          fwd.h,
          fwd.c,
          whh,
          h0,
          c0,
          lengths,
          T,
          B,
          H,
        );
        const want = ref.lstmScanGrad(
          dh,
          dc,
          fwd.gates,
          fwd.h,
          fwd.c,
          whh,
          h0,
          c0,
          lengths,
          T,
          B,
          H,
        );
        assertAllClose(got, want, SCAN_GRAD, 'lstmScanGrad');
      });
    }
  }
});

describe('wasm optimizer steps against the reference', () => {
  it('Adam over three steps, with and without weight decay', () => {
    for (const weightDecay of [0, 0.01]) {
      const n = 23;
      const p = [randn(gen, n), new Float32Array(0)];
      p[1] = p[0]!.slice();
      const m = [new Float32Array(n), new Float32Array(n)];
      const v = [new Float32Array(n), new Float32Array(n)];
      for (let step = 1; step <= 3; step++) {
        const g = randn(gen, n);
        const hp = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, step };
        wasm.adamStep(p[0]!, g, m[0]!, v[0]!, hp);
        ref.adamStep(p[1]!, g, m[1]!, v[1]!, hp);
      }
      assertClose(p[0]!, p[1]!, { atol: 1e-6, rtol: 1e-5 }, `adam param (wd ${weightDecay})`);
      assertClose(m[0]!, m[1]!, OPTIMIZER, 'adam m');
      assertClose(v[0]!, v[1]!, { atol: 1e-9, rtol: 1e-5 }, 'adam v');
    }
  });

  const sgdCases = [
    { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
    { momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 1e-3 },
    { momentum: 0.9, dampening: 0.1, nesterov: true, weightDecay: 0 },
  ];
  for (const c of sgdCases) {
    const label = `${c.nesterov ? ' nesterov' : ''}${c.dampening ? ' dampening' : ''}`;
    it(`SGD momentum ${c.momentum}${label}`, () => {
      const n = 19;
      const p0 = randn(gen, n);
      const p1 = p0.slice();
      const b0 = new Float32Array(n);
      const b1 = new Float32Array(n);
      for (let step = 0; step < 3; step++) {
        const g = randn(gen, n);
        const hp = { lr: 0.05, ...c, hasMomentum: step > 0 };
        wasm.sgdStep(p0, g, b0, hp);
        ref.sgdStep(p1, g, b1, hp);
      }
      assertClose(p0, p1, OPTIMIZER, 'sgd param');
      assertClose(b0, b1, OPTIMIZER, 'sgd momentum buffer');
    });
  }
});
