// Softmax and softmax cross-entropy over rows of [rows, cols]: one block per row (a grid-stride
// loop over rows), block-wide max and sum. The loss uses log-sum-exp, so it stays finite when a
// probability underflows, exactly as the reference.
#include "device_util.cuh"
#include "kernels.h"

namespace icu {
namespace {

/**
 * probs[r, :] = softmax(x[r, :]); when loss is non-null also
 * loss[r] = max + log Σ exp(x - max) - x[r, target[r]] (0 for ignored rows).
 */
__global__ void softmaxKernel(const float* __restrict__ x, float* __restrict__ probs,
                              const int32_t* __restrict__ targets, float* __restrict__ loss,
                              int64_t rows, int64_t cols, int32_t ignoreIndex) {
  __shared__ float fshared[32];
  __shared__ double dshared[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * cols;
    float m = -INFINITY;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) m = fmaxf(m, xr[c]);
    m = blockMax(m, fshared);
    double sum = 0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) sum += double(expf(xr[c] - m));
    sum = blockSum(sum, dshared);
    const float inv = float(1.0 / sum);
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      probs[r * cols + c] = expf(xr[c] - m) * inv;
    }
    if (loss != nullptr && threadIdx.x == 0) {
      const int32_t t = targets[r];
      // a target outside [0, cols) reads no memory and gives NaN (the reference reads undefined)
      const bool inside = t >= 0 && t < cols;
      loss[r] = t == ignoreIndex ? 0.f : inside ? float(double(m) + log(sum) - double(xr[t])) : NAN;
    }
  }
}

// dx[r, c] = (probs[r, c] - [c == target]) · dloss[r]; ignored rows are 0. One thread per element.
__global__ void crossEntropyGradKernel(const float* __restrict__ probs,
                                       const int32_t* __restrict__ targets,
                                       const float* __restrict__ dloss, float* __restrict__ dx,
                                       int64_t cols, int64_t n, int32_t ignoreIndex) {
  GRID_STRIDE(i, n) {
    const int64_t r = i / cols, c = i - r * cols;
    const int32_t t = targets[r];
    const float g = dloss[r];
    dx[i] = t == ignoreIndex ? 0.f : probs[i] * g - (c == t ? g : 0.f);
  }
}

void launchSoftmax(const float* x, float* probs, const int32_t* targets, float* loss, int64_t rows,
                   int64_t cols, int32_t ignoreIndex, const char* what) {
  if (rows == 0 || cols == 0) return;
  const int64_t cap = int64_t(smCount()) * 32;
  const unsigned grid = unsigned(rows < cap ? rows : cap);
  softmaxKernel<<<grid, rowThreads(cols), 0, stream()>>>(x, probs, targets, loss, rows, cols,
                                                         ignoreIndex);
  CHECK_LAUNCH(what, "softmaxKernel");
}

}  // namespace

void softmax(const float* x, float* out, int64_t rows, int64_t cols) {
  launchSoftmax(x, out, nullptr, nullptr, rows, cols, 0, "softmax");
}

void softmaxCrossEntropy(const float* logits, const int32_t* targets, float* loss, float* probs,
                         int64_t rows, int64_t cols, int32_t ignoreIndex) {
  launchSoftmax(logits, probs, targets, loss, rows, cols, ignoreIndex, "softmaxCrossEntropy");
}

void softmaxCrossEntropyGrad(const float* probs, const int32_t* targets, const float* dloss,
                             float* dx, int64_t rows, int64_t cols, int32_t ignoreIndex) {
  const int64_t n = rows * cols;
  if (n == 0) return;
  crossEntropyGradKernel<<<gridFor(n, 256), 256, 0, stream()>>>(probs, targets, dloss, dx, cols, n,
                                                                ignoreIndex);
  CHECK_LAUNCH("softmaxCrossEntropyGrad", "crossEntropyGradKernel");
}

}  // namespace icu
