/**
 * Optimizers (Adam, SGD with momentum) over parameter groups, in the torch.optim contract:
 * `zeroGrad()`, `step()`, per-group lr and weight decay, `stateDict()` / `loadStateDict()` for
 * checkpoints and best-weight restore. The update itself is one backend kernel per tensor, or one
 * per group where the backend fuses them (Backend.adamStepMany: gradient clamp, Adam and the
 * parameter's bound in one launch on a GPU).
 */
import type { Parameter } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { zeros, tensor } from '../tensor/tensor.js';
import { checkNumber, fail } from '../util/errors.js';

export interface ParamGroup {
  params: readonly Parameter[];
  lr?: number;
  weightDecay?: number;
}

interface ResolvedGroup {
  params: Parameter[];
  lr: number;
  weightDecay: number;
}

/** What step() folds into the update, in this order: gradient clamp, the update, parameter bounds. */
export interface StepOptions {
  /** Clamp every gradient element to ±gradClip first (the authors' clip_gradient); 0 = off. */
  gradClip?: number;
  /** After the update, clamp these parameters to ±bound (the IndRNN |u| constraint). */
  bounds?: ReadonlyMap<Parameter, number>;
}

/** A parameter with a gradient, its optimizer slots and its bound (0 = none), for one step. */
export interface StepItem {
  p: Parameter;
  grad: Tensor;
  slots: Tensor[];
  bound: number;
}

/** Serializable optimizer state: step count, group hyperparameters and per-parameter slots. */
export interface OptimizerState {
  step: number;
  groups: { lr: number; weightDecay: number }[];
  /** Slots per parameter, in group order, e.g. [m, v] for Adam; host arrays. */
  slots: (Float32Array | Float64Array)[][];
}

export abstract class Optimizer {
  readonly groups: ResolvedGroup[];
  protected readonly slots = new Map<Parameter, Tensor[]>();
  /** Number of step() calls so far. */
  stepCount = 0;

  constructor(params: readonly Parameter[] | readonly ParamGroup[], defaults: { lr: number; weightDecay: number }, name: string) {
    checkNumber(name, 'lr', defaults.lr, 0);
    checkNumber(name, 'weightDecay', defaults.weightDecay, 0);
    const groups: ParamGroup[] = isGroupList(params) ? [...params] : [{ params: params as readonly Parameter[] }];
    if (groups.length === 0 || groups.every((g) => g.params.length === 0)) fail(`${name}: got no parameters to optimize`);
    const seen = new Set<Parameter>();
    this.groups = groups.map((g, i) => {
      for (const p of g.params) {
        if (seen.has(p)) fail(`${name}: a parameter appears in more than one group (group ${i})`);
        seen.add(p);
      }
      return {
        params: [...g.params],
        lr: checkNumber(name, `groups[${i}].lr`, g.lr ?? defaults.lr, 0),
        weightDecay: checkNumber(name, `groups[${i}].weightDecay`, g.weightDecay ?? defaults.weightDecay, 0),
      };
    });
  }

  /** Learning rate of the first group (schedules scale every group by the same factor). */
  get lr(): number {
    return this.groups[0]!.lr;
  }

  /** Multiplies every group's learning rate by factor. */
  scaleLr(factor: number): void {
    for (const g of this.groups) g.lr *= factor;
  }

  setLr(lr: number): void {
    for (const g of this.groups) g.lr = lr;
  }

  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.grad = null;
  }

  /**
   * Applies one update to every parameter that has a gradient; `options` folds the gradient clamp
   * before it and the parameter bounds after it into the same pass where the backend can.
   */
  step(options: StepOptions = {}): void {
    const gradClip = checkNumber('step', 'gradClip', options.gradClip ?? 0, 0);
    this.stepCount++;
    for (const g of this.groups) {
      const items: StepItem[] = [];
      for (const p of g.params) {
        if (!p.grad) continue;
        let s = this.slots.get(p);
        if (!s) {
          s = this.newSlots(p);
          this.slots.set(p, s);
        }
        items.push({ p, grad: p.grad, slots: s, bound: options.bounds?.get(p) ?? 0 });
      }
      if (items.length > 0) this.updateGroup(items, g, gradClip);
    }
  }

  /** One group's update: per tensor, clamp the gradient, update, clamp to the bound. */
  protected updateGroup(items: StepItem[], g: ResolvedGroup, gradClip: number): void {
    for (const { p, grad, slots, bound } of items) {
      if (gradClip > 0) grad.backend.clampInPlace(grad.storage, -gradClip, gradClip);
      this.update(p, grad, slots, g);
      if (bound > 0) p.backend.clampInPlace(p.storage, -bound, bound);
    }
  }

  protected abstract newSlots(p: Parameter): Tensor[];
  protected abstract update(p: Parameter, grad: Tensor, slots: Tensor[], group: ResolvedGroup): void;

  stateDict(): OptimizerState {
    return {
      step: this.stepCount,
      groups: this.groups.map((g) => ({ lr: g.lr, weightDecay: g.weightDecay })),
      slots: this.groups.flatMap((g) =>
        g.params.map((p) => (this.slots.get(p) ?? []).map((t) => t.data().slice() as Float32Array | Float64Array)),
      ),
    };
  }

  loadStateDict(state: OptimizerState): void {
    const params = this.groups.flatMap((g) => g.params);
    if (state.groups.length !== this.groups.length || state.slots.length !== params.length) {
      fail(`optimizer state does not match: it has ${state.groups.length} groups and ${state.slots.length} parameters, the optimizer ${this.groups.length} and ${params.length}`);
    }
    this.stepCount = state.step;
    state.groups.forEach((g, i) => {
      this.groups[i]!.lr = g.lr;
      this.groups[i]!.weightDecay = g.weightDecay;
    });
    this.slots.clear();
    params.forEach((p, i) => {
      const slots = state.slots[i]!;
      if (slots.length === 0) return;
      for (const s of slots) {
        if (s.length !== p.size) fail(`optimizer state: slot of size ${s.length} for a parameter of size ${p.size} (index ${i})`);
      }
      this.slots.set(p, slots.map((s) => tensor(s.slice(), p.shape, p.dtype, p.backend)));
    });
  }
}

function isGroupList(x: readonly Parameter[] | readonly ParamGroup[]): x is readonly ParamGroup[] {
  return x.length > 0 && typeof x[0] === 'object' && 'params' in (x[0] as object);
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  /** L2 penalty added to the gradient (torch.optim.Adam semantics, not AdamW). */
  weightDecay?: number;
}

/**
 * Adam (torch.optim.Adam, amsgrad off):
 *   g ← ∇ + wd·p;  m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;  p ← p − lr·m̂ / (√v̂ + eps)
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(params: readonly Parameter[] | readonly ParamGroup[], opts: AdamOptions = {}) {
    super(params, { lr: opts.lr ?? 1e-3, weightDecay: opts.weightDecay ?? 0 }, 'Adam');
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    checkNumber('Adam', 'betas[0]', this.beta1, 0, 0.999999);
    checkNumber('Adam', 'betas[1]', this.beta2, 0, 0.999999);
    this.eps = checkNumber('Adam', 'eps', opts.eps ?? 1e-8, 0);
  }

  protected newSlots(p: Parameter): Tensor[] {
    return [zeros(p.shape, p.dtype, p.backend), zeros(p.shape, p.dtype, p.backend)];
  }

  private hyper(g: ResolvedGroup) {
    return { lr: g.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: g.weightDecay, step: this.stepCount };
  }

  protected update(p: Parameter, grad: Tensor, [m, v]: Tensor[], g: ResolvedGroup): void {
    p.backend.adamStep(p.storage, grad.storage, m!.storage, v!.storage, this.hyper(g));
  }

  /** The whole group in one backend call where the backend fuses it (and all items share it). */
  protected override updateGroup(items: StepItem[], g: ResolvedGroup, gradClip: number): void {
    const backend = items[0]!.p.backend;
    const shared = items.every((it) => it.p.backend === backend && it.grad.backend === backend);
    if (!backend.adamStepMany || !shared) {
      super.updateGroup(items, g, gradClip);
      return;
    }
    backend.adamStepMany(
      items.map((it) => it.p.storage),
      items.map((it) => it.grad.storage),
      items.map((it) => it.slots[0]!.storage),
      items.map((it) => it.slots[1]!.storage),
      this.hyper(g),
      gradClip,
      items.map((it) => it.bound),
    );
  }
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** SGD with optional (Nesterov) momentum, torch.optim.SGD semantics. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  private readonly started = new Set<Parameter>();

  constructor(params: readonly Parameter[] | readonly ParamGroup[], opts: SGDOptions) {
    super(params, { lr: opts.lr, weightDecay: opts.weightDecay ?? 0 }, 'SGD');
    this.momentum = checkNumber('SGD', 'momentum', opts.momentum ?? 0, 0);
    this.dampening = checkNumber('SGD', 'dampening', opts.dampening ?? 0, 0);
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) fail('SGD: nesterov needs momentum > 0 and dampening 0');
  }

  protected newSlots(p: Parameter): Tensor[] {
    return [zeros(p.shape, p.dtype, p.backend)];
  }

  protected update(p: Parameter, grad: Tensor, [buf]: Tensor[], g: ResolvedGroup): void {
    p.backend.sgdStep(p.storage, grad.storage, buf!.storage, {
      lr: g.lr, momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov,
      weightDecay: g.weightDecay, hasMomentum: this.started.has(p),
    });
    this.started.add(p);
  }

  override loadStateDict(state: OptimizerState): void {
    super.loadStateDict(state);
    this.started.clear();
    for (const p of this.slots.keys()) this.started.add(p);
  }
}
