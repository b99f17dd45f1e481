/**
 * Numbers that describe the distribution of one layer's learned recurrent weights u (read with
 * analysis.recurrentWeights). Deep IndRNN Fig. 5 shows these per layer: shallow layers drift from
 * the uniform init towards 0 and 1 (short and long memories), some u turn negative, the last layer
 * stays near 1.
 */
export interface WeightSummary {
  count: number;
  min: number;
  median: number;
  max: number;
  /** Shares in [0, 1]: u < 0, |u| < 0.1 (≈ 0: short memory), u >= 0.9 (≈ 1: long memory). */
  negative: number;
  nearZero: number;
  nearOne: number;
}

export function summarizeWeights(values: Float64Array): WeightSummary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const share = (pred: (u: number) => boolean): number => (n ? sorted.filter(pred).length / n : 0);
  const median =
    n === 0 ? NaN : n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return {
    count: n,
    min: n ? sorted[0]! : NaN,
    median,
    max: n ? sorted[n - 1]! : NaN,
    negative: share((u) => u < 0),
    nearZero: share((u) => Math.abs(u) < 0.1),
    nearOne: share((u) => u >= 0.9),
  };
}
