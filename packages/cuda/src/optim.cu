// Optimizer updates, in place on the parameter and its state; one fused pass each, written as the
// single-tensor loops of torch.optim (see backend/reference/optim.ts). Scalars that depend only on
// the step (the bias corrections) are computed once on the host.
#include "device_util.cuh"
#include "kernels.h"

namespace icu {
namespace {

// g ← g + wd·p;  m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;
// p ← p - lr·(m/bc1)/(sqrt(v/bc2) + eps)
// 1-β arrives computed in double on the host, as PyTorch does: 1 - float(0.999) is 1.3e-5 off.
__global__ void adamKernel(float* __restrict__ p, const float* __restrict__ grad,
                           float* __restrict__ m, float* __restrict__ v, int64_t n, float lr,
                           float beta1, float beta2, float oneMinusBeta1, float oneMinusBeta2,
                           float eps, float wd, float bc1, float bc2) {
  GRID_STRIDE(i, n) {
    const float g = grad[i] + wd * p[i];
    const float mi = beta1 * m[i] + oneMinusBeta1 * g;
    const float vi = beta2 * v[i] + oneMinusBeta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
  }
}

// g ← g + wd·p;  buf ← g (first step) or μ·buf + (1-dampening)·g;  d ← nesterov ? g + μ·buf : buf
__global__ void sgdKernel(float* __restrict__ p, const float* __restrict__ grad,
                          float* __restrict__ buf, int64_t n, float lr, float momentum,
                          float oneMinusDampening, bool nesterov, float wd, bool hasMomentum) {
  GRID_STRIDE(i, n) {
    const float g = grad[i] + wd * p[i];
    float d = g;
    if (momentum != 0.f) {
      const float b = hasMomentum ? momentum * buf[i] + oneMinusDampening * g : g;
      buf[i] = b;
      d = nesterov ? g + momentum * b : b;
    }
    p[i] -= lr * d;
  }
}

__device__ __forceinline__ float clampTo(float x, float bound) {
  return x < -bound ? -bound : x > bound ? bound : x;  // as the reference clamp: NaN stays NaN
}

// adamKernel over up to kAdamBatch tensors at once, blockIdx.y picking the tensor; the gradient
// is first clamped to ±clip (written back, as clampInPlace would) and the parameter afterwards to
// ±bound (each when > 0).
__global__ void adamManyKernel(AdamBatch batch, float lr, float beta1, float beta2,
                               float oneMinusBeta1, float oneMinusBeta2, float eps, float wd,
                               float bc1, float bc2, float clip) {
  const AdamItem it = batch.items[blockIdx.y];
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < it.n;
       i += int64_t(gridDim.x) * blockDim.x) {
    float g = it.grad[i];
    if (clip > 0.f) {
      g = clampTo(g, clip);
      it.grad[i] = g;
    }
    const float pi = it.param[i];
    g += wd * pi;
    const float mi = beta1 * it.m[i] + oneMinusBeta1 * g;
    const float vi = beta2 * it.v[i] + oneMinusBeta2 * g * g;
    it.m[i] = mi;
    it.v[i] = vi;
    const float next = pi - lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
    it.param[i] = it.bound > 0.f ? clampTo(next, it.bound) : next;
  }
}

}  // namespace

void adamStepMany(const AdamItem* items, int count, float lr, double beta1, double beta2,
                  float eps, float weightDecay, float biasCorr1, float biasCorr2, float gradClip) {
  for (int first = 0; first < count; first += kAdamBatch) {
    AdamBatch batch{};
    batch.count = count - first < kAdamBatch ? count - first : kAdamBatch;
    int64_t largest = 0;
    for (int j = 0; j < batch.count; j++) {
      batch.items[j] = items[first + j];
      if (items[first + j].n > largest) largest = items[first + j].n;
    }
    if (largest == 0) continue;
    const dim3 grid(gridFor(largest, 256), unsigned(batch.count));
    adamManyKernel<<<grid, 256, 0, stream()>>>(batch, lr, float(beta1), float(beta2),
                                               float(1 - beta1), float(1 - beta2), eps,
                                               weightDecay, biasCorr1, biasCorr2, gradClip);
    CHECK_LAUNCH("adamStepMany", "adamManyKernel");
  }
}

void adamStep(float* param, const float* grad, float* m, float* v, int64_t n, float lr,
              double beta1, double beta2, float eps, float weightDecay, float biasCorr1,
              float biasCorr2) {
  if (n == 0) return;
  adamKernel<<<gridFor(n, 256), 256, 0, stream()>>>(
      param, grad, m, v, n, lr, float(beta1), float(beta2), float(1 - beta1), float(1 - beta2), eps,
      weightDecay, biasCorr1, biasCorr2);
  CHECK_LAUNCH("adamStep", "adamKernel");
}

void sgdStep(float* param, const float* grad, float* buf, int64_t n, float lr, float momentum,
             double dampening, bool nesterov, float weightDecay, bool hasMomentum) {
  if (n == 0) return;
  sgdKernel<<<gridFor(n, 256), 256, 0, stream()>>>(param, grad, buf, n, lr, momentum,
                                                   float(1 - dampening),
                                                   nesterov, weightDecay, hasMomentum);
  CHECK_LAUNCH("sgdStep", "sgdKernel");
}

}  // namespace icu
