/** Basic layers: Linear, Embedding, BatchNorm (sequence- and frame-wise), time-shared Dropout. */
import { Module, Parameter, parameter } from './module.js';
import { initTensor, type InitSpec } from '../init/init.js';
import { linear } from '../ops/matmul.js';
import { embedding } from '../ops/embedding.js';
import { batchNormTrain, dropoutShared } from '../ops/normalization.js';
import { noGrad } from '../autograd/tape.js';
import { Tensor, tensor, zeros, ones } from '../tensor/tensor.js';
import { arrayFor } from '../tensor/dtype.js';
import { checkChoice, checkInt, checkNumber, fail, fmtShape } from '../util/errors.js';
import type { Generator } from '../util/random.js';

export interface LinearOptions {
  bias?: boolean;
  /** Weight init; default PyTorch's kaiming_uniform(a = √5). */
  weightInit?: InitSpec;
  /** Bias init; default PyTorch's U(±1/√fan_in). */
  biasInit?: InitSpec;
}

/**
 * y = x · Wᵀ + b on the last axis; W: [out, in], b: [out]. Applied to [T, B, F] it is one GEMM over all
 * T·B rows, which is how IndRNN layers compute W x_t + b for every step at once.
 */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkInt('Linear', 'inFeatures', inFeatures, 1);
    checkInt('Linear', 'outFeatures', outFeatures, 1);
    this.weight = this.registerParameter('weight', parameter([outFeatures, inFeatures]));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', parameter([outFeatures]));
    initTensor(this.weight, opts.weightInit ?? { kind: 'kaimingUniform', a: Math.sqrt(5) });
    if (this.bias) {
      const b = 1 / Math.sqrt(inFeatures);
      initTensor(this.bias, opts.biasInit ?? { kind: 'uniform', low: -b, high: b });
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** x · Wᵀ only, for callers that fold the bias into a later kernel (the fused IndRNN scan). */
  forwardNoBias(x: Tensor): Tensor {
    return linear(x, this.weight, null);
  }

  protected override extraRepr(): string {
    return `${this.inFeatures} → ${this.outFeatures}${this.bias ? '' : ', bias=false'}`;
  }
}

/** Token embedding: ids (int32, any shape) → [..., dim]. */
export class Embedding extends Module {
  readonly weight: Parameter;

  constructor(readonly numEmbeddings: number, readonly dim: number, init: InitSpec = { kind: 'uniform', low: -0.1, high: 0.1 }) {
    super();
    checkInt('Embedding', 'numEmbeddings', numEmbeddings, 1);
    checkInt('Embedding', 'dim', dim, 1);
    this.weight = this.registerParameter('weight', parameter([numEmbeddings, dim]));
    initTensor(this.weight, init);
  }

  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids);
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.dim}`;
  }
}

export type BatchNormMode = 'sequence' | 'frame';

export interface BatchNormOptions {
  /** 'sequence': statistics over all T·B rows; 'frame': per time step over B (default 'sequence'). */
  mode?: BatchNormMode;
  eps?: number;
  momentum?: number;
  /** Frame-wise only: number of positions with their own running statistics (later ones share the last). */
  maxPositions?: number;
  /** Initial γ (the authors' --small_normini uses 0.1). */
  gammaInit?: number;
}

/**
 * Batch norm over the channel (last) axis of [T, B, C] (or [N, C]) inputs, with learned γ, β.
 * - sequence-wise: mean/var per channel over T·B; running stats [C].
 * - frame-wise: mean/var per (t, channel) over B; running stats per absolute position [P, C], where
 *   position = `position` + t (stateful language models pass the stream offset), capped at P-1.
 * Running variance is stored unbiased and updated with `momentum`, as torch.nn.BatchNorm1d does.
 * Eval mode normalises with the running statistics (a differentiable affine map).
 */
/** Training-mode batch norm of x as [groups, rows, C] (ops.batchNormTrain's contract), with valid rows per group. */
export type BatchNormStatistics = (
  x: Tensor, groups: number, gamma: Tensor, beta: Tensor, eps: number, lengths: Tensor | null,
) => { y: Tensor; mean: Tensor; variance: Tensor; counts: number[] };

export class BatchNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly mode: BatchNormMode;
  readonly eps: number;
  readonly momentum: number;
  readonly maxPositions: number;

  /**
   * Where set, training-mode statistics come from here instead of ops.batchNormTrain (data-parallel
   * training sets it to take them over every rank's rows: distributed/batchnorm-sync.ts).
   */
  trainStatistics: BatchNormStatistics | null = null;

  constructor(readonly channels: number, opts: BatchNormOptions = {}) {
    super();
    checkInt('BatchNorm', 'channels', channels, 1);
    this.mode = checkChoice('BatchNorm', 'mode', opts.mode ?? 'sequence', ['sequence', 'frame']);
    this.eps = checkNumber('BatchNorm', 'eps', opts.eps ?? 1e-5, 0);
    this.momentum = checkNumber('BatchNorm', 'momentum', opts.momentum ?? 0.1, 0, 1);
    this.maxPositions = this.mode === 'frame' ? checkInt('BatchNorm', 'maxPositions', opts.maxPositions ?? 256, 1) : 1;
    this.weight = this.registerParameter('weight', parameter([channels]));
    this.bias = this.registerParameter('bias', parameter([channels]));
    initTensor(this.weight, { kind: 'constant', value: opts.gammaInit ?? 1 });
    const rows = this.mode === 'frame' ? [this.maxPositions, channels] : [channels];
    this.runningMean = this.registerBuffer('runningMean', zeros(rows));
    this.runningVar = this.registerBuffer('runningVar', ones(rows));
  }

  /**
   * x: [T, B, C] or [N, C]; position: absolute index of step 0 (frame-wise only); lengths: int32 [B]
   * valid steps per sequence of a [T, B, C] input. With lengths, statistics (and the running
   * statistics they update) cover valid steps only: sequence-wise over every valid (t, b), frame-wise
   * over the sequences still running at t. Padded outputs are 0 in training and eval mode alike.
   */
  forward(x: Tensor, position = 0, lengths: Tensor | null = null): Tensor {
    const C = this.channels;
    if (x.shape[x.rank - 1] !== C) fail(`BatchNorm: expected ${C} channels in the last axis, got shape ${fmtShape(x.shape)}`);
    const frame = this.mode === 'frame';
    if (frame && x.rank !== 3) fail(`BatchNorm: frame-wise mode needs [T, B, C] input, got ${fmtShape(x.shape)}`);
    if (lengths && x.rank !== 3) fail(`BatchNorm: lengths need [T, B, C] input, got ${fmtShape(x.shape)}`);
    const T = frame ? x.shape[0]! : 1;
    if (this.training) {
      // data-parallel training may take the statistics over every rank (trainStatistics)
      const { y, mean, variance, counts } = (this.trainStatistics ?? batchNormTrain)(x, T, this.weight, this.bias, this.eps, lengths);
      this.updateRunning(mean, variance, counts, position);
      return y;
    }
    // eval: y = (x - μ_run) · γ / sqrt(σ²_run + eps) + β, broadcast per position when frame-wise
    const [mean, variance] = frame ? this.positionStats(T, position) : [this.runningMean, this.runningVar];
    const statShape = frame ? [T, 1, C] : [C];
    const scale = variance.reshape(statShape).add(this.eps).sqrt();
    const y = x.sub(mean.reshape(statShape)).div(scale).mul(this.weight).add(this.bias);
    const mask = lengths ? validMask(y, lengths) : null;
    return mask ? y.mul(mask) : y;
  }

  private positionIndex(t: number, position: number): number {
    return Math.min(position + t, this.maxPositions - 1);
  }

  /** Running statistics gathered for positions position..position+T-1: two [T, C] tensors. */
  private positionStats(T: number, position: number): [Tensor, Tensor] {
    const C = this.channels;
    const rm = this.runningMean.data();
    const rv = this.runningVar.data();
    const m = arrayFor(this.runningMean.dtype, T * C);
    const v = arrayFor(this.runningVar.dtype, T * C);
    for (let t = 0; t < T; t++) {
      const p = this.positionIndex(t, position);
      m.set(rm.subarray(p * C, (p + 1) * C), t * C);
      v.set(rv.subarray(p * C, (p + 1) * C), t * C);
    }
    const b = this.runningMean.backend;
    return [tensor(m, [T, C], undefined, b), tensor(v, [T, C], undefined, b)];
  }

  /**
   * While set, running statistics are a cumulative average of the batches seen since
   * `startRecalibration()` (PyTorch's momentum=None), instead of an exponential one.
   */
  private recalibrating = 0;

  /** Resets the running statistics and averages the next batches equally (see recalibrateBatchNorm). */
  startRecalibration(): void {
    this.recalibrating = 1;
    const b = this.runningMean.backend;
    this.runningMean.assign(tensor(arrayFor(this.runningMean.dtype, this.runningMean.size), this.runningMean.shape, undefined, b));
    const ones = arrayFor(this.runningVar.dtype, this.runningVar.size);
    ones.fill(1);
    this.runningVar.assign(tensor(ones, this.runningVar.shape, undefined, b));
  }

  endRecalibration(): void {
    this.recalibrating = 0;
  }

  /** counts: the rows each group's statistics came from; a group with none leaves its position alone. */
  private updateRunning(mean: Tensor, variance: Tensor, counts: readonly number[], position: number): void {
    noGrad(() => {
      const C = this.channels;
      // the k-th batch of a recalibration gets weight 1/k: an equal average of all of them
      const mom = this.recalibrating > 0 ? 1 / this.recalibrating++ : this.momentum;
      const rm = this.runningMean.data().slice();
      const rv = this.runningVar.data().slice();
      const bm = mean.data();
      const bv = variance.data();
      const groups = bm.length / C;
      for (let g = 0; g < groups; g++) {
        const n = counts[g]!;
        if (n === 0) continue;
        const unbias = n > 1 ? n / (n - 1) : 1;
        const p = this.mode === 'frame' ? this.positionIndex(g, position) : 0;
        for (let c = 0; c < C; c++) {
          rm[p * C + c] = (1 - mom) * rm[p * C + c]! + mom * bm[g * C + c]!;
          rv[p * C + c] = (1 - mom) * rv[p * C + c]! + mom * bv[g * C + c]! * unbias;
        }
      }
      const b = this.runningMean.backend;
      this.runningMean.assign(tensor(rm, this.runningMean.shape, undefined, b));
      this.runningVar.assign(tensor(rv, this.runningVar.shape, undefined, b));
    });
  }

  protected override extraRepr(): string {
    return `${this.channels}, ${this.mode}-wise${this.mode === 'frame' ? `, positions=${this.maxPositions}` : ''}`;
  }
}

/**
 * A float mask [T, R, 1] of x's dtype: 1 on rows with t < lengths[r], 0 on padded rows (or null when
 * no row is padded). Eval-mode BN multiplies by it, so padded outputs are 0 in both modes.
 */
function validMask(x: Tensor, lengths: Tensor): Tensor | null {
  const [T, R] = x.shape as [number, number];
  const host = lengths.data();
  if (host.every((len) => len >= T)) return null;
  const m = arrayFor(x.dtype, T * R);
  for (let r = 0; r < R; r++) for (let t = 0; t < Math.min(host[r]!, T); t++) m[t * R + r] = 1;
  return new Tensor(x.backend.fromHost(m), [T, R, 1], x.dtype, x.backend);
}

/**
 * Inverted dropout whose mask is drawn once per sequence and shared over time (input [T, B, C]:
 * mask [B, C]), so a dropped unit stays dropped for the whole sequence. Identity in eval mode.
 */
export class Dropout extends Module {
  constructor(readonly p: number, private readonly generator?: Generator) {
    super();
    checkNumber('Dropout', 'p', p, 0, 0.999999);
  }

  forward(x: Tensor): Tensor {
    return this.training && this.p > 0 ? dropoutShared(x, this.p, this.generator) : x;
  }

  protected override extraRepr(): string {
    return `p=${this.p}, shared over time`;
  }
}
