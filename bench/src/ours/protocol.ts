/** The job a measuring child process gets (argv[2], JSON) and the one JSON line it answers with. */
import type { GemmShape, StepShape } from '../configs.js';
import type { BackendInfo } from './backend.js';
import type { StepMeasurement } from './step.js';
import type { GemmMeasurement } from './gemm.js';
import type { KernelStat } from './kernels.js';

export type ChildJob =
  | { kind: 'step'; backend: string; shape: StepShape; steps: number; warmup: number; kernels: boolean }
  | { kind: 'gemm'; backend: string; shapes: GemmShape[]; reps: number };

export type ChildReply =
  | { ok: false; reason: string }
  | {
      ok: true; kind: 'step'; info: BackendInfo; step: StepMeasurement; maxRssBytes: number;
      /** With `kernels`: per-step kernel time, calls and output bytes, and GC time per step. */
      breakdown?: { kernels: [string, KernelStat][]; gcMs: number };
    }
  | { ok: true; kind: 'gemm'; info: BackendInfo; gemm: { shape: GemmShape; result: GemmMeasurement }[]; maxRssBytes: number };

/** Prefix of the reply line, so stray output of a backend cannot be mistaken for it. */
export const REPLY_PREFIX = 'BENCH_RESULT ';
