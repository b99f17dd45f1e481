/**
 * The Backend interface: a flat set of kernels over raw storage. Ops (src/ops) call these; models
 * never do. Every kernel has a plain-TypeScript twin in backend/reference, which is the oracle that
 * faster backends are tested against.
 *
 * Contract shared by all kernels:
 * - Kernels are synchronous and never mutate their inputs, except those named `...InPlace` and the
 *   optimizer steps, which update the storages they are given.
 * - Outputs are fresh storages owned by the caller (the Tensor that wraps them).
 * - Shapes are passed explicitly; storage is dense, row-major and contiguous.
 * - Layout of sequences is time-major: [T, B, F] with F contiguous.
 * - A storage knows its own dtype and length; outputs take the dtype of the first float input.
 *
 * `S` is the backend's storage type: host typed arrays for the reference and native backends.
 */
import type { DType, TypedArray } from '../tensor/dtype.js';
import type { Shape } from '../tensor/shape.js';

export type UnaryOp = 'neg' | 'relu' | 'tanh' | 'sigmoid' | 'exp' | 'log' | 'sqrt' | 'square' | 'abs';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
/** Activation of a recurrent scan. */
export type Activation = 'relu' | 'tanh' | 'identity';

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 penalty added to the gradient before the moments, as torch.optim.Adam does. */
  weightDecay: number;
  /** 1-based step count, for bias correction. */
  step: number;
}

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  /** false on the first step: the momentum buffer is initialised to the gradient (as PyTorch). */
  hasMomentum: boolean;
}

/** Geometry of a channels-last 2-D convolution (1-D convolutions use H = 1, KH = 1). */
export interface ConvGeometry {
  N: number;
  H: number;
  W: number;
  C: number;
  KH: number;
  KW: number;
  padH: number;
  padW: number;
  strideH: number;
  strideW: number;
}

/**
 * What a backend runs with, as far as it decides the bits of a result: the same backend, threads,
 * SIMD level and BLAS (library, core, mode) give the same bits for the same inputs.
 */
export interface BackendInfo {
  /** Threads of the kernels (null: not a CPU thread pool, e.g. a GPU). */
  threads: number | null;
  /** Micro-kernel level ('avx512', 'avx2', 'generic', 'wasm simd128'), or null. */
  simd: string | null;
  /** BLAS library that large GEMMs may use ('openblas', 'cublas'), or null. */
  blas: string | null;
  /** The library's kernel family (OpenBLAS core name), when it says. */
  blasCore?: string | null;
  /** How GEMMs choose between the library and the backend's own kernels ('auto', 'on', 'off'). */
  blasMode?: string;
  /** The auto mode's rule in words. */
  blasRule?: string;
}

export interface Backend<S = unknown> {
  readonly name: string;
  /** What decides this backend's bits (threads, SIMD, BLAS); backends without one run single-threaded. */
  info?(): BackendInfo;
  /** Whether tensors of this dtype can live on this backend (float64 is reference-only). */
  supports(dtype: DType): boolean;

  // ---- storage ----
  /** Zero-filled storage. */
  alloc(dtype: DType, size: number): S;
  /** Wraps host data; CPU backends keep the array itself (no copy), so callers hand over ownership. */
  fromHost(data: TypedArray): S;
  /** Host view of the data; CPU backends return the storage itself. Do not mutate it. */
  toHost(s: S): TypedArray;
  /** Releases storage held outside the JS heap; a no-op for host backends. */
  free(s: S): void;
  /** A copy (new storage). */
  clone(s: S): S;

  // ---- elementwise ----
  unary(op: UnaryOp, x: S): S;
  /** dx given x, y = op(x) and dy. */
  unaryGrad(op: UnaryOp, x: S, y: S, dy: S): S;
  /** Broadcasting binary op; outShape is broadcastShapes(aShape, bShape). */
  binary(op: BinaryOp, a: S, aShape: Shape, b: S, bShape: Shape, outShape: Shape): S;
  /** y = x * scale + shift with scalars. */
  affine(x: S, scale: number, shift: number): S;
  /** Copies x (shape `shape`) to a larger broadcast shape. */
  broadcastTo(x: S, shape: Shape, outShape: Shape): S;
  /** Sums over `axes`; the result has those axes of size 1 (same rank). */
  reduceSum(x: S, shape: Shape, axes: readonly number[]): S;
  /** Index of the largest value in each row of [rows, cols]; int32. */
  argmax(x: S, rows: number, cols: number): S;
  /** Element-wise x in [lo, hi], in place. */
  clampInPlace(x: S, lo: number, hi: number): void;
  /** x *= scale, in place. */
  scaleInPlace(x: S, scale: number): void;
  /** Sum of squares of all elements (for global-norm clipping); also tells NaN/Inf apart (returns them). */
  sumSquares(x: S): number;
  /** Elementwise cast (float32 <-> float64 <-> int32 truncating toward zero). */
  cast(x: S, dtype: DType): S;

  // ---- layout ----
  transpose(x: S, shape: Shape, perm: readonly number[]): S;
  slice(x: S, shape: Shape, begin: readonly number[], size: readonly number[]): S;
  /** Inverse of slice: a zero tensor of `fullShape` with x (shape `size`) written at `begin`. */
  padSlice(x: S, size: Shape, begin: readonly number[], fullShape: Shape): S;
  concat(xs: readonly S[], shapes: readonly Shape[], axis: number): S;

  // ---- linear algebra ----
  /**
   * out[m, n] = op(a) · op(b): op(a) is [m, k] (a stored [k, m] when transA),
   * op(b) is [k, n] (b stored [n, k] when transB).
   */
  matmul(a: S, b: S, m: number, n: number, k: number, transA: boolean, transB: boolean): S;

  // ---- nn ----
  /** out[i] = table[idx[i]] over rows of width `cols`; idx < 0 gives a zero row. */
  gatherRows(table: S, cols: number, idx: S): S;
  /** out = zeros[rows, cols]; out[idx[i]] += dy[i]; idx < 0 rows are dropped. */
  scatterAddRows(dy: S, cols: number, idx: S, rows: number): S;
  softmax(x: S, rows: number, cols: number): S;
  /**
   * Cross-entropy of softmax(logits) against integer targets per row; rows whose target equals
   * ignoreIndex get loss 0. Returns the per-row loss [rows] and the probabilities [rows, cols].
   */
  softmaxCrossEntropy(logits: S, rows: number, cols: number, targets: S, ignoreIndex: number): { loss: S; probs: S };
  /** dlogits = (probs - onehot(target)) * dloss[row]; ignored rows get 0. */
  softmaxCrossEntropyGrad(probs: S, targets: S, dloss: S, rows: number, cols: number, ignoreIndex: number): S;
  /**
   * Batch norm in training mode on x viewed as [groups, rows, channels]: statistics per (group,
   * channel) over rows. Sequence-wise BN is groups = 1, rows = T·B; frame-wise is groups = T, rows = B.
   * Returns y, mean [groups, channels], biased variance and 1/sqrt(var + eps).
   */
  batchNormTrain(
    x: S, groups: number, rows: number, channels: number, gamma: S, beta: S, eps: number,
  ): { y: S; mean: S; variance: S; invStd: S };
  batchNormGrad(
    dy: S, x: S, groups: number, rows: number, channels: number, mean: S, invStd: S, gamma: S,
  ): { dx: S; dgamma: S; dbeta: S };
  /**
   * Batch norm in training mode over the valid rows of x [T, R, C] only: row r of step t is valid when
   * t < lengths[r] (int32 [R], each in [0, T]). perStep false (sequence-wise): statistics per channel
   * over every valid (t, r); true (frame-wise): per (t, channel) over the rows still valid at t. Padded
   * rows of y are 0. Stats are [G, C] with G = T when perStep, else 1; a group without a valid row
   * gets mean 0, variance 0 (and normalises nothing).
   */
  batchNormTrainMasked(
    x: S, T: number, R: number, channels: number, lengths: S, perStep: boolean, gamma: S, beta: S, eps: number,
  ): { y: S; mean: S; variance: S; invStd: S };
  /**
   * Backward of batchNormTrainMasked: with n the valid rows of a group, dx = γ·invStd/n ·
   * (n·dy - Σdy - x̂·Σ(dy·x̂)) on valid rows (sums over valid rows only) and 0 on padded rows; dγ, dβ [C].
   */
  batchNormGradMasked(
    dy: S, x: S, T: number, R: number, channels: number, lengths: S, perStep: boolean, mean: S, invStd: S, gamma: S,
  ): { dx: S; dgamma: S; dbeta: S };

  // ---- recurrences (the fused time loops) ----
  /**
   * IndRNN recurrence: h[t] = act(z[t] + u ⊙ h[t-1]), h[-1] = h0.
   * z: [T, B, N], u: [N], h0: [B, N], lengths: int32 [B] or null. Steps t >= lengths[b] keep the
   * state (h[t] = h[t-1]), so h[T-1] is every sequence's last state. Returns h [T, B, N].
   */
  indrnnScan(z: S, u: S, h0: S, lengths: S | null, T: number, B: number, N: number, act: Activation): S;
  /** Reverse loop of indrnnScan: dz [T, B, N], du [N] (summed over batch and time), dh0 [B, N]. */
  indrnnScanGrad(
    dh: S, z: S, h: S, u: S, h0: S, lengths: S | null, T: number, B: number, N: number, act: Activation,
  ): { dz: S; du: S; dh0: S };
  /**
   * Optional fused variant with the projection bias inside the loop: h[t] = act(z[t] + b + u ⊙ h[t-1]),
   * b: [N]. It saves a full pass (and a [T, B, N] buffer) for the bias add; backends without it get
   * the add-then-scan composition.
   */
  indrnnScanBias?(z: S, u: S, bias: S, h0: S, lengths: S | null, T: number, B: number, N: number, act: Activation): S;
  /** Reverse loop of indrnnScanBias; db [N] = Σ over batch and time of dz. */
  indrnnScanBiasGrad?(
    dh: S, h: S, u: S, h0: S, lengths: S | null, T: number, B: number, N: number, act: Activation,
  ): { dz: S; du: S; db: S; dh0: S };
  /**
   * Optional: the scan with a narrow input projection folded in (F small, e.g. 1 or 2 features):
   * h[t] = act(x[t] · Wᵀ + b + u ⊙ h[t-1]) with x [T, B, F], w [N, F], b [N]; z is never stored.
   */
  indrnnScanProj?(
    x: S, w: S, bias: S, u: S, h0: S, lengths: S | null, T: number, B: number, N: number, F: number, act: Activation,
  ): S;
  /** Reverse loop of indrnnScanProj: dw [N, F], db, du [N], dh0 [B, N], and dx [T, B, F] when wantDx. */
  indrnnScanProjGrad?(
    dh: S, h: S, x: S, w: S, u: S, h0: S, lengths: S | null, T: number, B: number, N: number, F: number,
    act: Activation, wantDx: boolean,
  ): { dw: S; db: S; du: S; dx: S | null; dh0: S };
  /** Elman RNN: h[t] = act(gx[t] + h[t-1] · Whhᵀ); gx [T, B, H] holds W x + b; whh [H, H]. */
  rnnScan(gx: S, whh: S, h0: S, lengths: S | null, T: number, B: number, H: number, act: Activation): S;
  rnnScanGrad(
    dh: S, h: S, whh: S, h0: S, lengths: S | null, T: number, B: number, H: number, act: Activation,
  ): { dgx: S; dwhh: S; dh0: S };
  /**
   * LSTM (gate order i, f, g, o as PyTorch): gates[t] = gx[t] + h[t-1] · Whhᵀ, gx [T, B, 4H],
   * whh [4H, H]. Returns h and c [T, B, H] and the activated gates [T, B, 4H] for the backward.
   */
  lstmScan(gx: S, whh: S, h0: S, c0: S, lengths: S | null, T: number, B: number, H: number): { h: S; c: S; gates: S };
  lstmScanGrad(
    dh: S, dc: S, gates: S, h: S, c: S, whh: S, h0: S, c0: S, lengths: S | null, T: number, B: number, H: number,
  ): { dgx: S; dwhh: S; dh0: S; dc0: S };

  // ---- convolution (optional: host backends without them use the reference kernels) ----
  /** x [N, H, W, C] → cols [N·OH·OW, KH·KW·C] (see backend/reference/conv.ts). */
  im2col?(x: S, g: ConvGeometry): S;
  /** Adjoint of im2col: cols → [N, H, W, C], summing overlapping windows. */
  col2im?(cols: S, g: ConvGeometry): S;

  // ---- optimizer updates (in place on param and state) ----
  adamStep(param: S, grad: S, m: S, v: S, hyper: AdamHyper): void;
  sgdStep(param: S, grad: S, momentumBuf: S, hyper: SgdHyper): void;
  /**
   * Optional fused update of many parameters (one launch on a GPU): for every i, grads[i] is
   * clamped in place to ±gradClip (when gradClip > 0), params[i] takes adamStep with it, and is
   * then clamped to ±bounds[i] (when bounds[i] > 0). Same result as those calls one by one, which
   * is what the optimizer makes on backends without it (Optimizer.updateGroup).
   */
  adamStepMany?(params: S[], grads: S[], m: S[], v: S[], hyper: AdamHyper, gradClip: number, bounds: number[]): void;
}
