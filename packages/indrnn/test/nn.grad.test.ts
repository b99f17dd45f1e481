/**
 * Finite-difference gradient checks for every layer type, in float64 on the reference backend:
 * loss = Σ output · w with fixed random w, checked against central differences for every parameter
 * and the input.
 */
import { describe, it } from 'node:test';
import {
  Generator, manualSeed, buildModel, buildEncoder, LanguageModel, BatchNorm, Linear,
  type EncoderConfig, type Tensor,
} from '../src/index.js';
import { assertGradcheck, int32, rnd64 } from './helpers.js';

const T = 5;
const B = 3;

/** Gradchecks an encoder config on random input; dropout masks are re-drawn from the same seed each call. */
function checkEncoder(config: EncoderConfig, opts: { lengths?: number[]; states?: boolean } = {}): void {
  manualSeed(3);
  // nonzero biases keep relu pre-activations away from the kink at 0 (dropped rows would sit on it)
  const cfg = config.type === 'lstm' || config.type === 'rnn' || config.type === 'bidirectional'
    ? config
    : { ...config, biasInit: { kind: 'normal' as const, std: 0.5 } };
  const enc = buildEncoder(cfg).to('float64');
  const gen = new Generator(11);
  const x = rnd64([T, B, enc.inputSize], gen, 1, 0.3);
  const lengths = opts.lengths ? int32(opts.lengths) : null;
  const probe = enc.forward(x);
  const states = opts.states ? probe.states.map((s) => rnd64([...s.shape], gen, 0.5, 0.2)) : null;
  assertGradcheck(() => {
    manualSeed(99); // same dropout masks on every evaluation
    const r = enc.forward(x, { lengths, states });
    return [r.output, ...r.states];
  }, [x, ...enc.parameters(), ...(states ?? [])], { maxPerTensor: 40 });
}

describe('gradcheck: IndRNN layers', () => {
  for (const act of ['relu', 'tanh', 'identity'] as const) {
    it(`plain 2-layer IndRNN, ${act}, with initial states`, () =>
      checkEncoder({ type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 2, activation: act, uBound: 1.2 }, { states: true }));
  }
  it('plain IndRNN with variable lengths', () =>
    checkEncoder({ type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 2 }, { lengths: [5, 2, 1] }));
  for (const bn of ['sequence', 'frame'] as const) {
    for (const pos of ['before', 'after'] as const) {
      it(`BN ${bn}-wise ${pos} the recurrence`, () =>
        checkEncoder({ type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 2, bn, bnPosition: pos }));
      // two sequences run every step: a frame-wise step of one sequence normalises to exactly β = 0,
      // which puts relu on its kink (no derivative to check there)
      it(`BN ${bn}-wise ${pos} the recurrence, variable lengths (statistics over valid steps)`, () =>
        checkEncoder({ type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 2, bn, bnPosition: pos }, { lengths: [5, 2, 5] }));
    }
  }
  it('dropout with a fixed time-shared mask', () =>
    checkEncoder({ type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 2, dropout: 0.3 }));
  it('residual IndRNN (2 pre-activation blocks, BN, dropout)', () =>
    checkEncoder({ type: 'res-indrnn', inputSize: 3, hiddenSize: 4, numBlocks: 2, bn: 'sequence', dropout: 0.2 }, { states: true }));
  it('dense IndRNN (k=2, blocks [2, 1], BN, dropouts)', () =>
    checkEncoder({
      type: 'dense-indrnn', inputSize: 3, growthRate: 2, blockConfig: [2, 1], firstSize: 4, bn: 'sequence',
      dropout: 0.2, dropoutFirst: 0.1, dropoutBottleneck: 0.1, dropoutTransition: 0.1,
    }, { states: true }));
});

describe('gradcheck: baselines and wrappers', () => {
  it('LSTM, 2 layers, with initial states and lengths', () =>
    checkEncoder({ type: 'lstm', inputSize: 3, hiddenSize: 4, numLayers: 2, forgetBias: 1 }, { states: true, lengths: [5, 3, 1] }));
  it('RNN tanh and IRNN relu', () => {
    checkEncoder({ type: 'rnn', inputSize: 3, hiddenSize: 4, numLayers: 2 }, { states: true });
    checkEncoder({ type: 'rnn', inputSize: 3, hiddenSize: 4, irnn: true });
  });
  it('conv IndRNN with BN per channel and lengths (positions share their sequence\'s length)', () =>
    checkEncoder({ type: 'conv-indrnn', inputShape: [3, 2], channels: [2], bn: 'frame', bnPosition: 'before' }, { lengths: [5, 1, 5] }));
  it('bidirectional IndRNN with lengths', () =>
    checkEncoder({ type: 'bidirectional', encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 1 } }, { lengths: [5, 4, 2] }));
  it('classification head on the last valid step', () => {
    manualSeed(5);
    const model = buildModel({ kind: 'sequence', outputSize: 3, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 4, numLayers: 1 } }).to('float64');
    const x = rnd64([T, B, 2], new Generator(1), 1, 0.3);
    assertGradcheck(() => (model as { forward(x: Tensor, o: object): Tensor }).forward(x, { lengths: int32([5, 2, 3]) }), [x, ...model.parameters()]);
  });
  it('language model with weight tying, word and embedding dropout', () => {
    manualSeed(6);
    const lm = new LanguageModel({
      kind: 'lm', vocabSize: 7, embedSize: 4, tieWeights: true, dropoutWords: 0.2, dropoutEmbedding: 0.2, dropoutOutput: 0.1,
      encoder: { type: 'indrnn', inputSize: 4, hiddenSize: 4, numLayers: 2, bn: 'frame', bnPosition: 'before' },
    }).to('float64');
    const ids = int32([0, 3, 6, 1, 2, 2, 5, 4, 3, 0, 1, 6], [4, 3]);
    assertGradcheck(() => {
      manualSeed(42);
      return lm.forward(ids).logits;
    }, lm.parameters());
  });
});

describe('gradcheck: single modules', () => {
  it('Linear and BatchNorm (eval mode, running statistics)', () => {
    manualSeed(8);
    const lin = new Linear(3, 4).to('float64');
    const bn = new BatchNorm(4, { mode: 'frame', maxPositions: 8 }).to('float64');
    const x = rnd64([T, B, 3], new Generator(2));
    bn.forward(lin.forward(x)); // populate running stats in training mode
    bn.eval();
    assertGradcheck(() => bn.forward(lin.forward(x), 2), [x, ...lin.parameters(), ...bn.parameters()]);
  });
});
