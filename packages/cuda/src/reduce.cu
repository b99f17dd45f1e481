// Reductions. Every sum is accumulated in double (cheap on the GPU, and close to the reference,
// which sums in float64) and is deterministic: no atomics, fixed chunking for a given shape.
//
// reduceSum works on x viewed as [O, R, I] (lib/layout.ts turns any set of axes into one or more
// such passes). R is split into S chunks so that long sums (R = T·B for a bias gradient) still
// fill the device: pass 1 writes double partials [S, O, I], pass 2 sums them over S.
#include <climits>

#include "device_util.cuh"
#include "kernels.h"

namespace icu {

void copyToHostSync(void* dst, const void* src, size_t bytes, const char* what);  // memory.cc

namespace {

constexpr int kColX = 32;  // column kernel: 32 adjacent columns per block (coalesced rows) ...
constexpr int kColY = 8;   // ... and 8 lanes walking the rows of a chunk
constexpr int kRowThreads = 256;

// out[s, o, i] = Σ_{r in chunk s} x[o, r, i]; grid (⌈I/32⌉, S, min(O, 65535)), block (32, 8).
template <typename In, typename Out>
__global__ void reduceColumnsKernel(const In* __restrict__ x, Out* __restrict__ out, int64_t O,
                                    int64_t R, int64_t I, int64_t chunk) {
  __shared__ double tile[kColY][kColX + 1];
  const int64_t i = blockIdx.x * int64_t(kColX) + threadIdx.x;
  const int64_t s = blockIdx.y;
  const int64_t r0 = s * chunk, r1 = min(R, r0 + chunk);
  for (int64_t o = blockIdx.z; o < O; o += gridDim.z) {
    double acc = 0;
    if (i < I) {
      for (int64_t r = r0 + threadIdx.y; r < r1; r += kColY) acc += double(x[(o * R + r) * I + i]);
    }
    tile[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && i < I) {
      double total = 0;
      for (int k = 0; k < kColY; k++) total += tile[k][threadIdx.x];
      out[(s * O + o) * I + i] = Out(total);
    }
    __syncthreads();
  }
}

// out[s, o] = Σ_{r in chunk s} f(x[o, r]) with f = identity or square; grid (rows, S).
template <typename In, typename Out, bool SQUARE>
__global__ void reduceRowsKernel(const In* __restrict__ x, Out* __restrict__ out, int64_t O,
                                 int64_t R, int64_t chunk) {
  __shared__ double shared[32];
  const int64_t s = blockIdx.y;
  const int64_t r0 = s * chunk, r1 = min(R, r0 + chunk);
  for (int64_t o = blockIdx.x; o < O; o += gridDim.x) {
    double acc = 0;
    for (int64_t r = r0 + threadIdx.x; r < r1; r += blockDim.x) {
      const double v = double(x[o * R + r]);
      acc += SQUARE ? v * v : v;
    }
    acc = blockSum(acc, shared);
    if (threadIdx.x == 0) out[s * O + o] = Out(acc);
  }
}

__global__ void argmaxKernel(const float* __restrict__ x, int32_t* __restrict__ out, int64_t rows,
                             int cols) {
  __shared__ float sv[32];
  __shared__ int si[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    // each thread walks increasing columns and keeps the first strictly larger value, so NaN and
    // an all -Infinity row never win (INT_MAX marks "nothing", read as 0 like the reference)
    float best = -INFINITY;
    int bi = INT_MAX;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
      const float v = x[row * cols + c];
      if (v > best) {
        best = v;
        bi = c;
      }
    }
    for (int o = 16; o > 0; o >>= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, best, o);
      const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
      if (ov > best || (ov == best && oi < bi)) {
        best = ov;
        bi = oi;
      }
    }
    if (lane == 0) {
      sv[warp] = best;
      si[warp] = bi;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      for (int w = 1; w < warps; w++) {
        if (sv[w] > best || (sv[w] == best && si[w] < bi)) {
          best = sv[w];
          bi = si[w];
        }
      }
      out[row] = bi == INT_MAX ? 0 : bi;
    }
    __syncthreads();
  }
}

/** Chunks of R so that the first pass has about four blocks per SM. */
int64_t chunkCount(int64_t blocksPerChunk, int64_t R, int64_t minRows) {
  const int64_t target = 4 * int64_t(smCount());
  int64_t S = (target + blocksPerChunk - 1) / blocksPerChunk;
  const int64_t maxS = (R + minRows - 1) / minRows;
  if (S > maxS) S = maxS;
  if (S > 65535) S = 65535;
  return S < 1 ? 1 : S;
}

template <typename In, typename Out>
void launchColumns(const In* x, Out* out, int64_t O, int64_t R, int64_t I, int64_t chunk,
                   int64_t S) {
  const dim3 grid(unsigned((I + kColX - 1) / kColX), unsigned(S), unsigned(O < 65535 ? O : 65535));
  reduceColumnsKernel<In, Out><<<grid, dim3(kColX, kColY), 0, stream()>>>(x, out, O, R, I, chunk);
  CHECK_LAUNCH("reduceSum", "reduceColumnsKernel");
}

template <typename In, typename Out, bool SQUARE>
void launchRows(const In* x, Out* out, int64_t O, int64_t R, int64_t chunk, int64_t S) {
  const int64_t cap = int64_t(smCount()) * 64;
  const dim3 grid(unsigned(O < cap ? O : cap), unsigned(S));
  reduceRowsKernel<In, Out, SQUARE><<<grid, kRowThreads, 0, stream()>>>(x, out, O, R, chunk);
  CHECK_LAUNCH("reduceSum", "reduceRowsKernel");
}

template <typename In>
void reduceSumImpl(const In* x, float* out, int64_t O, int64_t R, int64_t I) {
  if (O * I == 0) return;
  if (R == 0) {
    CUDA_CHECK("reduceSum", cudaMemsetAsync(out, 0, size_t(O * I) * sizeof(float), stream()));
    return;
  }
  const int64_t oBlocks = O < 65535 ? O : 65535;
  const bool rows = I == 1;
  const int64_t perChunk = rows ? oBlocks : ((I + kColX - 1) / kColX) * oBlocks;
  int64_t S = chunkCount(perChunk, R, rows ? 1024 : 32);
  const int64_t chunk = (R + S - 1) / S;
  S = (R + chunk - 1) / chunk;
  if (S == 1) {
    if (rows)
      launchRows<In, float, false>(x, out, O, R, chunk, 1);
    else
      launchColumns<In, float>(x, out, O, R, I, chunk, 1);
    return;
  }
  Scratch part(size_t(S * O * I) * sizeof(double), "reduceSum");  // [S, O, I]
  if (rows)
    launchRows<In, double, false>(x, part.as<double>(), O, R, chunk, S);
  else
    launchColumns<In, double>(x, part.as<double>(), O, R, I, chunk, S);
  launchColumns<double, float>(part.as<double>(), out, 1, S, O * I, S, 1);
}

}  // namespace

void reduceSum(const float* x, float* out, int64_t O, int64_t R, int64_t I) {
  reduceSumImpl(x, out, O, R, I);
}

void reduceSum(const double* x, float* out, int64_t O, int64_t R, int64_t I) {
  reduceSumImpl(x, out, O, R, I);
}

double sumSquares(const float* x, int64_t n) {
  if (n == 0) return 0;
  int64_t S = chunkCount(1, n, 4096);
  const int64_t chunk = (n + S - 1) / S;
  S = (n + chunk - 1) / chunk;
  Scratch part(size_t(S + 1) * sizeof(double), "sumSquares");  // [S] partials, then the total
  double* p = part.as<double>();
  launchRows<float, double, true>(x, p, 1, n, chunk, S);
  launchRows<double, double, false>(p, p + S, 1, S, S, 1);
  double total = 0;
  copyToHostSync(&total, p + S, sizeof(double), "sumSquares");
  return total;
}

void argmax(const float* x, int32_t* out, int64_t rows, int64_t cols) {
  if (rows == 0) return;
  if (cols == 0) {
    CUDA_CHECK("argmax", cudaMemsetAsync(out, 0, size_t(rows) * sizeof(int32_t), stream()));
    return;
  }
  const int64_t cap = int64_t(smCount()) * 32;
  const unsigned grid = unsigned(rows < cap ? rows : cap);
  argmaxKernel<<<grid, rowThreads(cols), 0, stream()>>>(x, out, rows, int(cols));
  CHECK_LAUNCH("argmax", "argmaxKernel");
}

}  // namespace icu
