// Batch norm in training mode on x viewed as [groups, rows, channels], statistics per
// (group, channel) over rows, accumulated in float64 like the reference. Frame-wise BN (many
// small groups) splits groups over the pool; sequence-wise BN (one group of T·B rows) splits rows,
// with per-thread partial sums added in thread order.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace indrnn {
namespace {

// Rows summed in float before a block's sums are added to the float64 totals: float adds run at
// twice the SIMD width, and 16-term float partial sums keep the result within a few ulps of a
// float64 sum.
constexpr int64_t kFloatBlock = 16;

// s1[c] += Σ_r d, s2[c] += Σ_r d² over rows [r0, r1), d = x[r, c] - shift[c]. One pass: with
// the shift near the mean, E[d²] - E[d]² loses no precision to cancellation.
INDRNN_CLONES void col_moments(const float* __restrict__ x, int64_t C, int64_t r0, int64_t r1,
                               const float* __restrict__ shift, float* __restrict__ f1,
                               float* __restrict__ f2, double* __restrict__ s1,
                               double* __restrict__ s2) {
  for (int64_t b0 = r0; b0 < r1; b0 += kFloatBlock) {
    const int64_t b1 = std::min(r1, b0 + kFloatBlock);
    for (int64_t c = 0; c < C; c++) f1[c] = f2[c] = 0.0f;
    for (int64_t r = b0; r < b1; r++) {
      for (int64_t c = 0; c < C; c++) {
        const float d = x[r * C + c] - shift[c];
        f1[c] += d;
        f2[c] += d * d;
      }
    }
    for (int64_t c = 0; c < C; c++) {
      s1[c] += f1[c];
      s2[c] += f2[c];
    }
  }
}

// y = (x - mean)·invStd·γ + β, folded to y = x·scale + shift per channel
INDRNN_CLONES void normalize(const float* x, int64_t C, int64_t r0, int64_t r1, const float* scale,
                             const float* shift, float* y) {
  for (int64_t r = r0; r < r1; r++) {
    for (int64_t c = 0; c < C; c++) y[r * C + c] = x[r * C + c] * scale[c] + shift[c];
  }
}

// sum_dy[c] += Σ dy,  sum_dyx[c] += Σ dy·x̂ (float within blocks of rows, float64 across them)
INDRNN_CLONES void grad_sums(const float* __restrict__ dy, const float* __restrict__ x, int64_t C,
                             int64_t r0, int64_t r1, const float* __restrict__ mean,
                             const float* __restrict__ inv_std, float* __restrict__ f1,
                             float* __restrict__ f2, double* __restrict__ sum_dy,
                             double* __restrict__ sum_dyx) {
  for (int64_t b0 = r0; b0 < r1; b0 += kFloatBlock) {
    const int64_t b1 = std::min(r1, b0 + kFloatBlock);
    for (int64_t c = 0; c < C; c++) f1[c] = f2[c] = 0.0f;
    for (int64_t r = b0; r < b1; r++) {
      for (int64_t c = 0; c < C; c++) {
        const float xhat = (x[r * C + c] - mean[c]) * inv_std[c];
        f1[c] += dy[r * C + c];
        f2[c] += dy[r * C + c] * xhat;
      }
    }
    for (int64_t c = 0; c < C; c++) {
      sum_dy[c] += f1[c];
      sum_dyx[c] += f2[c];
    }
  }
}

// dx = γ·invStd/R · (R·dy - Σdy - x̂·Σ(dy·x̂)) = k1·dy - k2 - x̂·k3 per channel
INDRNN_CLONES void grad_dx(const float* dy, const float* x, int64_t C, int64_t r0, int64_t r1,
                           const float* mean, const float* inv_std, const float* k1,
                           const float* k2, const float* k3, float* dx) {
  for (int64_t r = r0; r < r1; r++) {
    for (int64_t c = 0; c < C; c++) {
      const float xhat = (x[r * C + c] - mean[c]) * inv_std[c];
      dx[r * C + c] = k1[c] * dy[r * C + c] - k2[c] - xhat * k3[c];
    }
  }
}

// Runs fn(r0, r1, tid) over the rows of one group, on `nt` threads (nt partial slots).
template <class F>
void over_rows(int nt, int64_t R, F&& fn) {
  run_parallel(nt, [&](int tid, int parts) {
    int64_t r0, r1;
    split_range(R, parts, tid, 1, &r0, &r1);
    fn(r0, r1, tid);
  });
}

// Sums nt partials of [C] each into out[C], in thread order.
void add_partials(const std::vector<double>& part, int nt, int64_t C, double* out) {
  for (int64_t c = 0; c < C; c++) {
    double s = 0.0;
    for (int t = 0; t < nt; t++) s += part[t * C + c];
    out[c] = s;
  }
}

// One group's forward, on nt threads (nt = 1 inside a group-parallel loop).
void bn_group_train(const float* x, int64_t R, int64_t C, const float* gamma, const float* beta,
                    float eps, float* y, float* mean, float* variance, float* inv_std, int nt) {
  const size_t cs = static_cast<size_t>(C);
  std::vector<double> p1(nt * cs, 0.0), p2(nt * cs, 0.0);
  std::vector<float> fp(2 * nt * cs);
  std::vector<double> s1(cs), s2(cs), mu(cs);
  // one pass over x: moments about a shift near the mean (the mean of the first few rows), so the
  // variance E[d²] - E[d]² does not cancel away for inputs with a large mean
  std::vector<float> shift0(cs, 0.0f);
  const int64_t probe = std::min<int64_t>(R, 8);
  for (int64_t r = 0; r < probe; r++)
    for (int64_t c = 0; c < C; c++) shift0[c] += x[r * C + c] / static_cast<float>(probe);
  over_rows(nt, R, [&](int64_t r0, int64_t r1, int tid) {
    col_moments(x, C, r0, r1, shift0.data(), &fp[2 * tid * cs], &fp[(2 * tid + 1) * cs],
                &p1[tid * cs], &p2[tid * cs]);
  });
  add_partials(p1, nt, C, s1.data());
  add_partials(p2, nt, C, s2.data());
  std::vector<float> scale(cs), shift(cs);
  for (int64_t c = 0; c < C; c++) {
    const double m1 = s1[c] / static_cast<double>(R);
    mu[c] = shift0[c] + m1;
    const double v = std::max(0.0, s2[c] / static_cast<double>(R) - m1 * m1);
    const double is = 1.0 / std::sqrt(v + eps);
    mean[c] = static_cast<float>(mu[c]);
    variance[c] = static_cast<float>(v);
    inv_std[c] = static_cast<float>(is);
    scale[c] = static_cast<float>(is * gamma[c]);
    shift[c] = static_cast<float>(beta[c] - mu[c] * is * gamma[c]);
  }
  over_rows(nt, R, [&](int64_t r0, int64_t r1, int) {
    normalize(x, C, r0, r1, scale.data(), shift.data(), y);
  });
}

void bn_group_grad(const float* dy, const float* x, int64_t R, int64_t C, const float* mean,
                   const float* inv_std, const float* gamma, float* dx, double* dgamma,
                   double* dbeta, int nt) {
  std::vector<double> p_dy(static_cast<size_t>(nt * C), 0.0),
      p_dyx(static_cast<size_t>(nt * C), 0.0);
  std::vector<float> fp(static_cast<size_t>(2 * nt * C));
  over_rows(nt, R, [&](int64_t r0, int64_t r1, int tid) {
    grad_sums(dy, x, C, r0, r1, mean, inv_std, &fp[2 * tid * C], &fp[(2 * tid + 1) * C],
              &p_dy[tid * C], &p_dyx[tid * C]);
  });
  std::vector<double> s_dy(static_cast<size_t>(C)), s_dyx(static_cast<size_t>(C));
  add_partials(p_dy, nt, C, s_dy.data());
  add_partials(p_dyx, nt, C, s_dyx.data());
  std::vector<float> k1(static_cast<size_t>(C)), k2(static_cast<size_t>(C)),
      k3(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; c++) {
    const double g = static_cast<double>(gamma[c]) * inv_std[c] / static_cast<double>(R);
    k1[c] = static_cast<float>(g * R);
    k2[c] = static_cast<float>(g * s_dy[c]);
    k3[c] = static_cast<float>(g * s_dyx[c]);
    dgamma[c] += s_dyx[c];
    dbeta[c] += s_dy[c];
  }
  over_rows(nt, R, [&](int64_t r0, int64_t r1, int) {
    grad_dx(dy, x, C, r0, r1, mean, inv_std, k1.data(), k2.data(), k3.data(), dx);
  });
}

}  // namespace

void batch_norm_train(const float* x, int64_t groups, int64_t rows, int64_t channels,
                      const float* gamma, const float* beta, float eps, float* y, float* mean,
                      float* variance, float* inv_std) {
  const int64_t C = channels, R = rows;
  if (groups == 0 || C == 0) return;
  const int64_t gsize = R * C;
  if (groups >= 2 * num_threads()) {  // frame-wise: whole groups per thread
    parallel_for(groups, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(gsize, 1)),
                 [&](int64_t g0, int64_t g1) {
                   for (int64_t g = g0; g < g1; g++) {
                     bn_group_train(x + g * gsize, R, C, gamma, beta, eps, y + g * gsize,
                                    mean + g * C, variance + g * C, inv_std + g * C, 1);
                   }
                 });
    return;
  }
  const int nt = threads_for(gsize, kElementwiseGrain);
  for (int64_t g = 0; g < groups; g++) {
    bn_group_train(x + g * gsize, R, C, gamma, beta, eps, y + g * gsize, mean + g * C,
                   variance + g * C, inv_std + g * C, nt);
  }
}

void batch_norm_grad(const float* dy, const float* x, int64_t groups, int64_t rows,
                     int64_t channels, const float* mean, const float* inv_std, const float* gamma,
                     float* dx, float* dgamma, float* dbeta) {
  const int64_t C = channels, R = rows;
  if (groups == 0 || C == 0) return;
  const int64_t gsize = R * C;
  std::vector<double> dg(static_cast<size_t>(C), 0.0), db(static_cast<size_t>(C), 0.0);
  if (groups >= 2 * num_threads()) {
    // per-thread [C] sums of dγ, dβ over that thread's groups, added in thread order
    const int nt = threads_for(groups * gsize, kElementwiseGrain);
    std::vector<double> pg(static_cast<size_t>(nt * C), 0.0), pb(static_cast<size_t>(nt * C), 0.0);
    run_parallel(nt, [&](int tid, int parts) {
      int64_t g0, g1;
      split_range(groups, parts, tid, 1, &g0, &g1);
      for (int64_t g = g0; g < g1; g++) {
        bn_group_grad(dy + g * gsize, x + g * gsize, R, C, mean + g * C, inv_std + g * C, gamma,
                      dx + g * gsize, &pg[tid * C], &pb[tid * C], 1);
      }
    });
    add_partials(pg, nt, C, dg.data());
    add_partials(pb, nt, C, db.data());
  } else {
    const int nt = threads_for(gsize, kElementwiseGrain);
    for (int64_t g = 0; g < groups; g++) {
      bn_group_grad(dy + g * gsize, x + g * gsize, R, C, mean + g * C, inv_std + g * C, gamma,
                    dx + g * gsize, dg.data(), db.data(), nt);
    }
  }
  for (int64_t c = 0; c < C; c++) {
    dgamma[c] = static_cast<float>(dg[c]);
    dbeta[c] = static_cast<float>(db[c]);
  }
}

}  // namespace indrnn
