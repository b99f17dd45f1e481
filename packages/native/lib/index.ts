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
       * How large GEMMs use that BLAS: 'auto' (default) per shape, when a one-time timing of that
       * shape (on its first call) finds it faster than our kernels; 'on' always; 'off' never
       * (INDRNN_BLAS=auto|on|off).
       */
      blasMode: 'auto' | 'on' | 'off';
      /** Auto mode: distinct large GEMM shapes timed so far, and how many of them go to the library. */
      blasShapes: { timed: number; library: number };
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
    blasShapes: i.blasShapes,
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
