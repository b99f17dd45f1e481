// Fused optimizer updates (in place), the single-tensor loops of torch.optim split over the pool.
#include <cmath>

#include "kernels.h"
#include "pool.h"

namespace indrnn {
namespace {

// Adam with L2 weight decay added to the gradient (torch.optim.Adam):
//   g ← g + wd·p;  m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;
//   p ← p - lr · (m / bc1) / (sqrt(v / bc2) + eps)
INDRNN_CLONES void adam_range(float* p, const float* grad, float* m, float* v, float lr, float b1,
                              float b2, float one_minus_b1, float one_minus_b2, float eps, float wd,
                              float inv_bc1, float inv_bc2, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) {
    const float g = grad[i] + wd * p[i];
    const float mi = b1 * m[i] + one_minus_b1 * g;
    const float vi = b2 * v[i] + one_minus_b2 * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - (lr * (mi * inv_bc1)) / (std::sqrt(vi * inv_bc2) + eps);
  }
}

// SGD with momentum (torch.optim.SGD): buf ← g on the first step, else μ·buf + (1-dampening)·g;
// d ← nesterov ? g + μ·buf : buf;  p ← p - lr·d
INDRNN_CLONES void sgd_range(float* p, const float* grad, float* buf, float lr, float mu,
                             float one_minus_damp, float wd, bool nesterov, bool has_momentum,
                             int64_t i0, int64_t i1) {
  if (mu == 0.0f) {
    for (int64_t i = i0; i < i1; i++) p[i] = p[i] - lr * (grad[i] + wd * p[i]);
    return;
  }
  for (int64_t i = i0; i < i1; i++) {
    const float g = grad[i] + wd * p[i];
    const float b = has_momentum ? mu * buf[i] + one_minus_damp * g : g;
    buf[i] = b;
    const float d = nesterov ? g + mu * b : b;
    p[i] = p[i] - lr * d;
  }
}

}  // namespace

void adam_step(float* param, const float* grad, float* m, float* v, int64_t n,
               const AdamHyper& hp) {
  const float inv_bc1 = static_cast<float>(1.0 / (1.0 - std::pow(hp.beta1, hp.step)));
  const float inv_bc2 = static_cast<float>(1.0 / (1.0 - std::pow(hp.beta2, hp.step)));
  const float b1 = static_cast<float>(hp.beta1), b2 = static_cast<float>(hp.beta2);
  const float omb1 = static_cast<float>(1.0 - hp.beta1), omb2 = static_cast<float>(1.0 - hp.beta2);
  parallel_for(n, kElementwiseGrain, [&](int64_t a, int64_t b) {
    adam_range(param, grad, m, v, hp.lr, b1, b2, omb1, omb2, hp.eps, hp.weight_decay, inv_bc1,
               inv_bc2, a, b);
  });
}

void sgd_step(float* param, const float* grad, float* buf, int64_t n, const SgdHyper& hp) {
  parallel_for(n, kElementwiseGrain, [&](int64_t a, int64_t b) {
    sgd_range(param, grad, buf, hp.lr, hp.momentum, static_cast<float>(1.0 - hp.dampening),
              hp.weight_decay, hp.nesterov, hp.has_momentum, a, b);
  });
}

}  // namespace indrnn
