/**
 * Model serialization: weights as safetensors plus a JSON config that rebuilds the model exactly.
 * Parameter names are the dotted module paths (see ARCHITECTURE.md), stable across versions.
 */
import { buildModel, type EncoderConfig, type Model, type ModelConfig } from '../nn/models.js';
import type { Tensor } from '../tensor/tensor.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { fail } from '../util/errors.js';

export const MODEL_FORMAT = 'indrnn-model';
export const MODEL_FORMAT_VERSION = 1;

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: number;
  config: ModelConfig;
}

export function serializeModel(model: Model): { config: string; weights: Uint8Array } {
  const file: ModelFile = { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, config: model.config };
  const weights = encodeSafetensors(model.stateDict(), { format: MODEL_FORMAT, version: String(MODEL_FORMAT_VERSION) });
  return { config: JSON.stringify(file, null, 2) + '\n', weights };
}

/** Parses and validates a model config file's text. */
export function parseModelConfig(text: string, source = 'model config'): ModelConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const f = parsed as Partial<ModelFile>;
  if (!f || typeof f !== 'object' || f.format !== MODEL_FORMAT) fail(`${source}: not an indrnn model config (expected "format": "${MODEL_FORMAT}")`);
  if (f.version !== MODEL_FORMAT_VERSION) fail(`${source}: format version ${String(f.version)} is not supported (this library reads version ${MODEL_FORMAT_VERSION})`);
  if (!f.config || typeof f.config !== 'object') fail(`${source}: missing "config" object`);
  return f.config;
}

/**
 * Checks the sizes a config gives against the weights before the model is built, so an edited or
 * mismatched config fails naming the field instead of first allocating a model of the wrong size
 * (hiddenSize 15000 for 128-wide weights built 940 MB before the shape error).
 */
function checkConfigAgainstWeights(config: ModelConfig, tensors: Map<string, Tensor>, sources: { config: string; weights: string }): void {
  const expect = (field: string, value: unknown, name: string, axis: number, want: unknown): void => {
    const t = tensors.get(name);
    if (!t) fail(`${sources.config}: ${field} is ${JSON.stringify(value)}, but ${sources.weights} has no tensor '${name}'; the config does not belong to these weights`);
    if (t.shape[axis] !== want) {
      fail(`${sources.config}: ${field} is ${JSON.stringify(value)}, but '${name}' in ${sources.weights} has shape [${t.shape.join(', ')}] (expected ${String(want)} on axis ${axis}); the config does not match the weights`);
    }
  };
  const absent = (field: string, value: unknown, name: string): void => {
    if (tensors.has(name)) fail(`${sources.config}: ${field} is ${JSON.stringify(value)}, but ${sources.weights} also holds '${name}'; the config does not match the weights`);
  };
  if (!config || typeof config !== 'object') return; // buildModel names the problem
  const e = (config as { encoder?: EncoderConfig }).encoder;
  if (config.kind === 'lm') {
    expect('vocabSize', config.vocabSize, 'embedding.weight', 0, config.vocabSize);
    expect('embedSize', config.embedSize, 'embedding.weight', 1, config.embedSize);
  }
  if (!e || typeof e !== 'object') return;
  switch (e.type) {
    case 'indrnn': {
      const n = e.numLayers;
      expect('encoder.hiddenSize', e.hiddenSize, 'encoder.layers.0.proj.weight', 0, e.hiddenSize);
      expect('encoder.inputSize', e.inputSize, 'encoder.layers.0.proj.weight', 1, e.inputSize);
      if (Number.isInteger(n) && n >= 1) {
        expect('encoder.numLayers', n, `encoder.layers.${n - 1}.proj.weight`, 0, e.hiddenSize);
        absent('encoder.numLayers', n, `encoder.layers.${n}.proj.weight`);
      }
      break;
    }
    case 'res-indrnn':
      expect('encoder.hiddenSize', e.hiddenSize, 'encoder.fc0.weight', 0, e.hiddenSize);
      expect('encoder.inputSize', e.inputSize, 'encoder.fc0.weight', 1, e.inputSize);
      if (Number.isInteger(e.numBlocks) && e.numBlocks >= 1) {
        expect('encoder.numBlocks', e.numBlocks, `encoder.blocks.${e.numBlocks - 1}.fc1.weight`, 0, e.hiddenSize);
      }
      absent('encoder.numBlocks', e.numBlocks, `encoder.blocks.${e.numBlocks}.fc1.weight`);
      break;
    case 'dense-indrnn':
      expect('encoder.growthRate', e.growthRate, 'encoder.blocks.0.0.fc2.weight', 0, e.growthRate);
      break;
    case 'lstm':
    case 'rnn': {
      const g = e.type === 'lstm' ? 4 : 1;
      expect('encoder.hiddenSize', e.hiddenSize, 'encoder.layers.0.weightHh', 1, e.hiddenSize);
      expect('encoder.inputSize', e.inputSize, 'encoder.layers.0.weightIh', 1, e.inputSize);
      expect('encoder.hiddenSize', e.hiddenSize, 'encoder.layers.0.weightIh', 0, g * e.hiddenSize);
      const n = e.numLayers ?? 1;
      if (Number.isInteger(n) && n >= 1) absent('encoder.numLayers', n, `encoder.layers.${n}.weightIh`);
      break;
    }
    default:
      break; // conv and bidirectional: loadStateDict checks every shape (their sizes are small)
  }
  if (config.kind === 'sequence') expect('outputSize', config.outputSize, 'head.weight', 0, config.outputSize);
}

/** Rebuilds a model from its config text and safetensors bytes; names and shapes must match exactly. */
export function deserializeModel(configText: string, weights: Uint8Array, sources = { config: 'model config', weights: 'model weights' }): Model {
  const config = parseModelConfig(configText, sources.config);
  const { tensors } = decodeSafetensors(weights, sources.weights);
  checkConfigAgainstWeights(config, tensors, sources);
  let model: Model;
  try {
    model = buildModel(config);
  } catch (e) {
    fail(`${sources.config}: invalid model config: ${(e as Error).message}`);
  }
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    fail(`${sources.weights}: does not fit the config in ${sources.config}: ${(e as Error).message}`);
  }
  return model;
}
