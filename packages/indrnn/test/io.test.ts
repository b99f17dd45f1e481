/** Save/load: safetensors round trips, models rebuild bit-exactly, corrupt input is named. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildModel, decodeSafetensors, deserializeModel, encodeSafetensors, manualSeed, noGrad, randn, serializeModel, tensor,
  Generator, IndrnnError, type ModelConfig, type SequenceModel, type LanguageModel,
} from '../src/index.js';
import { loadModel, saveModel } from '../src/io/files.js';

const configs: [string, ModelConfig][] = [
  ['plain IndRNN with frame-wise BN', { kind: 'sequence', outputSize: 3, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 5, numLayers: 2, bn: 'frame', dropout: 0.1 } }],
  ['residual', { kind: 'sequence', outputSize: 3, encoder: { type: 'res-indrnn', inputSize: 2, hiddenSize: 5, numBlocks: 2, bn: 'sequence' } }],
  ['dense', { kind: 'sequence', outputSize: 3, encoder: { type: 'dense-indrnn', inputSize: 2, growthRate: 2, blockConfig: [2, 2] } }],
  ['bidirectional LSTM', { kind: 'sequence', outputSize: 3, encoder: { type: 'bidirectional', encoder: { type: 'lstm', inputSize: 2, hiddenSize: 4 } } }],
  ['tied language model', { kind: 'lm', vocabSize: 9, embedSize: 4, tieWeights: true, encoder: { type: 'indrnn', inputSize: 4, hiddenSize: 4, numLayers: 2 } }],
];

function run(model: SequenceModel | LanguageModel): Float32Array {
  model.eval();
  return noGrad(() => {
    if (model.config.kind === 'lm') {
      const ids = tensor(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [4, 2], 'int32');
      return (model as LanguageModel).forward(ids).logits.data() as Float32Array;
    }
    return (model as SequenceModel).forward(randn([6, 3, 2], { generator: new Generator(3) })).data() as Float32Array;
  });
}

describe('model save and load', () => {
  for (const [name, config] of configs) {
    it(`${name}: load(save(model)) gives bit-identical outputs`, () => {
      manualSeed(1);
      const model = buildModel(config);
      // train-mode forward moves BN running statistics away from their initial values
      if (config.kind === 'sequence') (model as SequenceModel).forward(randn([6, 3, 2], { generator: new Generator(4) }));
      const expected = run(model);
      const { config: text, weights } = serializeModel(model);
      manualSeed(999); // a different init, fully overwritten by the load
      const loaded = deserializeModel(text, weights);
      assert.deepEqual(run(loaded), expected);
      assert.deepEqual([...loaded.stateDict().keys()], [...model.stateDict().keys()]);
    });
  }

  it('saves to a directory and loads back (Node helpers)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-io-'));
    manualSeed(2);
    const model = buildModel(configs[0]![1]);
    saveModel(dir, model);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'model.safetensors']);
    assert.deepEqual(run(loadModel(dir)), run(model));
    fs.rmSync(dir, { recursive: true });
  });

  it('parameter names are stable and documented', () => {
    manualSeed(1);
    const names = [...buildModel(configs[0]![1]).stateDict().keys()];
    assert.deepEqual(names.slice(0, 7), [
      'encoder.layers.0.proj.weight', 'encoder.layers.0.proj.bias', 'encoder.layers.0.rec.weightHh',
      'encoder.layers.0.rec.norm.weight', 'encoder.layers.0.rec.norm.bias', 'encoder.layers.1.proj.weight', 'encoder.layers.1.proj.bias',
    ]);
    assert.ok(names.includes('encoder.layers.0.rec.norm.runningMean'));
  });
});

describe('safetensors', () => {
  it('round-trips float32, float64 and int32 with metadata', () => {
    const a = randn([2, 3]);
    const b = tensor(Float64Array.from([1.5, -2.25]), [2], 'float64');
    const c = tensor(Int32Array.from([7, -1, 3]), [3, 1], 'int32');
    const bytes = encodeSafetensors([['a', a], ['b', b], ['c', c]], { note: 'x' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + headerLen) % 8, 0, 'data section is 8-byte aligned');
    const { tensors, metadata } = decodeSafetensors(bytes);
    assert.deepEqual(metadata, { note: 'x' });
    assert.deepEqual(tensors.get('a')!.toArray(), a.toArray());
    assert.deepEqual(tensors.get('b')!.toArray(), [1.5, -2.25]);
    assert.equal(tensors.get('c')!.dtype, 'int32');
    assert.deepEqual(tensors.get('c')!.shape, [3, 1]);
  });

  it('names the problem in truncated, corrupt or inconsistent files', () => {
    const good = encodeSafetensors([['w', randn([4, 4])]]);
    assert.throws(() => decodeSafetensors(good.subarray(0, 5), 'w.safetensors'), /w\.safetensors: 5 bytes is too short/);
    assert.throws(() => decodeSafetensors(good.subarray(0, good.length - 3), 'w.safetensors'), /tensor 'w' data ends at byte \d+, past the end of the file/);
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    assert.throws(() => decodeSafetensors(huge, 'w.safetensors'), /header length 1099511627776 at offset 0 exceeds/);
    const badJson = good.slice();
    badJson[9] = 0x7b; // '{' breaks the JSON
    assert.throws(() => decodeSafetensors(badJson, 'w.safetensors'), /not valid UTF-8 JSON/);
    const header = JSON.stringify({ w: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } });
    const bytes = new Uint8Array(8 + header.length + 2);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    assert.throws(() => decodeSafetensors(bytes, 'x'), /tensor 'w' has dtype "BF16"; supported: F32, F64, I32/);
  });

  it('refuses weights that do not fit the config, naming the tensor', () => {
    manualSeed(1);
    const model = buildModel(configs[0]![1]);
    const { config } = serializeModel(model);
    const other = serializeModel(buildModel({ kind: 'sequence', outputSize: 3, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 6, numLayers: 2, bn: 'frame' } }));
    assert.throws(() => deserializeModel(config, other.weights), (e: unknown) =>
      e instanceof IndrnnError && /encoder\.hiddenSize is 5, but 'encoder\.layers\.0\.proj\.weight' in model weights has shape \[6, 2\] \(expected 5 on axis 0\); the config does not match the weights/.test(e.message));
    assert.throws(() => deserializeModel('{"format":"indrnn-model","version":99,"config":{}}', other.weights), /format version 99 is not supported/);
  });
});
