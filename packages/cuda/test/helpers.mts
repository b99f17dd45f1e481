/**
 * Test helpers for the CUDA backend: the backend under test (or why the GPU tests skip), seeded
 * random inputs that are never zero, host <-> device conversion, and a closeness assertion that
 * prints the first mismatches with their index.
 */
import {
  buildModel,
  Generator,
  manualSeed,
  randn,
  referenceBackend,
  Trainer,
  type Backend,
  type SequenceModel,
  type TypedArray,
} from 'indrnn';
import { BASE_SETTINGS, encoderFromSettings, trainOptionsFromSettings, type Settings } from 'indrnn/node';
import {
  assertClose as closeOrThrow,
  fixedBatchTask,
  nonZeroNormal,
  nonZeroUniform,
  randomInts,
} from 'indrnn/testing';
import { describe, it } from 'node:test';
import { createCudaBackend, cudaInfo, type CudaBackend, type CudaStorage } from '../lib/index.js';

const info = cudaInfo();

/** Why the GPU tests are skipped (no addon, no driver, no device), or false when they run. */
export const skipReason: string | false = info.available
  ? false
  : `no usable GPU, CUDA kernel tests skipped: ${info.error}`;
if (skipReason) console.log(`# ${skipReason}`);

/**
 * The describe() of a GPU test file. Without a usable GPU, by design, its suites are not
 * registered here: the CUDA emulator suite (emulator.test.mjs) runs this same file on the CPU and
 * requires 0 skips there. The file then registers one skipped test instead, named after it, so
 * the runner counts the skip and says why and where the tests do run (a skipped describe is
 * listed but not counted).
 */
export function gpuFile(file: string): (name: string, fn: () => void) => void {
  if (!skipReason) return (name, fn) => describe(name, fn);
  it(`${file}: the CUDA tests on a real GPU`, { skip: `${skipReason}; emulator.test.mjs runs this file on the CUDA emulator` }, () => {});
  return () => undefined;
}

export const cuda: CudaBackend | null = info.available
  ? createCudaBackend({ reference: referenceBackend() })
  : null;
export const reference = referenceBackend() as Backend<TypedArray>;

/** Uploads host arrays (the reference backend's storage) to the GPU. */
export function up(x: TypedArray): CudaStorage {
  return cuda!.fromHost(x);
}

/** Downloads a storage (synchronises, so a failed kernel is reported here). */
export function down(s: CudaStorage): TypedArray {
  return cuda!.toHost(s);
}

/** N(offset, scale) float32 values, never exactly zero (no test passes on zeros). */
export function rnd(n: number, gen: Generator, scale = 1, offset = 0): Float32Array {
  return nonZeroNormal(gen, n, scale, offset);
}

/** Uniform values in [lo, hi), never zero. */
export function uniform(n: number, gen: Generator, lo: number, hi: number): Float32Array {
  return nonZeroUniform(gen, n, lo, hi);
}

/** Integers in [lo, hi) as int32. */
export function ints(n: number, gen: Generator, lo: number, hi: number): Int32Array {
  return randomInts(gen, n, lo, hi);
}

/**
 * Asserts |actual - expected| <= atol + rtol·|expected| elementwise (NaN matches NaN, ±Inf must be
 * equal), listing the first five mismatches with their flat index; device storage is downloaded.
 */
export function assertClose(
  actual: ArrayLike<number> | CudaStorage,
  expected: ArrayLike<number>,
  what: string,
  atol = 1e-5,
  rtol = 1e-4,
): void {
  closeOrThrow(isStorage(actual) ? down(actual) : actual, expected, { atol, rtol }, what, 'cuda');
}

/** Asserts two int arrays are identical, listing the first mismatches. */
export function assertEqualInts(
  actual: ArrayLike<number> | CudaStorage,
  expected: ArrayLike<number>,
  what: string,
): void {
  assertClose(actual, expected, what, 0, 0);
}

function isStorage(x: unknown): x is CudaStorage {
  return typeof x === 'object' && x !== null && 'dtype' in x && !ArrayBuffer.isView(x);
}

/**
 * A Trainer for a 2-layer IndRNN regression (2 input features, Adam, element-wise clip 10) on one
 * fixed batch, on the backend `setBackend` last chose (the model's parameters live there).
 */
export function smallIndrnnTrainer(backend: Backend, T: number, B: number, hidden: number, seed = 0): {
  trainer: Trainer;
  model: SequenceModel;
} {
  manualSeed(seed);
  const settings: Settings = {
    ...BASE_SETTINGS,
    task: 'small',
    preset: 'quick',
    layers: 2,
    hidden,
    seqLen: T,
    batchSize: B,
    bn: 'none',
    dropout: 0,
    optimizer: 'adam',
    gradClip: 10,
    schedule: 'none',
    evalEvery: 0,
    steps: 10,
  };
  const model = buildModel({
    kind: 'sequence',
    encoder: encoderFromSettings(settings, 2, true),
    outputSize: 1,
  }) as SequenceModel;
  const x = randn([T, B, 2], { backend });
  const y = randn([B, 1], { backend });
  return { trainer: new Trainer(fixedBatchTask(model, x, y, 'small'), trainOptionsFromSettings(settings)), model };
}
