/**
 * A preset's settings for a model family: the task's preset, then what it sets for the sequence length
 * (the --seq-len given, if any), then what it sets for the family (the papers tune growth rate,
 * dropouts and patience per architecture), then the user's flags.
 */
import type { ModelFamily, PresetName, Settings } from './settings.js';
import type { TaskDefinition } from './task-definition.js';

export function presetSettings(def: TaskDefinition, preset: PresetName, model?: ModelFamily, seqLen?: number): Settings {
  const base = def.presets[preset];
  const family = model ?? base.model;
  const forLength = def.presetForLength?.(preset, seqLen ?? base.seqLen) ?? {};
  return { ...base, ...forLength, model: family, ...(def.modelPresets?.[preset]?.[family] ?? {}) };
}
