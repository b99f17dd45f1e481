// Elman RNN and LSTM recurrences (the baselines). The recurrent product h[t-1] · Whhᵀ of each step
// is one small GEMM over the whole batch with Whh packed once for all T steps; the backward keeps
// every step's pre-activation gradient in dgx, so dWhh is one large GEMM at the end:
//   dWhh = Σ_t dgx[t]ᵀ · h[t-1] = dgx[1..T-1]ᵀ · h[0..T-2] + dgx[0]ᵀ · h0.
// Twin of reference/rnnScan.ts; shapes are documented on the Backend interface.
import { gemm, gemmPacked, packB } from './gemm';
import { at, IDENTITY, RELU, sigmoid } from './util';

// @ts-ignore: decorator
@inline
function masked(lens: usize, b: i32, t: i32): bool {
  return lens != 0 && t >= load<i32>(at(lens, b));
}

// @ts-ignore: decorator
@inline
function activate(act: i32, x: f32): f32 {
  return act == RELU ? (x > 0 ? x : 0) : act == IDENTITY ? x : Mathf.tanh(x);
}

// @ts-ignore: decorator
@inline
function slope(act: i32, y: f32): f32 {
  return act == RELU ? (y > 0 ? <f32>1 : 0) : act == IDENTITY ? <f32>1 : 1 - y * y;
}

/** Address of the previous state row block: h[t-1] or h0. */
// @ts-ignore: decorator
@inline
function prevRows(h: usize, h0: usize, t: i32, rowBlock: i32): usize {
  return t > 0 ? at(h, (t - 1) * rowBlock) : h0;
}

/** dW[rows, H] = Σ_t dg[t]ᵀ · h[t-1] (see the header); pb, pa are GEMM scratch. */
function recurrentWeightGrad(
  dg: usize, h: usize, h0: usize, T: i32, B: i32, rows: i32, H: i32,
  dw: usize, pb: usize, pa: usize,
): void {
  if (T > 1) gemm(at(dg, B * rows), h, dw, rows, H, (T - 1) * B, true, false, pb, pa, false);
  gemm(dg, h0, dw, rows, H, B, true, false, pb, pa, T > 1);
}

/** Scratch: pb packBSize(H, H), pa packASize(), rec [B, H]. */
export function rnnScan(
  gx: usize, whh: usize, h0: usize, lens: usize, T: i32, B: i32, H: i32, act: i32, h: usize,
  pb: usize, pa: usize, rec: usize,
): void {
  packB(whh, H, H, true, pb);
  const block = B * H;
  for (let t = 0; t < T; t++) {
    const prev = prevRows(h, h0, t, block);
    gemmPacked(prev, false, B, H, H, pb, pa, rec, false);
    for (let b = 0; b < B; b++) {
      const o = t * block + b * H;
      if (masked(lens, b, t)) {
        memory.copy(at(h, o), at(prev, b * H), <usize>H << 2);
        continue;
      }
      for (let i = 0; i < H; i++) {
        const pre = load<f32>(at(gx, o + i)) + load<f32>(at(rec, b * H + i));
        store<f32>(at(h, o + i), activate(act, pre));
      }
    }
  }
}

/**
 * Scratch: pbW packBSize(H, H) (Whh as the right operand of carry = dpre · Whh), pa packASize(),
 * carry [B, H], back [B, H], pbG packBSize(T·B, H) for the final dWhh GEMM.
 */
export function rnnScanGrad(
  dh: usize, h: usize, whh: usize, h0: usize, lens: usize, T: i32, B: i32, H: i32, act: i32,
  dgx: usize, dwhh: usize, dh0: usize, pbW: usize, pa: usize, carry: usize, back: usize, pbG: usize,
): void {
  packB(whh, H, H, false, pbW);
  const block = B * H;
  memory.fill(carry, 0, <usize>block << 2);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const o = t * block + b * H;
      const cr = at(carry, b * H);
      if (masked(lens, b, t)) {
        for (let i = 0; i < H; i++) {
          store<f32>(at(cr, i), load<f32>(at(cr, i)) + load<f32>(at(dh, o + i)));
          store<f32>(at(dgx, o + i), 0);
        }
        continue;
      }
      for (let i = 0; i < H; i++) {
        const g = load<f32>(at(dh, o + i)) + load<f32>(at(cr, i));
        store<f32>(at(dgx, o + i), g * slope(act, load<f32>(at(h, o + i))));
      }
    }
    // carry = dpre · Whh for the sequences that stepped (masked rows keep theirs)
    gemmPacked(at(dgx, t * block), false, B, H, H, pbW, pa, back, false);
    for (let b = 0; b < B; b++) {
      if (!masked(lens, b, t)) memory.copy(at(carry, b * H), at(back, b * H), <usize>H << 2);
    }
  }
  memory.copy(dh0, carry, <usize>block << 2);
  recurrentWeightGrad(dgx, h, h0, T, B, H, H, dwhh, pbG, pa);
}

/** Scratch: pb packBSize(H, 4H), pa packASize(), rec [B, 4H]. Gates are stored activated. */
export function lstmScan(
  gx: usize, whh: usize, h0: usize, c0: usize, lens: usize, T: i32, B: i32, H: i32,
  h: usize, c: usize, gates: usize, pb: usize, pa: usize, rec: usize,
): void {
  const G = 4 * H;
  packB(whh, H, G, true, pb);
  const block = B * H;
  for (let t = 0; t < T; t++) {
    const hPrev = prevRows(h, h0, t, block);
    const cPrev = prevRows(c, c0, t, block);
    gemmPacked(hPrev, false, B, G, H, pb, pa, rec, false);
    for (let b = 0; b < B; b++) {
      const o = t * block + b * H;
      const go = (t * B + b) * G;
      if (masked(lens, b, t)) {
        memory.copy(at(h, o), at(hPrev, b * H), <usize>H << 2);
        memory.copy(at(c, o), at(cPrev, b * H), <usize>H << 2);
        memory.fill(at(gates, go), 0, <usize>G << 2);
        continue;
      }
      const r = at(rec, b * G);
      const x = at(gx, go);
      const g = at(gates, go);
      for (let j = 0; j < H; j++) {
        const ig = sigmoid(load<f32>(at(x, j)) + load<f32>(at(r, j)));
        const fg = sigmoid(load<f32>(at(x, H + j)) + load<f32>(at(r, H + j)));
        const gg = Mathf.tanh(load<f32>(at(x, 2 * H + j)) + load<f32>(at(r, 2 * H + j)));
        const og = sigmoid(load<f32>(at(x, 3 * H + j)) + load<f32>(at(r, 3 * H + j)));
        store<f32>(at(g, j), ig);
        store<f32>(at(g, H + j), fg);
        store<f32>(at(g, 2 * H + j), gg);
        store<f32>(at(g, 3 * H + j), og);
        const cj = fg * load<f32>(at(cPrev, b * H + j)) + ig * gg;
        store<f32>(at(c, o + j), cj);
        store<f32>(at(h, o + j), og * Mathf.tanh(cj));
      }
    }
  }
}

/**
 * LSTM backward per step (gh, gc include what flows back from t+1):
 *   dc = gc + gh·o·(1 - tanh²c);  pre-activation grads of i, f, g, o;  dc[t-1] = dc·f;
 *   dh[t-1] = dpre · Whh (one GEMM per step over the batch).
 * Scratch: pbW packBSize(4H, H), pa packASize(), hCarry, cCarry, back [B, H],
 * pbG packBSize(T·B, H).
 */
export function lstmScanGrad(
  dh: usize, dc: usize, gates: usize, h: usize, c: usize, whh: usize, h0: usize, c0: usize,
  lens: usize,
  T: i32, B: i32, H: i32, dgx: usize, dwhh: usize, dh0: usize, dc0: usize,
  pbW: usize, pa: usize, hCarry: usize, cCarry: usize, back: usize, pbG: usize,
): void {
  const G = 4 * H;
  packB(whh, G, H, false, pbW);
  const block = B * H;
  memory.fill(hCarry, 0, <usize>block << 2);
  memory.fill(cCarry, 0, <usize>block << 2);
  for (let t = T - 1; t >= 0; t--) {
    const cPrev = prevRows(c, c0, t, block);
    for (let b = 0; b < B; b++) {
      const o = t * block + b * H;
      const go = (t * B + b) * G;
      const hc = at(hCarry, b * H);
      const cc = at(cCarry, b * H);
      if (masked(lens, b, t)) {
        for (let j = 0; j < H; j++) {
          store<f32>(at(hc, j), load<f32>(at(hc, j)) + load<f32>(at(dh, o + j)));
          store<f32>(at(cc, j), load<f32>(at(cc, j)) + load<f32>(at(dc, o + j)));
        }
        memory.fill(at(dgx, go), 0, <usize>G << 2);
        continue;
      }
      const g = at(gates, go);
      const d = at(dgx, go);
      for (let j = 0; j < H; j++) {
        const ig = load<f32>(at(g, j));
        const fg = load<f32>(at(g, H + j));
        const gg = load<f32>(at(g, 2 * H + j));
        const og = load<f32>(at(g, 3 * H + j));
        const gh = load<f32>(at(dh, o + j)) + load<f32>(at(hc, j));
        const tc = Mathf.tanh(load<f32>(at(c, o + j)));
        const dct = load<f32>(at(dc, o + j)) + load<f32>(at(cc, j)) + gh * og * (1 - tc * tc);
        store<f32>(at(d, j), dct * gg * ig * (1 - ig));
        store<f32>(at(d, H + j), dct * load<f32>(at(cPrev, b * H + j)) * fg * (1 - fg));
        store<f32>(at(d, 2 * H + j), dct * ig * (1 - gg * gg));
        store<f32>(at(d, 3 * H + j), gh * tc * og * (1 - og));
        store<f32>(at(cc, j), dct * fg);
      }
    }
    gemmPacked(at(dgx, t * B * G), false, B, H, G, pbW, pa, back, false);
    for (let b = 0; b < B; b++) {
      if (!masked(lens, b, t)) memory.copy(at(hCarry, b * H), at(back, b * H), <usize>H << 2);
    }
  }
  memory.copy(dh0, hCarry, <usize>block << 2);
  memory.copy(dc0, cCarry, <usize>block << 2);
  recurrentWeightGrad(dgx, h, h0, T, B, G, H, dwhh, pbG, pa);
}
