// Device helpers shared by the kernel files: activations and block-wide reductions.
#pragma once

#include <cuda_runtime.h>

#include "kernels.h"

namespace icu {

// A grid-stride loop over [0, n) with 64-bit indices (the CUDA_KERNEL_LOOP idiom).
#define GRID_STRIDE(i, n)                                                   \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); \
       i += int64_t(gridDim.x) * blockDim.x)

template <Act A>
__device__ __forceinline__ float activate(float pre) {
  if constexpr (A == Act::Relu)
    return pre > 0.f ? pre : 0.f;
  else if constexpr (A == Act::Tanh)
    return tanhf(pre);
  else
    return pre;
}

/** act'(pre) written with the output h = act(pre), as the reference does (so z is never re-read).
 */
template <Act A>
__device__ __forceinline__ float activationSlope(float h) {
  if constexpr (A == Act::Relu)
    return h > 0.f ? 1.f : 0.f;
  else if constexpr (A == Act::Tanh)
    return 1.f - h * h;
  else
    return 1.f;
}

__device__ __forceinline__ float sigmoidf(float x) {
  return 1.f / (1.f + expf(-x));
}

template <typename T>
__device__ __forceinline__ T warpSum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warpMax(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/**
 * Sum over a 1-D block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
 * `shared` holds 32 values. Callers that reuse `shared` must __syncthreads() in between.
 */
template <typename T>
__device__ T blockSum(T v, T* shared) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warpSum(v);
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  T r = lane < warps ? shared[lane] : T(0);
  r = warpSum(r);
  __syncthreads();
  return r;
}

/** Max over a 1-D block, as blockSum. */
__device__ inline float blockMax(float v, float* shared) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warpMax(v);
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  float r = lane < warps ? shared[lane] : -INFINITY;
  r = warpMax(r);
  __syncthreads();
  return r;
}

/** Threads for a block that walks a row of `cols` values: a multiple of 32, from 32 to 256. */
inline int rowThreads(int64_t cols) {
  int t = 32;
  while (t < 256 && t < cols) t <<= 1;
  return t;
}

}  // namespace icu
