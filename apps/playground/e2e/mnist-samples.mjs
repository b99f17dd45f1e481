// Real MNIST test digits from ../shared/data/mnist (IDX, gzip) for the end-to-end test, or null
// when the data is not there. The images come from the last 1000 of the test file, the part the
// playground's model was tested on, never trained on (see models/README.md).
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export function mnistSamples(dir, indices) {
  const images = `${dir}/t10k-images-idx3-ubyte.gz`;
  const labels = `${dir}/t10k-labels-idx1-ubyte.gz`;
  if (!existsSync(images) || !existsSync(labels)) return null;
  const img = gunzipSync(readFileSync(images));
  const lab = gunzipSync(readFileSync(labels));
  // IDX: images have a 16-byte header, labels an 8-byte one
  return indices.map((i) => ({
    index: i,
    label: lab[8 + i],
    pixels: Array.from(img.subarray(16 + i * 784, 16 + (i + 1) * 784)),
  }));
}
