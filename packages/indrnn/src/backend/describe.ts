/**
 * The compute record of a run: what decides whether two runs with the same seed give the same bits
 * (backend, threads, SIMD level, BLAS library, core and mode). Runs store it in config.json and
 * checkpoints; a resume on a different record still works, but is no longer bit-identical.
 */
import type { Backend } from './backend.js';
import { getBackend } from './registry.js';

export interface ComputeRecord {
  backend: string;
  threads: number | null;
  simd: string | null;
  blas: string | null;
  blasCore: string | null;
  blasMode: string | null;
  /** How GEMMs choose the BLAS in auto mode (a fixed rule on the shape for the native backend). */
  blasRule: string | null;
}

export function describeCompute(backend: Backend = getBackend()): ComputeRecord {
  const i = backend.info?.();
  return {
    backend: backend.name,
    threads: i ? i.threads : 1,
    simd: i?.simd ?? null,
    blas: i?.blas ?? null,
    blasCore: i?.blasCore ?? null,
    blasMode: i?.blas ? (i.blasMode ?? null) : null,
    blasRule: i?.blas && (i.blasMode ?? 'auto') === 'auto' ? (i.blasRule ?? null) : null,
  };
}

/** The fields of two records that differ, as "threads 2 → 1", for a resume warning. */
export function computeDifferences(before: Partial<ComputeRecord>, now: ComputeRecord): string[] {
  const out: string[] = [];
  for (const key of ['backend', 'threads', 'simd', 'blas', 'blasCore', 'blasMode'] as const) {
    const a = before[key] ?? null;
    const b = now[key];
    if (a !== b) out.push(`${key} ${a ?? 'none'} → ${b ?? 'none'}`);
  }
  return out;
}
