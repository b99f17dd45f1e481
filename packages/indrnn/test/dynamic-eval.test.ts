/**
 * Dynamic evaluation (Krause et al. 2018) on a small language model: on text whose statistics
 * shifted away from the training text, adapting the weights while scoring lowers the perplexity;
 * the trained weights are back in place afterwards.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Adam, Generator, buildModel, data, dynamicEvaluate, manualSeed, noGrad, ops, setBackend, tidy,
  type LanguageModel, type Tensor,
} from '../src/index.js';

const V = 12;

/** A stream from a first-order Markov chain: after token a comes (a + step) mod V most of the time. */
function markovText(n: number, step: number, gen: Generator): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 1; i < n; i++) ids[i] = gen.random() < 0.85 ? (ids[i - 1]! + step) % V : gen.int(V);
  return ids;
}

/** Mean cross-entropy of the stream with the weights fixed, batch 1 and carried state (as dynamic eval scores). */
function staticLoss(model: LanguageModel, ids: Int32Array, window: number): number {
  model.eval();
  let total = 0;
  let tokens = 0;
  let states: Tensor[] | null = null;
  for (const w of new data.BpttIterator(data.batchify(ids, 1), { seqLen: window })) {
    states = tidy(() => noGrad(() => {
      const out = model.forward(w.input, { states });
      total += ops.softmaxCrossEntropy(out.logits, w.target).item() * w.length;
      return out.states;
    }));
    tokens += w.length;
  }
  return total / tokens;
}

describe('dynamic evaluation', () => {
  it('lowers the perplexity of shifted text and restores the trained weights', (t) => {
    setBackend('reference');
    manualSeed(11);
    const gen = new Generator(5);
    const train = markovText(6000, 1, gen);
    const shifted = markovText(1500, 3, gen); // the same tokens, a different successor rule
    const model = buildModel({
      kind: 'lm', vocabSize: V, embedSize: 8,
      encoder: { type: 'indrnn', inputSize: 8, hiddenSize: 24, numLayers: 1, uBound: 0.99 },
    }) as LanguageModel;
    const opt = new Adam(model.parameters(), { lr: 1e-2 });
    const it = new data.BpttIterator(data.batchify(train, 16), { seqLen: 20 });
    model.train();
    for (let step = 0; step < 120; step++) {
      const w = it.next() ?? it.next()!;
      tidy(() => {
        opt.zeroGrad();
        ops.softmaxCrossEntropy(model.forward(w.input).logits, w.target).backward();
        opt.step({ gradClip: 10 });
      });
    }
    const trainedWeights = model.parameters().map((p) => Float32Array.from(p.data()));
    const onTrain = staticLoss(model, train.subarray(0, 1500), 20);
    const before = staticLoss(model, shifted, 20);
    assert.ok(onTrain < Math.log(V) * 0.6, `the model learned the training text (loss ${onTrain.toFixed(3)} vs uniform ${Math.log(V).toFixed(3)})`);
    const dyn = dynamicEvaluate(model, shifted, train, { lr: 2e-4, decay: 0.01, windowLength: 20, statTokens: 3000, statBatchSize: 16 });
    assert.equal(dyn.tokens, shifted.length - 1);
    const [pplStatic, pplDynamic] = [Math.exp(before), Math.exp(dyn.loss)];
    t.diagnostic(`shifted text: static ppl ${pplStatic.toFixed(3)}, dynamic ppl ${pplDynamic.toFixed(3)} (training text ${Math.exp(onTrain).toFixed(3)})`);
    assert.ok(pplDynamic < 0.8 * pplStatic, `dynamic evaluation lowers perplexity on shifted text: ${pplDynamic.toFixed(2)} vs static ${pplStatic.toFixed(2)}`);
    model.parameters().forEach((p, i) => assert.deepEqual(Float32Array.from(p.data()), trainedWeights[i], `weights of ${i} restored`));
    assert.equal(staticLoss(model, shifted, 20), before, 'static evaluation is unchanged afterwards');
  });
});
