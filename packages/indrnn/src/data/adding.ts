/**
 * The adding problem, with the authors' two-marker scheme (Theano `adding/adding.py`).
 *
 * Each sequence has T steps of two features: a value ~ U(0, 1) and a marker in {0, 1}. Exactly two
 * steps are marked, one at randint(T//2) in the first half and one at T//2 + randint(T//2) in the
 * second half; the target is the sum of the two marked values. Predicting the constant 1 scores an
 * MSE of Var(U + U) = 2/12 ≈ 0.167, the baseline in the papers' figures. Fresh data every call.
 *
 * Shape:
 *   x        [T, B, 2]  float32, x[t, b] = (value, marker)
 *   y        [B, 1]     float32
 *   markers  [B, 2]     int32, the two marked time steps of each sequence (for tests and analysis)
 */
import type { Backend } from '../backend/backend.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { checkInt } from '../util/errors.js';
import { defaultGenerator, type Generator } from '../util/random.js';

/** MSE of always predicting 1: Var(U(0,1) + U(0,1)) = 1/6. */
export const ADDING_TRIVIAL_MSE = 1 / 6;

export interface AddingOptions {
  /** Sequence length T (>= 2, so both halves are non-empty). */
  seqLen: number;
  batchSize: number;
  generator?: Generator;
  backend?: Backend;
}

export interface AddingBatch {
  x: Tensor;
  y: Tensor;
  markers: Int32Array;
}

/**
 * One fresh batch. Random draws, in order: the T·B values in time-major order, then for each
 * sequence its first-half and second-half marker positions; so a seed fixes every batch.
 */
export function addingBatch(opts: AddingOptions): AddingBatch {
  const T = checkInt('addingBatch', 'seqLen', opts.seqLen, 2);
  const B = checkInt('addingBatch', 'batchSize', opts.batchSize, 1);
  const gen = opts.generator ?? defaultGenerator();
  const half = Math.floor(T / 2);
  const x = new Float32Array(T * B * 2); // [T, B, 2]
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) x[(t * B + b) * 2] = gen.random();
  }
  const markers = new Int32Array(B * 2); // [B, 2]
  const y = new Float32Array(B); // [B, 1]
  for (let b = 0; b < B; b++) {
    const first = gen.int(half);
    const second = half + gen.int(half);
    markers[2 * b] = first;
    markers[2 * b + 1] = second;
    x[(first * B + b) * 2 + 1] = 1;
    x[(second * B + b) * 2 + 1] = 1;
    // Sum the float32-rounded values the model sees, so the target is exactly reachable.
    y[b] = x[(first * B + b) * 2]! + x[(second * B + b) * 2]!;
  }
  return {
    x: tensor(x, [T, B, 2], 'float32', opts.backend),
    y: tensor(y, [B, 1], 'float32', opts.backend),
    markers,
  };
}
