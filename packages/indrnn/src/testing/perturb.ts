/**
 * Subtly wrong kernels, to show that a check fails on them: a backend whose one kernel returns
 * outputs off by 0.1%. Each tightened tolerance in the suites is demonstrated against it (a check
 * that still passes on a perturbed kernel is too loose to catch a wrong one).
 */
import type { Backend } from '../backend/backend.js';
import { registerBackend } from '../backend/registry.js';
import type { TypedArray } from '../tensor/dtype.js';

/** A kernel of the Backend interface that returns its outputs (not an in-place one). */
export type KernelName = Exclude<
  { [K in keyof Backend]-?: NonNullable<Backend[K]> extends (...args: never[]) => unknown ? K : never }[keyof Backend],
  undefined
>;

export interface PerturbOptions {
  /** Every selected float output is multiplied by this (default 1.001: 0.1% off). */
  factor?: number;
  /** For a kernel that returns a record (batchNormTrain's y, mean, ...), the one field to scale; default every float array. */
  output?: string;
}

const isFloatArray = (v: unknown): v is Float32Array | Float64Array => v instanceof Float32Array || v instanceof Float64Array;

function scaled(v: unknown, factor: number): unknown {
  return isFloatArray(v) ? v.map((x) => x * factor) : v;
}

/**
 * `base` (a backend whose storage is host arrays: reference, native, wasm) with the float outputs
 * of `kernel` scaled by `factor`; every other kernel is base's own. The outputs are copies, so the
 * base backend's memory is never touched.
 */
export function perturbedBackend(base: Backend<TypedArray>, kernel: KernelName, options: PerturbOptions = {}): Backend<TypedArray> {
  const factor = options.factor ?? 1.001;
  const original = (base as unknown as Record<string, (...args: unknown[]) => unknown>)[kernel];
  if (typeof original !== 'function') throw new Error(`perturbedBackend: ${base.name} has no kernel ${kernel}`);
  const wrong = Object.create(base) as Backend<TypedArray>;
  Object.defineProperty(wrong, kernel, {
    value: (...args: unknown[]): unknown => {
      const out = original.apply(base, args);
      if (isFloatArray(out)) return scaled(out, factor);
      if (out === null || typeof out !== 'object') return out;
      const fields = Object.entries(out as Record<string, unknown>);
      if (options.output !== undefined && !fields.some(([k]) => k === options.output)) {
        throw new Error(`perturbedBackend: ${kernel} returns no output '${options.output}' (it has ${fields.map(([k]) => k).join(', ')})`);
      }
      return Object.fromEntries(fields.map(([k, v]) => [k, options.output === undefined || k === options.output ? scaled(v, factor) : v]));
    },
  });
  return wrong;
}

/**
 * Registers perturbedBackend(base(), kernel, options) under `name` (never chosen automatically), so
 * whole-model checks, which select backends by name, can run on it. Returns the name.
 */
export function registerPerturbedBackend(name: string, base: () => Backend<TypedArray>, kernel: KernelName, options: PerturbOptions = {}): string {
  registerBackend(
    name,
    () => {
      const wrong = perturbedBackend(base(), kernel, options);
      Object.defineProperty(wrong, 'name', { value: name });
      return wrong;
    },
    -1,
  );
  return name;
}

/**
 * Entry points that are not kernels with outputs of their own (capability queries, storage moves,
 * the finiteness probe) or that work in place (optimizer steps, clamps): never perturbed.
 */
export const NOT_PERTURBED: ReadonlySet<string> = new Set([
  'supports', 'fromHost', 'toHost', 'alloc', 'free', 'sumSquares', 'adamStep', 'adamStepMany', 'sgdStep', 'clampInPlace',
]);

/** `backend`, adding the name of every entry point called to `called` (clear it between runs). */
export function recordingBackend(backend: Backend<TypedArray>, called: Set<string>): Backend<TypedArray> {
  const recording = Object.create(backend) as Record<string, unknown>;
  for (const key of Object.keys(backend)) {
    const fn = (backend as unknown as Record<string, unknown>)[key];
    if (typeof fn !== 'function') continue;
    recording[key] = (...args: unknown[]): unknown => {
      called.add(key);
      return (fn as (...a: unknown[]) => unknown).apply(backend, args);
    };
  }
  return recording as unknown as Backend<TypedArray>;
}

/** The kernels among `called` that perturbedBackend can make wrong, sorted. */
export function perturbableKernels(called: Iterable<string>): KernelName[] {
  return [...called].filter((k) => !NOT_PERTURBED.has(k)).sort() as KernelName[];
}
