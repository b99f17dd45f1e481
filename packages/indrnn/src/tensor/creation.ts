/** Random and ranged tensor creation, driven by the seeded generator. */
import type { Backend } from '../backend/backend.js';
import { arrayFor, type DType } from './dtype.js';
import { type Shape, checkShape, sizeOf } from './shape.js';
import { tensor, type Tensor } from './tensor.js';
import { defaultGenerator, type Generator } from '../util/random.js';

export interface RandomOptions {
  dtype?: DType;
  generator?: Generator;
  backend?: Backend;
}

/** Normal(mean, std) entries. */
export function randn(shape: Shape, opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const gen = opts.generator ?? defaultGenerator();
  const data = arrayFor(opts.dtype ?? 'float32', sizeOf(checkShape('randn', shape)));
  for (let i = 0; i < data.length; i++) data[i] = gen.normal(opts.mean ?? 0, opts.std ?? 1);
  return tensor(data, shape, undefined, opts.backend);
}

/** Uniform[low, high) entries. */
export function rand(shape: Shape, opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const gen = opts.generator ?? defaultGenerator();
  const data = arrayFor(opts.dtype ?? 'float32', sizeOf(checkShape('rand', shape)));
  for (let i = 0; i < data.length; i++) data[i] = gen.uniform(opts.low ?? 0, opts.high ?? 1);
  return tensor(data, shape, undefined, opts.backend);
}

/** Uniform integers in [0, high) as int32. */
export function randint(shape: Shape, high: number, opts: Omit<RandomOptions, 'dtype'> = {}): Tensor {
  const gen = opts.generator ?? defaultGenerator();
  const data = new Int32Array(sizeOf(checkShape('randint', shape)));
  for (let i = 0; i < data.length; i++) data[i] = gen.int(high);
  return tensor(data, shape, 'int32', opts.backend);
}

/** 0, 1, ..., n-1. */
export function arange(n: number, dtype: DType = 'int32', backend?: Backend): Tensor {
  const data = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) data[i] = i;
  return tensor(data, [n], dtype, backend);
}
