/** Embedding lookup: rows of a [V, D] table by int32 token ids; the gradient scatter-adds. */
import type { Tensor } from '../tensor/tensor.js';
import { gatherRows } from './layout.js';

export function embedding(table: Tensor, ids: Tensor): Tensor {
  return gatherRows(table, ids, 'embedding');
}
