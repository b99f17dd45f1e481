// Batch norm in training mode on x viewed as [G, R, C] (groups, rows, channels): statistics per
// (group, channel) over the R rows. Sequence-wise BN is G = 1, R = T·B; frame-wise is G = T, R = B.
//
// Both directions are column reductions (channels contiguous, so a warp reads 32 adjacent
// channels of one row), split over chunks of rows to fill the device, then a small finalize
// kernel, then one elementwise pass. Sums are in double. The forward shifts every value by the
// group's first row (K) before summing, so Σ(x-K)² - (Σ(x-K))²/R loses nothing to cancellation
// when |mean| ≫ std, while reading x only once for the statistics.
//
// Masked variants (variable lengths): x is [T, R, C] with lengths int32 [R]; row r of step t is
// valid when t < lengths[r]. Frame-wise is G = T groups of R rows, sequence-wise one group of T·R
// rows; in both, row i of group g is step g + i / R, row i % R. A small kernel counts each group's
// valid rows and finds its first one (the shift K); the passes skip padded rows, divide by the
// count and write 0 to padded rows of y and dx. Lengths are clamped to [0, T] on the device, as
// the scans do (the host checks them).
#include "device_util.cuh"
#include "kernels.h"

namespace icu {
namespace {

constexpr int kColX = 32;
constexpr int kColY = 8;

/** The row mask of a masked call (all null: every row valid, R per group, shift row 0). */
struct RowMask {
  const int32_t* lengths = nullptr;
  int64_t rowsPerStep = 1;
  const int64_t* count = nullptr;  // [G] valid rows
  const int64_t* first = nullptr;  // [G] first valid row of the group, -1 when none
};

__device__ __forceinline__ bool rowValid(const RowMask& m, int64_t g, int64_t i) {
  if (m.lengths == nullptr) return true;
  const int64_t len = m.lengths[i % m.rowsPerStep];
  return g + i / m.rowsPerStep < (len < 0 ? 0 : len);
}

/**
 * count[g], first[g] per group from lengths [R]: frame-wise (perStep) group t counts the rows with
 * lengths[r] > t; sequence-wise the single group counts Σ min(lengths[r], T) and its first valid
 * row is the first r with lengths[r] > 0 (step 0). Each thread walks the R lengths once.
 */
__global__ void bnRowCountKernel(const int32_t* __restrict__ lengths, int64_t* __restrict__ count,
                                 int64_t* __restrict__ first, int64_t T, int64_t R, int64_t G,
                                 bool perStep) {
  GRID_STRIDE(g, G) {
    int64_t n = 0, f = -1;
    for (int64_t r = 0; r < R; r++) {
      int64_t len = lengths[r];
      len = len < 0 ? 0 : (len > T ? T : len);
      if (perStep) {
        if (len > g) {
          n++;
          if (f < 0) f = r;
        }
      } else {
        n += len;
        if (len > 0 && f < 0) f = r;
      }
    }
    count[g] = n;
    first[g] = f;
  }
}

/**
 * Per (chunk s, group g, channel c): a = Σ f(x), b = Σ g(x) over the chunk's valid rows, written to
 * part[2][S, G, C]. Forward: f = x - K, g = (x - K)². Backward: f = dy, g = dy · x̂.
 * grid (⌈C/32⌉, S, G), block (32, 8).
 */
template <bool BACKWARD>
__global__ void bnPartialKernel(const float* __restrict__ x, const float* __restrict__ dy,
                                const float* __restrict__ mean, const float* __restrict__ invStd,
                                double* __restrict__ part, int64_t G, int64_t R, int64_t C,
                                int64_t chunk, RowMask mask) {
  __shared__ double ta[kColY][kColX + 1];
  __shared__ double tb[kColY][kColX + 1];
  const int64_t c = blockIdx.x * int64_t(kColX) + threadIdx.x;
  const int64_t s = blockIdx.y, S = gridDim.y;
  const int64_t r0 = s * chunk, r1 = min(R, r0 + chunk);
  for (int64_t g = blockIdx.z; g < G; g += gridDim.z) {
    double a = 0, b = 0;
    const int64_t firstRow = mask.first ? mask.first[g] : 0;
    if (c < C && firstRow >= 0) {
      const float* xg = x + g * R * C;
      if constexpr (BACKWARD) {
        const float* dyg = dy + g * R * C;
        const float mu = mean[g * C + c], is = invStd[g * C + c];
        for (int64_t r = r0 + threadIdx.y; r < r1; r += kColY) {
          if (!rowValid(mask, g, r)) continue;
          const double d = dyg[r * C + c];
          a += d;
          b += d * double((xg[r * C + c] - mu) * is);
        }
      } else {
        const double k = xg[firstRow * C + c];  // the shift K: the group's first valid row
        for (int64_t r = r0 + threadIdx.y; r < r1; r += kColY) {
          if (!rowValid(mask, g, r)) continue;
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

// mean, biased variance and 1/sqrt(var + eps) per (g, c) from the S chunk partials, over the
// group's n valid rows (a group with none: mean 0, variance 0).
__global__ void bnStatsKernel(const float* __restrict__ x, const double* __restrict__ part,
                              float* __restrict__ mean, float* __restrict__ variance,
                              float* __restrict__ invStd, int64_t G, int64_t R, int64_t C,
                              int64_t S, double eps, RowMask mask) {
  GRID_STRIDE(i, G * C) {
    const int64_t g = i / C, c = i - g * C;
    const int64_t n = mask.count ? mask.count[g] : R;
    if (n == 0) {
      mean[i] = 0.f;
      variance[i] = 0.f;
      invStd[i] = float(1.0 / sqrt(eps));
      continue;
    }
    double sum = 0, sq = 0;
    for (int64_t s = 0; s < S; s++) {
      sum += part[s * G * C + i];
      sq += part[(S + s) * G * C + i];
    }
    const double k = x[(g * R + (mask.first ? mask.first[g] : 0)) * C + c];
    const double shiftedMean = sum / double(n);
    double var = sq / double(n) - shiftedMean * shiftedMean;
    if (var < 0) var = 0;
    mean[i] = float(k + shiftedMean);
    variance[i] = float(var);
    invStd[i] = float(1.0 / sqrt(var + eps));
  }
}

// y = (x - mean)·invStd·γ + β over all G·R·C elements (0 on padded rows).
__global__ void bnApplyKernel(const float* __restrict__ x, const float* __restrict__ mean,
                              const float* __restrict__ invStd, const float* __restrict__ gamma,
                              const float* __restrict__ beta, float* __restrict__ y, int64_t R,
                              int64_t C, int64_t n, RowMask mask) {
  GRID_STRIDE(i, n) {
    const int64_t c = i % C, g = i / (R * C);
    const int64_t s = g * C + c;
    y[i] = rowValid(mask, g, (i / C) % R) ? (x[i] - mean[s]) * invStd[s] * gamma[c] + beta[c] : 0.f;
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

// dx = γ·invStd/n · (n·dy - Σdy - x̂·Σ(dy·x̂)) over a group's n valid rows; 0 on padded rows.
__global__ void bnGradApplyKernel(const float* __restrict__ dy, const float* __restrict__ x,
                                  const float* __restrict__ mean, const float* __restrict__ invStd,
                                  const float* __restrict__ gamma, const double* __restrict__ sums,
                                  float* __restrict__ dx, int64_t G, int64_t R, int64_t C,
                                  int64_t n, RowMask mask) {
  GRID_STRIDE(i, n) {
    const int64_t c = i % C, g = i / (R * C);
    if (!rowValid(mask, g, (i / C) % R)) {
      dx[i] = 0.f;
      continue;
    }
    const int64_t s = g * C + c;
    const double rows = double(mask.count ? mask.count[g] : R);
    const float xhat = (x[i] - mean[s]) * invStd[s];
    const double inner = rows * dy[i] - sums[s] - double(xhat) * sums[G * C + s];
    dx[i] = float(double(gamma[c] * invStd[s]) / rows * inner);
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
                   const RowMask& mask, const char* what) {
  const dim3 grid(unsigned((C + kColX - 1) / kColX), unsigned(S), unsigned(G < 65535 ? G : 65535));
  bnPartialKernel<BACKWARD><<<grid, dim3(kColX, kColY), 0, stream()>>>(x, dy, mean, invStd, part, G,
                                                                       R, C, chunk, mask);
  CHECK_LAUNCH(what, "bnPartialKernel");
}

// The forward over G groups of R rows (mask: as RowMask, counts and first rows on the device).
void bnTrain(const float* x, const float* gamma, const float* beta, float* y, float* mean,
             float* variance, float* invStd, int64_t G, int64_t R, int64_t C, double eps,
             const RowMask& mask, const char* what) {
  int64_t S = bnChunks(G, R, C);
  const int64_t chunk = (R + S - 1) / S;
  S = (R + chunk - 1) / chunk;
  Scratch part(size_t(2 * S * G * C) * sizeof(double), what);
  launchPartial<false>(x, nullptr, nullptr, nullptr, part.as<double>(), G, R, C, chunk, S, mask,
                       what);
  bnStatsKernel<<<gridFor(G * C, 256), 256, 0, stream()>>>(x, part.as<double>(), mean, variance,
                                                           invStd, G, R, C, S, eps, mask);
  CHECK_LAUNCH(what, "bnStatsKernel");
  const int64_t n = G * R * C;
  bnApplyKernel<<<gridFor(n, 256), 256, 0, stream()>>>(x, mean, invStd, gamma, beta, y, R, C, n,
                                                       mask);
  CHECK_LAUNCH(what, "bnApplyKernel");
}

void bnGrad(const float* dy, const float* x, const float* mean, const float* invStd,
            const float* gamma, float* dx, float* dgamma, float* dbeta, int64_t G, int64_t R,
            int64_t C, const RowMask& mask, const char* what) {
  int64_t S = bnChunks(G, R, C);
  const int64_t chunk = (R + S - 1) / S;
  S = (R + chunk - 1) / chunk;
  Scratch part(size_t(2 * S * G * C) * sizeof(double), what);
  Scratch sums(size_t(2 * G * C) * sizeof(double), what);
  launchPartial<true>(x, dy, mean, invStd, part.as<double>(), G, R, C, chunk, S, mask, what);
  bnGradTotalsKernel<<<gridFor(G * C, 256), 256, 0, stream()>>>(part.as<double>(),
                                                                sums.as<double>(), G, C, S);
  CHECK_LAUNCH(what, "bnGradTotalsKernel");
  // dβ = Σ_g Σdy, dγ = Σ_g Σdy·x̂: column sums of the [G, C] totals
  reduceSum(sums.as<double>(), dbeta, 1, G, C);
  reduceSum(sums.as<double>() + G * C, dgamma, 1, G, C);
  const int64_t n = G * R * C;
  bnGradApplyKernel<<<gridFor(n, 256), 256, 0, stream()>>>(dy, x, mean, invStd, gamma,
                                                           sums.as<double>(), dx, G, R, C, n, mask);
  CHECK_LAUNCH(what, "bnGradApplyKernel");
}

/** Counts and first valid rows of a masked call's groups, in `scratch` (2·G int64). */
RowMask rowMask(const int32_t* lengths, int64_t T, int64_t R, bool perStep, Scratch& scratch,
                const char* what) {
  const int64_t G = perStep ? T : 1;
  RowMask m;
  m.lengths = lengths;
  m.rowsPerStep = R;
  m.count = scratch.as<int64_t>();
  m.first = scratch.as<int64_t>() + G;
  bnRowCountKernel<<<gridFor(G, 256), 256, 0, stream()>>>(lengths, scratch.as<int64_t>(),
                                                          scratch.as<int64_t>() + G, T, R, G,
                                                          perStep);
  CHECK_LAUNCH(what, "bnRowCountKernel");
  return m;
}

}  // namespace

void batchNormTrain(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                    float* variance, float* invStd, int64_t G, int64_t R, int64_t C, double eps) {
  if (G * C == 0 || R == 0) return;
  bnTrain(x, gamma, beta, y, mean, variance, invStd, G, R, C, eps, RowMask{}, "batchNormTrain");
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
  bnGrad(dy, x, mean, invStd, gamma, dx, dgamma, dbeta, G, R, C, RowMask{}, "batchNormGrad");
}

void batchNormTrainMasked(const float* x, const int32_t* lengths, const float* gamma,
                          const float* beta, float* y, float* mean, float* variance,
                          float* invStd, int64_t T, int64_t R, int64_t C, bool perStep,
                          double eps) {
  const int64_t G = perStep ? T : 1;
  if (T * R * C == 0) return;
  Scratch rows(size_t(2 * G) * sizeof(int64_t), "batchNormTrainMasked");
  const RowMask m = rowMask(lengths, T, R, perStep, rows, "batchNormTrainMasked");
  bnTrain(x, gamma, beta, y, mean, variance, invStd, G, perStep ? R : T * R, C, eps, m,
          "batchNormTrainMasked");
}

void batchNormGradMasked(const float* dy, const float* x, const int32_t* lengths,
                         const float* mean, const float* invStd, const float* gamma, float* dx,
                         float* dgamma, float* dbeta, int64_t T, int64_t R, int64_t C,
                         bool perStep) {
  if (C == 0) return;
  if (T * R == 0) {
    CUDA_CHECK("batchNormGradMasked", cudaMemsetAsync(dgamma, 0, size_t(C) * sizeof(float), stream()));
    CUDA_CHECK("batchNormGradMasked", cudaMemsetAsync(dbeta, 0, size_t(C) * sizeof(float), stream()));
    return;
  }
  const int64_t G = perStep ? T : 1;
  Scratch rows(size_t(2 * G) * sizeof(int64_t), "batchNormGradMasked");
  const RowMask m = rowMask(lengths, T, R, perStep, rows, "batchNormGradMasked");
  bnGrad(dy, x, mean, invStd, gamma, dx, dgamma, dbeta, G, perStep ? R : T * R, C, m,
         "batchNormGradMasked");
}

}  // namespace icu
