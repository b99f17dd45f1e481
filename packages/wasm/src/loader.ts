/**
 * Compiling and instantiating kernels.wasm. The bytes are embedded (kernels.generated.ts), so
 * loading needs no fetch, file system or bundler support: the same code runs in Node, browsers
 * and workers. Callers may pass their own bytes or a compiled module (e.g. to share one module
 * between workers).
 */
import type { KernelExports } from './exports.js';
import { KERNELS_WASM_BASE64 } from './kernels.generated.js';

/** Where the kernels come from: the embedded build (default), raw bytes, or a compiled module. */
export type KernelSource = WebAssembly.Module | BufferSource;

/** The embedded kernels.wasm bytes. */
export function embeddedKernels(): Uint8Array<ArrayBuffer> {
  return decodeBase64(KERNELS_WASM_BASE64);
}

/** Bytes from base64 lines; atob exists in browsers, workers and Node >= 16 (no Buffer). */
export function decodeBase64(lines: readonly string[]): Uint8Array<ArrayBuffer> {
  const bin = atob(lines.join(''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Why this engine cannot run the kernels, or null when it can (SIMD is required). */
export function wasmUnsupportedReason(): string | null {
  if (typeof WebAssembly !== 'object') return 'this JavaScript engine has no WebAssembly';
  // the smallest module using a v128 value: validates only where fixed-width SIMD is supported
  const simdProbe = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253,
    15, 253, 98, 11,
  ]);
  return WebAssembly.validate(simdProbe)
    ? null
    : 'this engine lacks WebAssembly SIMD (fixed-width, 128-bit)';
}

export async function compileKernels(source?: KernelSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  const reason = wasmUnsupportedReason();
  if (reason) throw new Error(`wasm backend unavailable: ${reason}; use the reference backend`);
  return WebAssembly.compile(source ?? embeddedKernels());
}

/** A fresh instance (its own memory) of the kernels module. */
export async function instantiateKernels(module: WebAssembly.Module): Promise<KernelExports> {
  const instance = await WebAssembly.instantiate(module, {});
  return instance.exports as unknown as KernelExports;
}

/** Synchronous compile + instantiate (Node, workers; browsers limit this on the main thread). */
export function instantiateKernelsSync(source?: KernelSource): KernelExports {
  const reason = wasmUnsupportedReason();
  if (reason) throw new Error(`wasm backend unavailable: ${reason}; use the reference backend`);
  const module =
    source instanceof WebAssembly.Module
      ? source
      : new WebAssembly.Module(source ?? embeddedKernels());
  return new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
}
