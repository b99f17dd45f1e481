// Softmax over rows, softmax cross-entropy (per-row loss + probabilities) and its gradient.
// Rows are independent and split over the pool; sums are accumulated in float64.
#include <cmath>

#include "kernels.h"
#include "pool.h"

namespace indrnn {
namespace {

// out = exp(x - max) / Σ exp(x - max) for one row; returns (max, Σ) for the loss.
INDRNN_CLONES void softmax_row(const float* x, int64_t cols, float* out, float* max_out,
                               double* sum_out) {
  float mx = -__builtin_inff();
  for (int64_t c = 0; c < cols; c++) mx = x[c] > mx ? x[c] : mx;
  for (int64_t c = 0; c < cols; c++) out[c] = exp_f(x[c] - mx);
  // eight float64 partial sums: the loop vectorises without reassociating one sum
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    for (int j = 0; j < 8; j++) acc[j] += out[c + j];
  }
  double sum = 0.0;
  for (; c < cols; c++) sum += out[c];
  for (int j = 0; j < 8; j++) sum += acc[j];
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t k = 0; k < cols; k++) out[k] *= inv;
  *max_out = mx;
  *sum_out = sum;
}

int64_t row_grain(int64_t cols) {
  return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(cols, 1));
}

}  // namespace

void softmax(const float* x, int64_t rows, int64_t cols, float* out) {
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    float mx;
    double sum;
    for (int64_t r = r0; r < r1; r++) softmax_row(x + r * cols, cols, out + r * cols, &mx, &sum);
  });
}

void softmax_cross_entropy(const float* logits, int64_t rows, int64_t cols, const int32_t* targets,
                           int32_t ignore_index, float* loss, float* probs) {
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      float mx;
      double sum;
      softmax_row(logits + r * cols, cols, probs + r * cols, &mx, &sum);
      const int32_t t = targets[r];
      if (t == ignore_index || t < 0 || t >= cols) continue;  // range checked by the op
      // log-sum-exp form keeps the loss finite when the probability underflows
      loss[r] = static_cast<float>(mx + std::log(sum) - logits[r * cols + t]);
    }
  });
}

void softmax_cross_entropy_grad(const float* probs, const int32_t* targets, const float* dloss,
                                int64_t rows, int64_t cols, int32_t ignore_index, float* dx) {
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int32_t t = targets[r];
      if (t == ignore_index) continue;
      const float g = dloss[r];
      const float* p = probs + r * cols;
      float* d = dx + r * cols;
      for (int64_t c = 0; c < cols; c++) d[c] = p[c] * g;
      if (t >= 0 && t < cols) d[t] -= g;
    }
  });
}

}  // namespace indrnn
