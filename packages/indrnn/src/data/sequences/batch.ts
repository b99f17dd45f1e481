/**
 * Batches of variable-length sequences, time-major: x [T, B, F] zero-padded to the longest sequence
 * of the batch, and lengths int32 [B] when any sequence is shorter than T (the model then keeps each
 * sequence's state past its end and reads its last valid step).
 */
import { tensor, type Tensor } from '../../tensor/tensor.js';

export interface SequenceBatch {
  /** [T, B, F] float32. */
  x: Tensor;
  /** int32 [B], or null when every sequence has T steps. */
  lengths: Tensor | null;
}

export function sequenceBatch(sequences: readonly Float32Array[], features: number, indices: ArrayLike<number>): SequenceBatch {
  const B = indices.length;
  const F = features;
  const lens = new Int32Array(B);
  let T = 0;
  for (let b = 0; b < B; b++) {
    lens[b] = sequences[indices[b]!]!.length / F;
    T = Math.max(T, lens[b]!);
  }
  const x = new Float32Array(T * B * F);
  for (let b = 0; b < B; b++) {
    const s = sequences[indices[b]!]!;
    for (let t = 0; t < lens[b]!; t++) x.set(s.subarray(t * F, (t + 1) * F), (t * B + b) * F);
  }
  const ragged = lens.some((l) => l !== T);
  return { x: tensor(x, [T, B, F]), lengths: ragged ? tensor(lens, [B], 'int32') : null };
}

/**
 * Indices 0..n-1 ordered by sequence length (stable), so evaluation batches hold sequences of
 * similar length and little padding. Only for evaluation: results do not depend on batch order.
 */
export function indicesByLength(sequences: readonly Float32Array[]): Int32Array {
  const order = Int32Array.from({ length: sequences.length }, (_, i) => i);
  return order.sort((a, b) => sequences[a]!.length - sequences[b]!.length || a - b);
}
