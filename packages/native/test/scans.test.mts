/**
 * The fused recurrences (IndRNN, Elman RNN, LSTM; forward and backward) against the reference, with
 * and without variable lengths, at edge sizes T = 1 and B = 1, hidden sizes that are not multiples
 * of the vector width or the GEMM panel, for every SIMD level and for 1 and 3 threads.
 *
 * Tolerances: the IndRNN scan is elementwise: atol 1e-5, rtol 1e-4. du sums over T·B terms:
 * atol 1e-5·√(T·B). The RNN/LSTM scans chain a float32 GEMM through every step, so their outputs
 * and step gradients use atol 1e-4, rtol 1e-3; their weight gradients sum over T·B rows of such
 * values: atol 1e-4·√(T·B), rtol 1e-3.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Generator, type Activation } from 'indrnn';
import { forceSerialScanAt, nativeInfo, setNumThreads } from '../lib/index.js';
import {
  assertClose,
  native,
  reference,
  rnd,
  simdLevels,
  skipReason,
  uniform,
  withSimd,
} from './helpers.mjs';

const gen = new Generator(99);
const N = native!;
const R = reference;
const info0 = nativeInfo();
const defaultThreads = info0.available ? info0.threads : 1;

// [T, B, H]: edge sizes, odd sizes, and one large enough to split over threads
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [1, 3, 17],
  [9, 1, 33],
  [13, 5, 37],
  [40, 33, 70],
];
const ACTS: Activation[] = ['relu', 'tanh', 'identity'];

function lengthsFor(T: number, B: number): Int32Array {
  // every sequence length from 0 to T, including full and empty ones
  return Int32Array.from({ length: B }, (_, b) => (b === 0 ? T : b === 1 ? 0 : 1 + ((b * 7) % T)));
}

function indrnnCase(
  T: number,
  B: number,
  H: number,
  act: Activation,
  withLengths: boolean,
  label: string,
): void {
  const what = `indrnnScan ${label} T=${T} B=${B} N=${H} ${act}${withLengths ? ' with lengths' : ''}`;
  const z = rnd(T * B * H, gen);
  const u = uniform(H, gen, -1, 1);
  const h0 = rnd(B * H, gen, 0.5);
  const len = withLengths ? lengthsFor(T, B) : null;
  const h = R.indrnnScan(z, u, h0, len, T, B, H, act);
  assertClose(N.indrnnScan(z, u, h0, len, T, B, H, act), h, `${what}: h`);
  const dh = rnd(T * B * H, gen);
  const a = N.indrnnScanGrad(dh, z, h, u, h0, len, T, B, H, act);
  const b = R.indrnnScanGrad(dh, z, h, u, h0, len, T, B, H, act);
  assertClose(a.dz, b.dz, `${what}: dz`);
  assertClose(a.du, b.du, `${what}: du`, 1e-5 * Math.sqrt(T * B), 1e-4);
  assertClose(a.dh0, b.dh0, `${what}: dh0`);
  // the fused narrow projection: h = act(x · Wᵀ + b + u ⊙ h[t-1]) with F = 1..3 input features
  for (const F of [1, 3]) {
    const x = rnd(T * B * F, gen);
    const w = rnd(H * F, gen, 0.5);
    const bp = rnd(H, gen, 0.5);
    const hp = R.indrnnScanProj!(x, w, bp, u, h0, len, T, B, H, F, act);
    assertClose(N.indrnnScanProj!(x, w, bp, u, h0, len, T, B, H, F, act), hp, `${what} F=${F}: h with projection`);
    for (const wantDx of [false, true]) {
      const gn = N.indrnnScanProjGrad!(dh, hp, x, w, u, h0, len, T, B, H, F, act, wantDx);
      const gr = R.indrnnScanProjGrad!(dh, hp, x, w, u, h0, len, T, B, H, F, act, wantDx);
      const tol = 1e-5 * Math.sqrt(T * B);
      assertClose(gn.dw, gr.dw, `${what} F=${F}: dw`, tol);
      assertClose(gn.db, gr.db, `${what} F=${F}: db`, tol);
      assertClose(gn.du, gr.du, `${what} F=${F}: du`, tol);
      assertClose(gn.dh0, gr.dh0, `${what} F=${F}: dh0`);
      if (wantDx) assertClose(gn.dx!, gr.dx!, `${what} F=${F}: dx`, 1e-5 * Math.sqrt(H));
    }
  }
  // the fused-bias variant: h = act(z + b + u ⊙ h[t-1]); db = Σ dz
  const bias = rnd(H, gen, 0.5);
  const hb = R.indrnnScanBias!(z, u, bias, h0, len, T, B, H, act);
  assertClose(N.indrnnScanBias!(z, u, bias, h0, len, T, B, H, act), hb, `${what}: h with bias`);
  const gb = N.indrnnScanBiasGrad!(dh, hb, u, h0, len, T, B, H, act);
  const rb = R.indrnnScanBiasGrad!(dh, hb, u, h0, len, T, B, H, act);
  assertClose(gb.dz, rb.dz, `${what}: dz with bias`);
  assertClose(gb.dh0, rb.dh0, `${what}: dh0 with bias`);
  assertClose(gb.du, rb.du, `${what}: du with bias`, 1e-5 * Math.sqrt(T * B));
  assertClose(gb.db, rb.db, `${what}: db with bias`, 1e-5 * Math.sqrt(T * B));
}

function rnnCase(
  T: number,
  B: number,
  H: number,
  act: Activation,
  withLengths: boolean,
  label: string,
): void {
  const what = `rnnScan ${label} T=${T} B=${B} H=${H} ${act}${withLengths ? ' with lengths' : ''}`;
  const gx = rnd(T * B * H, gen);
  const whh = rnd(H * H, gen, 0.9 / Math.sqrt(H)); // keep the recurrence stable
  const h0 = rnd(B * H, gen, 0.5);
  const len = withLengths ? lengthsFor(T, B) : null;
  const h = R.rnnScan(gx, whh, h0, len, T, B, H, act);
  assertClose(N.rnnScan(gx, whh, h0, len, T, B, H, act), h, `${what}: h`, 1e-4, 1e-3);
  const dh = rnd(T * B * H, gen);
  const a = N.rnnScanGrad(dh, h, whh, h0, len, T, B, H, act);
  const b = R.rnnScanGrad(dh, h, whh, h0, len, T, B, H, act);
  assertClose(a.dgx, b.dgx, `${what}: dgx`, 1e-4, 1e-3);
  assertClose(a.dh0, b.dh0, `${what}: dh0`, 1e-4, 1e-3);
  assertClose(a.dwhh, b.dwhh, `${what}: dwhh`, 1e-4 * Math.sqrt(T * B), 1e-3);
}

function lstmCase(T: number, B: number, H: number, withLengths: boolean, label: string): void {
  const what = `lstmScan ${label} T=${T} B=${B} H=${H}${withLengths ? ' with lengths' : ''}`;
  const gx = rnd(T * B * 4 * H, gen);
  const whh = rnd(4 * H * H, gen, 0.9 / Math.sqrt(H));
  const h0 = rnd(B * H, gen, 0.5);
  const c0 = rnd(B * H, gen, 0.5);
  const len = withLengths ? lengthsFor(T, B) : null;
  const f = R.lstmScan(gx, whh, h0, c0, len, T, B, H);
  const g = N.lstmScan(gx, whh, h0, c0, len, T, B, H);
  assertClose(g.h, f.h, `${what}: h`, 1e-4, 1e-3);
  assertClose(g.c, f.c, `${what}: c`, 1e-4, 1e-3);
  assertClose(g.gates, f.gates, `${what}: gates`, 1e-4, 1e-3);
  const dh = rnd(T * B * H, gen);
  const dc = rnd(T * B * H, gen);
  const a = N.lstmScanGrad(dh, dc, f.gates, f.h, f.c, whh, h0, c0, len, T, B, H);
  const b = R.lstmScanGrad(dh, dc, f.gates, f.h, f.c, whh, h0, c0, len, T, B, H);
  assertClose(a.dgx, b.dgx, `${what}: dgx`, 1e-4, 1e-3);
  assertClose(a.dh0, b.dh0, `${what}: dh0`, 1e-4, 1e-3);
  assertClose(a.dc0, b.dc0, `${what}: dc0`, 1e-4, 1e-3);
  assertClose(a.dwhh, b.dwhh, `${what}: dwhh`, 1e-4 * Math.sqrt(T * B), 1e-3);
}

describe('native indrnnScan and indrnnScanGrad', { skip: skipReason }, () => {
  for (const level of simdLevels) {
    it(`every activation, with and without lengths (${level})`, () => {
      withSimd(level, () => {
        for (const [T, B, H] of SIZES) {
          for (const act of ACTS)
            for (const wl of [false, true]) indrnnCase(T, B, H, act, wl, level);
        }
      });
    });
  }
  it('a long sequence split over 1 and 3 threads', () => {
    try {
      for (const threads of [1, 3]) {
        setNumThreads(threads);
        indrnnCase(200, 17, 129, 'relu', true, `${threads} threads`);
        indrnnCase(50, 3, 1000, 'tanh', false, `${threads} threads`);
      }
    } finally {
      setNumThreads(defaultThreads);
    }
  });
});

describe('native rnnScan and rnnScanGrad', { skip: skipReason }, () => {
  for (const level of simdLevels) {
    it(`every activation, with and without lengths (${level})`, () => {
      withSimd(level, () => {
        for (const [T, B, H] of SIZES) {
          for (const act of ACTS) for (const wl of [false, true]) rnnCase(T, B, H, act, wl, level);
        }
      });
    });
  }
  it('1 and 3 threads', () => {
    try {
      for (const threads of [1, 3]) {
        setNumThreads(threads);
        rnnCase(30, 37, 100, 'tanh', true, `${threads} threads`);
      }
    } finally {
      setNumThreads(defaultThreads);
    }
  });
});

describe('native lstmScan and lstmScanGrad', { skip: skipReason }, () => {
  for (const level of simdLevels) {
    it(`with and without lengths (${level})`, () => {
      withSimd(level, () => {
        for (const [T, B, H] of SIZES) for (const wl of [false, true]) lstmCase(T, B, H, wl, level);
      });
    });
  }
  it('1 and 3 threads', () => {
    try {
      for (const threads of [1, 3]) {
        setNumThreads(threads);
        lstmCase(25, 37, 70, true, `${threads} threads`);
      }
    } finally {
      setNumThreads(defaultThreads);
    }
  });
});

describe('native scans that drop to one thread mid-sequence', { skip: skipReason }, () => {
  // On a busy machine the RNN/LSTM scans finish on one thread once waiting at the per-step
  // barrier outweighs the work; force that switch at step 3 and check nothing changes.
  it('rnn and lstm, forward and backward, with lengths, 2 and 3 threads', () => {
    try {
      forceSerialScanAt(3);
      for (const threads of [2, 3]) {
        setNumThreads(threads);
        rnnCase(12, 37, 100, 'tanh', true, `serial after 3 steps, ${threads} threads`);
        lstmCase(12, 37, 70, true, `serial after 3 steps, ${threads} threads`);
      }
    } finally {
      forceSerialScanAt(-1);
      setNumThreads(defaultThreads);
    }
  });

  // The switch happens when timing says so; a run's bits must not depend on it.
  it('gives bit for bit the same results whenever the switch happens (rnn and lstm, 3 threads)', () => {
    const T = 12, B = 37, H = 70;
    const gx = rnd(T * B * H, gen);
    const gx4 = rnd(T * B * 4 * H, gen);
    const whh = rnd(H * H, gen, 0.9 / Math.sqrt(H));
    const whh4 = rnd(4 * H * H, gen, 0.9 / Math.sqrt(H));
    const h0 = rnd(B * H, gen, 0.5);
    const c0 = rnd(B * H, gen, 0.5);
    const dh = rnd(T * B * H, gen);
    const run = (serialAt: number): Float32Array[] => {
      forceSerialScanAt(serialAt);
      const h = N.rnnScan(gx, whh, h0, null, T, B, H, 'tanh') as Float32Array;
      const g = N.rnnScanGrad(dh, h, whh, h0, null, T, B, H, 'tanh');
      const l = N.lstmScan(gx4, whh4, h0, c0, null, T, B, H);
      const lg = N.lstmScanGrad(dh, dh, l.gates, l.h, l.c, whh4, h0, c0, null, T, B, H);
      return [h, g.dgx, g.dwhh, g.dh0, l.h, l.c, lg.dgx, lg.dwhh, lg.dh0].map((x) => x as Float32Array);
    };
    try {
      setNumThreads(3);
      const first = run(1);
      for (const at of [2, 5, 9]) {
        run(at).forEach((x, i) => assert.deepEqual(x, first[i], `output ${i}, serial from step ${at} vs step 1`));
      }
    } finally {
      forceSerialScanAt(-1);
      setNumThreads(defaultThreads);
    }
  });
});
