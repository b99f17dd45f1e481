/**
 * Our GEMM, measured in-process through the backend kernel itself (`backend.matmul`, no autograd):
 * C[m, n] = A[m, k] · B[k, n], row-major, no transposes. Inputs ~ U(-1, 1), fixed per shape.
 * Each call runs in a tidy scope, as in training, so the output array is recycled rather than
 * freshly faulted in (which on these VMs costs more than the multiply; numpy reuses memory too).
 */
import { tidy, type Backend } from 'indrnn';
import type { GemmShape } from '../configs.js';
import { median } from '../stats.js';

export interface GemmMeasurement {
  medianMs: number;
  gflops: number;
  reps: number;
}

function randomMatrix(size: number, seed: number): Float32Array {
  // a tiny LCG: the values do not matter, only that they are not all zero (denormals) or NaN
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export function measureGemm(backend: Backend, shape: GemmShape, reps: number, warmup = 1): GemmMeasurement {
  const { m, n, k } = shape;
  const a = backend.fromHost(randomMatrix(m * k, 1));
  const b = backend.fromHost(randomMatrix(k * n, 2));
  const once = (): void => tidy(() => void backend.matmul(a, b, m, n, k, false, false));
  for (let i = 0; i < warmup; i++) once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    once();
    times.push(performance.now() - t0);
  }
  const ms = median(times);
  return { medianMs: ms, gflops: (2 * m * n * k) / (ms * 1e6), reps };
}
