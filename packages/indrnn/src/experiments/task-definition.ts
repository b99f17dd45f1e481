/** A task the CLI can train: its presets, its model for given settings, and how to build the Task. */
import type { ModelConfig } from '../nn/models.js';
import type { Task } from '../train/task.js';
import type { ModelFamily, PresetName, Settings } from './settings.js';

export interface TaskDefinition {
  name: string;
  description: string;
  /** Whether the task reads a data set from --data-dir. */
  needsData: boolean;
  /** Default data directory when --data-dir is not given (null: the flag is required). */
  defaultDataDir?: string | null;
  /** Settings of each preset for its default model (`presets.paper.model`). */
  presets: Record<PresetName, Settings>;
  /**
   * What a preset changes for another model family (the papers set e.g. growth rate and dropouts per
   * architecture); see presetSettings in experiments/presets.ts.
   */
  modelPresets?: Partial<Record<PresetName, Partial<Record<ModelFamily, Partial<Settings>>>>>;
  modelConfig(s: Settings): ModelConfig;
  /** Loads data and builds the model. May return the steps for an epoch count (finite data sets). */
  create(s: Settings): Task & { stepsPerEpoch?: number };
}
