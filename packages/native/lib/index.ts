/**
 * @indrnn/native: the native CPU backend for indrnn. The core registers it as 'native' and loads it
 * on demand in Node (see packages/indrnn/src/backend/registry.ts); `createNativeBackend()` can also
 * be called directly. `nativeInfo()` reports what the addon runs with (for `indrnn info`).
 */
import { addon, addonPath, loadError } from './addon.js';

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
      /** Whether GEMMs go to that BLAS (large ones only). */
      blasEnabled: boolean;
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
    blasEnabled: i.blasEnabled,
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

/** Turns use of the system BLAS on or off; returns whether it is now used. */
export function setBlas(enabled: boolean): boolean {
  return need().setBlas(enabled);
}
