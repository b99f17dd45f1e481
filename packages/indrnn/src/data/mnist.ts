/**
 * MNIST-format image classification data (MNIST, Fashion-MNIST) for sequential models, as the
 * authors feed it (PyTorch `pixelMNIST/Data_gen.py`):
 *
 * - pixels p in 0..255 become (p/256 − 0.5)·2, in [−1, 0.992];
 * - sequential MNIST reads the 784 pixels one per step: x [784, B, 1]; row mode reads one 28-pixel
 *   row per step: x [28, B, 28] (for conv front-ends);
 * - permuted MNIST applies one fixed permutation of the 784 pixel positions to train and test
 *   (pixel t of the new image is pixel perm[t] of the original). It is returned so a run can save
 *   it, and can be passed back in to rebuild the same task;
 * - 5% of the training set is held out for validation at random (57,000 / 3,000 for MNIST).
 *
 * Test-only mode: when only the t10k files exist (the 10,000 test digits), the first 90% (9,000)
 * become the training pool (split 95/5 into train and validation) and the last 10% (1,000) the test
 * set. `testOnly` is true and `note` says so; any report of such a run must state it, since the
 * numbers are not comparable with the papers' (trained on 60,000).
 *
 * Images stay as uint8 in memory (47 MB for MNIST's 60k) and are normalised per batch.
 */
import type { Backend } from '../backend/backend.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { checkChoice, checkNumber, fail } from '../util/errors.js';
import { defaultGenerator, type Generator } from '../util/random.js';
import { parseIdxImages, parseIdxLabels } from './idx.js';
import { holdOut, indexBatches } from './split.js';

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Where `apt-get install dataset-fashion-mnist` puts Fashion-MNIST (same file names as MNIST). */
export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';

/** The authors' pixel scaling: (p/256 − 0.5)·2. */
export function normalizePixel(p: number): number {
  return (p / 256 - 0.5) * 2;
}

/** One split of a data set: images [count, rows·cols] uint8 and labels int32 [count]. */
export interface ImageSplit {
  pixels: Uint8Array;
  labels: Int32Array;
  count: number;
  rows: number;
  cols: number;
}

export interface MnistDataset {
  /** 'mnist', 'fashion-mnist', ... as given by the caller; used in messages and reports. */
  name: string;
  train: ImageSplit;
  valid: ImageSplit;
  test: ImageSplit;
  numClasses: number;
  /** The pixel permutation applied to every split (pMNIST), or null for plain sequential order. */
  permutation: Int32Array | null;
  /** True when trained on part of the test set because the training files were absent. */
  testOnly: boolean;
  /** One line for logs and reports describing where each split came from. */
  note: string;
}

/** Decompressed IDX file contents, each with the name used in error messages. */
export interface MnistSource {
  trainImages?: { bytes: Uint8Array; name: string };
  trainLabels?: { bytes: Uint8Array; name: string };
  testImages: { bytes: Uint8Array; name: string };
  testLabels: { bytes: Uint8Array; name: string };
}

export interface MnistOptions {
  name?: string;
  /**
   * true: draw a permutation from the generator; an Int32Array: use that one (e.g. a saved one).
   */
  permute?: boolean | Int32Array;
  /** Held-out fraction of the training pool (default 0.05). */
  validFraction?: number;
  numClasses?: number;
  /** Random draws, in order: the permutation (if drawn), then the validation hold-out. */
  generator?: Generator;
}

/** Parses one images+labels pair and checks that they agree. */
function parsePair(
  images: { bytes: Uint8Array; name: string },
  labels: { bytes: Uint8Array; name: string },
  numClasses: number,
): ImageSplit {
  const img = parseIdxImages(images.bytes, images.name);
  const lab = parseIdxLabels(labels.bytes, labels.name, numClasses);
  if (lab.length !== img.count) {
    fail(
      `${labels.name}: has ${lab.length} labels but ${images.name} has ${img.count} images; they ` +
        `must match`,
    );
  }
  return { pixels: img.pixels, labels: lab, count: img.count, rows: img.rows, cols: img.cols };
}

/** Items [from, to) of a split, as a new split sharing no memory with the source. */
export function sliceSplit(s: ImageSplit, from: number, to: number): ImageSplit {
  const size = s.rows * s.cols;
  return {
    pixels: s.pixels.slice(from * size, to * size),
    labels: s.labels.slice(from, to),
    count: to - from,
    rows: s.rows,
    cols: s.cols,
  };
}

/** The items at `indices`, in that order. */
export function selectSplit(s: ImageSplit, indices: Int32Array): ImageSplit {
  const size = s.rows * s.cols;
  const pixels = new Uint8Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  indices.forEach((src, i) => {
    pixels.set(s.pixels.subarray(src * size, (src + 1) * size), i * size);
    labels[i] = s.labels[src]!;
  });
  return { pixels, labels, count: indices.length, rows: s.rows, cols: s.cols };
}

/** Reorders every image's pixels: new pixel t = old pixel perm[t]. */
function permutePixels(s: ImageSplit, perm: Int32Array): ImageSplit {
  const size = s.rows * s.cols;
  const pixels = new Uint8Array(s.pixels.length);
  for (let n = 0; n < s.count; n++) {
    const base = n * size;
    for (let t = 0; t < size; t++) pixels[base + t] = s.pixels[base + perm[t]!]!;
  }
  return { ...s, pixels };
}

/** Fails unless `perm` holds each of 0..size-1 exactly once. */
export function checkPermutation(perm: Int32Array, size: number): void {
  if (perm.length !== size)
    fail(`permutation has ${perm.length} entries, expected ${size} (one per pixel)`);
  const seen = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const p = perm[i]!;
    if (p < 0 || p >= size || seen[p]) {
      fail(
        `permutation entry ${i} = ${p} is out of range or repeated; expected a permutation of ` +
          `0..${size - 1}`,
      );
    }
    seen[p] = 1;
  }
}

/**
 * Builds the train/valid/test splits from decompressed IDX bytes. Without training files it
 * switches to test-only mode (see the file header).
 */
export function mnistFromIdx(source: MnistSource, opts: MnistOptions = {}): MnistDataset {
  const name = opts.name ?? 'mnist';
  const numClasses = opts.numClasses ?? 10;
  const validFraction = checkNumber(
    'mnistFromIdx',
    'validFraction',
    opts.validFraction ?? 0.05,
    0,
    0.5,
  );
  const gen = opts.generator ?? defaultGenerator();
  const hasTrain = source.trainImages !== undefined && source.trainLabels !== undefined;
  if ((source.trainImages === undefined) !== (source.trainLabels === undefined)) {
    fail(
      `mnistFromIdx: got only one of the training images and labels files; pass both or neither`,
    );
  }

  let pool: ImageSplit;
  let test: ImageSplit;
  let note: string;
  const full = parsePair(source.testImages, source.testLabels, numClasses);
  if (hasTrain) {
    pool = parsePair(source.trainImages!, source.trainLabels!, numClasses);
    test = full;
    if (pool.rows !== test.rows || pool.cols !== test.cols) {
      fail(
        `${source.testImages.name}: images are ${test.rows}×${test.cols} but the training images ` +
          `are ${pool.rows}×${pool.cols}`,
      );
    }
  } else {
    if (full.count < 20)
      fail(`${source.testImages.name}: test-only mode needs at least 20 images, got ${full.count}`);
    const cut = Math.floor(full.count * 0.9);
    pool = sliceSplit(full, 0, cut);
    test = sliceSplit(full, cut, full.count);
  }

  const size = pool.rows * pool.cols;
  let permutation: Int32Array | null = null;
  if (opts.permute instanceof Int32Array) {
    checkPermutation(opts.permute, size);
    permutation = opts.permute.slice();
  } else if (opts.permute === true) {
    permutation = gen.permutation(size);
  }
  if (permutation) {
    pool = permutePixels(pool, permutation);
    test = permutePixels(test, permutation);
  }

  const { train: trainIdx, valid: validIdx } = holdOut(pool.count, validFraction, gen);
  const train = selectSplit(pool, trainIdx);
  const valid = selectSplit(pool, validIdx);
  const order = permutation ? 'permuted' : 'sequential';
  if (hasTrain) {
    note =
      `${name} (${order}): train ${train.count} + valid ${valid.count} from the training ` +
      `files, test ${test.count}`;
  } else {
    note =
      `${name} (${order}) TEST-ONLY MODE: training files absent; ` +
      `train ${train.count} + valid ${valid.count} from the first ${pool.count} test images, ` +
      `test on the last ${test.count}; not comparable with results trained on the full ` +
      `training set`;
  }
  return { name, train, valid, test, numClasses, permutation, testOnly: !hasTrain, note };
}

export type ImageLayout = 'pixel' | 'row';

export interface ImageBatch {
  /** [rows·cols, B, 1] in pixel layout, [rows, B, cols] in row layout; float32. */
  x: Tensor;
  /** int32 [B] */
  labels: Tensor;
  /** Which items of the split are in the batch, in batch order. */
  indices: Int32Array;
}

/** Builds the time-major batch of the given items. */
export function imageBatch(
  split: ImageSplit,
  indices: Int32Array,
  layout: ImageLayout = 'pixel',
  backend?: Backend,
): ImageBatch {
  const B = indices.length;
  const size = split.rows * split.cols;
  const x = new Float32Array(size * B);
  const labels = new Int32Array(B);
  // Pixel layout [size, B, 1]: x[t, b] = pixel t.
  // Row layout [rows, B, cols]: x[r, b, c] = pixel r·cols + c.
  const cols = layout === 'row' ? split.cols : 1;
  const steps = size / cols;
  for (let b = 0; b < B; b++) {
    const item = indices[b]!;
    if (item < 0 || item >= split.count)
      fail(`imageBatch: index ${item} is outside the split (0..${split.count - 1})`);
    labels[b] = split.labels[item]!;
    const src = item * size;
    for (let t = 0; t < steps; t++) {
      for (let c = 0; c < cols; c++) {
        x[(t * B + b) * cols + c] = normalizePixel(split.pixels[src + t * cols + c]!);
      }
    }
  }
  return {
    x: tensor(x, [steps, B, cols], 'float32', backend),
    labels: tensor(labels, [B], 'int32', backend),
    indices: indices.slice(),
  };
}

export interface ImageBatchOptions {
  batchSize: number;
  /** Shuffle with a fresh permutation each epoch (default true; pass false for evaluation). */
  shuffle?: boolean;
  /** Skip the last, smaller batch (default false). */
  dropLast?: boolean;
  layout?: ImageLayout;
  generator?: Generator;
  backend?: Backend;
}

/** One epoch of batches. Call again for the next epoch; the generator's stream drives the order. */
export function* imageBatches(
  split: ImageSplit,
  opts: ImageBatchOptions,
): IterableIterator<ImageBatch> {
  const layout = checkChoice('imageBatches', 'layout', opts.layout ?? 'pixel', [
    'pixel',
    'row',
  ] as const);
  const batches = indexBatches('imageBatches', split.count, {
    batchSize: opts.batchSize,
    shuffle: opts.shuffle ?? true,
    dropLast: opts.dropLast ?? false,
    generator: opts.generator ?? defaultGenerator(),
  });
  for (const indices of batches) yield imageBatch(split, indices, layout, opts.backend);
}
