/**
 * The result lines: one JSON object per measurement (`--json` prints them one a line). A row that could
 * not run keeps its shape, with a null time and `skipped` saying why, so a reader never has to guess.
 */

/** Our implementations and the baselines. */
/** Our backends: native (C++ addon), wasm (AssemblyScript SIMD, single thread), reference (plain TS). */
export const OUR_IMPLS = ['indrnn-native', 'indrnn-wasm', 'indrnn-reference'] as const;
export const STEP_BASELINES = ['pytorch-cpu', 'tfjs-cpu-simplernn', 'tfjs-wasm-simplernn'] as const;
/** `indrnn-native-blas` is our native backend with INDRNN_BLAS=on (system BLAS forced), beside the BLAS-off row. */
export const GEMM_IMPLS = ['indrnn-native', 'indrnn-native-blas', 'indrnn-wasm', 'indrnn-reference', 'numpy-openblas'] as const;

export type Impl =
  | (typeof OUR_IMPLS)[number]
  | (typeof STEP_BASELINES)[number]
  | (typeof GEMM_IMPLS)[number];

export const ALL_IMPLS: readonly Impl[] = [...new Set<Impl>([...OUR_IMPLS, ...STEP_BASELINES, ...GEMM_IMPLS])];

export function isOurs(impl: string): boolean {
  return impl.startsWith('indrnn-');
}

export interface StepLine {
  impl: Impl;
  config: string;
  /** Median milliseconds per training step; null when skipped. */
  ms_per_step: number | null;
  /** Timed steps (after warm-up). */
  steps?: number;
  warmup?: number;
  min_ms?: number;
  max_ms?: number;
  /** Peak resident memory of the process that trained (our rows: the measuring child process), MiB. */
  peak_rss_mb?: number;
  /** The config's bound on peak RSS (MiB) and whether this run stayed under it. */
  rss_limit_mb?: number;
  rss_ok?: boolean;
  threads?: number;
  /** The BLAS in use, 'off', or null for none. */
  blas?: string | null;
  /** Facts the reader needs (version, limits, what was left out). */
  note?: string;
  /** Why this row did not run. */
  skipped?: string;
  /** 1-minute load average when the row finished: other work on the machine slows every row. */
  load_1m?: number;
  /** 'cpu' with --cpu-time: the times are process CPU time, not wall time. */
  clock?: Clock;
  /** With --kernels (our rows): where one step's time goes, per backend kernel, largest first. */
  breakdown?: StepBreakdown;
}

export interface KernelRow {
  kernel: string;
  calls: number;
  ms: number;
  /** MiB of output storage the kernel allocated, per step. */
  alloc_mb: number;
}

export interface StepBreakdown {
  /** Mean step time while the kernels were timed (the wrappers add a little). */
  step_ms: number;
  kernels: KernelRow[];
  /** step_ms minus the kernels: ops, autograd tape, optimizer loop, allocation of JS objects. */
  outside_kernels_ms: number;
  /** V8 garbage collection inside the timed steps (overlaps both of the above). */
  gc_ms: number;
}

export interface GemmLine {
  impl: Impl;
  config: 'gemm';
  /** M x K x N of op(A)[M, K] · op(B)[K, N]. */
  shape: string;
  /** Median GFLOP/s (2·M·N·K / time); null when skipped. */
  gflops: number | null;
  ms?: number;
  reps?: number;
  threads?: number;
  blas?: string | null;
  note?: string;
  skipped?: string;
  load_1m?: number;
  clock?: Clock;
}

/** What the times measure: wall time (default) or this process's CPU time (--cpu-time). */
export type Clock = 'wall' | 'cpu';

export type ResultLine = StepLine | GemmLine;

export function isGemmLine(l: ResultLine): l is GemmLine {
  return 'gflops' in l;
}

export function skippedStep(impl: Impl, config: string, reason: string): StepLine {
  return { impl, config, ms_per_step: null, skipped: reason };
}

export function skippedGemm(impl: Impl, shape: string, reason: string): GemmLine {
  return { impl, config: 'gemm', shape, gflops: null, skipped: reason };
}
