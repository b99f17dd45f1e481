/**
 * GEMM against the reference in every transposition, at sizes that are not multiples of the
 * register tile or vector width (and edge sizes 1), for each SIMD level, thread count, and with
 * the system BLAS on and off.
 *
 * Tolerance: atol 1e-5·√k, rtol 1e-4. Inputs are N(0, 1), so an output is a sum of k products of
 * size ~√k; the native kernel accumulates in float32 (in a different order) while the reference
 * sums in float64, so the absolute error grows like √k · float32 epsilon · √k-sized partial sums.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Generator } from 'indrnn';
import { blasChoice, nativeInfo, setBlas, setNumThreads } from '../lib/index.js';
import {
  assertClose,
  native,
  reference,
  rnd,
  simdLevels,
  skipReason,
  withSimd,
} from './helpers.mjs';

const gen = new Generator(2024);
const info0 = nativeInfo();
const defaultThreads = info0.available ? info0.threads : 1;
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 37, 5],
  [29, 1, 17],
  [3, 5, 7],
  [13, 31, 9],
  [15, 33, 257], // k past one KC block
  [47, 65, 130],
  [100, 7, 64], // narrow n: the skinny path
  [64, 3, 200],
  [33, 129, 31],
  [170, 70, 40], // m past one MC block
];

function check(
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  label: string,
): void {
  const a = rnd(m * k, gen);
  const b = rnd(k * n, gen);
  const want = reference.matmul(a, b, m, n, k, transA, transB);
  const got = native!.matmul(a, b, m, n, k, transA, transB);
  assertClose(
    got,
    want,
    `matmul ${label} m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`,
    1e-5 * Math.sqrt(k),
    1e-4,
  );
}

/** The loaded system BLAS's name, or null after marking the test skipped (none on this machine). */
function systemBlasOrSkip(t: { skip(message: string): void }): string | null {
  const info = nativeInfo();
  if (info.available && info.blas) return info.blas;
  t.skip('no system BLAS found (libopenblas.so.0 / libblis.so / libmkl_rt.so)');
  return null;
}

describe('native matmul', { skip: skipReason }, () => {
  for (const level of simdLevels) {
    it(`every transposition on odd sizes (${level} kernels, BLAS off)`, () => {
      setBlas('off');
      withSimd(level, () => {
        for (const [m, n, k] of SHAPES) {
          for (const ta of [false, true])
            for (const tb of [false, true]) check(m, n, k, ta, tb, level);
        }
      });
      setBlas('auto');
    });
  }

  it('uses 1 and 3 threads (uneven splits of rows and panels)', () => {
    setBlas('off');
    try {
      for (const threads of [1, 3]) {
        setNumThreads(threads);
        for (const ta of [false, true])
          for (const tb of [false, true]) {
            check(203, 157, 311, ta, tb, `${threads} threads`);
            check(19, 300, 70, ta, tb, `${threads} threads`);
          }
      }
    } finally {
      setNumThreads(defaultThreads);
      setBlas('auto');
    }
  });

  it('zero-sized products give zeros of the right size', () => {
    const a = rnd(6, gen);
    const out = native!.matmul(a, new Float32Array(0), 6, 0, 1, false, false);
    assertClose(out, new Float32Array(0), 'n = 0');
    const z = native!.matmul(new Float32Array(0), new Float32Array(0), 2, 3, 0, false, false);
    assertClose(z, new Float32Array(6), 'k = 0');
  });

  it('large products go through the system BLAS when one is loaded, and agree', (t) => {
    const blas = systemBlasOrSkip(t);
    if (!blas) return;
    setBlas('on');
    try {
      for (const ta of [false, true])
        for (const tb of [false, true]) check(150, 140, 130, ta, tb, `BLAS ${blas}`);
    } finally {
      setBlas('auto');
    }
  });

  it('auto mode picks the library by a fixed shape rule, and each pick gives exactly that implementation\'s bits', (t) => {
    const blas = systemBlasOrSkip(t);
    if (!blas) return;
    const i = nativeInfo();
    // the rule never sends narrow products to the library, whatever the core
    setBlas('auto');
    assert.equal(blasChoice(5000, 128, 128, false, false), false, 'tall-skinny product of a 128-wide layer');
    assert.equal(blasChoice(100, 100, 100, false, false), false, 'below the size worth a library call');
    const wide: [number, number, number] = [300, 520, 530];
    const libraryTakesWide = i.available && !(i.simd === 'avx512' && i.blasCore !== null && !/SkylakeX|Cooperlake|SapphireRapids/.test(i.blasCore));
    assert.equal(blasChoice(...wide, false, true), libraryTakesWide, `wide product with core ${i.available ? i.blasCore : '?'}`);
    // the same operands in auto mode give bit for bit the product of the implementation the rule names
    const [m, n, k] = wide;
    const a = rnd(m * k, gen);
    const b = rnd(k * n, gen);
    const bits = (mode: 'on' | 'off' | 'auto'): Float32Array => {
      setBlas(mode);
      return native!.matmul(a, b, m, n, k, false, true) as Float32Array;
    };
    try {
      const auto1 = bits('auto');
      const auto2 = bits('auto');
      assert.deepEqual(auto2, auto1, 'auto mode gives the same bits every call');
      assert.deepEqual(auto1, bits(libraryTakesWide ? 'on' : 'off'));
    } finally {
      setBlas('auto');
    }
  });
});
