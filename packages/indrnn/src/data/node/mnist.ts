/** Node reader for MNIST-format directories (MNIST, Fashion-MNIST): find, gunzip, parse. */
import { basename } from 'node:path';
import { fail } from '../../util/errors.js';
import {
  FASHION_MNIST_DEFAULT_DIR,
  MNIST_FILES,
  mnistFromIdx,
  type MnistDataset,
  type MnistOptions,
} from '../mnist.js';
import { findFile, missingData, readDataFile } from './files.js';

/**
 * Loads `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`,
 * `t10k-images-idx3-ubyte[.gz]` and `t10k-labels-idx1-ubyte[.gz]` from `dir`. With only the two
 * t10k files it runs in test-only mode (see data/mnist.ts), which `testOnly` and `note` report.
 */
export function loadMnist(dir: string, opts: MnistOptions = {}): MnistDataset {
  const dataset = opts.name ?? 'mnist';
  const find = (base: string): string | null => findFile(dir, [base, `${base}.gz`]);
  const paths = {
    trainImages: find(MNIST_FILES.trainImages),
    trainLabels: find(MNIST_FILES.trainLabels),
    testImages: find(MNIST_FILES.testImages),
    testLabels: find(MNIST_FILES.testLabels),
  };
  const expected = Object.values(MNIST_FILES).map((f) => `${f}[.gz]`);
  if (!paths.testImages || !paths.testLabels) {
    const missing = [MNIST_FILES.testImages, MNIST_FILES.testLabels].filter((f) => !find(f));
    missingData(
      dataset,
      dir,
      expected,
      `missing ${missing.join(' and ')} (the test files are required)`,
    );
  }
  if ((paths.trainImages === null) !== (paths.trainLabels === null)) {
    const missing = paths.trainImages ? MNIST_FILES.trainLabels : MNIST_FILES.trainImages;
    fail(
      `${dataset}: ${dir} has one training file but not ${missing}[.gz]; add it, or remove both ` +
        `to run in test-only mode`,
    );
  }
  const file = (p: string): { bytes: Uint8Array; name: string } => ({
    bytes: readDataFile(p),
    name: basename(p),
  });
  return mnistFromIdx(
    {
      trainImages: paths.trainImages ? file(paths.trainImages) : undefined,
      trainLabels: paths.trainLabels ? file(paths.trainLabels) : undefined,
      testImages: file(paths.testImages!),
      testLabels: file(paths.testLabels!),
    },
    { ...opts, name: dataset },
  );
}

/**
 * Fashion-MNIST: MNIST's format and file names; the default directory is where
 * `apt-get install dataset-fashion-mnist` puts it.
 */
export function loadFashionMnist(
  dir: string = FASHION_MNIST_DEFAULT_DIR,
  opts: MnistOptions = {},
): MnistDataset {
  return loadMnist(dir, { name: 'fashion-mnist', ...opts });
}
