/**
 * The fused recurrences (IndRNN, Elman RNN, LSTM; forward and backward) against the reference, with
 * and without variable lengths (including empty and full sequences), at edge sizes T = 1 and
 * B = 1, sizes that are not multiples of a warp or of the kernels' unroll (32 forward, 16
 * backward), and a long one that runs many unrolled blocks. Skips with the reason when no GPU is
 * usable.
 *
 * Tolerances: the IndRNN forward carries h through T steps in float32 (the reference in double):
 * with the identity activation nothing clips it, so roundings drift like a random walk: atol
 * 1e-5·√T/4 (the H200 showed 1.6e-5 at T = 1000 on h of 0.016), rtol 1e-4. Its backward carries a
 * float32 gradient through T steps (the reference carries a double), so dz and dh0 drift like a
 * random walk of roundings: atol 1e-5·√T (found by the CPU emulator at T = 1000 with tanh: 2.8e-5
 * on a dh0 of 0.048). du sums over T·B terms (double on the GPU): atol 1e-5·√(T·B). The RNN/LSTM scans chain a float32 GEMM through every
 * step: outputs and step gradients atol 1e-4, rtol 1e-3; weight gradients sum over T·B rows:
 * atol 1e-4·√(T·B), rtol 1e-3.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Generator, type Activation } from 'indrnn';
import { assertClose, cuda, reference as R, rnd, gpuFile, uniform, up } from './helpers.mjs';

const gpuDescribe = gpuFile('scans.test');

const gen = new Generator(99);
const C = cuda!;

// [T, B, H]
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [1, 3, 17],
  [9, 1, 33],
  [31, 5, 37],
  [33, 4, 40],
  [70, 33, 70],
  [1000, 3, 129],
];
const ACTS: Activation[] = ['relu', 'tanh', 'identity'];

function lengthsFor(T: number, B: number): Int32Array {
  // every kind of length: full, empty, and ones that end inside and between unrolled blocks
  return Int32Array.from({ length: B }, (_, b) => (b === 0 ? T : b === 1 ? 0 : 1 + ((b * 7) % T)));
}

gpuDescribe('cuda IndRNN scan', () => {
  for (const [T, B, H] of SIZES) {
    for (const act of ACTS) {
      for (const withLengths of [false, true]) {
        it(`T=${T} B=${B} N=${H} ${act}${withLengths ? ' with lengths' : ''}`, () => {
          const hAtol = 1e-5 * Math.max(1, Math.sqrt(T) / 4);
          const z = rnd(T * B * H, gen);
          const u = uniform(H, gen, -1, 1);
          const h0 = rnd(B * H, gen, 0.5);
          const len = withLengths ? lengthsFor(T, B) : null;
          const h = R.indrnnScan(z, u, h0, len, T, B, H, act);
          const dLen = len ? up(len) : null;
          const dh0 = up(h0);
          const du = up(u);
          const gh = C.indrnnScan(up(z), du, dh0, dLen, T, B, H, act);
          assertClose(gh, h, 'h', hAtol);
          const dh = rnd(T * B * H, gen);
          // feed the reference's h to both, so the backward is compared on its own
          const a = C.indrnnScanGrad(up(dh), up(z), up(h), du, dh0, dLen, T, B, H, act);
          const b = R.indrnnScanGrad(dh, z, h, u, h0, len, T, B, H, act);
          assertClose(a.dz, b.dz, 'dz', 1e-5 * Math.sqrt(T), 1e-4);
          assertClose(a.du, b.du, 'du', 1e-5 * Math.sqrt(T * B), 1e-4);
          assertClose(a.dh0, b.dh0, 'dh0', 1e-5 * Math.sqrt(T), 1e-4);

          // the variant with the projection bias folded into the loop (db from the same pass)
          const bias = rnd(H, gen, 0.5);
          const hb = R.indrnnScanBias!(z, u, bias, h0, len, T, B, H, act);
          assertClose(C.indrnnScanBias!(up(z), du, up(bias), dh0, dLen, T, B, H, act), hb, 'h (bias)', hAtol);
          const gb = C.indrnnScanBiasGrad!(up(dh), up(hb), du, dh0, dLen, T, B, H, act);
          const rb = R.indrnnScanBiasGrad!(dh, hb, u, h0, len, T, B, H, act);
          assertClose(gb.dz, rb.dz, 'dz (bias)', 1e-5 * Math.sqrt(T), 1e-4);
          assertClose(gb.du, rb.du, 'du (bias)', 1e-5 * Math.sqrt(T * B), 1e-4);
          assertClose(gb.db, rb.db, 'db (bias)', 1e-5 * Math.sqrt(T * B), 1e-4);
          assertClose(gb.dh0, rb.dh0, 'dh0 (bias)', 1e-5 * Math.sqrt(T), 1e-4);

          // the variant with a narrow input projection folded in (z never stored)
          for (const F of [1, 2, 3, 4, 5, 6, 7, 8]) { // each F is its own kernel instantiation
            const x = rnd(T * B * F, gen);
            const w = rnd(H * F, gen, 0.5);
            const hp = R.indrnnScanProj!(x, w, bias, u, h0, len, T, B, H, F, act);
            const dx = up(x);
            const dw = up(w);
            const db = up(bias);
            assertClose(C.indrnnScanProj!(dx, dw, db, du, dh0, dLen, T, B, H, F, act), hp, `h (F=${F})`, hAtol);
            for (const wantDx of [false, true]) {
              const gp = C.indrnnScanProjGrad!(up(dh), up(hp), dx, dw, du, dh0, dLen, T, B, H, F, act, wantDx);
              const rp = R.indrnnScanProjGrad!(dh, hp, x, w, u, h0, len, T, B, H, F, act, wantDx);
              const sums = 1e-5 * Math.sqrt(T * B);
              assertClose(gp.dw, rp.dw, `dw (F=${F})`, sums, 1e-4);
              assertClose(gp.db, rp.db, `db (F=${F})`, sums, 1e-4);
              assertClose(gp.du, rp.du, `du (F=${F})`, sums, 1e-4);
              assertClose(gp.dh0, rp.dh0, `dh0 (F=${F})`, 1e-5 * Math.sqrt(T), 1e-4);
              if (wantDx) assertClose(gp.dx!, rp.dx!, `dx (F=${F})`, 1e-5 * Math.sqrt(T * H), 1e-4);
              else assert.equal(gp.dx, null);
            }
          }
        });
      }
    }
  }
});

gpuDescribe('cuda RNN scan', () => {
  for (const [T, B, H] of SIZES.slice(0, 6)) {
    for (const act of ACTS) {
      for (const withLengths of [false, true]) {
        it(`T=${T} B=${B} H=${H} ${act}${withLengths ? ' with lengths' : ''}`, () => {
          const gx = rnd(T * B * H, gen);
          const whh = rnd(H * H, gen, 0.9 / Math.sqrt(H)); // keeps the recurrence stable
          const h0 = rnd(B * H, gen, 0.5);
          const len = withLengths ? lengthsFor(T, B) : null;
          const dLen = len ? up(len) : null;
          const h = R.rnnScan(gx, whh, h0, len, T, B, H, act);
          assertClose(C.rnnScan(up(gx), up(whh), up(h0), dLen, T, B, H, act), h, 'h', 1e-4, 1e-3);
          const dh = rnd(T * B * H, gen);
          const a = C.rnnScanGrad(up(dh), up(h), up(whh), up(h0), dLen, T, B, H, act);
          const b = R.rnnScanGrad(dh, h, whh, h0, len, T, B, H, act);
          assertClose(a.dgx, b.dgx, 'dgx', 1e-4, 1e-3);
          assertClose(a.dwhh, b.dwhh, 'dwhh', 1e-4 * Math.sqrt(T * B), 1e-3);
          assertClose(a.dh0, b.dh0, 'dh0', 1e-4, 1e-3);
        });
      }
    }
  }
});

gpuDescribe('cuda LSTM scan', () => {
  for (const [T, B, H] of SIZES.slice(0, 6)) {
    for (const withLengths of [false, true]) {
      it(`T=${T} B=${B} H=${H}${withLengths ? ' with lengths' : ''}`, () => {
        const gx = rnd(T * B * 4 * H, gen);
        const whh = rnd(4 * H * H, gen, 0.9 / Math.sqrt(H));
        const h0 = rnd(B * H, gen, 0.5);
        const c0 = rnd(B * H, gen, 0.5);
        const len = withLengths ? lengthsFor(T, B) : null;
        const dLen = len ? up(len) : null;
        const want = R.lstmScan(gx, whh, h0, c0, len, T, B, H);
        const got = C.lstmScan(up(gx), up(whh), up(h0), up(c0), dLen, T, B, H);
        assertClose(got.h, want.h, 'h', 1e-4, 1e-3);
        assertClose(got.c, want.c, 'c', 1e-4, 1e-3);
        assertClose(got.gates, want.gates, 'gates', 1e-4, 1e-3);
        const dh = rnd(T * B * H, gen);
        const dc = rnd(T * B * H, gen, 0.5);
        const a = C.lstmScanGrad(
          up(dh),
          up(dc),
          up(want.gates),
          up(want.h),
          up(want.c),
          up(whh),
          up(h0),
          up(c0),
          dLen,
          T,
          B,
          H,
        );
        const b = R.lstmScanGrad(dh, dc, want.gates, want.h, want.c, whh, h0, c0, len, T, B, H);
        assertClose(a.dgx, b.dgx, 'dgx', 1e-4, 1e-3);
        assertClose(a.dwhh, b.dwhh, 'dwhh', 1e-4 * Math.sqrt(T * B), 1e-3);
        assertClose(a.dh0, b.dh0, 'dh0', 1e-4, 1e-3);
        assertClose(a.dc0, b.dc0, 'dc0', 1e-4, 1e-3);
      });
    }
  }
});
