/**
 * Batch-norm recalibration: recompute every BN layer's running statistics as the plain average over a
 * few batches run with the current weights (train-mode forward, no gradients), as the TensorFlow
 * sequential-MNIST reproduction does before each validation. Exponential running averages lag behind
 * weights that move fast (large learning rates, activations that grow over hundreds of steps), and
 * eval-mode outputs then drift far from the train-mode ones.
 */
import type { Module } from './module.js';
import { BatchNorm } from './layers.js';
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../backend/memory.js';

/** Runs `forward(i)` for i = 0..batches-1 in train mode and leaves the model in eval mode. */
export function recalibrateBatchNorm(model: Module, batches: number, forward: (i: number) => void): void {
  const norms = model.namedModules().map(([, m]) => m).filter((m): m is BatchNorm => m instanceof BatchNorm);
  if (norms.length === 0 || batches < 1) return;
  for (const n of norms) n.startRecalibration();
  model.train();
  try {
    for (let i = 0; i < batches; i++) tidy(() => noGrad(() => forward(i)));
  } finally {
    for (const n of norms) n.endRecalibration();
    model.eval();
  }
}
