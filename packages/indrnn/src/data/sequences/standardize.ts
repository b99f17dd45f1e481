/**
 * Feature standardisation: (x - mean) / std per feature, with mean and std fitted on the training
 * sequences over their valid steps only (never padding), stored with the model and applied again at
 * prediction time.
 */
import { fail } from '../../util/errors.js';

export interface Standardization {
  mean: number[];
  std: number[];
}

/**
 * Mean and (population) standard deviation of each of F features over every step of every
 * sequence, summed in float64. A feature that never changes gets std 1, so it maps to 0 rather than
 * to a division by zero.
 */
export function fitStandardization(sequences: readonly Float32Array[], features: number): Standardization {
  const F = features;
  const sum = new Float64Array(F);
  let steps = 0;
  for (const s of sequences) {
    for (let k = 0; k < s.length; k++) sum[k % F] += s[k]!;
    steps += s.length / F;
  }
  if (steps === 0) fail('fitStandardization: no steps to fit on');
  const mean = Array.from(sum, (v) => v / steps);
  const sq = new Float64Array(F);
  for (const s of sequences) {
    for (let k = 0; k < s.length; k++) {
      const d = s[k]! - mean[k % F]!;
      sq[k % F] += d * d;
    }
  }
  const std = Array.from(sq, (v, f) => {
    const sd = Math.sqrt(v / steps);
    return sd > 1e-7 * Math.max(1, Math.abs(mean[f]!)) ? sd : 1;
  });
  return { mean, std };
}

/** A standardised copy of values laid out step by step (F values a step). */
export function standardize(values: Float32Array, st: Standardization): Float32Array {
  const F = st.mean.length;
  const out = new Float32Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = (values[k]! - st.mean[k % F]!) / st.std[k % F]!;
  return out;
}

/** Fails unless `st` is a well-formed standardisation of F features (it comes from a file). */
export function checkStandardization(st: unknown, features: number, source: string): Standardization {
  const s = st as Partial<Standardization> | null;
  const ok = (a: unknown, positive: boolean): boolean =>
    Array.isArray(a) && a.length === features && a.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0));
  if (!s || typeof s !== 'object' || !ok(s.mean, false) || !ok(s.std, true)) {
    fail(`${source}: "standardization" must hold "mean" and "std" lists of ${features} finite numbers (std > 0)`);
  }
  return { mean: s.mean!, std: s.std! };
}
