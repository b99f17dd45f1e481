/**
 * The papers' presets per architecture (checked against the authors' run scripts, see the comments
 * in src/experiments): the dropouts reach the layers they name, and a standard PTB folder (word and
 * char files side by side) gives char-lm the char files.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Dropout, buildModel, setBackend, type DenseIndRNN, type LanguageModel, type ResidualIndRNN, type SequenceModel } from '../src/index.js';
import { getTask, presetSettings } from '../src/node.js';

/** Dropout rates by module path. */
function rates(model: { namedModules(): Iterable<[string, unknown]> }): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, m] of model.namedModules()) if (m instanceof Dropout) out.set(name, m.p);
  return out;
}

describe('paper presets per model family', () => {
  setBackend('reference');

  it('NTU dense-IndRNN: k = 48 and the five dropouts of run_dense*.sh (0.5 / 0.5 / 0.1 / 0.3 / 0.3)', () => {
    const def = getTask('ntu');
    const s = presetSettings(def, 'paper', 'dense-indrnn');
    assert.equal(s.growth, 48);
    const model = buildModel(def.modelConfig(s)) as SequenceModel;
    assert.equal(model.numParameters(), 2_314_428);
    const r = rates(model);
    const enc = model.encoder as DenseIndRNN;
    assert.equal(r.get('encoder.drop0'), 0.5, 'after the first layer');
    assert.equal(r.get('encoder.blocks.0.0.drop2'), 0.5, 'after a dense layer');
    assert.equal(r.get('encoder.blocks.2.3.drop1'), 0.1, 'after a bottleneck');
    assert.equal(r.get('encoder.transitions.0.drop'), 0.3, 'after a transition');
    assert.equal(r.get(`encoder.transitions.${enc.transitions.length - 1}.drop`), 0.3, 'after the last transition');
    assert.equal(presetSettings(def, 'paper', 'res-indrnn').patience, 150, 'res: pThre 150');
    assert.equal(presetSettings(def, 'paper').growth, 16, 'the plain preset is untouched');
  });

  it('MNIST dense-IndRNN: 0.2 first and dense, 0.1 bottleneck and transitions', () => {
    const def = getTask('mnist');
    const r = rates(buildModel(def.modelConfig(presetSettings(def, 'paper', 'dense-indrnn'))) as SequenceModel);
    assert.deepEqual([r.get('encoder.drop0'), r.get('encoder.blocks.1.2.drop2'), r.get('encoder.blocks.1.2.drop1'), r.get('encoder.transitions.2.drop')], [0.2, 0.2, 0.1, 0.1]);
  });

  it('word PTB: res drops 0.5 after its last layer and nothing inside the output layer; dense 0.5 / 0.1 / 0.4', () => {
    const def = getTask('word-lm');
    const res = buildModel(def.modelConfig({ ...presetSettings(def, 'paper'), vocabSize: 50, hidden: 16, embedSize: 8 })) as LanguageModel;
    let r = rates(res);
    assert.equal(r.get('encoder.dropLast'), 0.5, 'dropout_last after IndRNNwithBN_resfinal');
    assert.equal(r.get('encoder.blocks.0.drop1'), 0.45);
    assert.equal(r.get('outputLayer.drop'), 0, 'last_fc → last_indrnn → extra_bn has no dropout of its own');
    assert.equal(r.get('outDrop'), 0.65, 'dropout_extrafc');
    assert.equal(r.get('wordDrop'), 0.65);
    assert.equal((res.encoder as ResidualIndRNN).blocks.length, 5);
    const s = presetSettings(def, 'paper', 'dense-indrnn');
    assert.equal(s.bnGammaInit, 0.1, '--small_normini');
    r = rates(buildModel(def.modelConfig({ ...s, vocabSize: 50, growth: 4 })) as LanguageModel);
    assert.deepEqual([r.get('encoder.blocks.0.0.drop2'), r.get('encoder.blocks.0.0.drop1'), r.get('encoder.transitions.0.drop'), r.get('outDrop')], [0.5, 0.1, 0.4, 0.65]);
  });

  it('char-lm takes the char files of a PTB folder that also holds the word files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-ptb-'));
    const words = 'the cat sat on the mat\na dog ran in the park\n'.repeat(40);
    for (const split of ['train', 'valid', 'test']) {
      fs.writeFileSync(path.join(dir, `ptb.${split}.txt`), words);
      fs.writeFileSync(path.join(dir, `ptb.char.${split}.txt`), words.replace(/./g, (c) => (c === '\n' ? '\n' : c === ' ' ? ' _ ' : `${c} `)));
    }
    const char = getTask('char-lm');
    const s = { ...presetSettings(char, 'quick'), dataDir: dir, hidden: 8, embedSize: 8, layers: 1 };
    const task = char.create(s);
    assert.match(task.notes[0]!, /^ptb-char PTB from /);
    const word = getTask('word-lm');
    assert.match(word.create({ ...presetSettings(word, 'quick'), dataDir: dir, hidden: 8, embedSize: 8 }).notes[0]!, /^ptb-word PTB from /);
  });
});
