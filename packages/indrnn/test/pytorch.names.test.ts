/**
 * PyTorch names: the exact names of both schemes, bit-identical round trips for every model kind,
 * the strict checks on import (missing, unexpected, shape, dtype, both spellings), and ONNX export's
 * refusals of what it cannot express.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildModel, Encoder, exportOnnx, exportPytorchWeights, decodeSafetensorsRaw, pytorchStateDict, stateDictFromPytorch,
  type EncodeOptions, type EncodeResult, type Model, type ModelConfig, type RawTensor, type Tensor,
} from '../src/index.js';
import { makeModel, MODEL_KINDS } from './interop.helpers.js';

const bn = { bn: 'sequence' as const };
const PLAIN: ModelConfig = { kind: 'sequence', outputSize: 2, encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 2, ...bn } };
const RES: ModelConfig = { kind: 'sequence', outputSize: 2, encoder: { type: 'res-indrnn', inputSize: 3, hiddenSize: 4, numBlocks: 2, ...bn } };
const DENSE: ModelConfig = { kind: 'sequence', outputSize: 2, encoder: { type: 'dense-indrnn', inputSize: 3, growthRate: 2, blockConfig: [1, 1], firstSize: 4, ...bn } };

const names = (model: Model, scheme: 'pytorch' | 'authors', authorsCell = false): string[] => [...pytorchStateDict(model, { names: scheme, authorsCell }).keys()];

function bitsEqual(a: Tensor, b: Tensor): boolean {
  const x = a.data();
  const y = b.data();
  return a.shape.join() === b.shape.join() && x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}

describe('authors names', () => {
  it('plain: DIs.i.fc, RNNs.i.indrnn1 / norm1.bn, classifier', () => {
    assert.deepEqual(names(buildModel(PLAIN), 'authors').sort(), [
      'DIs.0.fc.bias', 'DIs.0.fc.weight', 'DIs.1.fc.bias', 'DIs.1.fc.weight',
      'RNNs.0.indrnn1.weight_hh', 'RNNs.0.norm1.bn.bias', 'RNNs.0.norm1.bn.num_batches_tracked', 'RNNs.0.norm1.bn.running_mean', 'RNNs.0.norm1.bn.running_var', 'RNNs.0.norm1.bn.weight',
      'RNNs.1.indrnn1.weight_hh', 'RNNs.1.norm1.bn.bias', 'RNNs.1.norm1.bn.num_batches_tracked', 'RNNs.1.norm1.bn.running_mean', 'RNNs.1.norm1.bn.running_var', 'RNNs.1.norm1.bn.weight',
      'classifier.bias', 'classifier.weight',
    ]);
    assert.ok(names(buildModel(PLAIN), 'authors', true).includes('RNNs.0.indrnn1.indrnn_cell.weight_hh'));
  });

  it('residual: features.fc0.fc, resblock{i}.{IndRNNwithBN1,fc1.fc,IndRNNwithBN2,fc2.fc}, IndRNNwithBN_last', () => {
    const n = new Set(names(buildModel(RES), 'authors'));
    for (const name of ['features.fc0.fc.weight', 'features.resblock1.IndRNNwithBN1.indrnn1.weight_hh', 'features.resblock2.fc2.fc.bias',
      'features.resblock2.IndRNNwithBN2.norm1.bn.running_var', 'features.IndRNNwithBN_last.indrnn1.weight_hh', 'classifier.weight']) {
      assert.ok(n.has(name), `${name} missing from ${[...n].join(', ')}`);
    }
    // fc0 2; per block two recurrences (u + 4 BN tensors + num_batches_tracked) and two linears; last recurrence 6; classifier 2
    assert.equal(n.size, 2 + 2 * (2 * 6 + 2 * 2) + 6 + 2);
  });

  it('dense: fc0 / IndRNNwithBN0, denseblock{b}.denselayer{i}, transition{b}, the last one lastlayer', () => {
    const n = new Set(names(buildModel(DENSE), 'authors'));
    for (const name of ['features.fc0.fc.weight', 'features.IndRNNwithBN0.norm1.bn.weight', 'features.denseblock1.denselayer1.fc1.fc.weight',
      'features.denseblock2.denselayer1.IndRNNwithBN2.indrnn1.weight_hh', 'features.transition1.fc.fc.weight', 'features.transition1.IndRNNwithBN.indrnn1.weight_hh',
      'features.lastlayer.fc.fc.bias', 'features.lastlayer.IndRNNwithBN.norm1.bn.running_mean']) {
      assert.ok(n.has(name), `${name} missing`);
    }
    assert.ok(![...n].some((x) => x.startsWith('features.transition2')), 'the transition after the last block is lastlayer');
  });

  it('reads both spellings of u, and refuses a file that has both', () => {
    for (const authorsCell of [false, true]) {
      const model = makeModelFrom(PLAIN, 3);
      const file = pytorchStateDict(model, { names: 'authors', authorsCell });
      const back = stateDictFromPytorch(buildModel(PLAIN), file, { names: 'authors' });
      assert.ok(bitsEqual(back.get('encoder.layers.1.rec.weightHh')!, model.stateDict().get('encoder.layers.1.rec.weightHh')!));
    }
    const file = pytorchStateDict(makeModelFrom(PLAIN, 3), { names: 'authors' });
    file.set('RNNs.0.indrnn1.indrnn_cell.weight_hh', file.get('RNNs.0.indrnn1.weight_hh')!);
    assert.throws(() => stateDictFromPytorch(buildModel(PLAIN), file, { names: 'authors', source: 'f' }),
      /both 'RNNs\.0\.indrnn1\.weight_hh' and 'RNNs\.0\.indrnn1\.indrnn_cell\.weight_hh' are present/);
  });

  it('refuses models the authors\' classes cannot express, naming the feature', () => {
    const cases: [ModelConfig, RegExp][] = [
      [{ ...PLAIN, encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 2 } }, /encoder\.layers\.0\.rec has no batch norm/],
      [{ ...PLAIN, encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 2, bn: 'frame' } }, /has frame-wise BN; .* use sequence-wise BN/],
      [{ ...PLAIN, encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 1, bn: 'sequence', activation: 'tanh' } }, /uses tanh; the authors' recurrence is relu/],
      [{ ...DENSE, encoder: { type: 'dense-indrnn', inputSize: 3, growthRate: 2, blockConfig: [1], firstSize: 0, ...bn } }, /has no first layer \(firstSize 0\)/],
      [{ kind: 'sequence', outputSize: 2, encoder: { type: 'lstm', inputSize: 3, hiddenSize: 4 } }, /a LSTM encoder has no counterpart/],
      [{ kind: 'lm', vocabSize: 5, embedSize: 3, encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 3, numLayers: 1, ...bn } }, /a LanguageModel has no counterpart/],
    ];
    for (const [config, pattern] of cases) assert.throws(() => exportPytorchWeights(buildModel(config), { names: 'authors' }), pattern);
  });
});

describe('pytorch names', () => {
  it('snake_case paths, BN num_batches_tracked, one torch.nn.LSTM per stack with bias_hh = 0', () => {
    const lstm = buildModel({ kind: 'sequence', outputSize: 2, encoder: { type: 'lstm', inputSize: 3, hiddenSize: 4, numLayers: 2 } });
    const file = pytorchStateDict(lstm, { names: 'pytorch' });
    assert.deepEqual([...file.keys()].sort(), [
      'encoder.bias_hh_l0', 'encoder.bias_hh_l1', 'encoder.bias_ih_l0', 'encoder.bias_ih_l1',
      'encoder.weight_hh_l0', 'encoder.weight_hh_l1', 'encoder.weight_ih_l0', 'encoder.weight_ih_l1', 'head.bias', 'head.weight',
    ]);
    assert.ok(file.get('encoder.bias_hh_l1')!.data.every((b) => b === 0));
    assert.deepEqual(file.get('encoder.weight_ih_l0')!.shape, [16, 3]);
    const res = names(buildModel(RES), 'pytorch');
    for (const n of ['encoder.fc0.weight', 'encoder.blocks.1.rec2.weight_hh', 'encoder.rec_last.norm.running_mean', 'encoder.rec_last.norm.num_batches_tracked']) {
      assert.ok(res.includes(n), `${n} missing`);
    }
    const bi = names(buildModel({ kind: 'sequence', outputSize: 2, encoder: { type: 'bidirectional', encoder: { type: 'rnn', inputSize: 3, hiddenSize: 2 } } }), 'pytorch');
    assert.ok(bi.includes('encoder.fwd.weight_ih_l0') && bi.includes('encoder.bwd.bias_hh_l0'));
    const lm = names(buildModel({ kind: 'lm', vocabSize: 7, embedSize: 3, tieWeights: true, encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 3, numLayers: 1 } }), 'pytorch');
    assert.ok(lm.includes('embedding.weight') && lm.includes('decoder_bias'));
  });
});

describe('round trips', () => {
  for (const kind of MODEL_KINDS) {
    it(`pytorch names, ${kind.name}: export then import is bit-identical`, () => {
      const model = makeModel(kind, 5);
      const bytes = exportPytorchWeights(model, { names: 'pytorch' });
      const back = stateDictFromPytorch(buildModel(kind.config), decodeSafetensorsRaw(bytes).tensors, { names: 'pytorch' });
      for (const [name, t] of model.stateDict()) assert.ok(bitsEqual(back.get(name)!, t), `${name} changed`);
    });
  }
  for (const [label, config] of [['plain', PLAIN], ['residual', RES], ['dense', DENSE]] as const) {
    it(`authors names, ${label}: export then import is bit-identical`, () => {
      const model = makeModelFrom(config, 6);
      const back = stateDictFromPytorch(buildModel(config), decodeSafetensorsRaw(exportPytorchWeights(model, { names: 'authors' })).tensors, { names: 'authors' });
      for (const [name, t] of model.stateDict()) assert.ok(bitsEqual(back.get(name)!, t), `${name} changed`);
    });
  }
});

describe('strict import checks', () => {
  const file = (): Map<string, RawTensor> => pytorchStateDict(makeModelFrom(PLAIN, 7), { names: 'pytorch' });
  const load = (f: Map<string, RawTensor>) => stateDictFromPytorch(buildModel(PLAIN), f, { names: 'pytorch', source: 'w.pth' });

  it('lists every missing and every unexpected tensor in one message', () => {
    const f = file();
    f.delete('head.weight');
    f.delete('encoder.layers.0.proj.bias');
    f.set('extra.thing', f.get('head.bias')!);
    assert.throws(() => load(f), /w\.pth: does not fit the model under 'pytorch' names: missing 2 tensor\(s\): encoder\.layers\.0\.proj\.bias, head\.weight; unexpected 1 tensor\(s\): extra\.thing/);
  });

  it('names a wrong shape with both shapes, and an unsupported dtype', () => {
    const f = file();
    const w = f.get('encoder.layers.0.proj.weight')!;
    f.set('encoder.layers.0.proj.weight', { ...w, shape: [2, 6] });
    f.set('head.bias', { dtype: 'I64', shape: [2], data: new Uint8Array(16) });
    assert.throws(() => load(f), (e: Error) => {
      assert.match(e.message, /'encoder\.layers\.0\.proj\.weight' has shape \[2, 6\] in the file but the model's 'encoder\.layers\.0\.proj\.weight' needs \[4, 3\]/);
      assert.match(e.message, /'head\.bias' has dtype I64; weights must be floating point/);
      return true;
    });
  });

  it('accepts files without num_batches_tracked, and reads F16 / BF16 / F64 weights', () => {
    const f = file();
    for (const k of [...f.keys()]) if (k.endsWith('num_batches_tracked')) f.delete(k);
    const w = f.get('head.weight')!;
    const values = new Float32Array(w.data.buffer.slice(w.data.byteOffset, w.data.byteOffset + w.data.byteLength));
    const f64 = new Float64Array(values);
    f.set('head.weight', { dtype: 'F64', shape: w.shape, data: new Uint8Array(f64.buffer) });
    // 1.5 and -0.25 are exact in half and bfloat16
    f.set('head.bias', { dtype: 'F16', shape: [2], data: Uint8Array.from([0x00, 0x3e, 0x00, 0xb4]) });
    f.set('encoder.layers.1.rec.weight_hh', { dtype: 'BF16', shape: [4], data: Uint8Array.from([0xc0, 0x3f, 0x80, 0xbe, 0x00, 0x00, 0x80, 0x3f]) });
    const back = load(f);
    assert.deepEqual([...back.get('head.weight')!.data()], [...values]);
    assert.deepEqual([...back.get('head.bias')!.data()], [1.5, -0.25]);
    assert.deepEqual([...back.get('encoder.layers.1.rec.weightHh')!.data()], [1.5, -0.25, 0, 1]);
  });
});

describe('ONNX export refuses what it cannot express', () => {
  class CustomEncoder extends Encoder {
    readonly inputSize = 3;
    readonly outputSize = 3;
    readonly config = { type: 'custom' };
    forward(x: Tensor, _opts?: EncodeOptions): EncodeResult {
      return { output: x, states: [] };
    }
  }

  it('names an encoder with no ONNX form', () => {
    const model = buildModel(PLAIN);
    Object.defineProperty(model, 'encoder', { value: new CustomEncoder() });
    assert.throws(() => exportOnnx(model), /exportOnnx: the encoder at 'encoder' \(CustomEncoder\) has no ONNX form yet; supported: indrnn, res-indrnn/);
    const bi = buildModel({ kind: 'sequence', outputSize: 2, encoder: { type: 'bidirectional', encoder: { type: 'rnn', inputSize: 3, hiddenSize: 2 } } });
    Object.defineProperty(bi.encoder, 'bwd', { value: new CustomEncoder() });
    assert.throws(() => exportOnnx(bi), /the encoder at 'encoder\.bwd' \(CustomEncoder\) has no ONNX form yet/);
  });

  it('names a model that is not a SequenceModel or LanguageModel, and a float64 model', () => {
    assert.throws(() => exportOnnx(new CustomEncoder() as unknown as Model), /CustomEncoder has no ONNX form yet/);
    assert.throws(() => exportOnnx(buildModel(PLAIN).to('float64')), /'encoder\.layers\.0\.proj\.weight' is float64; ONNX export writes float32 models/);
    assert.throws(() => exportOnnx(buildModel(PLAIN), { recurrentOps: 'loop' as never }), /recurrentOps must be 'native' or 'scan'/);
  });
});

function makeModelFrom(config: ModelConfig, seed: number): Model {
  return makeModel({ name: 'x', config, lengths: true }, seed);
}


