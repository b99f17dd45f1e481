/**
 * Finite-difference gradient check. The function's outputs are contracted with fixed random upstream
 * gradients (loss = Σ out · w), so every output element and every path is exercised. Run it in float64
 * on the reference backend: central differences with eps = 1e-6 are then accurate to ~1e-8.
 */
import { noGrad } from './tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/tensor.js';
import { Generator } from '../util/random.js';
import { arrayFor } from '../tensor/dtype.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
  /** Check at most this many elements per tensor (chosen at random), to bound run time. */
  maxPerTensor?: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  checked: number;
  /** The first mismatches: tensor index, flat element index, analytic and numeric values. */
  mismatches: { tensor: number; index: number; analytic: number; numeric: number }[];
}

export function gradcheck(
  fn: () => Tensor | readonly Tensor[],
  wrt: readonly Tensor[],
  opts: GradcheckOptions = {},
): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-4;
  const gen = new Generator(opts.seed ?? 1234);

  const outputs = (): Tensor[] => {
    const o = fn();
    return Array.isArray(o) ? [...(o as Tensor[])] : [o as Tensor];
  };
  const first = outputs();
  const weights = first.map((o) => {
    const w = arrayFor(o.dtype, o.size);
    for (let i = 0; i < w.length; i++) w[i] = gen.normal();
    return tensor(w, o.shape, o.dtype, o.backend);
  });
  const contract = (outs: Tensor[]): Tensor =>
    outs.map((o, i) => o.mul(weights[i]!).sum()).reduce((a, b) => a.add(b));

  for (const t of wrt) t.grad = null;
  contract(first).backward();
  const analytic = wrt.map((t) => (t.grad ? Float64Array.from(t.grad.data()) : new Float64Array(t.size)));

  const lossValue = (): number => noGrad(() => contract(outputs()).item());
  const result: GradcheckResult = { ok: true, maxAbsError: 0, checked: 0, mismatches: [] };
  wrt.forEach((t, ti) => {
    const data = t.data(); // host view of the storage: mutated in place, then restored
    let indices = [...Array(t.size).keys()];
    if (opts.maxPerTensor !== undefined && indices.length > opts.maxPerTensor) {
      indices = Array.from(gen.permutation(t.size).subarray(0, opts.maxPerTensor));
    }
    for (const i of indices) {
      const v = data[i]!;
      data[i] = v + eps;
      const plus = lossValue();
      data[i] = v - eps;
      const minus = lossValue();
      data[i] = v;
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic[ti]![i]!;
      const err = Math.abs(a - numeric);
      result.maxAbsError = Math.max(result.maxAbsError, err);
      result.checked++;
      if (!(err <= atol + rtol * Math.abs(numeric))) {
        result.ok = false;
        if (result.mismatches.length < 10) result.mismatches.push({ tensor: ti, index: i, analytic: a, numeric });
      }
    }
  });
  return result;
}

/** A readable one-line-per-mismatch report for test failures. */
export function formatGradcheck(r: GradcheckResult): string {
  if (r.ok) return `gradcheck ok: ${r.checked} elements, max abs error ${r.maxAbsError.toExponential(2)}`;
  return [
    `gradcheck FAILED: max abs error ${r.maxAbsError.toExponential(2)} over ${r.checked} elements`,
    ...r.mismatches.map((m) => `  tensor ${m.tensor} [${m.index}]: analytic ${m.analytic} vs numeric ${m.numeric}`),
  ].join('\n');
}
