// Layout kernels: strided gather/scatter copies (transpose, slice, padSlice, broadcastTo all reduce
// to one of them after lib/layout.ts coalesces the shape), and the row gather/scatter-add of
// embeddings (a deterministic segmented sum, no atomics). Elements are moved as 32-bit words:
// float32 and int32 share these kernels.
#include "device_util.cuh"
#include "kernels.h"

namespace icu {
namespace {

constexpr int kThreads = 256;

/** Offset in the strided operand of dense element i. */
__device__ __forceinline__ int64_t stridedOffset(const Strides& s, int64_t i) {
  int64_t off = 0;
  for (int d = s.rank - 1; d >= 0; d--) {
    const int64_t q = i / s.shape[d];
    off += (i - q * s.shape[d]) * s.stride[d];
    i = q;
  }
  return off;
}

__global__ void gatherKernel(const uint32_t* __restrict__ src, uint32_t* __restrict__ dst,
                             Strides s, int64_t n) {
  GRID_STRIDE(i, n) dst[i] = src[stridedOffset(s, i)];
}

__global__ void scatterKernel(const uint32_t* __restrict__ src, uint32_t* __restrict__ dst,
                              Strides s, int64_t n) {
  GRID_STRIDE(i, n) dst[stridedOffset(s, i)] = src[i];
}

// One thread per output element; consecutive threads read consecutive columns of a table row.
__global__ void gatherRowsKernel(const float* __restrict__ table, int64_t tableRows, int64_t cols,
                                 const int32_t* __restrict__ idx, float* __restrict__ out,
                                 int64_t n) {
  GRID_STRIDE(i, n) {
    const int64_t row = i / cols, col = i - row * cols;
    const int32_t r = idx[row];
    out[i] = r >= 0 && r < tableRows ? table[int64_t(r) * cols + col] : 0.f;
  }
}

// One thread per (segment, column): a segment is every position that adds into one table row (a word
// used several times in a batch), listed in ascending order by the host plan, and the thread sums
// them in that order. No atomics, so a repeated row's sum has the same bits on every run (atomicAdd
// would add them in whatever order the threads happened to run). Consecutive threads read
// consecutive columns of a dy row.
__global__ void scatterAddRowsKernel(const float* __restrict__ dy, int64_t cols,
                                     const int32_t* __restrict__ plan, int64_t segments,
                                     float* __restrict__ out, int64_t n) {
  const int32_t* starts = plan;
  const int32_t* rowOf = plan + segments + 1;
  const int32_t* positions = rowOf + segments;
  GRID_STRIDE(i, n) {
    const int64_t s = i / cols, col = i - s * cols;
    float sum = 0.f;
    for (int32_t k = starts[s]; k < starts[s + 1]; k++) sum += dy[int64_t(positions[k]) * cols + col];
    out[int64_t(rowOf[s]) * cols + col] = sum;
  }
}

}  // namespace

void stridedGather(const uint32_t* src, uint32_t* dst, const Strides& s, int64_t n) {
  if (n == 0) return;
  gatherKernel<<<gridFor(n, kThreads), kThreads, 0, stream()>>>(src, dst, s, n);
  CHECK_LAUNCH("layout", "gatherKernel");
}

void stridedScatter(const uint32_t* src, uint32_t* dst, const Strides& s, int64_t n) {
  if (n == 0) return;
  scatterKernel<<<gridFor(n, kThreads), kThreads, 0, stream()>>>(src, dst, s, n);
  CHECK_LAUNCH("padSlice", "scatterKernel");
}

void gatherRows(const float* table, int64_t tableRows, int64_t cols, const int32_t* idx,
                int64_t nIdx, float* out) {
  const int64_t n = nIdx * cols;
  if (n == 0) return;
  gatherRowsKernel<<<gridFor(n, kThreads), kThreads, 0, stream()>>>(table, tableRows, cols, idx,
                                                                    out, n);
  CHECK_LAUNCH("gatherRows", "gatherRowsKernel");
}

void scatterAddRows(const float* dy, int64_t cols, const int32_t* plan, int64_t segments,
                    float* out) {
  const int64_t n = segments * cols;
  if (n == 0) return;
  scatterAddRowsKernel<<<gridFor(n, kThreads), kThreads, 0, stream()>>>(dy, cols, plan, segments,
                                                                        out, n);
  CHECK_LAUNCH("scatterAddRows", "scatterAddRowsKernel");
}

}  // namespace icu
