/** Learning-rate schedules: step decay and the authors' reduce-on-plateau with best-weight restore. */
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { checkChoice, checkInt, checkNumber } from '../util/errors.js';

/** lr = base · gamma^floor(steps / stepSize); call step() once per training step. */
export class StepLR {
  private steps = 0;
  private readonly base: number[];

  constructor(private readonly optimizer: Optimizer, readonly stepSize: number, readonly gamma = 0.1) {
    checkInt('StepLR', 'stepSize', stepSize, 1);
    checkNumber('StepLR', 'gamma', gamma, 0);
    this.base = optimizer.groups.map((g) => g.lr);
  }

  step(): void {
    this.steps++;
    const f = Math.pow(this.gamma, Math.floor(this.steps / this.stepSize));
    this.optimizer.groups.forEach((g, i) => (g.lr = this.base[i]! * f));
  }

  stateDict(): { steps: number; base: number[] } {
    return { steps: this.steps, base: [...this.base] };
  }

  loadStateDict(s: { steps: number; base: number[] }): void {
    this.steps = s.steps;
    this.base.splice(0, this.base.length, ...s.base);
  }
}

export interface PlateauOptions {
  /** 'min' for losses, 'max' for accuracies. */
  mode?: 'min' | 'max';
  /** lr multiplier on a plateau (authors: 0.1 for MNIST/NTU, 0.2 for PTB). */
  factor?: number;
  /** Evaluations without improvement before reducing (authors' pThre). */
  patience?: number;
  /** Divide the patience by 2^k after the k-th reduction, as the authors' int(pThre/reduced + 0.5). */
  shrinkPatience?: boolean;
  /** Restore the best model and optimizer state before reducing (the authors' schedule). */
  restoreBest?: boolean;
  /** Training should stop once the lr falls below this (authors: 1e-6). */
  minLr?: number;
}

export interface PlateauDecision {
  improved: boolean;
  reduced: boolean;
  /** lr fell below minLr: training should end. */
  stop: boolean;
}

interface Snapshot {
  weights: Map<string, Tensor>;
  optimizer: OptimizerState;
}

/**
 * Reduce-on-plateau with best-weight restore (PT `Indrnn_mnist_train.py`): after each validation,
 * an improvement snapshots the model and optimizer; otherwise a patience counter grows, and when it
 * exceeds the patience the best snapshot is restored, lr is multiplied by `factor`, and (with
 * shrinkPatience) the patience halves.
 */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly shrinkPatience: boolean;
  readonly restoreBest: boolean;
  readonly minLr: number;
  best: number;
  bad = 0;
  reductions = 0;
  private snapshot: Snapshot | null = null;

  constructor(private readonly optimizer: Optimizer, private readonly model: Module, opts: PlateauOptions = {}) {
    this.mode = checkChoice('ReduceLROnPlateau', 'mode', opts.mode ?? 'min', ['min', 'max']);
    this.factor = checkNumber('ReduceLROnPlateau', 'factor', opts.factor ?? 0.1, 0, 1);
    this.patience = checkInt('ReduceLROnPlateau', 'patience', opts.patience ?? 10, 0);
    this.shrinkPatience = opts.shrinkPatience ?? false;
    this.restoreBest = opts.restoreBest ?? true;
    this.minLr = checkNumber('ReduceLROnPlateau', 'minLr', opts.minLr ?? 0, 0);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Current patience (shrinks after reductions when shrinkPatience). */
  get currentPatience(): number {
    return this.shrinkPatience ? Math.floor(this.patience / Math.pow(2, this.reductions) + 0.5) : this.patience;
  }

  step(metric: number): PlateauDecision {
    const improved = this.mode === 'min' ? metric < this.best : metric > this.best;
    if (improved) {
      this.best = metric;
      this.bad = 0;
      if (this.restoreBest) this.snapshot = { weights: cloneState(this.model), optimizer: this.optimizer.stateDict() };
      return { improved, reduced: false, stop: false };
    }
    this.bad++;
    if (this.bad <= this.currentPatience) return { improved, reduced: false, stop: false };
    // the snapshot's optimizer state carries the lr of its time; keep the current one (as the authors)
    const lrs = this.optimizer.groups.map((g) => g.lr);
    if (this.restoreBest && this.snapshot) {
      this.model.loadStateDict(this.snapshot.weights);
      this.optimizer.loadStateDict(this.snapshot.optimizer);
    }
    this.optimizer.groups.forEach((g, i) => (g.lr = lrs[i]! * this.factor));
    this.reductions++;
    this.bad = 0;
    return { improved, reduced: true, stop: this.optimizer.lr < this.minLr };
  }

  stateDict(): { best: number; bad: number; reductions: number } {
    return { best: this.best, bad: this.bad, reductions: this.reductions };
  }

  loadStateDict(s: { best: number; bad: number; reductions: number }): void {
    this.best = s.best;
    this.bad = s.bad;
    this.reductions = s.reductions;
  }

  /** The best snapshot's weights (for checkpoints), if any. */
  bestWeights(): Map<string, Tensor> | null {
    return this.snapshot?.weights ?? null;
  }

  setBestSnapshot(weights: Map<string, Tensor>, optimizer: OptimizerState): void {
    this.snapshot = { weights, optimizer };
  }

  bestOptimizerState(): OptimizerState | null {
    return this.snapshot?.optimizer ?? null;
  }
}

function cloneState(model: Module): Map<string, Tensor> {
  return new Map([...model.stateDict()].map(([k, t]) => [k, t.clone()]));
}
