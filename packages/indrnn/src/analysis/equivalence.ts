/**
 * CVPR 2018 §4: with identity activation, a 2-layer IndRNN whose second layer has u = 0 computes the
 * same function as a traditional RNN with recurrent matrix U = W₂ diag(u₁) W₂⁻¹. Writing layer 1 as
 * h1_t = W₁x_t + b₁ + u₁ ⊙ h1_{t-1} and layer 2 as h2_t = W₂h1_t + b₂ gives h1_t = W₂⁻¹(h2_t − b₂), so
 *   h2_t = U h2_{t-1} + (W₂W₁) x_t + (W₂b₁ + b₂ − U b₂),   with h2_{-1} = b₂ (from h1_{-1} = 0).
 * This builds that RNN's weights from an IndRNN.
 */
import type { PlainIndRNN } from '../nn/indrnn.js';
import { fail } from '../util/errors.js';

export interface EquivalentRnn {
  /** [H, F] = W₂W₁ */
  weightIh: Float64Array;
  /** [H, H] = W₂ diag(u₁) W₂⁻¹ */
  weightHh: Float64Array;
  /** [H] = W₂b₁ + b₂ − U b₂ */
  bias: Float64Array;
  /** [H] initial state = b₂ */
  h0: Float64Array;
}

/** Inverse of a square matrix by Gauss-Jordan with partial pivoting (float64). */
export function invert(a: ArrayLike<number>, n: number): Float64Array {
  const m = new Float64Array(n * 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) m[i * 2 * n + j] = a[i * n + j]!;
    m[i * 2 * n + n + i] = 1;
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * 2 * n + c]!) > Math.abs(m[p * 2 * n + c]!)) p = r;
    if (Math.abs(m[p * 2 * n + c]!) < 1e-12) fail('invert: the matrix is singular (W₂ must be invertible)');
    for (let j = 0; j < 2 * n; j++) [m[c * 2 * n + j], m[p * 2 * n + j]] = [m[p * 2 * n + j]!, m[c * 2 * n + j]!];
    const d = m[c * 2 * n + c]!;
    for (let j = 0; j < 2 * n; j++) m[c * 2 * n + j] = m[c * 2 * n + j]! / d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * 2 * n + c]!;
      if (f === 0) continue;
      for (let j = 0; j < 2 * n; j++) m[r * 2 * n + j] = m[r * 2 * n + j]! - f * m[c * 2 * n + j]!;
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) inv[i * n + j] = m[i * 2 * n + n + j]!;
  return inv;
}

function matmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * k + p]! * b[p * n + j]!;
  return out;
}

export function equivalentRnn(enc: PlainIndRNN): EquivalentRnn {
  if (enc.layers.length !== 2) fail(`equivalentRnn: needs exactly 2 layers, got ${enc.layers.length}`);
  const [l1, l2] = [enc.layers.at(0), enc.layers.at(1)];
  if (l1.rec.activation !== 'identity' || l2.rec.activation !== 'identity') fail('equivalentRnn: both layers need identity activation');
  if (l1.rec.norm || l2.rec.norm) fail('equivalentRnn: batch norm breaks the equivalence; build the layers without BN');
  if (l2.rec.weightHh.data().some((v) => v !== 0)) fail('equivalentRnn: the second layer must have u = 0');
  const H = enc.outputSize;
  const F = enc.inputSize;
  const W1 = l1.proj.weight.data();
  const W2 = l2.proj.weight.data();
  const b1 = l1.proj.bias?.data() ?? new Float64Array(H);
  const b2 = l2.proj.bias?.data() ?? new Float64Array(H);
  const u1 = l1.rec.weightHh.data();
  const W2inv = invert(W2, H);
  const W2diag = new Float64Array(H * H);
  for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) W2diag[i * H + j] = W2[i * H + j]! * u1[j]!;
  const U = matmul(W2diag, W2inv, H, H, H);
  const Ub2 = matmul(U, b2, H, H, 1);
  const W2b1 = matmul(W2, b1, H, H, 1);
  return {
    weightIh: matmul(W2, W1, H, H, F),
    weightHh: U,
    bias: Float64Array.from({ length: H }, (_, i) => W2b1[i]! + b2[i]! - Ub2[i]!),
    h0: Float64Array.from(b2),
  };
}
