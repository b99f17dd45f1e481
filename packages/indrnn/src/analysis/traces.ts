/** Activation traces: the hidden state of chosen neurons over time, for chosen inputs. */
import { IndRecurrent } from '../nn/indrnn.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/tape.js';

export interface LayerTrace {
  /** Dotted path of the recurrence. */
  name: string;
  /** [T, B, N] hidden states (post-activation, before any BN after the recurrence). */
  h: Float32Array | Float64Array;
  shape: [number, number, number];
}

/**
 * Runs `forward` once (in eval mode, without gradients) and records the hidden-state sequence of every
 * IndRNN recurrence. `forward` is any call that runs the model, e.g. `() => model.forward(x)`.
 */
export function traceHiddenStates(model: Module, forward: () => unknown): LayerTrace[] {
  const traces: LayerTrace[] = [];
  const recs = model.namedModules().filter(([, m]) => m instanceof IndRecurrent) as [string, IndRecurrent][];
  const wasTraining = model.training;
  model.eval();
  for (const [name, rec] of recs) {
    rec.onHidden = (h: Tensor) => {
      traces.push({ name, h: h.data().slice() as Float32Array, shape: h.shape as [number, number, number] });
    };
  }
  try {
    noGrad(forward);
  } finally {
    for (const [, rec] of recs) rec.onHidden = null;
    model.train(wasTraining);
  }
  return traces;
}

/** The series h[t, b, n] for t = 0..T-1 of one neuron of one sequence. */
export function neuronSeries(trace: LayerTrace, batchIndex: number, neuron: number): number[] {
  const [T, B, N] = trace.shape;
  return Array.from({ length: T }, (_, t) => trace.h[(t * B + batchIndex) * N + neuron]!);
}
