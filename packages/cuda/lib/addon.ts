/**
 * Loads the compiled addon (build/indrnn_cuda.node). A missing or broken build is not an error
 * here: `addon` is null and `loadError` says why, so the registry can skip the backend quietly.
 *
 * Calling convention of every kernel (see src/binding.cc): outputs first (storages the caller
 * allocated), then inputs, then sizes and options. Nothing synchronises except download,
 * sumSquares and synchronize.
 */
import * as path from 'node:path';

/** Opaque to C++ callers: `alloc` attaches the device buffer to it (napi_wrap). */
export type Handle = object;
type H = Handle;
type Dims = readonly number[];
type Lengths = H | null;

export interface DriverProbe {
  ok: boolean;
  reason: string;
  driverVersion: number;
  runtimeVersion: number;
  deviceCount: number;
}

export interface DeviceInfo {
  device: number;
  name: string;
  computeCapability: string;
  multiprocessors: number;
  totalMemory: number;
  cublasVersion: number;
  cublasPath: string;
}

export interface MemoryStats {
  /** Bytes held by live tensors (freed ones return to the pool, which keeps them cached). */
  liveBytes: number;
  peakBytes: number;
  /** Live bytes past which an allocation first asks V8 to collect garbage. */
  softLimitBytes: number;
  totalBytes: number;
  freeBytes: number;
  allocations: number;
  minorGcs: number;
  majorGcs: number;
}

/** GPU time of one entry point's calls since the last takeProfile (CUDA events around each). */
export interface ProfileTotal {
  name: string;
  calls: number;
  ms: number;
}

export interface CudaAddon {
  probe(): DriverProbe;
  init(device: number): DeviceInfo;
  setCollector(fn: (major: boolean) => void): void;
  setTf32(on: boolean): void;
  setProfiling(on: boolean): void;
  takeProfile(): ProfileTotal[];
  memoryStats(): MemoryStats;
  alloc(storage: H, dtype: 0 | 1, size: number, zero: boolean): void;
  free(storage: H): void;
  upload(storage: H, data: Float32Array | Int32Array): void;
  download(storage: H, out: Float32Array | Int32Array): void;
  copy(dst: H, src: H): void;
  synchronize(): void;

  unary(op: number, y: H, x: H): void;
  unaryGrad(op: number, dx: H, x: H, y: H, dy: H): void;
  binary(op: number, out: H, a: H, b: H, shape: Dims, stridesA: Dims, stridesB: Dims): void;
  affine(y: H, x: H, scale: number, shift: number): void;
  clampInPlace(x: H, lo: number, hi: number): void;
  scaleInPlace(x: H, scale: number): void;
  sumSquares(x: H): number;
  cast(out: H, x: H): void;
  gather(out: H, x: H, shape: Dims, strides: Dims, base: number): void;
  scatter(out: H, x: H, shape: Dims, strides: Dims, base: number): void;
  concat(out: H, xs: readonly H[], outer: number, widths: Dims): void;
  reduceSum(out: H, x: H, O: number, R: number, I: number): void;
  argmax(out: H, x: H, rows: number, cols: number): void;
  matmul(
    out: H,
    a: H,
    b: H,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
  ): void;

  gatherRows(out: H, table: H, cols: number, idx: H): void;
  /** out (zeroed) += dy's rows grouped as `plan` says (layout.ts scatterPlan): segments rows, valid positions. */
  scatterAddRows(out: H, dy: H, cols: number, plan: H, segments: number, valid: number): void;
  softmax(out: H, x: H, rows: number, cols: number): void;
  softmaxCrossEntropy(
    loss: H,
    probs: H,
    logits: H,
    targets: H,
    rows: number,
    cols: number,
    ignore: number,
  ): void;
  softmaxCrossEntropyGrad(
    dx: H,
    probs: H,
    targets: H,
    dloss: H,
    rows: number,
    cols: number,
    ignore: number,
  ): void;
  batchNormTrain(
    y: H,
    mean: H,
    variance: H,
    invStd: H,
    x: H,
    gamma: H,
    beta: H,
    groups: number,
    rows: number,
    channels: number,
    eps: number,
  ): void;
  batchNormGrad(
    dx: H,
    dgamma: H,
    dbeta: H,
    dy: H,
    x: H,
    mean: H,
    invStd: H,
    gamma: H,
    groups: number,
    rows: number,
    channels: number,
  ): void;
  batchNormTrainMasked(
    y: H,
    mean: H,
    variance: H,
    invStd: H,
    x: H,
    lengths: H,
    gamma: H,
    beta: H,
    T: number,
    R: number,
    channels: number,
    perStep: boolean,
    eps: number,
  ): void;
  batchNormGradMasked(
    dx: H,
    dgamma: H,
    dbeta: H,
    dy: H,
    x: H,
    lengths: H,
    mean: H,
    invStd: H,
    gamma: H,
    T: number,
    R: number,
    channels: number,
    perStep: boolean,
  ): void;

  /** bias null: the plain scan; else the projection bias is added inside the loop. */
  indrnnScan(
    h: H,
    z: H,
    u: H,
    h0: H,
    lengths: Lengths,
    T: number,
    B: number,
    N: number,
    act: number,
    bias: H | null,
  ): void;
  /** db null: the plain scan's gradient; else db = Σ dz is accumulated inside the loop. */
  indrnnScanGrad(
    dz: H,
    du: H,
    dh0: H,
    dh: H,
    h: H,
    u: H,
    h0: H,
    lengths: Lengths,
    T: number,
    B: number,
    N: number,
    act: number,
    db: H | null,
  ): void;
  indrnnScanProj(
    h: H,
    x: H,
    w: H,
    bias: H,
    u: H,
    h0: H,
    lengths: Lengths,
    T: number,
    B: number,
    N: number,
    F: number,
    act: number,
  ): void;
  indrnnScanProjGrad(
    dw: H,
    db: H,
    du: H,
    dx: H | null,
    dh0: H,
    dh: H,
    h: H,
    x: H,
    w: H,
    u: H,
    h0: H,
    lengths: Lengths,
    T: number,
    B: number,
    N: number,
    F: number,
    act: number,
  ): void;
  rnnScan(
    h: H,
    gx: H,
    whh: H,
    h0: H,
    lengths: Lengths,
    T: number,
    B: number,
    H: number,
    act: number,
  ): void;
  rnnScanGrad(
    dgx: H,
    dwhh: H,
    dh0: H,
    dh: H,
    h: H,
    whh: H,
    h0: H,
    lengths: Lengths,
    T: number,
    B: number,
    H: number,
    act: number,
  ): void;
  lstmScan(
    h: H,
    c: H,
    gates: H,
    gx: H,
    whh: H,
    h0: H,
    c0: H,
    lengths: Lengths,
    T: number,
    B: number,
    H: number,
  ): void;
  lstmScanGrad(
    dgx: H,
    dwhh: H,
    dh0: H,
    dc0: H,
    dh: H,
    dc: H,
    gates: H,
    h: H,
    c: H,
    whh: H,
    h0: H,
    c0: H,
    lengths: Lengths,
    T: number,
    B: number,
    H: number,
  ): void;

  im2col(cols: H, x: H, ...geometry: number[]): void;
  col2im(x: H, cols: H, ...geometry: number[]): void;
  adamStep(
    param: H,
    grad: H,
    m: H,
    v: H,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    biasCorr1: number,
    biasCorr2: number,
  ): void;
  adamStepMany(
    params: readonly H[],
    grads: readonly H[],
    m: readonly H[],
    v: readonly H[],
    bounds: readonly number[],
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    biasCorr1: number,
    biasCorr2: number,
    gradClip: number,
  ): void;
  sgdStep(
    param: H,
    grad: H,
    buf: H,
    lr: number,
    momentum: number,
    dampening: number,
    nesterov: boolean,
    weightDecay: number,
    hasMomentum: boolean,
  ): void;
}

/**
 * Where the build puts the addon (relative to this file: dist/lib/addon.js), or INDRNN_CUDA_ADDON:
 * another build of it, such as the CPU emulator's (emu/README.md).
 */
export const addonPath =
  process.env['INDRNN_CUDA_ADDON'] || path.join(__dirname, '..', '..', 'build', 'indrnn_cuda.node');

function load(): { addon: CudaAddon | null; error: string | null } {
  try {
    return { addon: require(addonPath) as CudaAddon, error: null };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    const missing = (e as { code?: string }).code === 'MODULE_NOT_FOUND';
    return {
      addon: null,
      error: missing
        ? `the addon is not built (${addonPath} is missing; 'npm install' builds it where ` +
          `nvcc is found, or 'npm run rebuild -w @indrnn/cuda'; see build/install.log)`
        : `the addon failed to load: ${msg}`,
    };
  }
}

const loaded = load();
export const addon: CudaAddon | null = loaded.addon;
export const loadError: string | null = loaded.error;
