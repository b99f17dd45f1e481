/**
 * Seeded index bookkeeping shared by the classification loaders: the train/validation hold-out and
 * the per-epoch batch order. All randomness comes from the Generator passed in.
 */
import { checkInt, checkNumber, fail } from '../util/errors.js';
import type { Generator } from '../util/random.js';

/**
 * Number of items kept for training when `validFraction` is held out. Floors like the authors'
 * `int(n * 0.95)` (NTU CS: 40,091 → 38,086 train + 2,005 valid; MNIST 60,000 → 57,000 + 3,000).
 * The epsilon keeps exact products (60,000 × 0.95) from flooring one below.
 */
export function trainCountAfterHoldout(n: number, validFraction: number): number {
  return Math.floor(n * (1 - validFraction) + 1e-9);
}

/**
 * Splits indices 0..n-1 into a training part and a held-out validation part, at random. Both come
 * back sorted, so "the validation set" is a stable subset in file order for a given seed.
 */
export function holdOut(
  n: number,
  validFraction: number,
  gen: Generator,
): { train: Int32Array; valid: Int32Array } {
  checkNumber('holdOut', 'validFraction', validFraction, 0, 1);
  const nTrain = trainCountAfterHoldout(n, validFraction);
  const perm = gen.permutation(n);
  const train = perm.slice(0, nTrain).sort();
  const valid = perm.slice(nTrain).sort();
  return { train, valid };
}

/** The order of one epoch: a fresh permutation when shuffling, else 0..n-1. */
export function epochOrder(n: number, shuffle: boolean, gen: Generator): Int32Array {
  if (shuffle) return gen.permutation(n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** Batches in one epoch of n items. */
export function batchCount(n: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * Cuts one epoch's order into batches of item indices (the last one smaller unless dropLast).
 * Shared by the image and skeleton iterators so both count and shuffle the same way.
 */
export function* indexBatches(
  where: string,
  n: number,
  opts: { batchSize: number; shuffle: boolean; dropLast: boolean; generator: Generator },
): IterableIterator<Int32Array> {
  checkInt(where, 'batchSize', opts.batchSize, 1);
  // An empty split is an error rather than an empty epoch, which would average a loss over nothing.
  if (n === 0) fail(`${where}: the split has no items to batch (validFraction 0, or no data?)`);
  const order = epochOrder(n, opts.shuffle, opts.generator);
  const batches = batchCount(n, opts.batchSize, opts.dropLast);
  for (let k = 0; k < batches; k++) {
    yield order.subarray(k * opts.batchSize, Math.min(n, (k + 1) * opts.batchSize));
  }
}
