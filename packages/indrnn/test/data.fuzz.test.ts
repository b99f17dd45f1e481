/**
 * Fuzzing every data parser with seeded inputs: random bytes, random headers, truncations at many
 * offsets, bit flips, byte and token substitutions of valid files. Each case must either parse or
 * throw an IndrnnError that names the file; anything else (RangeError, TypeError, a hang, a crash)
 * fails with the case's label and the first bytes of its input, so it can be replayed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import {
  Adam, Generator, IndrnnError, buildModel, data, decodeCheckpoint, decodeSafetensors, deserializeModel,
  encodeSafetensors, manualSeed, randn, serializeModel, tensor,
} from '../src/index.js';
import { Trainer, encodeCheckpoint, restoreTrainer, type Task } from '../src/index.js';
import { gunzipIfNeeded, parseSequencesCsv } from '../src/node.js';
import { idxBytes, npyBytes, randomJoints, skeletonText, tinyMnist } from './data.helpers.js';
import { toCsv, toJsonl, toNpy, waves } from './sequences.helpers.js';

/** The file name every parser is given; every error message must contain it. */
const NAME = 'fuzzed-input';
/** A case slower than this is treated as a hang (the real cases take well under a millisecond). */
const MAX_CASE_MS = 250;

interface Target {
  name: string;
  valid: Uint8Array[];
  parse(bytes: Uint8Array): unknown;
  /** Extra structured inputs (random headers with plausible magics). */
  structured?(gen: Generator): Uint8Array;
  /** Whether token substitution makes sense (text formats). */
  text?: boolean;
}

interface Stats {
  cases: number;
  parsed: number;
  rejected: number;
  maxMs: number;
}

function hexHead(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 48), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function runCase(target: Target, label: string, bytes: Uint8Array, stats: Stats): void {
  const t0 = performance.now();
  try {
    target.parse(bytes);
    stats.parsed++;
  } catch (e) {
    const where = `${target.name} ${label} (${bytes.length} bytes: ${hexHead(bytes)})`;
    if (!(e instanceof IndrnnError)) {
      assert.fail(
        `${where}: threw ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`,
      );
    }
    assert.ok(e.message.includes(NAME), `${where}: message does not name the file: ${e.message}`);
    stats.rejected++;
  }
  const ms = performance.now() - t0;
  stats.maxMs = Math.max(stats.maxMs, ms);
  assert.ok(ms < MAX_CASE_MS, `${target.name} ${label}: took ${ms.toFixed(0)} ms`);
  stats.cases++;
}

function randomBytes(gen: Generator, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => gen.int(256));
}

const TOKENS = [
  '1000000000',
  '-1',
  '0',
  '25',
  '26',
  '1e308',
  'NaN',
  '3.5',
  '99999999999999999999',
  'x',
  '',
];

/** All the mutations of one valid file. */
function* mutations(
  target: Target,
  valid: Uint8Array,
  gen: Generator,
): IterableIterator<[string, Uint8Array]> {
  yield ['valid', valid];
  // truncations: every offset in the header region, then spread over the file
  for (let n = 0; n < Math.min(valid.length, 96); n++)
    yield [`truncated at ${n}`, valid.subarray(0, n)];
  for (let k = 0; k < 60; k++) {
    const n = gen.int(valid.length);
    yield [`truncated at ${n}`, valid.subarray(0, n)];
  }
  for (let k = 0; k < 150; k++) {
    const out = valid.slice();
    const flips = 1 + gen.int(3);
    const where: number[] = [];
    for (let f = 0; f < flips; f++) {
      const i = gen.int(out.length);
      out[i]! ^= 1 << gen.int(8);
      where.push(i);
    }
    yield [`bit flips at ${where.join(',')}`, out];
  }
  for (let k = 0; k < 40; k++) {
    const out = valid.slice();
    const i = gen.int(out.length);
    out[i] = [0x00, 0xff, 0x7f, 0x80, 0x39, 0x20, 0x0a, 0x2d][gen.int(8)]!;
    yield [`byte ${i} replaced`, out];
  }
  if (target.text) {
    const text = new TextDecoder().decode(valid);
    const parts = text.split(/(\s+)/);
    for (let k = 0; k < 80; k++) {
      const p = parts.slice();
      const i = 2 * gen.int(Math.ceil(p.length / 2));
      p[i] = TOKENS[gen.int(TOKENS.length)]!;
      yield [
        `token ${i / 2} replaced by ${JSON.stringify(p[i])}`,
        new TextEncoder().encode(p.join('')),
      ];
    }
  }
}

function fuzz(target: Target, seed: number): Stats {
  const gen = new Generator(seed);
  const stats: Stats = { cases: 0, parsed: 0, rejected: 0, maxMs: 0 };
  target.valid.forEach((valid, v) => {
    for (const [label, bytes] of mutations(target, valid, gen))
      runCase(target, `file ${v} ${label}`, bytes, stats);
  });
  for (let k = 0; k < 100; k++)
    runCase(target, `random #${k}`, randomBytes(gen, gen.int(300)), stats);
  if (target.structured) {
    for (let k = 0; k < 100; k++)
      runCase(target, `structured #${k}`, target.structured(gen), stats);
  }
  return stats;
}

// ---- targets ----

const tiny = tinyMnist(25);
const idxFloat = idxBytes(
  0x0d,
  [2, 2],
  [0x3f, 0x80, 0, 0, 0xbf, 0x80, 0, 0, 0, 0, 0, 0, 0x7f, 0x80, 0, 0],
);

/** Parse as an IDX file of any type, and as the images half of a test-only MNIST set. */
function parseIdxAll(bytes: Uint8Array): void {
  data.parseIdx(bytes, NAME);
  if (bytes[2] === 0x08 && bytes[3] === 3) {
    data.mnistFromIdx(
      {
        testImages: { bytes, name: NAME },
        testLabels: { bytes: tiny.labels, name: `${NAME}-labels` },
      },
      { generator: new Generator(0) },
    );
  } else if (bytes[3] === 1) {
    data.parseIdxLabels(bytes, NAME, 10);
  }
}

/** An IDX header with a plausible magic, random dims (sometimes huge) and a little data. */
function idxHeader(gen: Generator): Uint8Array {
  const type = [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x07][gen.int(7)]!;
  const ndims = gen.int(5);
  const dims = Array.from({ length: ndims }, () =>
    gen.random() < 0.3 ? gen.nextUint32() : gen.int(6),
  );
  return idxBytes(type, dims, randomBytes(gen, gen.int(64)));
}

const idxRaw: Target = {
  name: 'IDX',
  valid: [tiny.images, tiny.labels, idxFloat],
  parse: parseIdxAll,
  structured: idxHeader,
};

const idxGzip: Target = {
  name: 'IDX.gz',
  valid: [gzipSync(tiny.images), gzipSync(tiny.labels)],
  parse: (bytes) => parseIdxAll(gunzipIfNeeded(bytes, NAME)),
  // Half random headers, half bit-flipped images: both decompress, so the IDX parser sees them.
  structured: (gen) => {
    if (gen.random() < 0.5) return gzipSync(idxHeader(gen));
    const flipped = tiny.images.slice();
    flipped[gen.int(flipped.length)]! ^= 1 << gen.int(8);
    return gzipSync(flipped);
  },
};

const word = new TextEncoder().encode(
  ' no it was <unk> black monday \n but while the new york \n\n N years \n',
);
const chars = new TextEncoder().encode(' n o _ i t _ w a s \n b u t _ < u n k > \n');
const plain = new TextEncoder().encode(
  'First Citizen:\nBefore we proceed — any further, hear me speak. 😀\n',
);
const trainPart: data.TextPart = { text: ' no it was black \n', name: `${NAME}-train` };

const text: Target = {
  name: 'text',
  valid: [word, chars, plain],
  text: true,
  parse: (bytes) => {
    const part = data.textPart(bytes, NAME);
    for (const kind of data.TEXT_KINDS) {
      const ds = data.buildTextDataset({ train: part, valid: part, test: part }, { kind });
      if (ds.train.length < 4) continue; // batchify needs 2 rows; it names no file, so stay within it
      const stream = data.batchify(ds.train, 2);
      for (const w of new data.BpttIterator(stream, {
        seqLen: 3,
        variableLength: true,
        generator: new Generator(1),
      })) {
        assert.equal(w.input.shape[1], 2);
      }
    }
    // A vocabulary without <unk>: unknown words (nearly every fuzzed input) must be an IndrnnError
    // naming the file. Checked here so that 'parsed' above still counts decodable inputs.
    try {
      data.buildTextDataset({ train: trainPart, valid: part, test: part }, { kind: 'ptb-word' });
    } catch (e) {
      if (!(e instanceof IndrnnError && e.message.startsWith(`${NAME}: line `))) throw e;
    }
  },
};

const gen0 = new Generator(11);
const skeleton: Target = {
  name: '.skeleton',
  valid: [
    new TextEncoder().encode(
      skeletonText([
        [
          { id: '72057594037931101', xyz: randomJoints(gen0) },
          { id: '72057594037931102', xyz: randomJoints(gen0) },
        ],
        [{ id: '72057594037931101', xyz: randomJoints(gen0) }],
      ]),
    ),
    new TextEncoder().encode(
      skeletonText([
        [
          { id: '1', xyz: randomJoints(gen0) },
          { id: '2', xyz: randomJoints(gen0) },
          { id: '3', xyz: randomJoints(gen0) },
        ],
        [],
      ]),
    ),
  ],
  text: true,
  parse: (bytes) => {
    const clip = data.parseSkeleton(bytes, NAME);
    assert.equal(clip.frames.length, clip.length * data.NTU_FEATURES);
    if (clip.length > 0) {
      const ds = data.splitNtuClips([{ name: 'S001C001P001R001A001.skeleton', clip }], {
        benchmark: 'cross-view',
        validFraction: 0,
      });
      assert.deepEqual(
        data.ntuBatch(ds.test, Int32Array.of(0), { generator: new Generator(2) }).x.shape,
        [20, 1, 150],
      );
    }
  },
  structured: (gen) => {
    // counts that lie: frame and body counts much larger than the lines that follow
    const frames = [gen.int(4), gen.nextUint32(), 1_000_000_000][gen.int(3)];
    const bodies = [gen.int(3), gen.nextUint32()][gen.int(2)];
    return new TextEncoder().encode(`${frames}\r\n${bodies}\r\n1 0 1 1 1 1 0 0.1 0.2 2\r\n25\r\n`);
  },
};

const npy: Target = {
  name: '.npy',
  valid: [
    npyBytes(
      '<f4',
      [2, 3, 150],
      Array.from({ length: 900 }, (_, i) => i / 7),
    ),
    npyBytes('<i8', [4], [0, 59, 3, 7]),
    npyBytes('<f8', [3], [0.5, -1, 1e10]),
    npyBytes('<i4', [2, 2], [1, -2, 3, -4]),
  ],
  parse: (bytes) => {
    const arr = data.parseNpy(bytes, NAME);
    if (arr.descr.startsWith('<i')) data.npyToInt32(arr, NAME, -(2 ** 31), 2 ** 31 - 1);
  },
  structured: (gen) => {
    const descr = ['<f4', '<f8', '<i4', '<i8', '>f4', '|u1', '<c8'][gen.int(7)]!;
    const dims = Array.from({ length: gen.int(5) }, () =>
      gen.random() < 0.3 ? gen.nextUint32() * 1000 : gen.int(4),
    );
    const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
    const order = gen.random() < 0.1 ? 'True' : 'False';
    const header =
      `{'descr': '${descr}', 'fortran_order': ${order}, 'shape': ${shape}, }`.padEnd(118) + '\n';
    const out = new Uint8Array(10 + header.length + gen.int(40));
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1 + gen.int(3), 0]);
    new DataView(out.buffer).setUint16(8, header.length, true);
    for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
    return out;
  },
};

// ---- a user's sequences: JSON Lines, long-form CSV, .npy (x, labels, lengths) ----

/** What training and prediction do with a parsed set: target, encoded labels, standardisation, a batch. */
function useSequences(set: data.SequenceSet): void {
  const labelled = set.labels ? set : set.stepLabels ? data.stepLabelView(set) : null;
  if (labelled) {
    for (const kind of ['auto', 'classify', 'regress'] as const) {
      try {
        const { spec } = data.inferTarget(labelled, kind);
        data.encodeTargets(labelled, spec);
      } catch (e) {
        if (!(e instanceof IndrnnError && e.message.includes(NAME))) throw e;
      }
    }
  }
  const st = data.fitStandardization(set.sequences, set.features);
  const seqs = set.sequences.map((q) => data.standardize(q, st));
  const b = data.sequenceBatch(seqs, set.features, Int32Array.from({ length: Math.min(4, seqs.length) }, (_, i) => i));
  assert.equal(b.x.shape[2], set.features);
}

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const smallWaves = waves(3, 21, { minLen: 2, maxLen: 4 });
const regressWaves = waves(2, 22, { labels: 'regress', minLen: 1, maxLen: 3 });

const sequencesJsonl: Target = {
  name: 'sequences JSON Lines',
  valid: [
    enc(toJsonl(smallWaves)),
    enc(toJsonl(regressWaves)),
    enc('{"x": [1, 2.5, -3], "y": [0.5, 1], "id": "a"}\n{"x": [4], "y": [1, 2]}\n'),
    enc(toJsonl(smallWaves, { labels: false })),
    enc(toJsonl(waves(2, 25, { labels: 'steps', minLen: 1, maxLen: 3 }))),
  ],
  text: true,
  // half the cases (by length) read "y" as one label per step
  parse: (bytes) => useSequences(data.parseSequencesJsonl(bytes, NAME, { perStep: (bytes.length & 1) === 1 })),
};

const sequencesCsv: Target = {
  name: 'sequences CSV',
  valid: [
    enc(toCsv(smallWaves)),
    enc(toCsv(waves(2, 23, { labels: 'numeric', minLen: 1, maxLen: 3 }))),
    enc('who,"a, b",label\r\n"s""1",1e-3,"x y"\r\ns2,-2,z\r\n"s""1",3,"x y"\r\n'),
    enc(toCsv(smallWaves, { labels: false })),
  ],
  text: true,
  parse: (bytes) => {
    const text = new TextDecoder().decode(bytes);
    const idCol = text.startsWith('who') ? 'who' : 'id';
    // half the cases (by length) read each row's label as its step's
    useSequences(parseSequencesCsv(bytes, NAME, { idCol, perStep: (bytes.length & 1) === 1 }));
  },
};

const npyWaves = toNpy(waves(3, 24, { labels: 'numeric', minLen: 2, maxLen: 4 }));
/** Each fuzzed array in each role: the sequences, their labels, their lengths (with valid companions). */
const sequencesNpy: Target = {
  name: 'sequences .npy',
  valid: [npyWaves.x, npyWaves.y, npyWaves.lengths, npyBytes('<f8', [2, 3], [1, 2, 3, 4, 5, 6]), npyBytes('<f4', [3, 2], [0.5, 1, 2, 3, 4, 5]), toNpy(waves(3, 24, { labels: 'steps-numeric', minLen: 2, maxLen: 4 })).y],
  parse: (bytes) => {
    const named = { bytes, name: NAME };
    let ok = 0;
    for (const inputs of [
      { x: named },
      { x: { bytes: npyWaves.x, name: 'x.npy' }, labels: named },
      { x: { bytes: npyWaves.x, name: 'x.npy' }, lengths: named },
      // labels of each step, [N, T]
      { x: { bytes: npyWaves.x, name: 'x.npy' }, labels: named, lengths: { bytes: npyWaves.lengths, name: 'len.npy' }, perStep: true },
    ].filter((_, role) => role < 3 || (bytes.length & 1) === 1)) {
      try {
        useSequences(data.parseSequencesNpy(inputs));
        ok++;
      } catch (e) {
        if (!(e instanceof IndrnnError && e.message.includes(NAME))) throw e;
      }
    }
    if (ok === 0) data.parseSequencesNpy({ x: named }); // rejected in every role: report it as rejected
  },
  structured: (gen) => npyBytes(['<f4', '<f8', '<i4', '<i8'][gen.int(4)]!, Array.from({ length: 1 + gen.int(3) }, () => gen.int(4)), []).subarray(0, 128),
};

// ---- serialization: safetensors, model files, checkpoints ----

manualSeed(1);
const fuzzModel = buildModel({ kind: 'sequence', outputSize: 2, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 3, numLayers: 1, bn: 'frame' } });
const fuzzModelFiles = serializeModel(fuzzModel);

const safetensors: Target = {
  name: 'safetensors',
  valid: [
    encodeSafetensors([['a', randn([3, 2])], ['b', tensor(Int32Array.from([1, 2]), [2], 'int32')]], { k: 'v' }),
    fuzzModelFiles.weights,
  ],
  parse: (bytes) => deserializeModel(fuzzModelFiles.config, bytes, { config: `${NAME}.json`, weights: NAME }),
  structured: (gen) => {
    const entry = {
      dtype: ['F32', 'F64', 'I32', 'BF16', 7][gen.int(5)],
      shape: [gen.int(4), gen.random() < 0.2 ? gen.nextUint32() : gen.int(3)],
      data_offsets: [gen.int(8), gen.random() < 0.2 ? gen.nextUint32() : gen.int(64)],
    };
    const header = new TextEncoder().encode(JSON.stringify({ x: entry }));
    const out = new Uint8Array(8 + header.length + gen.int(64));
    new DataView(out.buffer).setBigUint64(0, BigInt(gen.random() < 0.2 ? gen.nextUint32() : header.length), true);
    out.set(header, 8);
    return out;
  },
};

const modelConfig: Target = {
  name: 'model config',
  valid: [new TextEncoder().encode(fuzzModelFiles.config)],
  text: true,
  parse: (bytes) => deserializeModel(new TextDecoder().decode(bytes), fuzzModelFiles.weights, { config: NAME, weights: `${NAME}.safetensors` }),
};

/** A minimal task so a Trainer (and so a real checkpoint) can be built without data. */
function fuzzTask(): Task {
  manualSeed(2);
  const model = buildModel({ kind: 'sequence', outputSize: 1, encoder: { type: 'indrnn', inputSize: 1, hiddenSize: 2, numLayers: 1 } });
  const x = randn([3, 2, 1]);
  return {
    name: 'fuzz', model, monitor: { metric: 'val_loss', mode: 'min' }, notes: [],
    trainLoss: () => ({ loss: (model as { forward(x: unknown): ReturnType<typeof randn> }).forward(x).square().mean() }),
    evaluate: () => ({ val_loss: 0 }),
    getState: () => ({ json: { k: 1 } }),
    setState: () => {},
  };
}
const fuzzTrainer = new Trainer(fuzzTask(), { steps: 2, evalEvery: 0, optimizer: 'adam', lr: 1e-3, weightDecay: 0, gradClip: 0, gradNorm: 0, schedule: 'none', decayFactor: 0.1 });
fuzzTrainer.trainStep();
void Adam;

const checkpoint: Target = {
  name: 'checkpoint',
  valid: [encodeCheckpoint({ any: 'config' }, fuzzTrainer, 1)],
  parse: (bytes) => {
    const ckpt = decodeCheckpoint(bytes, NAME);
    restoreTrainer(new Trainer(fuzzTask(), fuzzTrainer.options), ckpt);
  },
};

describe('data parsers under fuzzing: parse or IndrnnError, never anything else', () => {
  let total = 0;
  for (const [target, seed] of [
    [safetensors, 6],
    [modelConfig, 7],
    [checkpoint, 8],
    [idxRaw, 1],
    [idxGzip, 2],
    [text, 3],
    [skeleton, 4],
    [npy, 5],
    [sequencesJsonl, 9],
    [sequencesCsv, 10],
    [sequencesNpy, 11],
  ] as const) {
    it(`${target.name}`, (t) => {
      const s = fuzz(target, seed);
      total += s.cases;
      t.diagnostic(
        `${target.name}: ${s.cases} cases, ${s.parsed} parsed, ${s.rejected} rejected with IndrnnError, slowest ${s.maxMs.toFixed(1)} ms`,
      );
      assert.ok(
        s.parsed > 0 && s.rejected > 0,
        `${target.name}: expected both outcomes, got ${s.parsed} parsed / ${s.rejected} rejected`,
      );
    });
  }

  it('Vocabulary.fromJSON on random JSON values', () => {
    const gen = new Generator(6);
    const leaf = (): unknown => [null, 1, 'a', true, [], {}, 'indrnn.vocabulary', 1.5][gen.int(8)];
    for (let k = 0; k < 300; k++) {
      const value: Record<string, unknown> = {};
      if (gen.random() < 0.8) value.format = gen.random() < 0.7 ? 'indrnn.vocabulary' : leaf();
      if (gen.random() < 0.8) value.version = gen.random() < 0.7 ? 1 : leaf();
      if (gen.random() < 0.8)
        value.tokens =
          gen.random() < 0.5
            ? Array.from({ length: gen.int(5) }, () =>
                gen.random() < 0.8 ? String(gen.int(4)) : leaf(),
              )
            : leaf();
      try {
        data.Vocabulary.fromJSON(gen.random() < 0.05 ? leaf() : value);
      } catch (e) {
        assert.ok(
          e instanceof IndrnnError,
          `fromJSON(${JSON.stringify(value)}) threw ${(e as Error).name}: ${(e as Error).message}`,
        );
      }
      total++;
    }
    assert.ok(total >= 3000, `only ${total} fuzz cases ran; expected a few thousand`);
  });
});
