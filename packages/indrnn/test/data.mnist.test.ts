/** IDX parsing, MNIST-format data sets (sequential, permuted, test-only mode) and image batches. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Generator, data } from '../src/index.js';
import { loadFashionMnist, loadMnist } from '../src/node.js';
import {
  SHARED_DATA,
  assertIndrnnError,
  idxBytes,
  skipUnless,
  tinyMnist,
  withTempDir,
  writeFiles,
} from './data.helpers.js';

const src = (bytes: Uint8Array, name: string): { bytes: Uint8Array; name: string } => ({
  bytes,
  name,
});

describe('IDX parser', () => {
  it('reads every element type, big-endian', () => {
    const u8 = data.parseIdx(idxBytes(0x08, [2, 3], [0, 1, 2, 253, 254, 255]));
    assert.deepEqual(u8.dims, [2, 3]);
    assert.deepEqual(Array.from(u8.data), [0, 1, 2, 253, 254, 255]);
    assert.ok(u8.data instanceof Uint8Array);
    // int16 [2] = 0x0102, 0xfffe (-2); int8 [1] = 0xff (-1); float32 [1] = 0x3fc00000 (1.5)
    assert.deepEqual(
      Array.from(data.parseIdx(idxBytes(0x0b, [2], [1, 2, 0xff, 0xfe])).data),
      [258, -2],
    );
    assert.deepEqual(Array.from(data.parseIdx(idxBytes(0x09, [1], [0xff])).data), [-1]);
    assert.deepEqual(
      Array.from(data.parseIdx(idxBytes(0x0d, [1], [0x3f, 0xc0, 0, 0])).data),
      [1.5],
    );
  });

  it('reads from a Node Buffer view at any byte offset and returns its own copy', () => {
    const file = idxBytes(0x09, [3], [0xff, 1, 0x80]);
    const backing = Buffer.alloc(file.length + 5);
    backing.set(file, 5);
    const arr = data.parseIdx(backing.subarray(5));
    backing.fill(0);
    assert.deepEqual(Array.from(arr.data), [-1, 1, -128]);
  });

  it('encodeIdx writes what parseIdx reads, byte for byte like a hand-written file', () => {
    const bytes = idxBytes(
      0x08,
      [3, 2, 2],
      Array.from({ length: 12 }, (_, i) => i * 20),
    );
    const arr = data.parseIdx(bytes);
    assert.deepEqual(data.encodeIdx(arr), bytes);
    const f64 = { typeCode: 0x0e, dims: [2], data: Float64Array.of(-0.25, 1e300) };
    assert.deepEqual(Array.from(data.parseIdx(data.encodeIdx(f64)).data), [-0.25, 1e300]);
  });

  it('images and labels check their magic and name the file, the offset and what the file is instead', () => {
    const { images, labels } = tinyMnist(3);
    assertIndrnnError(
      () => data.parseIdxImages(labels, 't10k-images-idx3-ubyte.gz'),
      't10k-images-idx3-ubyte.gz: bad magic 0x00000801 at offset 0, expected 2051 (0x00000803, IDX images)',
      'is an IDX labels file',
      'swapped',
    );
    assertIndrnnError(
      () => data.parseIdxLabels(images, 'lab'),
      'lab: bad magic 0x00000803 at offset 0, expected 2049',
      'is an IDX images file',
    );
    assertIndrnnError(
      () => data.parseIdxImages(Uint8Array.of(0x50, 0x4b, 3, 4), 'x.zip'),
      'x.zip: bad magic 0x504b0304',
      'not an IDX file',
    );
    assertIndrnnError(
      () => data.parseIdxImages(gzipSync(images), 'img.gz'),
      'img.gz: data is gzip-compressed',
      'indrnn/node',
    );
    assertIndrnnError(
      () => data.parseIdx(Uint8Array.of(0, 0), 'short'),
      'short: file ends at byte 2',
      'magic',
    );
    assertIndrnnError(
      () => data.parseIdx(Uint8Array.of(0, 0, 0x07, 1, 0, 0, 0, 0), 'odd'),
      'unknown IDX element type 0x07 at offset 2',
    );
  });

  it('a truncated or padded file reports the sizes; a huge header fails before allocating', () => {
    const { images } = tinyMnist(3);
    assertIndrnnError(
      () => data.parseIdxImages(images.subarray(0, images.length - 5), 'img'),
      'img: IDX header declares dims [3, 4, 4]',
      '48 bytes',
      'has 43 bytes',
      'truncated',
    );
    const padded = new Uint8Array(images.length + 2);
    padded.set(images);
    assertIndrnnError(() => data.parseIdxImages(padded, 'img'), 'has 50 bytes', 'extra bytes');
    const huge = idxBytes(0x08, [1_000_000_000, 28, 28], new Uint8Array(84));
    const t0 = performance.now();
    assertIndrnnError(
      () => data.parseIdxImages(huge, 'huge'),
      'dims [1000000000, 28, 28]',
      '784000000000 bytes',
      'has 84 bytes',
    );
    assert.ok(performance.now() - t0 < 50, 'the size check must come before any allocation');
  });

  it('labels outside 0..numClasses-1 name the item and offset', () => {
    assertIndrnnError(
      () => data.parseIdxLabels(idxBytes(0x08, [3], [1, 12, 3]), 'lab', 10),
      'lab: label 12 of item 1 (offset 9) is outside 0..9',
    );
  });
});

describe('MNIST-format data sets', () => {
  const tiny = tinyMnist(100);
  const full = (opts: data.MnistOptions = {}): data.MnistDataset =>
    data.mnistFromIdx(
      {
        trainImages: src(tiny.images, 'train-images'),
        trainLabels: src(tiny.labels, 'train-labels'),
        testImages: src(tinyMnist(20).images, 't10k-images'),
        testLabels: src(tinyMnist(20).labels, 't10k-labels'),
      },
      { generator: new Generator(4), ...opts },
    );

  it('holds out 5% of training at random (seeded), keeps the test set whole and in order', () => {
    const ds = full();
    assert.equal(ds.testOnly, false);
    assert.deepEqual([ds.train.count, ds.valid.count, ds.test.count], [95, 5, 20]);
    assert.deepEqual(
      Array.from(ds.test.labels),
      Array.from({ length: 20 }, (_, k) => k % 10),
    );
    // every training item appears once across train and valid: recover k from pixel 0 = 31k mod 256
    const ks = [
      ...ds.train.pixels.filter((_, i) => i % 16 === 0),
      ...ds.valid.pixels.filter((_, i) => i % 16 === 0),
    ];
    assert.equal(new Set(ks).size, 100);
    assert.deepEqual(
      Array.from(full().valid.labels),
      Array.from(ds.valid.labels),
      'same seed, same split',
    );
    assert.match(ds.note, /train 95 \+ valid 5 from the training files, test 20/);
  });

  it('pixel layout gives x [16, B, 1], row layout [4, B, 4], with (p/256 − 0.5)·2', () => {
    const ds = full();
    const idx = Int32Array.of(2, 0);
    const px = data.imageBatch(ds.test, idx, 'pixel');
    const rows = data.imageBatch(ds.test, idx, 'row');
    assert.deepEqual(px.x.shape, [16, 2, 1]);
    assert.deepEqual(rows.x.shape, [4, 2, 4]);
    assert.deepEqual(Array.from(px.labels.data()), [2, 0]);
    assert.equal(px.labels.dtype, 'int32');
    for (let t = 0; t < 16; t++) {
      for (const [b, k] of [
        [0, 2],
        [1, 0],
      ] as const) {
        const want = Math.fround((tiny.pixel(k, t) / 256 - 0.5) * 2);
        assert.equal(px.x.data()[t * 2 + b], want);
        assert.equal(rows.x.data()[(Math.floor(t / 4) * 2 + b) * 4 + (t % 4)], want);
      }
    }
    assert.equal(data.normalizePixel(0), -1);
    assert.equal(data.normalizePixel(255), 0.9921875);
  });

  it('permuted: one permutation for train and test, returned, and reusable', () => {
    const ds = full({ permute: true });
    const perm = ds.permutation!;
    assert.equal(perm.length, 16);
    assert.deepEqual(
      [...perm].sort((a, b) => a - b),
      Array.from({ length: 16 }, (_, i) => i),
    );
    for (let t = 0; t < 16; t++) assert.equal(ds.test.pixels[3 * 16 + t], tiny.pixel(3, perm[t]!));
    const again = data.mnistFromIdx(
      { testImages: src(tinyMnist(20).images, 'a'), testLabels: src(tinyMnist(20).labels, 'b') },
      { permute: perm, generator: new Generator(99) },
    );
    for (let t = 0; t < 16; t++) assert.equal(again.test.pixels[t], tiny.pixel(18, perm[t]!));
    assert.notDeepEqual(
      Array.from(full({ permute: true, generator: new Generator(5) }).permutation!),
      Array.from(perm),
    );
    assertIndrnnError(
      () => full({ permute: Int32Array.of(0, 1) }),
      'permutation has 2 entries, expected 16',
    );
    assertIndrnnError(
      () => full({ permute: new Int32Array(16) }),
      'permutation entry 1 = 0 is out of range or repeated',
    );
  });

  it('test-only mode trains on the first 90% of the test files and tests on the last 10%, and says so', () => {
    const ds = data.mnistFromIdx(
      { testImages: src(tiny.images, 'a'), testLabels: src(tiny.labels, 'b') },
      { generator: new Generator(1) },
    );
    assert.equal(ds.testOnly, true);
    assert.deepEqual([ds.train.count, ds.valid.count, ds.test.count], [85, 5, 10]);
    for (let i = 0; i < 10; i++) assert.equal(ds.test.pixels[i * 16 + 5], tiny.pixel(90 + i, 5));
    assert.match(ds.note, /TEST-ONLY MODE/);
    assert.match(ds.note, /first 90 test images, test on the last 10/);
  });

  it('batches cover every item once per epoch, reshuffled each epoch, same seed same order', () => {
    const ds = full();
    const epoch = (gen: Generator, opts: Partial<data.ImageBatchOptions> = {}): number[][] =>
      [...data.imageBatches(ds.train, { batchSize: 32, generator: gen, ...opts })].map((b) =>
        Array.from(b.indices),
      );
    const gen = new Generator(8);
    const e1 = epoch(gen);
    const e2 = epoch(gen);
    assert.deepEqual(
      e1.map((b) => b.length),
      [32, 32, 31],
    );
    assert.deepEqual(
      e1.flat().sort((a, b) => a - b),
      Array.from({ length: 95 }, (_, i) => i),
    );
    assert.notDeepEqual(e1, e2);
    assert.deepEqual(epoch(new Generator(8)), e1);
    assert.deepEqual(epoch(gen, { shuffle: false, dropLast: true }), [
      Array.from({ length: 32 }, (_, i) => i),
      Array.from({ length: 32 }, (_, i) => i + 32),
    ]);
    assertIndrnnError(
      () => epoch(gen, { batchSize: 0 }),
      'imageBatches: batchSize must be an integer >= 1',
    );
    const noValid = full({ validFraction: 0 }).valid;
    assertIndrnnError(
      () => [...data.imageBatches(noValid, { batchSize: 4 })],
      'imageBatches: the split has no items to batch',
    );
  });
});

describe('MNIST loader (Node)', () => {
  it('reads raw and gzipped files from a directory, and checks images against labels', () => {
    withTempDir((dir) => {
      const train = tinyMnist(40);
      const test = tinyMnist(20);
      writeFiles(dir, {
        'train-images-idx3-ubyte.gz': gzipSync(train.images),
        'train-labels-idx1-ubyte': train.labels,
        't10k-images-idx3-ubyte': test.images,
        't10k-labels-idx1-ubyte.gz': gzipSync(test.labels),
      });
      const ds = loadMnist(dir, { generator: new Generator(0) });
      assert.deepEqual([ds.train.count, ds.valid.count, ds.test.count], [38, 2, 20]);
      writeFiles(dir, { 't10k-labels-idx1-ubyte.gz': gzipSync(tinyMnist(19).labels) });
      assertIndrnnError(
        () => loadMnist(dir),
        't10k-labels-idx1-ubyte.gz: has 19 labels but t10k-images-idx3-ubyte has 20 images',
      );
      const gz = gzipSync(test.labels);
      writeFiles(dir, { 't10k-labels-idx1-ubyte.gz': gz.subarray(0, gz.length - 6) });
      assertIndrnnError(
        () => loadMnist(dir),
        't10k-labels-idx1-ubyte.gz: gzip data is corrupt, truncated or too large',
        're-download',
      );
    });
  });

  it('a missing data set names the directory, every expected file and --data-dir', () => {
    withTempDir((dir) => {
      assertIndrnnError(
        () => loadMnist(join(dir, 'nope')),
        `mnist not found: searched ${join(dir, 'nope')} (that directory does not exist)`,
        'train-images-idx3-ubyte[.gz]',
        'train-labels-idx1-ubyte[.gz]',
        't10k-images-idx3-ubyte[.gz]',
        't10k-labels-idx1-ubyte[.gz]',
        '--data-dir DIR',
      );
      writeFiles(dir, { 't10k-images-idx3-ubyte': tinyMnist(20).images });
      assertIndrnnError(
        () => loadFashionMnist(dir),
        'fashion-mnist not found',
        'missing t10k-labels-idx1-ubyte (the test files are required)',
      );
      writeFiles(dir, {
        't10k-labels-idx1-ubyte': tinyMnist(20).labels,
        'train-labels-idx1-ubyte': tinyMnist(20).labels,
      });
      assertIndrnnError(
        () => loadMnist(dir),
        'has one training file but not train-images-idx3-ubyte[.gz]',
      );
    });
  });
});

describe('real MNIST test set (../shared/data/mnist)', () => {
  const dir = join(SHARED_DATA, 'mnist');
  it(
    't10k: 10,000 digits, first label 7, the known class counts; test-only split 8,550/450/1,000',
    { skip: skipUnless(join(dir, 't10k-images-idx3-ubyte.gz')) },
    () => {
      const ds = loadMnist(dir, { generator: new Generator(0) });
      assert.equal(ds.testOnly, true);
      assert.deepEqual([ds.train.count, ds.valid.count, ds.test.count], [8550, 450, 1000]);
      assert.deepEqual([ds.test.rows, ds.test.cols], [28, 28]);
      const all = loadMnist(dir, { generator: new Generator(0), validFraction: 0 });
      // the first test digit is a 7; train holds items 0..8999 in order when nothing is held out
      assert.equal(all.train.labels[0], 7);
      assert.deepEqual(
        Array.from(all.train.labels.subarray(0, 10)),
        [7, 2, 1, 0, 4, 1, 4, 9, 5, 9],
      );
      const counts = new Array(10).fill(0);
      for (const l of [...all.train.labels, ...all.test.labels]) counts[l]++;
      assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
      const b = data.imageBatch(all.train, Int32Array.of(0));
      assert.deepEqual(b.x.shape, [784, 1, 1]);
      const x = b.x.data();
      assert.equal(x[0], -1, 'corner pixel is background');
      assert.ok(Math.max(...x) > 0.9 && Math.min(...x) === -1);
    },
  );
});

describe('real Fashion-MNIST (apt-get install dataset-fashion-mnist)', () => {
  const dir = data.FASHION_MNIST_DEFAULT_DIR;
  it(
    '60,000 + 10,000 images, 57,000/3,000 split, 6,000 and 1,000 per class, first test label 9',
    { skip: skipUnless(join(dir, 'train-images-idx3-ubyte.gz')) },
    () => {
      const ds = loadFashionMnist(undefined, { generator: new Generator(0) });
      assert.equal(ds.testOnly, false);
      assert.equal(ds.name, 'fashion-mnist');
      assert.deepEqual([ds.train.count, ds.valid.count, ds.test.count], [57000, 3000, 10000]);
      assert.equal(ds.test.labels[0], 9);
      const perClass = (labels: Int32Array[]): number[] => {
        const c = new Array(10).fill(0);
        for (const ls of labels) for (const l of ls) c[l]++;
        return c;
      };
      assert.deepEqual(perClass([ds.train.labels, ds.valid.labels]), new Array(10).fill(6000));
      assert.deepEqual(perClass([ds.test.labels]), new Array(10).fill(1000));
    },
  );
});
