/**
 * The learned recurrent weights u of each IndRNN layer, and the numbers that describe their
 * distribution. Deep IndRNN Fig. 5 shows these per layer: shallow layers drift from the uniform
 * init towards 0 and 1 (short and long memories), some u turn negative, the last layer stays
 * near 1.
 */
import { IndRecurrent } from '../nn/indrnn.js';
import type { Module } from '../nn/module.js';

export interface RecurrentLayerWeights {
  /** Dotted module path, e.g. `encoder.layers.1.rec`. */
  name: string;
  /** u, one value per neuron. */
  values: Float64Array;
  /** The bound on |u| the layer was trained with, or null when unconstrained. */
  bound: number | null;
}

/** u of every IndRecurrent module in depth-first order (= layer order); [] for LSTM/RNN models. */
export function recurrentWeights(model: Module): RecurrentLayerWeights[] {
  const layers: RecurrentLayerWeights[] = [];
  for (const [name, m] of model.namedModules()) {
    if (!(m instanceof IndRecurrent)) continue;
    layers.push({ name, values: Float64Array.from(m.weightHh.data()), bound: m.bound });
  }
  return layers;
}

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
