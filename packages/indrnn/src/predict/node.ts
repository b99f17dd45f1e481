/**
 * Loads a sequences model for prediction (Node): from a run directory (its `model/`) or a model
 * directory, which must hold the model (model.json, model.safetensors) and its sequences.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, MODEL_CONFIG_FILE } from '../io/files.js';
import { fail } from '../util/errors.js';
import { parseSequenceSpec, SEQUENCE_SPEC_FILE } from '../data/sequences/spec.js';
import { SequencePredictor } from './predictor.js';

/** The model directory of a run directory, or `dir` itself when it holds a model. */
export function modelDirOf(dir: string): string {
  if (!fs.existsSync(dir)) fail(`${dir}: no such run or model directory`);
  if (fs.existsSync(path.join(dir, MODEL_CONFIG_FILE))) return dir;
  const inRun = path.join(dir, 'model');
  if (fs.existsSync(path.join(inRun, MODEL_CONFIG_FILE))) return inRun;
  if (fs.existsSync(path.join(dir, 'config.json'))) {
    fail(`${dir}: the run has no trained model yet (model/ is written at the first validation that improves, and at the end)`);
  }
  return fail(`${dir}: neither a run directory (with model/) nor a model directory (with ${MODEL_CONFIG_FILE})`);
}

export function loadSequencePredictor(dir: string): SequencePredictor {
  const modelDir = modelDirOf(dir);
  const specFile = path.join(modelDir, SEQUENCE_SPEC_FILE);
  if (!fs.existsSync(specFile)) {
    fail(`${modelDir}: no ${SEQUENCE_SPEC_FILE}, so this model was not trained by \`indrnn train sequences\`; predict reads the models of that task`);
  }
  const spec = parseSequenceSpec(fs.readFileSync(specFile, 'utf8'), specFile);
  return new SequencePredictor(loadModel(modelDir), spec, modelDir);
}
