/**
 * Node-only file helpers: atomic writes (temporary file in the same directory, fsync, rename) so a
 * crash never leaves a half-written file, and model save/load to a directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Model } from '../nn/models.js';
import { deserializeModel, serializeModel } from './model.js';
import { fail } from '../util/errors.js';

/** Writes data to file atomically: readers see the old file or the new one, never a partial one. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export const MODEL_CONFIG_FILE = 'model.json';
export const MODEL_WEIGHTS_FILE = 'model.safetensors';

/** Saves model.json and model.safetensors into dir. */
export function saveModel(dir: string, model: Model): void {
  const { config, weights } = serializeModel(model);
  writeFileAtomic(path.join(dir, MODEL_WEIGHTS_FILE), weights);
  writeFileAtomic(path.join(dir, MODEL_CONFIG_FILE), config);
}

/** Loads a model saved by saveModel. */
export function loadModel(dir: string): Model {
  const configPath = path.join(dir, MODEL_CONFIG_FILE);
  const weightsPath = path.join(dir, MODEL_WEIGHTS_FILE);
  for (const f of [configPath, weightsPath]) {
    if (!fs.existsSync(f)) fail(`loadModel: ${f} does not exist (a saved model directory holds ${MODEL_CONFIG_FILE} and ${MODEL_WEIGHTS_FILE})`);
  }
  return deserializeModel(fs.readFileSync(configPath, 'utf8'), new Uint8Array(fs.readFileSync(weightsPath)), {
    config: configPath,
    weights: weightsPath,
  });
}
