/**
 * The training loop as a library (browser-safe): one optimization step at a time, validation on a
 * schedule, reduce-on-plateau or step decay, gradient clipping and the recurrent-weight constraint,
 * and a complete, serialisable state for checkpoints. File output, progress bars and signals live in
 * train/run.ts; the CLI only parses flags into these calls.
 */
import type { Task, TaskState } from './task.js';
import type { Parameter } from '../nn/module.js';
import { Adam, SGD, type Optimizer, type OptimizerState } from '../optim/optimizer.js';
import { weightDecayGroups } from '../optim/groups.js';
import { clipGradNorm, clipGradValue } from '../optim/clip.js';
import { ReduceLROnPlateau, StepLR } from '../optim/schedule.js';
import { applyRecurrentConstraints, recurrentBounds } from '../nn/indrnn.js';
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../backend/memory.js';
import type { Tensor } from '../tensor/tensor.js';
import { defaultGenerator } from '../util/random.js';
import { checkChoice, checkInt, checkNumber, fail } from '../util/errors.js';
import type { DataParallel } from '../distributed/data-parallel.js';

export interface TrainOptions {
  /** Total optimization steps. */
  steps: number;
  /** Validate every this many steps (0 = never during training). */
  evalEvery: number;
  optimizer: 'adam' | 'sgd';
  lr: number;
  weightDecay: number;
  momentum?: number;
  /** Element-wise gradient clamp (the authors use 10); 0 = off. */
  gradClip: number;
  /** Global-norm clipping; 0 = off. */
  gradNorm: number;
  schedule: 'none' | 'step' | 'plateau';
  /** Step decay: multiply lr by decayFactor every decayEvery steps. */
  decayEvery?: number;
  decayFactor: number;
  /** Plateau: evaluations without improvement before a reduction (the authors' pThre). */
  patience?: number;
  /** Plateau: training ends once lr drops below this. */
  minLr?: number;
  /** Recalibrate BN running statistics on this many training batches before each evaluation (0 = off). */
  bnCalibration?: number;
}

export interface StepRecord {
  step: number;
  loss: number;
  lr: number;
  metrics: Record<string, number>;
}

export interface EvalRecord {
  step: number;
  metrics: Record<string, number>;
  improved: boolean;
  lrReduced: boolean;
}

/** Everything the loop needs to resume exactly, apart from the model weights. */
export interface TrainerState {
  step: number;
  optimizer: OptimizerState;
  schedule: unknown;
  best: { metric: string; value: number; step: number } | null;
  stopped: boolean;
  /** State of the global generator (dropout masks), so the resumed run draws the same masks. */
  globalRng: number[];
  task: TaskState;
}

export function validateTrainOptions(o: TrainOptions): TrainOptions {
  checkInt('train', 'steps', o.steps, 1);
  checkInt('train', 'evalEvery', o.evalEvery, 0);
  checkChoice('train', 'optimizer', o.optimizer, ['adam', 'sgd']);
  checkNumber('train', 'lr', o.lr, 0);
  if (o.lr === 0) fail('train: lr must be > 0 (a learning rate of 0 trains nothing)');
  checkNumber('train', 'weightDecay', o.weightDecay, 0);
  checkNumber('train', 'gradClip', o.gradClip, 0);
  checkNumber('train', 'gradNorm', o.gradNorm, 0);
  checkChoice('train', 'schedule', o.schedule, ['none', 'step', 'plateau']);
  checkNumber('train', 'decayFactor', o.decayFactor, 0, 1);
  if (o.schedule === 'step') checkInt('train', 'decayEvery', o.decayEvery, 1);
  if (o.schedule === 'plateau') {
    checkInt('train', 'patience', o.patience, 0);
    if (o.evalEvery === 0) fail('train: the plateau schedule needs validation (evalEvery > 0)');
  }
  return o;
}

export class Trainer {
  readonly optimizer: Optimizer;
  private readonly stepLr: StepLR | null;
  /** |u| bounds of the model's IndRNN layers, enforced inside each optimizer step. */
  private readonly bounds: ReadonlyMap<Parameter, number>;
  readonly plateau: ReduceLROnPlateau | null;
  step = 0;
  best: TrainerState['best'] = null;
  /** Set when the plateau schedule says the lr fell below its floor. */
  stopped = false;

  /**
   * `parallel`: data-parallel training over several ranks (distributed/): the task takes its rows
   * of each batch through parallel.shard, and each step's gradients, loss and metrics are summed
   * over the ranks before the update, which then runs identically on every rank.
   */
  constructor(readonly task: Task, readonly options: TrainOptions, readonly parallel: DataParallel | null = null) {
    validateTrainOptions(options);
    const groups = weightDecayGroups(task.model, options.weightDecay);
    this.optimizer = options.optimizer === 'sgd'
      ? new SGD(groups, { lr: options.lr, momentum: options.momentum ?? 0.9 })
      : new Adam(groups, { lr: options.lr });
    this.stepLr = options.schedule === 'step' ? new StepLR(this.optimizer, options.decayEvery!, options.decayFactor) : null;
    this.plateau = options.schedule === 'plateau'
      ? new ReduceLROnPlateau(this.optimizer, task.model, {
          mode: task.monitor.mode, factor: options.decayFactor, patience: options.patience!,
          shrinkPatience: true, restoreBest: true, minLr: options.minLr ?? 0,
        })
      : null;
    // the papers clamp u before the first forward too
    applyRecurrentConstraints(task.model);
    this.bounds = recurrentBounds(task.model);
  }

  get done(): boolean {
    return this.stopped || this.step >= this.options.steps;
  }

  /** One optimization step. Throws (naming the step) when the loss stops being finite. */
  trainStep(): StepRecord {
    // every tensor of the step is dead once the update is done: recycle their memory (tidy)
    return tidy(() => this.trainStepInScope());
  }

  private trainStepInScope(): StepRecord {
    const { model } = this.task;
    model.train();
    this.parallel?.beginStep();
    const { loss, metrics } = this.task.trainLoss(this.step + 1);
    this.optimizer.zeroGrad();
    loss.backward();
    // Read the loss after queuing the backward pass, not before: on a GPU the host then waits while
    // the backward runs instead of leaving the device idle while it queues it. A non-finite loss
    // still stops before any parameter changes.
    let value = loss.item();
    let stepMetrics = metrics ?? {};
    if (this.parallel) ({ loss: value, metrics: stepMetrics } = this.parallel.reduceStep(model.parameters(), value, stepMetrics));
    if (!Number.isFinite(value)) {
      fail(`training diverged: loss is ${value} at step ${this.step + 1}; lower --lr, or clip gradients with --grad-clip`);
    }
    // clamp the gradients, update, and clamp u to its bound: one fused pass where the backend has
    // one (a norm clip needs every clamped gradient first, so the clamp then runs on its own)
    const { gradClip, gradNorm } = this.options;
    if (gradNorm > 0) {
      const params = model.parameters();
      if (gradClip > 0) clipGradValue(params, gradClip);
      clipGradNorm(params, gradNorm);
    }
    this.optimizer.step({ gradClip: gradNorm > 0 ? 0 : gradClip, bounds: this.bounds });
    // gradients are step temporaries; dropping them lets the scope recycle their memory
    this.optimizer.zeroGrad();
    this.stepLr?.step();
    this.step++;
    return { step: this.step, loss: value, lr: this.optimizer.lr, metrics: stepMetrics };
  }

  /** Validation (and the schedule's decision). */
  validate(): EvalRecord {
    const metrics = this.evaluate('val');
    const value = metrics[this.task.monitor.metric];
    if (value === undefined) fail(`task '${this.task.name}' did not report its monitored metric '${this.task.monitor.metric}'`);
    const better = this.best === null || (this.task.monitor.mode === 'min' ? value < this.best.value : value > this.best.value);
    if (better) this.best = { metric: this.task.monitor.metric, value, step: this.step };
    let lrReduced = false;
    if (this.plateau) {
      const d = this.plateau.step(value);
      lrReduced = d.reduced;
      if (d.stop) this.stopped = true;
    }
    return { step: this.step, metrics, improved: better, lrReduced };
  }

  evaluate(split: 'val' | 'test'): Record<string, number> {
    const { model } = this.task;
    const calibration = this.options.bnCalibration ?? 0;
    if (calibration > 0) this.task.recalibrate?.(calibration);
    this.parallel?.beforeEvaluate(model);
    model.eval();
    try {
      return tidy(() => noGrad(() => this.task.evaluate(split)));
    } finally {
      model.train();
    }
  }

  /** Whether validation is due after the current step. */
  get evalDue(): boolean {
    return this.options.evalEvery > 0 && this.step % this.options.evalEvery === 0;
  }

  getState(): TrainerState {
    return {
      step: this.step,
      optimizer: this.optimizer.stateDict(),
      schedule: this.plateau?.stateDict() ?? this.stepLr?.stateDict() ?? null,
      best: this.best,
      stopped: this.stopped,
      globalRng: defaultGenerator().getState(),
      task: this.task.getState(),
    };
  }

  setState(s: TrainerState): void {
    this.step = s.step;
    this.optimizer.loadStateDict(s.optimizer);
    if (this.plateau) this.plateau.loadStateDict(s.schedule as ReturnType<ReduceLROnPlateau['stateDict']>);
    if (this.stepLr) this.stepLr.loadStateDict(s.schedule as ReturnType<StepLR['stateDict']>);
    this.best = s.best;
    this.stopped = s.stopped;
    defaultGenerator().setState(s.globalRng);
    this.task.setState(s.task);
  }

  /** Best-snapshot tensors of the plateau schedule (saved so a resumed run can still restore them). */
  plateauSnapshot(): { weights: Map<string, Tensor>; optimizer: OptimizerState } | null {
    const w = this.plateau?.bestWeights();
    const o = this.plateau?.bestOptimizerState();
    return w && o ? { weights: w, optimizer: o } : null;
  }
}
