/**
 * The model of a run for its report: the trained weights from `<runDir>/model/` when they exist,
 * otherwise only a layer summary rebuilt from the config. A damaged model directory does not stop
 * the report; it says what went wrong instead.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../io/files.js';
import { buildModel, type Model, type ModelConfig } from '../nn/models.js';
import { RUN_FILES } from '../train/run.js';
import { defaultGenerator } from '../util/random.js';

export type LoadedRunModel =
  | { trained: true; model: Model; summary: string }
  | { trained: false; problem: string; summary: string };

/**
 * Runs fn without moving the global random generator: building a model draws its initial
 * weights, and a report written in the middle of a seeded program must not change what follows.
 */
function keepingGlobalRandomState<T>(fn: () => T): T {
  const state = defaultGenerator().getState();
  try {
    return fn();
  } finally {
    defaultGenerator().setState(state);
  }
}

function summaryFromConfig(config: ModelConfig): string {
  try {
    return keepingGlobalRandomState(() => buildModel(config).toString());
  } catch (e) {
    return `(the model config could not be built: ${(e as Error).message})`;
  }
}

export function loadRunModel(runDir: string, config: ModelConfig): LoadedRunModel {
  const dir = path.join(runDir, RUN_FILES.model);
  if (!fs.existsSync(dir)) {
    const problem =
      `No trained weights yet: ${RUN_FILES.model}/ is written at the first validation ` +
      `that improves on the best result, and this run has none.`;
    return { trained: false, problem, summary: summaryFromConfig(config) };
  }
  try {
    const model = keepingGlobalRandomState(() => loadModel(dir));
    return { trained: true, model, summary: model.toString() };
  } catch (e) {
    // any failure (bad JSON, short safetensors, unreadable file) is reported, not fatal
    const problem = `The saved model in ${dir} could not be loaded: ${(e as Error).message}`;
    return { trained: false, problem, summary: summaryFromConfig(config) };
  }
}
