/**
 * Bad arguments get an IndrnnError naming the argument (never a TypeError or RangeError from deep
 * inside), and sizes too large to allocate fail naming the flag before anything is allocated.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IndrnnError, buildModel, manualSeed, tensor, zeros, randn, type SequenceModel, type LanguageModel } from '../src/index.js';
import { getTask, presetSettings, saveModel, loadModel, validateSettings, checkSettingsFit } from '../src/node.js';

function throwsWith(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IndrnnError, `expected an IndrnnError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe('library arguments', () => {
  it('shapes must be non-negative integers', () => {
    throwsWith(() => tensor(new Float32Array(6), [-2, -3]), /tensor: shape \[-2,-3\] has -2 at axis 0; every dimension must be an integer >= 0/);
    throwsWith(() => tensor(new Float32Array(6), [1.5, 4]), /tensor: shape \[1.5,4\] has 1.5 at axis 0/);
    throwsWith(() => zeros([2, -1]), /zeros: shape \[2,-1\] has -1 at axis 1/);
    throwsWith(() => randn([3, 0.5]), /randn: shape \[3,0.5\] has 0.5 at axis 1/);
    throwsWith(() => tensor(null as unknown as number[]), /tensor: values must be a typed array or a \(nested\) array of numbers, got null/);
  });

  it('sequences with no time steps, and inputs that are not tensors, name the argument', () => {
    manualSeed(3);
    const m = buildModel({ kind: 'sequence', outputSize: 1, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 4, numLayers: 2 } }) as SequenceModel;
    throwsWith(() => m.forward(zeros([0, 3, 2])), /SequenceModel\.forward: x has 0 time steps \(shape \[0, 3, 2\]\); a sequence needs T >= 1/);
    throwsWith(() => m.forward(null as unknown as ReturnType<typeof zeros>), /SequenceModel\.forward: x must be a Tensor time-major \[T, B, F\], got null/);
    throwsWith(() => m.encoder.forward(zeros([0, 3, 2])), /PlainIndRNN\.forward: x has 0 time steps/);
    const lm = buildModel({ kind: 'lm', vocabSize: 10, embedSize: 4, encoder: { type: 'indrnn', inputSize: 4, hiddenSize: 4, numLayers: 1 } }) as LanguageModel;
    throwsWith(() => lm.forward(tensor(new Int32Array(0), [0, 2], 'int32')), /LanguageModel\.forward: ids has 0 time steps/);
    throwsWith(() => lm.forward(undefined as unknown as ReturnType<typeof zeros>), /LanguageModel\.forward: ids must be a Tensor int32 \[T, B\], got undefined/);
  });

  it('loadModel checks the config against the weights before building the model', () => {
    manualSeed(4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-load-'));
    saveModel(dir, buildModel({ kind: 'sequence', outputSize: 1, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 16, numLayers: 2 } }));
    const file = path.join(dir, 'model.json');
    const original = fs.readFileSync(file, 'utf8');
    const edit = (from: string, to: string): void => fs.writeFileSync(file, original.replace(from, to));
    // 15000 wide would be a 900 MB model: refused from the weights' shapes, before any allocation
    edit('"hiddenSize": 16', '"hiddenSize": 15000');
    const before = process.memoryUsage().arrayBuffers;
    throwsWith(() => loadModel(dir), /model\.json: encoder\.hiddenSize is 15000, but 'encoder\.layers\.0\.proj\.weight' in .*model\.safetensors has shape \[16, 2\] \(expected 15000 on axis 0\); the config does not match the weights/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 50e6, 'no large model was allocated');
    edit('"numLayers": 2', '"numLayers": 300');
    throwsWith(() => loadModel(dir), /encoder\.numLayers is 300, but .* has no tensor 'encoder\.layers\.299\.proj\.weight'/);
    edit('"outputSize": 1', '"outputSize": 7');
    throwsWith(() => loadModel(dir), /outputSize is 7, but 'head\.weight' .* has shape \[1, 16\]/);
    fs.writeFileSync(file, original);
    assert.equal(loadModel(dir).numParameters(), buildModel(JSON.parse(original).config).numParameters());
  });
});

describe('settings that train or measure nothing, or cannot be allocated', () => {
  const adding = getTask('adding');
  const quick = presetSettings(adding, 'quick');

  it('a learning rate of 0 is refused', () => {
    throwsWith(() => validateSettings({ ...quick, lr: 0 }), /lr must be a number > 0 \(a learning rate of 0 trains nothing\), got 0/);
  });

  it('the adding problem needs two steps and at least one held-out sequence', () => {
    throwsWith(() => adding.create({ ...quick, seqLen: 1 }), /adding: --seq-len must be at least 2/);
    throwsWith(() => adding.create({ ...quick, evalSize: 0 }), /adding: --eval-size must be at least 1: .* \(NaN\)/);
  });

  it('sizes too large for a tensor name the flag and the size', () => {
    const fit = (s: typeof quick): number => checkSettingsFit(s, adding.modelConfig(s));
    throwsWith(() => fit({ ...quick, hidden: 100000 }), /--hidden 100000 makes the model too large: a layer's input weights would be 100,000 × 100,000 = 1\.00e\+10 values/);
    throwsWith(() => fit({ ...quick, seqLen: 100_000_000 }), /--seq-len 100000000 with --batch-size 50 makes a batch too large/);
    throwsWith(() => fit({ ...quick, batchSize: 100_000_000 }), /--seq-len 100 with --batch-size 100000000 makes a batch too large: .* reduce --seq-len or --batch-size/);
    const ntu = presetSettings(getTask('ntu'), 'paper', 'dense-indrnn');
    throwsWith(() => checkSettingsFit({ ...ntu, growth: 5000 }, getTask('ntu').modelConfig({ ...ntu, growth: 5000 })), /--growth 5000 with --block-config 8,6,4 makes the model too large/);
    assert.ok(fit(quick) > 16000, 'the quick model fits and is counted');
  });
});
