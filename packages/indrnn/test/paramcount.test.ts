/** Parameter counts must equal the authors' logged figures (Linear W+b, u, BN γ+β). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, type EncoderConfig } from '../src/index.js';

function count(encoder: EncoderConfig, classes: number): number {
  return buildModel({ kind: 'sequence', encoder, outputSize: classes }).numParameters();
}

const bn = { bn: 'sequence' as const };

describe('parameter counts match the papers\' logs', () => {
  const cases: [string, EncoderConfig, number, number][] = [
    ['pixel-MNIST plain 6×128', { type: 'indrnn', inputSize: 1, hiddenSize: 128, numLayers: 6, ...bn }, 10, 86_410],
    ['pixel-MNIST plain 12×128', { type: 'indrnn', inputSize: 1, hiddenSize: 128, numLayers: 12, ...bn }, 10, 187_786],
    ['pixel-MNIST residual 5 blocks ×128', { type: 'res-indrnn', inputSize: 1, hiddenSize: 128, numBlocks: 5, ...bn }, 10, 170_890],
    ['pixel-MNIST dense k=16 (8,6,4)', { type: 'dense-indrnn', inputSize: 1, growthRate: 16, blockConfig: [8, 6, 4], ...bn }, 10, 256_514],
    ['NTU plain 4×512', { type: 'indrnn', inputSize: 150, hiddenSize: 512, numLayers: 4, ...bn }, 60, 902_204],
    ['NTU plain 6×512', { type: 'indrnn', inputSize: 150, hiddenSize: 512, numLayers: 6, ...bn }, 60, 1_430_588],
    ['NTU residual 5 blocks ×512', { type: 'res-indrnn', inputSize: 150, hiddenSize: 512, numBlocks: 5, ...bn }, 60, 2_751_548],
    ['NTU dense k=48 (8,6,4)', { type: 'dense-indrnn', inputSize: 150, growthRate: 48, blockConfig: [8, 6, 4], ...bn }, 60, 2_314_428],
  ];
  for (const [name, enc, classes, expected] of cases) {
    it(`${name} = ${expected.toLocaleString('en-US')}`, () => assert.equal(count(enc, classes), expected));
  }
  it('paper formula for a 2-layer IndRNN without BN: M·N + N·N + 4N (+ head)', () => {
    const M = 2;
    const N = 128;
    const enc: EncoderConfig = { type: 'indrnn', inputSize: M, hiddenSize: N, numLayers: 2 };
    assert.equal(count(enc, 1), M * N + N * N + 4 * N + (N + 1));
  });
  it('LSTM 4(M·N + N·N + N) and RNN M·N + N·N + N', () => {
    assert.equal(count({ type: 'lstm', inputSize: 2, hiddenSize: 128 }, 1) - 129, 4 * (2 * 128 + 128 * 128 + 128));
    assert.equal(count({ type: 'rnn', inputSize: 2, hiddenSize: 128 }, 1) - 129, 2 * 128 + 128 * 128 + 128);
  });
});

describe('language-model parameter counts match the authors\' PTB logs', () => {
  const lm = (encoder: EncoderConfig, extra: object) => buildModel({
    kind: 'lm', vocabSize: 10000, embedSize: 600, tieWeights: true, encoder, ...extra,
  }).numParameters();
  const out = { outputLayer: { bn: 'frame' as const, bnPosition: 'before' as const }, outputNorm: true };
  it('word-PTB residual, 5 blocks × 2000, embedding 600, tied = 48,501,600', () => {
    assert.equal(lm({ type: 'res-indrnn', inputSize: 600, hiddenSize: 2000, numBlocks: 5, bn: 'frame', bnPosition: 'before' }, out), 48_501_600);
  });
  it('word-PTB dense, k = 256, blocks (8,6,4), tied = 51,655,712', () => {
    assert.equal(lm({ type: 'dense-indrnn', inputSize: 600, growthRate: 256, blockConfig: [8, 6, 4], firstSize: 0, addLastLayer: false, bn: 'frame', bnPosition: 'before' }, out), 51_655_712);
  });
});
