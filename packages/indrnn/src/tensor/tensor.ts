/**
 * Tensor: a shape, a dtype and storage on a backend, plus autograd bookkeeping. Tensors are dense and
 * row-major; reshape shares storage, everything else makes new storage. Math lives in src/ops; the
 * methods here are thin, chainable wrappers over those functions.
 */
import type { Backend } from '../backend/backend.js';
import { getBackend, referenceBackend } from '../backend/registry.js';
import { backward, type Node } from '../autograd/tape.js';
import { arrayFor, dtypeOf, type DType, type TypedArray } from './dtype.js';
import { type Shape, checkShape, sizeOf } from './shape.js';
import { fail, fmtShape } from '../util/errors.js';
import { keepStorage, trackStorage } from '../backend/memory.js';
import * as ew from '../ops/elementwise.js';
import * as red from '../ops/reduce.js';
import * as lay from '../ops/layout.js';
import { matmul } from '../ops/matmul.js';

export type TensorLike = Tensor | number;

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  requiresGrad = false;
  grad: Tensor | null = null;
  /** The op that produced this tensor (null for leaves and for tensors made without recording). */
  node: Node | null = null;
  outputIndex = 0;

  /**
   * storage, dtype and backend only change through Parameter.assign (loading weights, moving a model
   * to another dtype or backend); every other tensor keeps them for life.
   */
  constructor(
    public storage: unknown,
    shape: Shape,
    public dtype: DType,
    public backend: Backend,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Host view of the data. For host backends this is the storage itself: treat it as read-only. */
  data(): TypedArray {
    return this.backend.toHost(this.storage);
  }

  /** A fresh host copy of the data as a plain array. */
  toArray(): number[] {
    return Array.from(this.data());
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) fail(`item: tensor has shape ${fmtShape(this.shape)}, expected one element`);
    return this.data()[0]!;
  }

  /** A tensor sharing storage but cut from the graph (like torch's detach). */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.dtype, this.backend);
  }

  /** Protects this tensor's storage from being recycled by enclosing tidy scopes. */
  keep(): this {
    keepStorage(this.storage);
    return this;
  }

  /** A copy with new storage, cut from the graph (never recycled by tidy scopes). */
  clone(): Tensor {
    return new Tensor(this.backend.clone(this.storage), this.shape, this.dtype, this.backend);
  }

  onesLike(): Tensor {
    return full(this.shape, 1, this.dtype, this.backend);
  }

  zerosLike(): Tensor {
    return zeros(this.shape, this.dtype, this.backend);
  }

  /**
   * Replaces this tensor's contents with src's (same shape; dtype and backend follow src). Used to load
   * weights, update buffers and move parameters; autograd history is not touched.
   */
  assign(src: Tensor): this {
    if (src.shape.join() !== this.shape.join()) {
      fail(`assign: shape ${fmtShape(src.shape)} does not match ${fmtShape(this.shape)}`);
    }
    // this tensor outlives any tidy scope the source was made in
    this.storage = keepStorage(src.storage);
    this.dtype = src.dtype;
    this.backend = src.backend;
    return this;
  }

  /** Releases storage outside the JS heap (a no-op on host backends). */
  dispose(): void {
    this.backend.free(this.storage);
  }

  backward(gradient?: Tensor, retainGraph = false): void {
    backward(this, gradient, retainGraph);
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}, ${this.backend.name})`;
  }

  // ---- chainable wrappers over src/ops ----
  add(o: TensorLike): Tensor { return ew.add(this, o); }
  sub(o: TensorLike): Tensor { return ew.sub(this, o); }
  mul(o: TensorLike): Tensor { return ew.mul(this, o); }
  div(o: TensorLike): Tensor { return ew.div(this, o); }
  maximum(o: TensorLike): Tensor { return ew.maximum(this, o); }
  minimum(o: TensorLike): Tensor { return ew.minimum(this, o); }
  neg(): Tensor { return ew.neg(this); }
  relu(): Tensor { return ew.relu(this); }
  tanh(): Tensor { return ew.tanh(this); }
  sigmoid(): Tensor { return ew.sigmoid(this); }
  exp(): Tensor { return ew.exp(this); }
  log(): Tensor { return ew.log(this); }
  sqrt(): Tensor { return ew.sqrt(this); }
  square(): Tensor { return ew.square(this); }
  abs(): Tensor { return ew.abs(this); }
  sum(axes?: number | readonly number[], keepDims = false): Tensor { return red.sum(this, axes, keepDims); }
  mean(axes?: number | readonly number[], keepDims = false): Tensor { return red.mean(this, axes, keepDims); }
  argmax(): Tensor { return red.argmax(this); }
  reshape(shape: Shape): Tensor { return lay.reshape(this, shape); }
  transpose(perm?: readonly number[]): Tensor { return lay.transpose(this, perm); }
  slice(begin: readonly number[], size: readonly number[]): Tensor { return lay.slice(this, begin, size); }
  broadcastTo(shape: Shape): Tensor { return lay.broadcastTo(this, shape); }
  matmul(o: Tensor, transA = false, transB = false): Tensor { return matmul(this, o, transA, transB); }
}

/** Resolves the backend for new tensors: float64 always lives on the reference backend. */
function backendFor(dtype: DType, backend?: Backend): Backend {
  const b = backend ?? getBackend();
  return b.supports(dtype) ? b : referenceBackend();
}

/** Makes a tensor from host data. Nested arrays are flattened; shape defaults to the nesting. */
export function tensor(
  values: TypedArray | readonly number[] | readonly (readonly number[])[] | readonly (readonly (readonly number[])[])[],
  shape?: Shape,
  dtype?: DType,
  backend?: Backend,
): Tensor {
  let flat: TypedArray;
  let inferred: number[];
  if (values === null || values === undefined || (typeof values !== 'object')) {
    fail(`tensor: values must be a typed array or a (nested) array of numbers, got ${values === null ? 'null' : typeof values}`);
  }
  if (ArrayBuffer.isView(values)) {
    const typed = values as TypedArray;
    const dt = dtype ?? dtypeOf(typed);
    flat = dt === dtypeOf(typed) ? typed : arrayFor(dt, typed.length);
    if (flat !== typed) flat.set(typed);
    inferred = [typed.length];
  } else {
    inferred = nestedShape(values as readonly unknown[]);
    const dt = dtype ?? 'float32';
    flat = arrayFor(dt, sizeOf(inferred));
    flat.set((values as readonly unknown[]).flat(Infinity as 1) as number[]);
  }
  const finalShape = shape === undefined ? inferred : checkShape('tensor', shape);
  if (sizeOf(finalShape) !== flat.length) {
    fail(`tensor: shape ${fmtShape(finalShape)} needs ${sizeOf(finalShape)} values, got ${flat.length}`);
  }
  const dt = dtypeOf(flat);
  const b = backendFor(dt, backend);
  return new Tensor(b.fromHost(flat), finalShape, dt, b);
}

function nestedShape(values: readonly unknown[]): number[] {
  const shape: number[] = [values.length];
  let v: unknown = values[0];
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

export function zeros(shape: Shape, dtype: DType = 'float32', backend?: Backend): Tensor {
  checkShape('zeros', shape);
  const b = backendFor(dtype, backend);
  return new Tensor(b.alloc(dtype, sizeOf(shape)), shape, dtype, b);
}

export function full(shape: Shape, value: number, dtype: DType = 'float32', backend?: Backend): Tensor {
  checkShape('full', shape);
  const data = arrayFor(dtype, sizeOf(shape));
  data.fill(value);
  return tensor(data, shape, dtype, backend);
}

export function ones(shape: Shape, dtype: DType = 'float32', backend?: Backend): Tensor {
  return full(shape, 1, dtype, backend);
}

/** A scalar of the given dtype on the given backend (used to promote numbers in binary ops). */
export function scalarLike(value: number, like: Tensor): Tensor {
  const data = arrayFor(like.dtype, 1);
  data[0] = value;
  return temporary(new Tensor(like.backend.fromHost(data), [], like.dtype, like.backend));
}

/**
 * Marks a tensor the library made for its own use inside an op (a promoted scalar, a zero initial
 * state, the gradient seed) as dead when the enclosing tidy scope closes, like a kernel output:
 * device backends free it then instead of waiting for the garbage collector.
 */
export function temporary(t: Tensor): Tensor {
  trackStorage(t.storage as object, (s) => t.backend.free(s));
  return t;
}
