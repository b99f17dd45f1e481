/** Differentiable matrix product and the time-distributed linear map. */
import { record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { fail, fmtShape } from '../util/errors.js';
import { checkDtypesMatch, checkFloat, checkRank, sameBackend, wrap } from './util.js';

/**
 * C = op(A) · op(B) for 2-D tensors, op = transpose when the flag is set. Backward:
 *   d op(A) = G · op(B)ᵀ,  d op(B) = op(A)ᵀ · G  (then transposed back for stored-transposed operands).
 */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  checkRank('matmul', 'a', a, 2);
  checkRank('matmul', 'b', b, 2);
  checkFloat('matmul', 'a', a);
  checkDtypesMatch('matmul', a, b);
  sameBackend('matmul', a, b);
  const m = transA ? a.shape[1]! : a.shape[0]!;
  const k = transA ? a.shape[0]! : a.shape[1]!;
  const kb = transB ? b.shape[1]! : b.shape[0]!;
  const n = transB ? b.shape[0]! : b.shape[1]!;
  if (k !== kb) {
    fail(`matmul: inner sizes differ: op(a) is [${m}, ${k}] and op(b) is [${kb}, ${n}] (a ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''}, b ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''})`);
  }
  const c = wrap(a.backend.matmul(a.storage, b.storage, m, n, k, transA, transB), [m, n], a);
  record('matmul', [a, b], [c], ([g], needs) => [
    !needs[0] ? null : transA ? matmul(b, g!, transB, true) : matmul(g!, b, false, !transB),
    !needs[1] ? null : transB ? matmul(g!, a, true, transA) : matmul(a, g!, !transA, false),
  ]);
  return c;
}

/**
 * y = x · Wᵀ + b applied to the last axis of x ([..., F] → [..., H]) as one GEMM over all leading rows,
 * which is how IndRNN computes W x_t + b for every time step at once. W: [H, F], b: [H].
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const f = x.shape[x.rank - 1];
  const [h, fw] = weight.shape as [number, number];
  if (f !== fw) fail(`linear: input has ${f} features in ${fmtShape(x.shape)}, but the weight ${fmtShape(weight.shape)} expects ${fw}`);
  const rows = x.size / fw;
  let y = matmul(x.reshape([rows, fw]), weight, false, true);
  if (bias) y = y.add(bias);
  return y.reshape([...x.shape.slice(0, -1), h]);
}
