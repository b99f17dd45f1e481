/** A task the CLI can train: its presets, its model for given settings, and how to build the Task. */
import type { ModelConfig } from '../nn/models.js';
import type { Task } from '../train/task.js';
import type { ModelFamily, PresetName, Settings } from './settings.js';
import type { BatchShard } from '../distributed/shard.js';

/** What a run gives the task besides settings. */
export interface TaskContext {
  /**
   * This rank's rows of every batch (data-parallel training: rows r, r+N, … of the global batch)
   * and the sums of evaluation results over the ranks; the whole batch in one process.
   */
  shard: BatchShard;
}

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
  /** Whether create() takes its batches through context.shard, so it can train on several ranks. */
  dataParallel?: boolean;
  /** Whether create() follows settings.curriculum (training on shorter sequences first). */
  lengthCurriculum?: boolean;
  /**
   * What a preset changes for a sequence length (e.g. a longer time limit and a curriculum at
   * T = 5000), applied before the model family's changes and the user's flags.
   */
  presetForLength?(preset: PresetName, seqLen: number): Partial<Settings>;
  /** Loads data and builds the model. May return the steps for an epoch count (finite data sets). */
  create(s: Settings, context?: TaskContext): Task & { stepsPerEpoch?: number };
}
