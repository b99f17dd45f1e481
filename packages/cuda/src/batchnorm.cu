// Batch norm in training mode on x viewed as [G, R, C] (groups, rows, channels): statistics per
// (group, channel) over the R rows. Sequence-wise BN is G = 1, R = T·B; frame-wise is G = T, R = B.
//
// Both directions are column reductions (channels contiguous, so a warp reads 32 adjacent
// channels of one row), split over chunks of rows to fill the device, then a small finalize
// kernel, then one elementwise pass. Sums are in double. The forward shifts every value by the
// group's first row (K) before summing, so Σ(x-K)² - (Σ(x-K))²/R loses nothing to cancellation
// when |mean| ≫ std, while reading x only once for the statistics.
#include "device_util.cuh"
#include "kernels.h"

namespace icu {
namespace {

constexpr int kColX = 32;
constexpr int kColY = 8;

/**
 * Per (chunk s, group g, channel c): a = Σ f(x), b = Σ g(x) over the chunk's rows, written to
 * part[2][S, G, C]. Forward: f = x - K, g = (x - K)². Backward: f = dy, g = dy · x̂.
 * grid (⌈C/32⌉, S, G), block (32, 8).
 */
template <bool BACKWARD>
__global__ void bnPartialKernel(const float* __restrict__ x, const float* __restrict__ dy,
                                const float* __restrict__ mean, const float* __restrict__ invStd,
                                double* __restrict__ part, int64_t G, int64_t R, int64_t C,
                                int64_t chunk) {
  __shared__ double ta[kColY][kColX + 1];
  __shared__ double tb[kColY][kColX + 1];
  const int64_t c = blockIdx.x * int64_t(kColX) + threadIdx.x;
  const int64_t s = blockIdx.y, S = gridDim.y;
  const int64_t r0 = s * chunk, r1 = min(R, r0 + chunk);
  for (int64_t g = blockIdx.z; g < G; g += gridDim.z) {
    double a = 0, b = 0;
    if (c < C) {
      const float* xg = x + g * R * C;
      if constexpr (BACKWARD) {
        const float* dyg = dy + g * R * C;
        const float mu = mean[g * C + c], is = invStd[g * C + c];
        for (int64_t r = r0 + threadIdx.y; r < r1; r += kColY) {
          const double d = dyg[r * C + c];
          a += d;
          b += d * double((xg[r * C + c] - mu) * is);
        }
      } else {
        const double k = xg[c];  // the shift K: row 0 of this group
        for (int64_t r = r0 + threadIdx.y; r < r1; r += kColY) {
          const double v = double(xg[r * C + c]) - k;
          a += v;
          b += v * v;
        }
      }
    }
    ta[threadIdx.y][threadIdx.x] = a;
    tb[threadIdx.y][threadIdx.x] = b;
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
      double sa = 0, sb = 0;
      for (int k = 0; k < kColY; k++) {
        sa += ta[k][threadIdx.x];
        sb += tb[k][threadIdx.x];
      }
      part[(s * G + g) * C + c] = sa;
      part[((S + s) * G + g) * C + c] = sb;
    }
    __syncthreads();
  }
}

// mean, biased variance and 1/sqrt(var + eps) per (g, c) from the S chunk partials.
__global__ void bnStatsKernel(const float* __restrict__ x, const double* __restrict__ part,
                              float* __restrict__ mean, float* __restrict__ variance,
                              float* __restrict__ invStd, int64_t G, int64_t R, int64_t C,
                              int64_t S, double eps) {
  GRID_STRIDE(i, G * C) {
    const int64_t g = i / C, c = i - g * C;
    double sum = 0, sq = 0;
    for (int64_t s = 0; s < S; s++) {
      sum += part[s * G * C + i];
      sq += part[(S + s) * G * C + i];
    }
    const double k = x[g * R * C + c];
    const double shiftedMean = sum / double(R);
    double var = sq / double(R) - shiftedMean * shiftedMean;
    if (var < 0) var = 0;
    mean[i] = float(k + shiftedMean);
    variance[i] = float(var);
    invStd[i] = float(1.0 / sqrt(var + eps));
  }
}

// y = (x - mean)·invStd·γ + β over all G·R·C elements.
__global__ void bnApplyKernel(const float* __restrict__ x, const float* __restrict__ mean,
                              const float* __restrict__ invStd, const float* __restrict__ gamma,
                              const float* __restrict__ beta, float* __restrict__ y, int64_t R,
                              int64_t C, int64_t n) {
  GRID_STRIDE(i, n) {
    const int64_t c = i % C, g = i / (R * C);
    const int64_t s = g * C + c;
    y[i] = (x[i] - mean[s]) * invStd[s] * gamma[c] + beta[c];
  }
}

// Per (g, c) totals Σdy and Σdy·x̂ from the chunk partials, into sums[2][G, C].
__global__ void bnGradTotalsKernel(const double* __restrict__ part, double* __restrict__ sums,
                                   int64_t G, int64_t C, int64_t S) {
  GRID_STRIDE(i, G * C) {
    double sumDy = 0, sumDyXhat = 0;
    for (int64_t s = 0; s < S; s++) {
      sumDy += part[s * G * C + i];
      sumDyXhat += part[(S + s) * G * C + i];
    }
    sums[i] = sumDy;
    sums[G * C + i] = sumDyXhat;
  }
}

// dx = γ·invStd/R · (R·dy - Σdy - x̂·Σ(dy·x̂)).
__global__ void bnGradApplyKernel(const float* __restrict__ dy, const float* __restrict__ x,
                                  const float* __restrict__ mean, const float* __restrict__ invStd,
                                  const float* __restrict__ gamma, const double* __restrict__ sums,
                                  float* __restrict__ dx, int64_t G, int64_t R, int64_t C,
                                  int64_t n) {
  GRID_STRIDE(i, n) {
    const int64_t c = i % C, g = i / (R * C);
    const int64_t s = g * C + c;
    const float xhat = (x[i] - mean[s]) * invStd[s];
    const double inner = double(R) * dy[i] - sums[s] - double(xhat) * sums[G * C + s];
    dx[i] = float(double(gamma[c] * invStd[s]) / double(R) * inner);
  }
}

/** Row chunks so the partial pass has about four blocks per SM (at least 32 rows per chunk). */
int64_t bnChunks(int64_t G, int64_t R, int64_t C) {
  const int64_t perChunk = ((C + kColX - 1) / kColX) * (G < 65535 ? G : 65535);
  int64_t S = (4 * int64_t(smCount()) + perChunk - 1) / perChunk;
  const int64_t maxS = (R + 31) / 32;
  if (S > maxS) S = maxS;
  if (S > 65535) S = 65535;
  return S < 1 ? 1 : S;
}

template <bool BACKWARD>
void launchPartial(const float* x, const float* dy, const float* mean, const float* invStd,
                   double* part, int64_t G, int64_t R, int64_t C, int64_t chunk, int64_t S,
                   const char* what) {
  const dim3 grid(unsigned((C + kColX - 1) / kColX), unsigned(S), unsigned(G < 65535 ? G : 65535));
  bnPartialKernel<BACKWARD>
      <<<grid, dim3(kColX, kColY), 0, stream()>>>(x, dy, mean, invStd, part, G, R, C, chunk);
  CHECK_LAUNCH(what, "bnPartialKernel");
}

}  // namespace

void batchNormTrain(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                    float* variance, float* invStd, int64_t G, int64_t R, int64_t C, double eps) {
  if (G * C == 0 || R == 0) return;
  int64_t S = bnChunks(G, R, C);
  const int64_t chunk = (R + S - 1) / S;
  S = (R + chunk - 1) / chunk;
  Scratch part(size_t(2 * S * G * C) * sizeof(double), "batchNormTrain");
  launchPartial<false>(x, nullptr, nullptr, nullptr, part.as<double>(), G, R, C, chunk, S,
                       "batchNormTrain");
  bnStatsKernel<<<gridFor(G * C, 256), 256, 0, stream()>>>(x, part.as<double>(), mean, variance,
                                                           invStd, G, R, C, S, eps);
  CHECK_LAUNCH("batchNormTrain", "bnStatsKernel");
  const int64_t n = G * R * C;
  bnApplyKernel<<<gridFor(n, 256), 256, 0, stream()>>>(x, mean, invStd, gamma, beta, y, R, C, n);
  CHECK_LAUNCH("batchNormTrain", "bnApplyKernel");
}

void batchNormGrad(const float* dy, const float* x, const float* mean, const float* invStd,
                   const float* gamma, float* dx, float* dgamma, float* dbeta, int64_t G, int64_t R,
                   int64_t C) {
  if (C == 0) return;
  if (G == 0 || R == 0) {
    CUDA_CHECK("batchNormGrad", cudaMemsetAsync(dgamma, 0, size_t(C) * sizeof(float), stream()));
    CUDA_CHECK("batchNormGrad", cudaMemsetAsync(dbeta, 0, size_t(C) * sizeof(float), stream()));
    return;
  }
  int64_t S = bnChunks(G, R, C);
  const int64_t chunk = (R + S - 1) / S;
  S = (R + chunk - 1) / chunk;
  Scratch part(size_t(2 * S * G * C) * sizeof(double), "batchNormGrad");
  Scratch sums(size_t(2 * G * C) * sizeof(double), "batchNormGrad");
  launchPartial<true>(x, dy, mean, invStd, part.as<double>(), G, R, C, chunk, S, "batchNormGrad");
  bnGradTotalsKernel<<<gridFor(G * C, 256), 256, 0, stream()>>>(part.as<double>(),
                                                                sums.as<double>(), G, C, S);
  CHECK_LAUNCH("batchNormGrad", "bnGradTotalsKernel");
  // dβ = Σ_g Σdy, dγ = Σ_g Σdy·x̂: column sums of the [G, C] totals
  reduceSum(sums.as<double>(), dbeta, 1, G, C);
  reduceSum(sums.as<double>() + G * C, dgamma, 1, G, C);
  const int64_t n = G * R * C;
  bnGradApplyKernel<<<gridFor(n, 256), 256, 0, stream()>>>(dy, x, mean, invStd, gamma,
                                                           sums.as<double>(), dx, G, R, C, n);
  CHECK_LAUNCH("batchNormGrad", "bnGradApplyKernel");
}

}  // namespace icu
