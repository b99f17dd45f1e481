/** Layers, encoders and models. */
export { Module, ModuleList, Parameter, parameter, castTo } from './module.js';
export { recalibrateBatchNorm } from './recalibrate.js';
export { Linear, Embedding, BatchNorm, Dropout, type LinearOptions, type BatchNormOptions, type BatchNormMode } from './layers.js';
export { Encoder, reverseSequences, type EncodeOptions, type EncodeResult } from './encoder.js';
export {
  IndRecurrent, IndRNNLayer, PlainIndRNN, ResidualIndRNN, ResidualBlock, DenseIndRNN, DenseLayer, TransitionLayer,
  applyRecurrentConstraints, recurrentBounds, boundFromOptions,
  type IndRecurrentOptions, type IndRNNStackOptions, type PlainIndRNNConfig, type ResidualIndRNNConfig,
  type DenseIndRNNConfig, type BnMode, type BnPosition,
} from './indrnn.js';
export { LSTM, LSTMLayer, RNN, RNNLayer, Bidirectional, type LSTMConfig, type RNNConfig } from './rnn.js';
export {
  SequenceModel, LanguageModel, buildModel, buildEncoder, lastValidStep, ENCODER_TYPES,
  type SequenceModelConfig, type LanguageModelConfig, type ModelConfig, type Model, type EncoderConfig,
  type BidirectionalConfig,
} from './models.js';
export { ConvIndRNN, ConvIndRNNLayer, ConvProjection, type ConvIndRNNConfig } from './conv.js';
