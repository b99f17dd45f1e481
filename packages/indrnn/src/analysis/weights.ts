/**
 * Reading the recurrent weights of a trained IndRNN. Because neurons in a layer are independent, each
 * u_n says on its own how long neuron n remembers: with relu and no input, h_{t+k} = u_n^k h_t, so a
 * contribution decays below ε after about log ε / log |u_n| steps (CVPR 2018 §3.1; Deep IndRNN Fig. 5).
 */
import { IndRecurrent } from '../nn/indrnn.js';
import type { Module } from '../nn/module.js';
import { fail } from '../util/errors.js';

export interface LayerWeights {
  /** Dotted module path of the recurrence, e.g. 'encoder.layers.1.rec'. */
  name: string;
  /** A copy of u. */
  u: Float64Array;
  /** The enforced bound on |u|, or null. */
  bound: number | null;
}

/** Every IndRNN recurrence in the model, in module order. */
export function recurrentWeights(model: Module): LayerWeights[] {
  return model.namedModules()
    .filter(([, m]) => m instanceof IndRecurrent)
    .map(([name, m]) => {
      const rec = m as IndRecurrent;
      return { name, u: Float64Array.from(rec.weightHh.data()), bound: rec.bound };
    });
}

/**
 * Steps until |u|^k falls below `threshold` (default 0.01, i.e. a contribution shrinks 100×): Infinity
 * when |u| >= 1 (the memory never fades), 0 when u = 0.
 */
export function memoryLength(u: number, threshold = 0.01): number {
  if (!(threshold > 0 && threshold < 1)) fail(`memoryLength: threshold must be in (0, 1), got ${threshold}`);
  const a = Math.abs(u);
  if (a >= 1) return Infinity;
  if (a === 0) return 0;
  return Math.ceil(Math.log(threshold) / Math.log(a));
}

export interface Histogram {
  /** Bin edges, length bins + 1. */
  edges: number[];
  counts: number[];
  /** Values outside [edges[0], edges[bins]] (e.g. infinite memory lengths). */
  outside: number;
}

/** Equal-width histogram over [lo, hi] (the data's range by default); the last bin includes hi. */
export function histogram(values: ArrayLike<number>, bins = 30, range?: [number, number]): Histogram {
  if (!Number.isInteger(bins) || bins < 1) fail(`histogram: bins must be a positive integer, got ${bins}`);
  const finite = Array.from(values).filter((v) => Number.isFinite(v));
  let [lo, hi] = range ?? [Math.min(...finite), Math.max(...finite)];
  if (finite.length === 0) [lo, hi] = [0, 1];
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  let outside = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= lo && v <= hi)) {
      outside++;
      continue;
    }
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  }
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * width), counts, outside };
}
