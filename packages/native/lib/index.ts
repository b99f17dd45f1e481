/**
 * @indrnn/native: the native CPU backend for indrnn. The core registers it as 'native' and loads it
 * on demand in Node (see packages/indrnn/src/backend/registry.ts); `createNativeBackend()` can also
 * be called directly. `nativeInfo()` reports what the addon runs with (for `indrnn info`).
 */
import { addon, addonPath, loadError, type MpiFunctions } from './addon.js';

export type { MpiFunctions } from './addon.js';

export { createNativeBackend, type NativeBackendOptions } from './backend.js';

export type NativeInfo =
  | {
      available: true;
      /** Threads in the kernel pool (available cores, or INDRNN_NUM_THREADS). */
      threads: number;
      /** Micro-kernel level in use, and the best this CPU supports. */
      simd: 'avx512' | 'avx2' | 'generic';
      simdSupported: 'avx512' | 'avx2' | 'generic';
      /** System BLAS found with dlopen ('openblas', 'blis', 'mkl'), or null; INDRNN_BLAS=off hides it. */
      blas: string | null;
      /**
       * How large GEMMs use that BLAS: 'auto' (default) by a fixed rule on the shape (`blasRule`),
       * 'on' always, 'off' never (INDRNN_BLAS=auto|on|off). No mode depends on timing.
       */
      blasMode: 'auto' | 'on' | 'off';
      /** The library's kernel family (OpenBLAS core name, e.g. 'SkylakeX'; OPENBLAS_CORETYPE sets it), or null. */
      blasCore: string | null;
      /** Auto mode's rule in words. */
      blasRule: string;
      addonPath: string;
    }
  | { available: false; error: string };

export function nativeInfo(): NativeInfo {
  if (!addon) return { available: false, error: loadError ?? 'unknown error' };
  const i = addon.info();
  return {
    available: true,
    threads: i.threads,
    simd: i.simd as 'avx512' | 'avx2' | 'generic',
    simdSupported: i.simdSupported as 'avx512' | 'avx2' | 'generic',
    blas: i.blas,
    blasMode: i.blasMode as 'auto' | 'on' | 'off',
    blasCore: i.blasCore,
    blasRule: i.blasRule,
    addonPath,
  };
}

function need(): NonNullable<typeof addon> {
  if (!addon) throw new Error(`@indrnn/native: ${loadError}`);
  return addon;
}

/** Resizes the kernel thread pool; returns the new size. */
export function setNumThreads(n: number): number {
  return need().setNumThreads(n);
}

/** Selects the micro-kernel level (capped at what the CPU supports); returns the level in use. */
export function setSimd(level: 'avx512' | 'avx2' | 'generic'): string {
  return need().setSimd(level);
}

/**
 * How large GEMMs use the system BLAS: 'on', 'off', or 'auto' (when it is faster). Returns whether a
 * library is loaded and not switched off.
 */
export function setBlas(mode: 'on' | 'off' | 'auto'): boolean {
  return need().setBlas(mode);
}

/** Whether a product op(A) [m, k] · op(B) [k, n] goes to the system BLAS in the current mode. */
export function blasChoice(m: number, n: number, k: number, transA = false, transB = false): boolean {
  return need().blasChoice(m, n, k, transA, transB);
}

/**
 * Test hook: the RNN/LSTM scans switch to one thread after `step` steps, as they do by themselves
 * when threads wait longer at the per-step barrier than they work (-1 restores that rule).
 */
export function forceSerialScanAt(step: number): void {
  need().forceSerialScanAt(step);
}

/**
 * The addon's MPI functions (libmpi is opened with dlopen on first use, so nothing here needs MPI
 * at build time). Throws when the addon itself is not built.
 */
export function mpiBinding(): MpiFunctions {
  return need();
}
