/**
 * Host memory for kernel outputs: a free list of typed arrays by (dtype, length) and `tidy` scopes.
 *
 * Why: touching fresh memory is expensive (every new page faults; ~4–25 µs per 4 KiB page on the VMs
 * this project runs on, i.e. 16–100 ms for one [1000, 32, 128] float32 tensor), while a training step
 * allocates the same large shapes every time. Outputs allocated inside `tidy(fn)` are handed back to
 * the free list when fn returns, except the storage of tensors fn returns or `keep`s, and the next
 * step reuses them (zero-filled, already resident). Outside any scope nothing is recycled and
 * arrays are left to the garbage collector, so code that never calls tidy behaves as before.
 *
 * The rule that keeps this safe: a kernel output that must outlive its scope is returned from it,
 * `keep`-ed, or copied with `clone()` (which is never recycled). `Tensor.assign` keeps its source.
 *
 * Device backends (CUDA) follow the same rule through `trackStorage`: their kernel outputs are
 * registered with the open scope and freed (backend.free) when it closes. Without that, a dead
 * tensor's device memory waits for V8 to collect a handle of a few bytes, so a training step's
 * gigabytes of activations pile up between collections instead of being reused the next step.
 */
import { arrayFor, dtypeOf, type DType, type TypedArray } from '../tensor/dtype.js';

/** Arrays smaller than this are not worth recycling (allocation is cheap and they fit in caches). */
const MIN_RECYCLED = 16 * 1024;

const free = new Map<string, TypedArray[]>();
let freeBytes = 0;
/** Upper bound on memory held in free lists; beyond it released arrays go to the GC. */
let maxFreeBytes = envLimit();
/** One open tidy scope: host outputs to recycle, device outputs to free. */
interface Scope {
  arrays: TypedArray[];
  owned: { storage: object; release: (storage: object) => void }[];
}
const scopes: Scope[] = [];
/** Storage that must never be recycled (kept, or assigned into a long-lived tensor). */
const escaped = new WeakSet<object>();

function envLimit(): number {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  const mb = Number(g.process?.env?.['INDRNN_POOL_MB'] ?? 1024);
  return Number.isFinite(mb) && mb >= 0 ? mb * 1024 * 1024 : 1024 * 1024 * 1024;
}

const keyOf = (dtype: DType, size: number): string => `${dtype}:${size}`;

/**
 * An array for a kernel output: recycled when one of this shape is free. Zero-filled unless the
 * caller passes zeroed = false because its kernel overwrites every element (the fill of a 16 MiB
 * output costs about as much as a small GEMM).
 */
export function allocOutput(dtype: DType, size: number, zeroed = true): TypedArray {
  if (size < MIN_RECYCLED) return arrayFor(dtype, size);
  const list = free.get(keyOf(dtype, size));
  let a = list?.pop();
  if (a) {
    freeBytes -= a.byteLength;
    if (zeroed) a.fill(0);
  } else {
    a = arrayFor(dtype, size);
  }
  scopes[scopes.length - 1]?.arrays.push(a);
  return a;
}

/**
 * Registers a device backend's kernel output with the innermost tidy scope, which calls
 * release(storage) when it closes unless the storage is returned from it or kept. Outside any
 * scope it does nothing (the storage lives until disposed or collected). Returns its argument.
 */
export function trackStorage<S extends object>(storage: S, release: (storage: S) => void): S {
  scopes[scopes.length - 1]?.owned.push({ storage, release: release as (storage: object) => void });
  return storage;
}

/** allocOutput with the element type of x. */
export function outputLike(x: TypedArray, size: number): TypedArray {
  return allocOutput(dtypeOf(x), size);
}

function release(a: TypedArray): void {
  if (escaped.has(a) || freeBytes + a.byteLength > maxFreeBytes) return;
  const key = keyOf(dtypeOf(a), a.length);
  let list = free.get(key);
  if (!list) free.set(key, (list = []));
  list.push(a);
  freeBytes += a.byteLength;
}

/** Marks storage as long-lived: no scope will recycle it. Returns its argument. */
export function keepStorage<T>(storage: T): T {
  if (typeof storage === 'object' && storage !== null) escaped.add(storage);
  return storage;
}

/** Collects the storages of every tensor-like object reachable from a value (arrays, objects). */
function collectStorages(value: unknown, out: Set<unknown>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  out.add(value); // a storage returned as it is
  const storage = (value as { storage?: unknown }).storage;
  if (typeof storage === 'object' && storage !== null) {
    out.add(storage); // a tensor: its storage, a host array or a device handle
    return;
  }
  if (ArrayBuffer.isView(value)) return; // a host storage, added above
  const items = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : Object.values(value);
  for (const v of items) collectStorages(v, out, seen);
}

/**
 * Runs fn; kernel outputs allocated inside that are not reachable from its result (nor kept) are
 * recycled when it returns. If fn throws, nothing is recycled (the GC reclaims it).
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { arrays: [], owned: [] };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const kept = new Set<unknown>();
  collectStorages(result, kept, new Set());
  const parent = scopes[scopes.length - 1];
  for (const a of scope.arrays) {
    if (kept.has(a) || escaped.has(a)) parent?.arrays.push(a);
    else release(a);
  }
  for (const entry of scope.owned) {
    if (kept.has(entry.storage) || escaped.has(entry.storage)) parent?.owned.push(entry);
    else entry.release(entry.storage);
  }
  return result;
}

/** Bytes currently held in free lists, and a way to drop them (tests, memory pressure). */
export function pooledBytes(): number {
  return freeBytes;
}

export function clearPool(): void {
  free.clear();
  freeBytes = 0;
}

export function setPoolLimit(bytes: number): void {
  maxFreeBytes = bytes;
  if (freeBytes > bytes) clearPool();
}
