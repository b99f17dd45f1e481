/**
 * Model-level agreement: the same models (same seed, same weights) on the reference and wasm
 * backends give the same loss and the same gradient for every parameter, through the whole
 * stack (GEMM projections, BN, the fused scans, heads and losses).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  buildModel,
  Generator,
  manualSeed,
  ops,
  referenceBackend,
  tensor,
  type Backend,
  type Model,
  type ModelConfig,
  type Tensor,
} from 'indrnn';
import { assertModelStepMatchesReference, MODEL_CHECK_CASES, PADDING_CHECK_CASES, assertPaddingInvariant } from 'indrnn/testing';
import { initWasm } from '../src/index.js';
import { assertClose, ints, randn, wasm } from './helpers.js';

const T = 11;
const B = 5;
const F = 3;

/** Builds the model twice from one seed: one copy per backend. */
function twins(config: ModelConfig): [Model, Model] {
  const make = (b: Backend): Model => {
    manualSeed(7);
    return buildModel(config).to('float32', b);
  };
  return [make(referenceBackend()), make(wasm)];
}

/** Loss and gradients of every parameter, by name. */
function lossAndGrads(
  model: Model,
  loss: (m: Model, b: Backend) => Tensor,
): { loss: number; grads: Map<string, Float32Array> } {
  model.train();
  model.zeroGrad();
  const backend = model.parameters()[0]!.backend;
  const l = loss(model, backend);
  l.backward();
  const grads = new Map<string, Float32Array>();
  for (const [name, p] of model.namedParameters()) {
    assert.ok(p.grad, `parameter ${name} got no gradient`);
    grads.set(name, Float32Array.from(p.grad.data()));
  }
  return { loss: l.item(), grads };
}

function assertTwinsAgree(config: ModelConfig, loss: (m: Model, b: Backend) => Tensor): void {
  const [onRef, onWasm] = twins(config);
  const want = lossAndGrads(onRef, loss);
  const got = lossAndGrads(onWasm, loss);
  assert.equal(onWasm.parameters()[0]!.backend.name, 'wasm');
  assertClose([got.loss], [want.loss], { atol: 1e-6, rtol: 1e-5 }, 'loss');
  assert.deepEqual([...got.grads.keys()], [...want.grads.keys()]);
  const largest = (g: Float32Array): number => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const overall = Math.max(...[...want.grads.values()].map(largest));
  for (const [name, g] of want.grads) {
    // relative to the largest entry of this gradient, with a floor relative to the whole model's:
    // a bias just before BN has an exactly-zero gradient, which both backends round to ~1e-6 noise
    const atol = 1e-4 * largest(g) + 2e-5 * overall;
    assertClose(got.grads.get(name)!, g, { atol, rtol: 1e-4 }, `grad of ${name}`);
  }
}

describe('wasm backend: whole models agree with the reference', () => {
  const gen = new Generator(99);
  const x = randn(gen, T * B * F);
  const labels = ints(gen, B, 0, 4);

  it('2-layer IndRNN classifier with sequence-wise BN: loss and every parameter gradient', () => {
    const config: ModelConfig = {
      kind: 'sequence',
      outputSize: 4,
      encoder: {
        type: 'indrnn',
        inputSize: F,
        hiddenSize: 13,
        numLayers: 2,
        bn: 'sequence',
        seqLen: T,
        lastLayerInit: true,
      },
    };
    assertTwinsAgree(config, (m, b) => {
      const logits = (m as Extract<Model, { head: unknown }>).forward(
        tensor(x, [T, B, F], 'float32', b),
      );
      return ops.softmaxCrossEntropy(logits, tensor(labels, [B], 'int32', b));
    });
  });

  it('IndRNN regression with variable lengths (masked steps) and tanh', () => {
    const lengths = Int32Array.from([T, 1, 6, T, 3]);
    const y = randn(gen, B);
    const config: ModelConfig = {
      kind: 'sequence',
      outputSize: 1,
      encoder: {
        type: 'indrnn',
        inputSize: F,
        hiddenSize: 6,
        numLayers: 2,
        activation: 'tanh',
        seqLen: T,
      },
    };
    assertTwinsAgree(config, (m, b) => {
      const model = m as Extract<Model, { head: unknown }>;
      const pred = model.forward(tensor(x, [T, B, F], 'float32', b), {
        lengths: tensor(lengths, [B], 'int32', b),
      });
      return ops.mseLoss(pred, tensor(y, [B, 1], 'float32', b));
    });
  });

  it('LSTM regression: loss and every parameter gradient', () => {
    const y = randn(gen, B);
    const config: ModelConfig = {
      kind: 'sequence',
      outputSize: 1,
      encoder: { type: 'lstm', inputSize: F, hiddenSize: 7, numLayers: 2, forgetBias: 1 },
    };
    assertTwinsAgree(config, (m, b) => {
      const pred = (m as Extract<Model, { head: unknown }>).forward(
        tensor(x, [T, B, F], 'float32', b),
      );
      return ops.mseLoss(pred, tensor(y, [B, 1], 'float32', b));
    });
  });

  it('character language model with frame-wise BN and an embedding', () => {
    const V = 17;
    const ids = ints(gen, T * B, 0, V);
    const targets = ints(gen, T * B, 0, V);
    const config: ModelConfig = {
      kind: 'lm',
      vocabSize: V,
      embedSize: 8,
      encoder: {
        type: 'indrnn',
        inputSize: 8,
        hiddenSize: 12,
        numLayers: 2,
        bn: 'frame',
        bnPosition: 'before',
        uBound: 0.99,
      },
    };
    assertTwinsAgree(config, (m, b) => {
      const { logits } = (m as Extract<Model, { embedding: unknown }>).forward(
        tensor(ids, [T, B], 'int32', b),
      );
      return ops.softmaxCrossEntropy(logits, tensor(targets, [T, B], 'int32', b));
    });
  });
});

describe('wasm backend: the shared whole-model cases (indrnn/testing) match the reference', () => {
  before(async () => {
    await initWasm();
  });
  for (const c of MODEL_CHECK_CASES) {
    it(c.name, () => assertModelStepMatchesReference('wasm', c.config, c.shape, { sgdSteps: 3 }));
  }
});

// padding invariance (issue 13): padded steps change no valid output, gradient or running statistic,
// in training and eval mode
describe('wasm backend: padding invariance, outputs, gradients and running statistics (atol 1e-5)', () => {
  before(async () => {
    await initWasm();
  });
  for (const c of PADDING_CHECK_CASES) it(c.name, () => assertPaddingInvariant('wasm', c, 1e-5));
});
