/**
 * The benchmark configurations. A step config is one training step of a stacked IndRNN with a Linear
 * head on the last step and MSE, the model of `torch_rnn_step.py --model indrnn` with the same flags,
 * so the PyTorch row times the same network. The gemm config times our GEMM against numpy/OpenBLAS.
 */

/** Peak RSS that our adding-5000 training must stay under (the 1.5 GB, decimal). */
export const ADDING_5000_RSS_LIMIT_BYTES = 1.5e9;

export interface StepShape {
  layers: number;
  hidden: number;
  /** Sequence length. */
  T: number;
  /** Batch size. */
  B: number;
  /** Input features per step. */
  input: number;
  /** Sequence-wise batch norm on W x + b, before the recurrence (as the PyTorch script's --bn). */
  bn: boolean;
}

/** How many steps each implementation times (after its warm-up). */
export interface StepCounts {
  native: number;
  reference: number;
  torch: number;
  /** TF.js timed steps; the script adds one warm-up step of its own. */
  tfjs: number;
}

export interface StepConfig {
  kind: 'step';
  name: string;
  summary: string;
  shape: StepShape;
  steps: StepCounts;
  /** Why TF.js does not run this config by default (null: it runs). */
  tfjsSkip: string | null;
  /** Whether TF.js can run it at all with the shared script (which builds 2-layer nets only). */
  tfjsPossible: boolean;
  /** A peak-RSS bound that our training must stay under, checked and reported. */
  rssLimitBytes: number | null;
  /** Part of a plain `npm run bench`. */
  inDefaultRun: boolean;
}

export interface GemmShape {
  m: number;
  n: number;
  k: number;
}

export interface GemmConfig {
  kind: 'gemm';
  name: 'gemm';
  summary: string;
  shapes: GemmShape[];
  /** Timed repetitions per shape (the median is reported); the slower wasm and reference backends do fewer. */
  reps: number;
  referenceReps: number;
  inDefaultRun: boolean;
}

export type BenchConfig = StepConfig | GemmConfig;

const TWO_LAYER_ONLY = 'the shared TF.js script builds 2-layer nets only';

export const CONFIGS: readonly BenchConfig[] = [
  {
    kind: 'step',
    name: 'adding-1000',
    summary: '2-layer IndRNN 128 units, T=1000, B=32, input 1, Linear head on the last step, MSE, Adam',
    shape: { layers: 2, hidden: 128, T: 1000, B: 32, input: 1, bn: false },
    steps: { native: 20, reference: 2, torch: 10, tfjs: 2 },
    tfjsSkip: null,
    tfjsPossible: true,
    rssLimitBytes: null,
    inDefaultRun: true,
  },
  {
    kind: 'step',
    name: 'adding-5000',
    summary: '2-layer IndRNN 128 units, T=5000, B=50, input 2, Linear head on the last step, MSE, Adam',
    shape: { layers: 2, hidden: 128, T: 5000, B: 50, input: 2, bn: false },
    steps: { native: 10, reference: 1, torch: 5, tfjs: 1 },
    // ~7.8× the work of adding-1000, where simpleRNN takes ~10 s (cpu) and ~16 s (wasm) per step
    tfjsSkip: 'skipped by default: about 1–2 minutes per step and per backend (~7.8× adding-1000); pass --slow to run it',
    tfjsPossible: true,
    rssLimitBytes: ADDING_5000_RSS_LIMIT_BYTES,
    inDefaultRun: true,
  },
  {
    kind: 'step',
    name: 'mnist-784',
    summary: '6-layer IndRNN 128 units, T=784, B=32, input 1, sequence-wise BN, Linear head (1 output), MSE, Adam',
    shape: { layers: 6, hidden: 128, T: 784, B: 32, input: 1, bn: true },
    steps: { native: 10, reference: 1, torch: 10, tfjs: 1 },
    tfjsSkip: TWO_LAYER_ONLY,
    tfjsPossible: false,
    rssLimitBytes: null,
    inDefaultRun: true,
  },
  {
    kind: 'gemm',
    name: 'gemm',
    summary: 'fp32 GEMM GFLOP/s: our backend.matmul (BLAS off) against numpy on OpenBLAS, median of 7',
    shapes: [
      { m: 1024, n: 1024, k: 1024 },
      { m: 32768, n: 128, k: 128 },
    ],
    reps: 7,
    referenceReps: 3,
    inDefaultRun: true,
  },
  {
    kind: 'step',
    name: 'smoke',
    summary: 'tiny 2-layer IndRNN 8 units, T=20, B=4, input 1 (for the test suite; not in the default run)',
    shape: { layers: 2, hidden: 8, T: 20, B: 4, input: 1, bn: false },
    steps: { native: 2, reference: 2, torch: 2, tfjs: 1 },
    tfjsSkip: null,
    tfjsPossible: true,
    rssLimitBytes: null,
    inDefaultRun: false,
  },
];

export function findConfig(name: string): BenchConfig {
  const c = CONFIGS.find((x) => x.name === name);
  if (!c) {
    throw new Error(`unknown bench config '${name}'; expected one of ${CONFIGS.map((x) => x.name).join(', ')}`);
  }
  return c;
}

/** `--config` (comma-separated) or the default set. */
export function selectConfigs(names: readonly string[]): BenchConfig[] {
  if (names.length === 0) return CONFIGS.filter((c) => c.inDefaultRun);
  return names.map(findConfig);
}

export function describeShape(s: GemmShape): string {
  return `${s.m}x${s.k}x${s.n}`;
}
