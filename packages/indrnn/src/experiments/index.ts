/** The experiments of the papers, by task name (Node-only: the real data sets are read from disk). */
import { addingTask } from './adding.js';
import { fashionMnistTask, mnistTask, pmnistTask } from './mnist.js';
import { charLmTask, wordLmTask } from './textlm.js';
import { ntuTaskDefinition } from './ntu.js';
import { sequencesTaskDefinition } from './sequences.js';
import type { TaskDefinition } from './task-definition.js';
import { fail } from '../util/errors.js';

export const TASKS: Record<string, TaskDefinition> = {
  adding: addingTask,
  mnist: mnistTask,
  pmnist: pmnistTask,
  'fashion-mnist': fashionMnistTask,
  'char-lm': charLmTask,
  'word-lm': wordLmTask,
  ntu: ntuTaskDefinition,
  sequences: sequencesTaskDefinition,
};

export function getTask(name: string): TaskDefinition {
  const t = TASKS[name];
  if (!t) fail(`unknown task '${name}'; available tasks: ${Object.keys(TASKS).join(', ')}`);
  return t;
}

export { BASE_SETTINGS, MODEL_FAMILIES, encoderFromSettings, trainOptionsFromSettings, validateSettings, type Settings, type ModelFamily, type PresetName } from './settings.js';
export type { TaskDefinition } from './task-definition.js';
export { DEFAULT_SEQUENCE_SETTINGS, HELD_OUT_FRACTION, prepareSequenceData, sequenceModelConfig, type SequenceSettings } from './sequences.js';
export { presetSettings } from './presets.js';
export { activeStages, describeCurriculum, formatCurriculum, parseCurriculum, trainingLength, type CurriculumStage } from './curriculum.js';
