/**
 * The fused recurrence ops: IndRNN scan, Elman RNN scan and LSTM scan. The input projection is done
 * outside (one GEMM over all T·B rows); these ops run the whole time loop in one kernel call.
 * Layout is time-major: z [T, B, N].
 */
import type { Activation } from '../backend/backend.js';
import { record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { temporary, zeros } from '../tensor/tensor.js';
import { fail } from '../util/errors.js';
import { checkDtypesMatch, checkFloat, checkInt32, checkRank, checkShape, sameBackend, wrap } from './util.js';

const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'identity'];

function checkActivation(op: string, act: string): void {
  if (!(ACTIVATIONS as readonly string[]).includes(act)) {
    fail(`${op}: activation must be one of 'relu', 'tanh', 'identity', got '${act}'`);
  }
}

function checkLengths(op: string, lengths: Tensor | null, T: number, B: number): void {
  if (!lengths) return;
  checkInt32(op, 'lengths', lengths);
  checkShape(op, 'lengths', lengths, [B]);
  const host = lengths.data();
  for (let b = 0; b < B; b++) {
    const len = host[b]!;
    if (len < 0 || len > T) fail(`${op}: lengths[${b}] = ${len} is outside [0, ${T}]`);
  }
}

/**
 * IndRNN recurrence h[t] = act(z[t] + u ⊙ h[t-1]). z: [T, B, N], u: [N], h0: [B, N] (zeros if null),
 * lengths: int32 [B] or null (steps past a sequence's length keep its state). Returns h [T, B, N];
 * h[T-1] is every sequence's last state.
 */
export function indrnnScan(
  z: Tensor, u: Tensor, h0: Tensor | null = null, lengths: Tensor | null = null, act: Activation = 'relu',
  bias: Tensor | null = null,
): Tensor {
  const op = 'indrnnScan';
  if (bias) {
    checkShape(op, 'bias', bias, [z.shape[2] ?? -1]);
    // without a fused kernel: add the bias first (the same function, one more pass)
    if (!z.backend.indrnnScanBias || !z.backend.indrnnScanBiasGrad) return indrnnScan(z.add(bias), u, h0, lengths, act);
  }
  checkRank(op, 'input', z, 3, 'time-major [T, B, N]');
  checkFloat(op, 'input', z);
  const [T, B, N] = z.shape as [number, number, number];
  checkShape(op, 'recurrent weight', u, [N]);
  checkActivation(op, act);
  const init = h0 ?? temporary(zeros([B, N], z.dtype, z.backend));
  checkShape(op, 'initial state', init, [B, N]);
  checkDtypesMatch(op, z, u);
  checkDtypesMatch(op, z, init);
  checkLengths(op, lengths, T, B);
  sameBackend(op, z, u, init, ...(lengths ? [lengths] : []));
  const len = lengths?.storage ?? null;
  if (bias) {
    const b = z.backend;
    sameBackend(op, z, bias);
    const hb = wrap(b.indrnnScanBias!(z.storage, u.storage, bias.storage, init.storage, len, T, B, N, act), [T, B, N], z);
    record(op, [z, u, init, bias], [hb], ([g]) => {
      const d = b.indrnnScanBiasGrad!(g!.storage, hb.storage, u.storage, init.storage, len, T, B, N, act);
      return [wrap(d.dz, z.shape, z), wrap(d.du, [N], z), wrap(d.dh0, [B, N], z), wrap(d.db, [N], z)];
    });
    return hb;
  }
  const h = wrap(z.backend.indrnnScan(z.storage, u.storage, init.storage, len, T, B, N, act), [T, B, N], z);
  record(op, [z, u, init], [h], ([g]) => {
    const d = z.backend.indrnnScanGrad(g!.storage, z.storage, h.storage, u.storage, init.storage, len, T, B, N, act);
    return [wrap(d.dz, z.shape, z), wrap(d.du, [N], z), wrap(d.dh0, [B, N], z)];
  });
  return h;
}

/** Inputs at most this wide use the fused projection scan when the backend has it. */
export const FUSED_PROJECTION_MAX_FEATURES = 8;

/**
 * IndRNN layer core with the input projection inside the scan: h[t] = act(x[t] · Wᵀ + b + u ⊙ h[t-1]).
 * x [T, B, F], weight [N, F], bias [N]. For narrow inputs (F ≤ 8) on backends with the fused kernel
 * this never stores z = x · Wᵀ; otherwise it is the matmul followed by the bias scan.
 */
export function indrnnScanProjected(
  x: Tensor, weight: Tensor, bias: Tensor, u: Tensor, h0: Tensor | null = null, lengths: Tensor | null = null,
  act: Activation = 'relu',
): Tensor {
  const op = 'indrnnScanProjected';
  checkRank(op, 'input', x, 3, 'time-major [T, B, F]');
  const [T, B, F] = x.shape as [number, number, number];
  checkShape(op, 'weight', weight, [-1, F]);
  const N = weight.shape[0]!;
  const be = x.backend;
  if (F > FUSED_PROJECTION_MAX_FEATURES || !be.indrnnScanProj || !be.indrnnScanProjGrad) {
    return indrnnScan(x.reshape([T * B, F]).matmul(weight, false, true).reshape([T, B, N]), u, h0, lengths, act, bias);
  }
  checkShape(op, 'bias', bias, [N]);
  checkShape(op, 'recurrent weight', u, [N]);
  checkActivation(op, act);
  const init = h0 ?? temporary(zeros([B, N], x.dtype, be));
  checkShape(op, 'initial state', init, [B, N]);
  checkLengths(op, lengths, T, B);
  sameBackend(op, x, weight, bias, u, init);
  const len = lengths?.storage ?? null;
  const h = wrap(be.indrnnScanProj(x.storage, weight.storage, bias.storage, u.storage, init.storage, len, T, B, N, F, act), [T, B, N], x);
  record(op, [x, weight, bias, u, init], [h], ([g], needs) => {
    const d = be.indrnnScanProjGrad!(g!.storage, h.storage, x.storage, weight.storage, u.storage, init.storage, len, T, B, N, F, act, needs[0]!);
    return [d.dx ? wrap(d.dx, x.shape, x) : null, wrap(d.dw, [N, F], x), wrap(d.db, [N], x), wrap(d.du, [N], x), wrap(d.dh0, [B, N], x)];
  });
  return h;
}

/** Elman RNN recurrence h[t] = act(gx[t] + h[t-1] · Whhᵀ). gx: [T, B, H], whh: [H, H]. */
export function rnnScan(
  gx: Tensor, whh: Tensor, h0: Tensor | null = null, lengths: Tensor | null = null, act: Activation = 'tanh',
): Tensor {
  const op = 'rnnScan';
  checkRank(op, 'input', gx, 3, 'time-major [T, B, H]');
  const [T, B, H] = gx.shape as [number, number, number];
  checkShape(op, 'recurrent weight', whh, [H, H]);
  checkActivation(op, act);
  const init = h0 ?? temporary(zeros([B, H], gx.dtype, gx.backend));
  checkShape(op, 'initial state', init, [B, H]);
  checkLengths(op, lengths, T, B);
  sameBackend(op, gx, whh, init);
  const len = lengths?.storage ?? null;
  const h = wrap(gx.backend.rnnScan(gx.storage, whh.storage, init.storage, len, T, B, H, act), [T, B, H], gx);
  record(op, [gx, whh, init], [h], ([g]) => {
    const d = gx.backend.rnnScanGrad(g!.storage, h.storage, whh.storage, init.storage, len, T, B, H, act);
    return [wrap(d.dgx, gx.shape, gx), wrap(d.dwhh, [H, H], gx), wrap(d.dh0, [B, H], gx)];
  });
  return h;
}

/**
 * LSTM recurrence (gates i, f, g, o): gx [T, B, 4H] holds W x + b; whh [4H, H]. Returns hidden and
 * cell sequences, both [T, B, H]; gradients may flow into either.
 */
export function lstmScan(
  gx: Tensor, whh: Tensor, h0: Tensor | null = null, c0: Tensor | null = null, lengths: Tensor | null = null,
): { h: Tensor; c: Tensor } {
  const op = 'lstmScan';
  checkRank(op, 'input', gx, 3, 'time-major [T, B, 4H]');
  const [T, B, H4] = gx.shape as [number, number, number];
  if (H4 % 4 !== 0) fail(`${op}: input feature size ${H4} must be 4·hidden`);
  const H = H4 / 4;
  checkShape(op, 'recurrent weight', whh, [4 * H, H]);
  const hInit = h0 ?? temporary(zeros([B, H], gx.dtype, gx.backend));
  const cInit = c0 ?? temporary(zeros([B, H], gx.dtype, gx.backend));
  checkShape(op, 'initial hidden state', hInit, [B, H]);
  checkShape(op, 'initial cell state', cInit, [B, H]);
  checkLengths(op, lengths, T, B);
  sameBackend(op, gx, whh, hInit, cInit);
  const len = lengths?.storage ?? null;
  const k = gx.backend.lstmScan(gx.storage, whh.storage, hInit.storage, cInit.storage, len, T, B, H);
  const h = wrap(k.h, [T, B, H], gx);
  const c = wrap(k.c, [T, B, H], gx);
  record(op, [gx, whh, hInit, cInit], [h, c], ([gh, gc]) => {
    const dh = gh?.storage ?? gx.backend.alloc(gx.dtype, T * B * H);
    const dc = gc?.storage ?? gx.backend.alloc(gx.dtype, T * B * H);
    const d = gx.backend.lstmScanGrad(dh, dc, k.gates, k.h, k.c, whh.storage, hInit.storage, cInit.storage, len, T, B, H);
    return [wrap(d.dgx, gx.shape, gx), wrap(d.dwhh, whh.shape, gx), wrap(d.dh0, [B, H], gx), wrap(d.dc0, [B, H], gx)];
  });
  return { h, c };
}
