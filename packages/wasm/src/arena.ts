/**
 * The scratch arena in the module's linear memory. Tensors stay ordinary JS typed arrays; each
 * kernel call resets the arena, copies its inputs in, reserves outputs and scratch, runs, and
 * copies the outputs back out. Memory grows as needed and never shrinks (WebAssembly cannot).
 * Views are made fresh for every copy and never kept: memory.grow detaches the old buffer.
 */
import { allocOutput, type TypedArray } from 'indrnn';

const PAGE = 65536;
/** Cache-line alignment for every region (SIMD loads need only 16). */
const ALIGN = 64;

export class Arena {
  private top: number;
  private readonly base: number;

  constructor(
    private readonly memory: WebAssembly.Memory,
    heapBase: number,
  ) {
    this.base = align(heapBase);
    this.top = this.base;
  }

  /** Starts a kernel call: every earlier region becomes free. */
  reset(): void {
    this.top = this.base;
  }

  /** Bytes of linear memory now held (for diagnostics). */
  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  /** Reserves `bytes` (uninitialised) and returns the address. */
  reserve(bytes: number): number {
    const ptr = this.top;
    this.top = align(ptr + bytes);
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      // grow by at least a quarter so a sequence of growing calls does not grow every time
      const want = Math.max(this.top - have, have >> 2);
      const pages = Math.ceil(want / PAGE);
      try {
        this.memory.grow(pages);
      } catch {
        throw new Error(
          `wasm backend: cannot grow memory to ${Math.ceil((have + pages * PAGE) / 2 ** 20)} MiB`,
        );
      }
    }
    return ptr;
  }

  /** Reserves n float32 values. */
  f32(n: number): number {
    return this.reserve(n * 4);
  }

  /** Reserves n float64 values. */
  f64(n: number): number {
    return this.reserve(n * 8);
  }

  /** Reserves n int32 values. */
  i32(n: number): number {
    return this.reserve(n * 4);
  }

  /** Copies a typed array in and returns its address. */
  put(x: TypedArray): number {
    const ptr = this.reserve(x.byteLength);
    new Uint8Array(this.memory.buffer, ptr, x.byteLength).set(
      new Uint8Array(x.buffer, x.byteOffset, x.byteLength),
    );
    return ptr;
  }

  /** Adds v elementwise to the float32 values at ptr. */
  addAt(ptr: number, v: Float32Array): void {
    const view = this.viewF32(ptr, v.length);
    for (let i = 0; i < v.length; i++) view[i] = view[i]! + v[i]!;
  }

  /** A view of n float32 values at ptr (valid until the next reserve: memory may grow). */
  viewF32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  /** Copies int32 values in (lengths, descriptors). */
  putInts(values: readonly number[] | Int32Array): number {
    const ptr = this.i32(values.length);
    new Int32Array(this.memory.buffer, ptr, values.length).set(values);
    return ptr;
  }

  /**
   * A copy of n float32 values at ptr, in an array from the core's output pool (inside tidy(), a
   * recycled one: resident pages instead of fresh ones, as the native backend's outputs).
   */
  takeF32(ptr: number, n: number): Float32Array {
    const out = allocOutput('float32', n, false) as Float32Array;
    out.set(this.viewF32(ptr, n));
    return out;
  }

  /**
   * Copies n float32 values at ptr into into[offset, offset + n) of an existing array (in-place
   * kernels, and results assembled from chunks); by default all of it.
   */
  copyOut(ptr: number, into: Float32Array, offset = 0, n = into.length - offset): void {
    into.set(this.viewF32(ptr, n), offset);
  }
}

function align(p: number): number {
  return Math.ceil(p / ALIGN) * ALIGN;
}
