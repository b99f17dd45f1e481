/** Loss functions. */
import { record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { fail, fmtShape } from '../util/errors.js';
import { checkFloat, checkInt32, sameBackend, wrap } from './util.js';

export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Softmax cross-entropy on logits [..., C] against int32 class targets [...]. Rows whose target is
 * `ignoreIndex` contribute nothing; 'mean' averages over the rows that are not ignored (as PyTorch).
 * d logits = (softmax - onehot) · g.
 */
export function softmaxCrossEntropy(
  logits: Tensor,
  targets: Tensor,
  opts: { ignoreIndex?: number; reduction?: Reduction } = {},
): Tensor {
  const op = 'softmaxCrossEntropy';
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? 'mean';
  checkFloat(op, 'logits', logits);
  checkInt32(op, 'targets', targets);
  sameBackend(op, logits, targets);
  const cols = logits.shape[logits.rank - 1]!;
  const rowShape = logits.shape.slice(0, -1);
  if (targets.shape.join() !== rowShape.join()) {
    fail(`${op}: targets must have shape ${fmtShape(rowShape)} to match logits ${fmtShape(logits.shape)}, got ${fmtShape(targets.shape)}`);
  }
  const rows = targets.size;
  const host = targets.data();
  let counted = 0;
  for (let i = 0; i < rows; i++) {
    const t = host[i]!;
    if (t === ignoreIndex) continue;
    if (t < 0 || t >= cols) fail(`${op}: target ${t} at position ${i} is out of range [0, ${cols}) (ignoreIndex is ${ignoreIndex})`);
    counted++;
  }
  const { loss, probs } = logits.backend.softmaxCrossEntropy(logits.storage, rows, cols, targets.storage, ignoreIndex);
  const perRow = wrap(loss, rowShape, logits);
  record(op, [logits, targets], [perRow], ([g]) => [
    wrap(logits.backend.softmaxCrossEntropyGrad(probs, targets.storage, g!.storage, rows, cols, ignoreIndex), logits.shape, logits),
    null,
  ]);
  if (reduction === 'none') return perRow;
  if (reduction === 'sum') return perRow.sum();
  return perRow.sum().mul(1 / Math.max(counted, 1));
}

/** Mean squared error (or its sum / elementwise values). */
export function mseLoss(pred: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  if (pred.shape.join() !== target.shape.join()) {
    fail(`mseLoss: prediction ${fmtShape(pred.shape)} and target ${fmtShape(target.shape)} must have the same shape`);
  }
  const sq = pred.sub(target).square();
  return reduction === 'none' ? sq : reduction === 'sum' ? sq.sum() : sq.mean();
}

/** Softmax over the last axis (not differentiable: used for inference and sampling). */
export function softmax(logits: Tensor): Tensor {
  const cols = logits.shape[logits.rank - 1]!;
  return wrap(logits.backend.softmax(logits.storage, logits.size / cols, cols), logits.shape, logits);
}
