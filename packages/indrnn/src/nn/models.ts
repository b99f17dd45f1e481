/**
 * Whole models: an encoder with a last-step head (classification or regression) or a per-step
 * language-model head, and the JSON configs that rebuild them exactly (see io/).
 */
import { Module, parameter, type Parameter } from './module.js';
import { BatchNorm, Dropout, Embedding, Linear } from './layers.js';
import { Bidirectional, LSTM, RNN, type LSTMConfig, type RNNConfig } from './rnn.js';
import {
  DenseIndRNN, IndRNNLayer, PlainIndRNN, ResidualIndRNN,
  type DenseIndRNNConfig, type IndRNNStackOptions, type PlainIndRNNConfig, type ResidualIndRNNConfig,
} from './indrnn.js';
import { Encoder, checkSequenceArg, type EncodeOptions } from './encoder.js';
import { ConvIndRNN, type ConvIndRNNConfig } from './conv.js';
import type { InitSpec } from '../init/init.js';
import { gatherRows, toTimeMajor } from '../ops/layout.js';
import { dropoutMask } from '../ops/normalization.js';
import { assertFinite } from '../ops/normalization.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { fail, fmtShape, checkInt, checkNumber } from '../util/errors.js';

export interface BidirectionalConfig {
  type: 'bidirectional';
  encoder: EncoderConfig;
}

export type EncoderConfig =
  | PlainIndRNNConfig
  | ResidualIndRNNConfig
  | DenseIndRNNConfig
  | LSTMConfig
  | RNNConfig
  | ConvIndRNNConfig
  | BidirectionalConfig;

export const ENCODER_TYPES = ['indrnn', 'res-indrnn', 'dense-indrnn', 'conv-indrnn', 'lstm', 'rnn', 'bidirectional'] as const;

export function buildEncoder(config: EncoderConfig): Encoder {
  if (!config || typeof config !== 'object') fail(`buildEncoder: config must be an object, got ${JSON.stringify(config)}`);
  switch (config.type) {
    case 'indrnn':
      return new PlainIndRNN(config);
    case 'res-indrnn':
      return new ResidualIndRNN(config);
    case 'dense-indrnn':
      return new DenseIndRNN(config);
    case 'conv-indrnn':
      return new ConvIndRNN(config);
    case 'lstm':
      return new LSTM(config);
    case 'rnn':
      return new RNN(config);
    case 'bidirectional':
      return new Bidirectional(config, buildEncoder(config.encoder), buildEncoder(config.encoder));
    default:
      fail(`buildEncoder: unknown encoder type ${JSON.stringify((config as { type: unknown }).type)}; expected one of ${ENCODER_TYPES.join(', ')}`);
  }
}

export interface SequenceModelConfig {
  kind: 'sequence';
  encoder: EncoderConfig;
  /** Classes (classification) or targets (regression) read from the last step. */
  outputSize: number;
  /** Init of the head's weight (default PyTorch's Linear init). */
  headInit?: InitSpec;
  /**
   * Inputs are batch-first [B, T, F], as most users' data is, instead of time-major [T, B, F]
   * (default false). The model converts once (ops.toTimeMajor) and runs time-major inside; lengths
   * stay [B] and the output stays [B, outputSize].
   */
  batchFirst?: boolean;
}

/**
 * Encoder + Linear head on the last valid step of each sequence: [T, B, F] (or [B, T, F] with
 * batchFirst) → [B, outputSize]. Used for the adding problem (regression), sequential MNIST and NTU
 * (classification), and users' own sequences.
 */
export class SequenceModel extends Module {
  readonly encoder: Encoder;
  readonly head: Linear;
  readonly batchFirst: boolean;

  constructor(readonly config: SequenceModelConfig) {
    super();
    if (config.batchFirst !== undefined && typeof config.batchFirst !== 'boolean') {
      fail(`SequenceModel: batchFirst must be true or false, got ${JSON.stringify(config.batchFirst)}`);
    }
    this.batchFirst = config.batchFirst ?? false;
    this.encoder = this.registerModule('encoder', buildEncoder(config.encoder));
    const out = checkInt('SequenceModel', 'outputSize', config.outputSize, 1);
    this.head = this.registerModule('head', new Linear(this.encoder.outputSize, out, config.headInit ? { weightInit: config.headInit, biasInit: { kind: 'constant', value: 0 } } : {}));
  }

  /**
   * x: [T, B, F] ([B, T, F] with batchFirst); lengths: int32 [B] (optional): steps past a
   * sequence's length are padding and change no output. Returns [B, outputSize].
   */
  forward(x: Tensor, opts: EncodeOptions = {}): Tensor {
    checkSequenceArg('SequenceModel.forward', 'x', x, 3, 'time-major [T, B, F]');
    assertFinite('SequenceModel input', x);
    if (this.batchFirst && x.rank !== 3) fail(`SequenceModel: input must be batch-first [B, T, F] (batchFirst is set), got ${fmtShape(x.shape)}`);
    const { output } = this.encoder.forward(this.batchFirst ? toTimeMajor(x) : x, opts);
    return this.head.forward(lastValidStep(output, opts.lengths ?? null));
  }
}

/** output[len_b - 1, b] for every b (or the last step when lengths is null): [B, H]. */
export function lastValidStep(output: Tensor, lengths: Tensor | null): Tensor {
  const [T, B, H] = output.shape as [number, number, number];
  if (!lengths) return output.slice([T - 1, 0, 0], [1, B, H]).reshape([B, H]);
  const lens = lengths.data();
  const idx = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const len = lens[b]!;
    if (len < 1 || len > T) fail(`lastValidStep: lengths[${b}] = ${len} must be in [1, ${T}]`);
    idx[b] = (len - 1) * B + b;
  }
  return gatherRows(output.reshape([T * B, H]), tensor(idx, [B], 'int32', output.backend));
}

export interface LanguageModelConfig {
  kind: 'lm';
  vocabSize: number;
  embedSize: number;
  encoder: EncoderConfig;
  /** Decoder shares the embedding matrix (needs the output width to equal embedSize). */
  tieWeights?: boolean;
  /**
   * A last IndRNN layer (Linear + recurrence, with these options) mapping the encoder output to
   * embedSize before the decoder: the authors' last_fc + last_indrnn (or the dense net's extra
   * transition), which weight tying needs when the encoder is wider than the embedding.
   */
  outputLayer?: IndRNNStackOptions & { dropout?: number };
  /** Frame-wise BN after the output layer (the authors' extra_bn when BN sits before recurrences). */
  outputNorm?: boolean;
  /** Time-shared dropout on the embedded input (the authors' dropout_words). */
  dropoutWords?: number;
  /** Row dropout on the embedding matrix (AWD-LSTM embedded_dropout). */
  dropoutEmbedding?: number;
  /** Time-shared dropout before the decoder (dropout_extrafc). */
  dropoutOutput?: number;
  embeddingInit?: InitSpec;
}

/** Embedding → encoder → per-step decoder (optionally tied): ids [T, B] → logits [T, B, V]. */
export class LanguageModel extends Module {
  readonly embedding: Embedding;
  readonly encoder: Encoder;
  readonly outputLayer: IndRNNLayer | null;
  readonly outputNorm: BatchNorm | null;
  readonly decoder: Linear | null;
  /** Decoder bias when the decoder weight is tied to the embedding. */
  readonly decoderBias: Parameter | null = null;
  readonly wordDrop: Dropout;
  readonly outDrop: Dropout;

  constructor(readonly config: LanguageModelConfig) {
    super();
    const V = checkInt('LanguageModel', 'vocabSize', config.vocabSize, 1);
    const E = checkInt('LanguageModel', 'embedSize', config.embedSize, 1);
    checkNumber('LanguageModel', 'dropoutEmbedding', config.dropoutEmbedding ?? 0, 0, 0.999);
    this.embedding = this.registerModule('embedding', new Embedding(V, E, config.embeddingInit ?? { kind: 'uniform', low: -0.01, high: 0.01 }));
    this.encoder = this.registerModule('encoder', buildEncoder(config.encoder));
    if (this.encoder.inputSize !== E) fail(`LanguageModel: encoder inputSize ${this.encoder.inputSize} must equal embedSize ${E}`);
    this.outputLayer = config.outputLayer
      ? this.registerModule('outputLayer', new IndRNNLayer(this.encoder.outputSize, E, config.outputLayer))
      : null;
    const width = this.outputLayer ? E : this.encoder.outputSize;
    this.outputNorm = config.outputNorm
      // γ starts at 1 whatever the layers' init: the authors' init loop never matches 'extra_bn'
      ? this.registerModule('outputNorm', new BatchNorm(width, { mode: 'frame', ...config.outputLayer?.bnOptions, gammaInit: 1 }))
      : null;
    if (config.tieWeights) {
      if (width !== E) fail(`LanguageModel: tieWeights needs the output width (${width}) to equal embedSize (${E}); add an outputLayer`);
      this.decoder = null;
      this.decoderBias = this.registerParameter('decoderBias', parameter([V]));
    } else {
      this.decoder = this.registerModule('decoder', new Linear(width, V));
    }
    this.wordDrop = this.registerModule('wordDrop', new Dropout(config.dropoutWords ?? 0));
    this.outDrop = this.registerModule('outDrop', new Dropout(config.dropoutOutput ?? 0));
  }

  /** ids: int32 [T, B]. Returns logits [T, B, V] and the final states (carry them for stateful training). */
  forward(ids: Tensor, opts: EncodeOptions = {}): { logits: Tensor; states: Tensor[] } {
    checkSequenceArg('LanguageModel.forward', 'ids', ids, 2, 'int32 [T, B]');
    if (ids.rank !== 2 || ids.dtype !== 'int32') fail(`LanguageModel: ids must be int32 [T, B], got ${ids.dtype} ${fmtShape(ids.shape)}`);
    const p = this.config.dropoutEmbedding ?? 0;
    // embedding dropout drops whole rows of the table (all occurrences of a word) for this batch
    const w = this.embedding.weight;
    const table = this.training && p > 0 ? w.mul(dropoutMask(w, [this.config.vocabSize, 1], p)) : w;
    const x = this.wordDrop.forward(gatherRows(table, ids, 'embedding'));
    // carried states: the encoder's, then the output layer's (when there is one)
    const carried = opts.states ?? null;
    const enc = this.encoder.forward(x, { ...opts, states: carried && this.outputLayer ? carried.slice(0, -1) : carried });
    let output = enc.output;
    const states = enc.states;
    if (this.outputLayer) {
      const s0 = carried ? carried[carried.length - 1]! : null;
      const last = this.outputLayer.forward(output, s0, opts.lengths ?? null, opts.position ?? 0);
      output = last.output;
      states.push(last.state);
    }
    if (this.outputNorm) output = this.outputNorm.forward(output, opts.position ?? 0, opts.lengths ?? null);
    const h = this.outDrop.forward(output);
    const logits = this.decoder
      ? this.decoder.forward(h)
      : (() => {
          const [T, B, E] = h.shape as [number, number, number];
          return h.reshape([T * B, E]).matmul(this.embedding.weight, false, true).add(this.decoderBias!).reshape([T, B, this.config.vocabSize]);
        })();
    return { logits, states };
  }
}

export type ModelConfig = SequenceModelConfig | LanguageModelConfig;
export type Model = SequenceModel | LanguageModel;

export function buildModel(config: ModelConfig): Model {
  if (!config || typeof config !== 'object') fail(`buildModel: config must be an object, got ${JSON.stringify(config)}`);
  switch (config.kind) {
    case 'sequence':
      return new SequenceModel(config);
    case 'lm':
      return new LanguageModel(config);
    default:
      fail(`buildModel: unknown model kind ${JSON.stringify((config as { kind: unknown }).kind)}; expected 'sequence' or 'lm'`);
  }
}
