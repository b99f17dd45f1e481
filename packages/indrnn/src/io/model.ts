/**
 * Model serialization: weights as safetensors plus a JSON config that rebuilds the model exactly.
 * Parameter names are the dotted module paths (see ARCHITECTURE.md), stable across versions.
 */
import { buildModel, type Model, type ModelConfig } from '../nn/models.js';
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

/** Rebuilds a model from its config text and safetensors bytes; names and shapes must match exactly. */
export function deserializeModel(configText: string, weights: Uint8Array, sources = { config: 'model config', weights: 'model weights' }): Model {
  const config = parseModelConfig(configText, sources.config);
  let model: Model;
  try {
    model = buildModel(config);
  } catch (e) {
    fail(`${sources.config}: invalid model config: ${(e as Error).message}`);
  }
  const { tensors } = decodeSafetensors(weights, sources.weights);
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    fail(`${sources.weights}: does not fit the config in ${sources.config}: ${(e as Error).message}`);
  }
  return model;
}
