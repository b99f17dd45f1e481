/**
 * @indrnn/wasm: WebAssembly SIMD kernels for indrnn, the backend for browsers and the fallback
 * where no native addon builds. Usage:
 *
 *   import { initWasm } from '@indrnn/wasm';
 *   await initWasm();          // compiles the embedded kernels and registers backend 'wasm'
 *   setBackend('wasm');        // or let the automatic choice take it (native > wasm > reference)
 *
 * In Node the core can also load it synchronously on first use (see the registry), so
 * INDRNN_BACKEND=wasm and `--backend wasm` work without calling initWasm.
 * Single-threaded; Node can split GEMM rows across worker threads with '@indrnn/wasm/threads'.
 */
import { registerBackend } from 'indrnn';
import { createWasmBackend, type WasmBackend } from './backend.js';
import {
  compileKernels,
  instantiateKernels,
  instantiateKernelsSync,
  type KernelSource,
} from './loader.js';

export { createWasmBackend, type WasmBackend } from './backend.js';
export { embeddedKernels, wasmUnsupportedReason, type KernelSource } from './loader.js';
export type { KernelExports } from './exports.js';

/** Priority in the automatic choice: below native (20), above reference (0). */
export const WASM_PRIORITY = 10;

let ready: Promise<WasmBackend> | null = null;

export interface InitWasmOptions {
  /** Kernel bytes or a compiled module instead of the embedded build. */
  source?: KernelSource;
}

/**
 * Compiles and instantiates the kernels (once; later calls return the same backend) and registers
 * it as 'wasm'. It does not select it: call setBackend('wasm'), or rely on the automatic choice
 * when no tensor has been made yet.
 */
export function initWasm(options: InitWasmOptions = {}): Promise<WasmBackend> {
  ready ??= (async () => {
    const module = await compileKernels(options.source);
    const backend = createWasmBackend(await instantiateKernels(module));
    registerBackend('wasm', () => backend, WASM_PRIORITY);
    return backend;
  })();
  // a failed compile may be retried (e.g. with other bytes)
  ready.catch(() => {
    ready = null;
  });
  return ready;
}

/**
 * A new wasm backend with its own memory, compiled synchronously (Node and workers; browsers
 * refuse synchronous compiles of large modules on the main thread). The registry uses this to
 * load the backend on demand in Node.
 */
export function createWasmBackendSync(source?: KernelSource): WasmBackend {
  return createWasmBackend(instantiateKernelsSync(source));
}
