/**
 * Per-step outputs of a sequence model (per-step labelling): the model's head applied to the
 * encoder's output at every step, [T, B, F] → [T, B, outputs], instead of at the last valid step only.
 */
import type { SequenceModel } from '../nn/models.js';
import type { Tensor } from '../tensor/tensor.js';

export function stepOutputs(model: SequenceModel, x: Tensor, lengths: Tensor | null): Tensor {
  const { output } = model.encoder.forward(x, { lengths });
  return model.head.forward(output);
}
