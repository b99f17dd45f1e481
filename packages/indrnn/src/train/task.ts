/**
 * The contract between the training loop and an experiment: a task owns its model and data, gives the
 * loss of the next training batch, evaluates on validation and test data, and can save and restore
 * every bit of state that affects later batches (so a resumed run repeats an uninterrupted one).
 */
import type { Model } from '../nn/models.js';
import type { Tensor } from '../tensor/tensor.js';
import type { DynamicEvalOptions } from './dynamic-eval.js';

export type Split = 'val' | 'test';

export interface TaskState {
  /** JSON-serialisable state (generator states, iterator positions, ...). */
  json: unknown;
  /** Tensors to carry (e.g. hidden states of a stateful language model). */
  tensors?: Map<string, Tensor>;
}

export interface Task {
  readonly name: string;
  readonly model: Model;
  /** The validation metric that selects the best checkpoint and drives reduce-on-plateau. */
  readonly monitor: { metric: string; mode: 'min' | 'max' };
  /** Facts a report must state (e.g. which data the run trained and tested on). */
  readonly notes: readonly string[];
  /** Loss of the next training batch (for 1-based `step`), with its graph, and optional training metrics. */
  trainLoss(step: number): { loss: Tensor; metrics?: Record<string, number> };
  /** Metrics on held-out data, keys prefixed `val_` or `test_`. Called in eval mode under noGrad. */
  evaluate(split: Split): Record<string, number>;
  /** Files to save in the run directory (e.g. the pMNIST permutation, a vocabulary), by name. */
  readonly artifacts?: Record<string, string | Uint8Array>;
  /** Training progress in epochs (fractional), when the task has epochs. */
  epoch?(): number;
  /**
   * Recomputes batch-norm running statistics from `batches` fixed training batches with the current
   * weights (see nn/recalibrate.ts); the trainer calls it before evaluating when asked to.
   */
  recalibrate?(batches: number): void;
  /**
   * Language models: scores a split with dynamic evaluation (train/dynamic-eval.ts), adapting the
   * weights to the text as it goes; metrics prefixed `<split>_dyn_`. The weights are restored after.
   */
  dynamicEvaluate?(split: Split, options: DynamicEvalOptions): Record<string, number>;
  getState(): TaskState;
  setState(state: TaskState): void;
}
