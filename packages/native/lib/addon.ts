/**
 * Loads the compiled addon (build/Release/indrnn_native.node). A missing or broken build is not an
 * error here: `addon` is null and `loadError` says why, so callers can fall back.
 *
 * Calling convention of every kernel: outputs first (typed arrays allocated by the caller, which the
 * C++ side fills in place), then inputs, then sizes and options. See src/binding.cc.
 */
import * as path from 'node:path';
import type { MpiFunctions } from 'indrnn/node';

export type { MpiFunctions };

type F32 = Float32Array;
type I32 = Int32Array;
type Dims = readonly number[];

export interface NativeAddon extends MpiFunctions {
  info(): {
    threads: number;
    simd: string;
    simdSupported: string;
    blas: string | null;
    blasMode: string;
    blasCore: string | null;
    blasRule: string;
  };
  setNumThreads(n: number): number;
  setSimd(level: string): string;
  setBlas(mode: 'on' | 'off' | 'auto'): boolean;
  /** Whether a product of this shape goes to the system BLAS in the current mode. */
  blasChoice(m: number, n: number, k: number, transA: boolean, transB: boolean): boolean;
  /** Test hook: RNN/LSTM scans go single-threaded after `step` steps (-1: normal rule). */
  forceSerialScanAt(step: number): void;
  matmul(
    out: F32,
    a: F32,
    b: F32,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
  ): void;
  unary(op: string, out: F32, x: F32): void;
  unaryGrad(op: string, out: F32, x: F32, y: F32, dy: F32): void;
  binary(op: string, out: F32, a: F32, aShape: Dims, b: F32, bShape: Dims, outShape: Dims): void;
  affine(out: F32, x: F32, scale: number, shift: number): void;
  broadcastTo(out: F32 | I32, x: F32 | I32, shape: Dims, outShape: Dims): void;
  reduceSum(out: F32, x: F32, shape: Dims, axes: Dims): void;
  argmax(out: I32, x: F32, rows: number, cols: number): void;
  clampInPlace(x: F32, lo: number, hi: number): void;
  scaleInPlace(x: F32, scale: number): void;
  sumSquares(x: F32): number;
  cast(out: F32 | I32, x: F32 | I32): void;
  transpose(out: F32 | I32, x: F32 | I32, shape: Dims, perm: Dims): void;
  slice(out: F32 | I32, x: F32 | I32, shape: Dims, begin: Dims, size: Dims): void;
  padSlice(out: F32 | I32, x: F32 | I32, size: Dims, begin: Dims, fullShape: Dims): void;
  concat(out: F32 | I32, xs: readonly (F32 | I32)[], shapes: readonly Dims[], axis: number): void;
  gatherRows(out: F32, table: F32, cols: number, idx: I32): void;
  scatterAddRows(out: F32, dy: F32, cols: number, idx: I32, rows: number): void;
  softmax(out: F32, x: F32, rows: number, cols: number): void;
  softmaxCrossEntropy(
    loss: F32,
    probs: F32,
    logits: F32,
    rows: number,
    cols: number,
    targets: I32,
    ignoreIndex: number,
  ): void;
  softmaxCrossEntropyGrad(
    out: F32,
    probs: F32,
    targets: I32,
    dloss: F32,
    rows: number,
    cols: number,
    ignoreIndex: number,
  ): void;
  batchNormTrain(
    y: F32,
    mean: F32,
    variance: F32,
    invStd: F32,
    x: F32,
    groups: number,
    rows: number,
    channels: number,
    gamma: F32,
    beta: F32,
    eps: number,
  ): void;
  batchNormGrad(
    dx: F32,
    dgamma: F32,
    dbeta: F32,
    dy: F32,
    x: F32,
    groups: number,
    rows: number,
    channels: number,
    mean: F32,
    invStd: F32,
    gamma: F32,
  ): void;
  batchNormTrainMasked(
    y: F32,
    mean: F32,
    variance: F32,
    invStd: F32,
    x: F32,
    T: number,
    R: number,
    channels: number,
    lengths: I32,
    perStep: boolean,
    gamma: F32,
    beta: F32,
    eps: number,
  ): void;
  batchNormGradMasked(
    dx: F32,
    dgamma: F32,
    dbeta: F32,
    dy: F32,
    x: F32,
    T: number,
    R: number,
    channels: number,
    lengths: I32,
    perStep: boolean,
    mean: F32,
    invStd: F32,
    gamma: F32,
  ): void;
  indrnnScan(
    h: F32,
    z: F32,
    u: F32,
    h0: F32,
    lengths: I32 | null,
    T: number,
    B: number,
    N: number,
    act: string,
  ): void;
  indrnnScanGrad(
    dz: F32,
    du: F32,
    dh0: F32,
    dh: F32,
    h: F32,
    u: F32,
    h0: F32,
    lengths: I32 | null,
    T: number,
    B: number,
    N: number,
    act: string,
  ): void;
  indrnnScanBias(
    h: F32,
    z: F32,
    u: F32,
    bias: F32,
    h0: F32,
    lengths: I32 | null,
    T: number,
    B: number,
    N: number,
    act: string,
  ): void;
  indrnnScanBiasGrad(
    dz: F32,
    du: F32,
    db: F32,
    dh0: F32,
    dh: F32,
    h: F32,
    u: F32,
    h0: F32,
    lengths: I32 | null,
    T: number,
    B: number,
    N: number,
    act: string,
  ): void;
  indrnnScanProj(
    h: F32,
    x: F32,
    w: F32,
    bias: F32,
    u: F32,
    h0: F32,
    lengths: I32 | null,
    T: number,
    B: number,
    N: number,
    F: number,
    act: string,
  ): void;
  indrnnScanProjGrad(
    dw: F32,
    db: F32,
    du: F32,
    dx: F32 | null,
    dh0: F32,
    dh: F32,
    h: F32,
    x: F32,
    w: F32,
    u: F32,
    h0: F32,
    lengths: I32 | null,
    T: number,
    B: number,
    N: number,
    F: number,
    act: string,
  ): void;
  rnnScan(
    h: F32,
    gx: F32,
    whh: F32,
    h0: F32,
    lengths: I32 | null,
    T: number,
    B: number,
    H: number,
    act: string,
  ): void;
  rnnScanGrad(
    dgx: F32,
    dwhh: F32,
    dh0: F32,
    dh: F32,
    h: F32,
    whh: F32,
    h0: F32,
    lengths: I32 | null,
    T: number,
    B: number,
    H: number,
    act: string,
  ): void;
  lstmScan(
    h: F32,
    c: F32,
    gates: F32,
    gx: F32,
    whh: F32,
    h0: F32,
    c0: F32,
    lengths: I32 | null,
    T: number,
    B: number,
    H: number,
  ): void;
  lstmScanGrad(
    dgx: F32,
    dwhh: F32,
    dh0: F32,
    dc0: F32,
    dh: F32,
    dc: F32,
    gates: F32,
    h: F32,
    c: F32,
    whh: F32,
    h0: F32,
    c0: F32,
    lengths: I32 | null,
    T: number,
    B: number,
    H: number,
  ): void;
  adamStep(
    param: F32,
    grad: F32,
    m: F32,
    v: F32,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
  ): void;
  sgdStep(
    param: F32,
    grad: F32,
    buf: F32,
    lr: number,
    momentum: number,
    dampening: number,
    nesterov: boolean,
    weightDecay: number,
    hasMomentum: boolean,
  ): void;
}

/** Where the build puts the addon (relative to this file: dist/lib/addon.js). */
export const addonPath = path.join(__dirname, '..', '..', 'build', 'Release', 'indrnn_native.node');

function load(): { addon: NativeAddon | null; error: string | null } {
  try {
    return { addon: require(addonPath) as NativeAddon, error: null };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    const missing = (e as { code?: string }).code === 'MODULE_NOT_FOUND';
    return {
      addon: null,
      error: missing
        ? `the addon is not built (${addonPath} is missing; run 'npm install' with a C++17 compiler, or 'npm run rebuild -w @indrnn/native')`
        : `the addon failed to load: ${msg}`,
    };
  }
}

const loaded = load();
export const addon: NativeAddon | null = loaded.addon;
export const loadError: string | null = loaded.error;
