/** Where the `export` and `import` commands find a saved model or a model config. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IndrnnError, parseModelConfig, type ModelConfig } from 'indrnn';
import { MODEL_CONFIG_FILE, RUN_FILES } from 'indrnn/node';

/** A model directory (model.json + model.safetensors), or a run directory's model/. */
export function modelDirOf(target: string): string {
  if (!fs.existsSync(target)) throw new IndrnnError(`${target} does not exist (give a run directory or a model directory holding ${MODEL_CONFIG_FILE})`);
  if (!fs.statSync(target).isDirectory()) throw new IndrnnError(`${target} is a file; give a run directory or a model directory holding ${MODEL_CONFIG_FILE}`);
  if (fs.existsSync(path.join(target, MODEL_CONFIG_FILE))) return target;
  const inRun = path.join(target, RUN_FILES.model);
  if (fs.existsSync(path.join(inRun, MODEL_CONFIG_FILE))) return inRun;
  throw new IndrnnError(`${target} is neither a model directory (no ${MODEL_CONFIG_FILE}) nor a run directory with a finished model (no ${path.join(RUN_FILES.model, MODEL_CONFIG_FILE)})`);
}

/** A model config from model.json (or a directory holding one), or a bare {"kind": ...} config file. */
export function readModelConfig(target: string): ModelConfig {
  let file = target;
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) file = path.join(modelDirOf(target), MODEL_CONFIG_FILE);
  if (!fs.existsSync(file)) throw new IndrnnError(`--config ${target} does not exist`);
  const text = fs.readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new IndrnnError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (parsed && typeof parsed === 'object' && 'kind' in parsed) return parsed as ModelConfig;
  return parseModelConfig(text, file);
}
