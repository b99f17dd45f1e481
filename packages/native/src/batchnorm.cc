// Batch norm in training mode on x viewed as [groups, rows, channels], statistics per
// (group, channel) over rows, accumulated in float64 like the reference. Frame-wise BN (many
// small groups) splits groups over the pool; sequence-wise BN (one group of T·B rows) splits rows,
// with per-thread partial sums added in thread order.
//
// The masked variants (variable lengths) run the same code with a row mask: statistics over the
// valid rows only (n of them), padded rows of y and dx written as 0.
#include <algorithm>
#include <cmath>
#include <cstdint>
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
// Rows with valid[r] == 0 are skipped (valid null: every row counts).
INDRNN_CLONES void col_moments(const float* __restrict__ x, int64_t C, int64_t r0, int64_t r1,
                               const uint8_t* __restrict__ valid,
                               const float* __restrict__ shift, float* __restrict__ f1,
                               float* __restrict__ f2, double* __restrict__ s1,
                               double* __restrict__ s2) {
  for (int64_t b0 = r0; b0 < r1; b0 += kFloatBlock) {
    const int64_t b1 = std::min(r1, b0 + kFloatBlock);
    for (int64_t c = 0; c < C; c++) f1[c] = f2[c] = 0.0f;
    for (int64_t r = b0; r < b1; r++) {
      if (valid && !valid[r]) continue;
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

// y = (x - mean)·scale + β with scale = invStd·γ; padded rows get 0. Centring before scaling keeps
// a group of one row (or of equal rows) at exactly β, where x·scale + shift would leave the
// rounding error of two large, cancelling terms (|x|·invStd with invStd up to 1/sqrt(eps)).
INDRNN_CLONES void normalize(const float* x, int64_t C, int64_t r0, int64_t r1,
                             const uint8_t* valid, const float* mean, const float* scale,
                             const float* beta, float* y) {
  for (int64_t r = r0; r < r1; r++) {
    if (valid && !valid[r]) {
      std::fill(y + r * C, y + (r + 1) * C, 0.0f);
      continue;
    }
    for (int64_t c = 0; c < C; c++) y[r * C + c] = (x[r * C + c] - mean[c]) * scale[c] + beta[c];
  }
}

// sum_dy[c] += Σ dy,  sum_dyx[c] += Σ dy·x̂ (float within blocks of rows, float64 across them)
INDRNN_CLONES void grad_sums(const float* __restrict__ dy, const float* __restrict__ x, int64_t C,
                             int64_t r0, int64_t r1, const uint8_t* __restrict__ valid,
                             const float* __restrict__ mean,
                             const float* __restrict__ inv_std, float* __restrict__ f1,
                             float* __restrict__ f2, double* __restrict__ sum_dy,
                             double* __restrict__ sum_dyx) {
  for (int64_t b0 = r0; b0 < r1; b0 += kFloatBlock) {
    const int64_t b1 = std::min(r1, b0 + kFloatBlock);
    for (int64_t c = 0; c < C; c++) f1[c] = f2[c] = 0.0f;
    for (int64_t r = b0; r < b1; r++) {
      if (valid && !valid[r]) continue;
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

// dx = γ·invStd/n · (n·dy - Σdy - x̂·Σ(dy·x̂)) = k1·(dy - mean(dy)) - x̂·k3 per channel; padded
// rows get 0. Centring dy first makes a one-row group's dx exactly 0, as it is.
INDRNN_CLONES void grad_dx(const float* dy, const float* x, int64_t C, int64_t r0, int64_t r1,
                           const uint8_t* valid, const float* mean, const float* inv_std,
                           const float* k1, const float* mean_dy, const float* k3, float* dx) {
  for (int64_t r = r0; r < r1; r++) {
    if (valid && !valid[r]) {
      std::fill(dx + r * C, dx + (r + 1) * C, 0.0f);
      continue;
    }
    for (int64_t c = 0; c < C; c++) {
      const float xhat = (x[r * C + c] - mean[c]) * inv_std[c];
      dx[r * C + c] = k1[c] * (dy[r * C + c] - mean_dy[c]) - xhat * k3[c];
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

// One group's forward, on nt threads (nt = 1 inside a group-parallel loop). valid: the group's row
// mask or null; n: its valid rows (R when unmasked).
void bn_group_train(const float* x, int64_t R, int64_t C, const uint8_t* valid, int64_t n,
                    const float* gamma, const float* beta, float eps, float* y, float* mean,
                    float* variance, float* inv_std, int nt) {
  const size_t cs = static_cast<size_t>(C);
  if (n == 0) {  // every row padded: nothing to normalise
    std::fill(mean, mean + C, 0.0f);
    std::fill(variance, variance + C, 0.0f);
    std::fill(inv_std, inv_std + C, static_cast<float>(1.0 / std::sqrt(static_cast<double>(eps))));
    std::fill(y, y + R * C, 0.0f);
    return;
  }
  std::vector<double> p1(nt * cs, 0.0), p2(nt * cs, 0.0);
  std::vector<float> fp(2 * nt * cs);
  std::vector<double> s1(cs), s2(cs), mu(cs);
  // one pass over x: moments about a shift near the mean (the mean of the first few valid rows),
  // so the variance E[d²] - E[d]² does not cancel away for inputs with a large mean
  std::vector<float> shift0(cs, 0.0f);
  int64_t probe = 0;
  for (int64_t r = 0; r < R && probe < 8; r++) {
    if (valid && !valid[r]) continue;
    for (int64_t c = 0; c < C; c++) shift0[c] += x[r * C + c];
    probe++;
  }
  for (int64_t c = 0; c < C; c++) shift0[c] /= static_cast<float>(probe);
  over_rows(nt, R, [&](int64_t r0, int64_t r1, int tid) {
    col_moments(x, C, r0, r1, valid, shift0.data(), &fp[2 * tid * cs], &fp[(2 * tid + 1) * cs],
                &p1[tid * cs], &p2[tid * cs]);
  });
  add_partials(p1, nt, C, s1.data());
  add_partials(p2, nt, C, s2.data());
  std::vector<float> scale(cs);
  for (int64_t c = 0; c < C; c++) {
    const double m1 = s1[c] / static_cast<double>(n);
    mu[c] = shift0[c] + m1;
    const double v = std::max(0.0, s2[c] / static_cast<double>(n) - m1 * m1);
    const double is = 1.0 / std::sqrt(v + eps);
    mean[c] = static_cast<float>(mu[c]);
    variance[c] = static_cast<float>(v);
    inv_std[c] = static_cast<float>(is);
    scale[c] = static_cast<float>(is * gamma[c]);
  }
  over_rows(nt, R, [&](int64_t r0, int64_t r1, int) {
    normalize(x, C, r0, r1, valid, mean, scale.data(), beta, y);
  });
}

void bn_group_grad(const float* dy, const float* x, int64_t R, int64_t C, const uint8_t* valid,
                   int64_t n, const float* mean, const float* inv_std, const float* gamma, float* dx,
                   double* dgamma, double* dbeta, int nt) {
  if (n == 0) {  // every row padded: no gradient
    std::fill(dx, dx + R * C, 0.0f);
    return;
  }
  std::vector<double> p_dy(static_cast<size_t>(nt * C), 0.0),
      p_dyx(static_cast<size_t>(nt * C), 0.0);
  std::vector<float> fp(static_cast<size_t>(2 * nt * C));
  over_rows(nt, R, [&](int64_t r0, int64_t r1, int tid) {
    grad_sums(dy, x, C, r0, r1, valid, mean, inv_std, &fp[2 * tid * C], &fp[(2 * tid + 1) * C],
              &p_dy[tid * C], &p_dyx[tid * C]);
  });
  std::vector<double> s_dy(static_cast<size_t>(C)), s_dyx(static_cast<size_t>(C));
  add_partials(p_dy, nt, C, s_dy.data());
  add_partials(p_dyx, nt, C, s_dyx.data());
  std::vector<float> k1(static_cast<size_t>(C)), mean_dy(static_cast<size_t>(C)),
      k3(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; c++) {
    const double g = static_cast<double>(gamma[c]) * inv_std[c] / static_cast<double>(n);
    k1[c] = static_cast<float>(g * n);
    mean_dy[c] = static_cast<float>(s_dy[c] / static_cast<double>(n));
    k3[c] = static_cast<float>(g * s_dyx[c]);
    dgamma[c] += s_dyx[c];
    dbeta[c] += s_dy[c];
  }
  over_rows(nt, R, [&](int64_t r0, int64_t r1, int) {
    grad_dx(dy, x, C, r0, r1, valid, mean, inv_std, k1.data(), mean_dy.data(), k3.data(), dx);
  });
}

// The row masks of a masked call: valid[t·R + r] = t < lengths[r] over [T, R], and the valid rows
// of each group (per step, or one group of all T·R rows).
struct RowMask {
  std::vector<uint8_t> valid;
  std::vector<int64_t> count;
};

RowMask row_mask(int64_t T, int64_t R, const int32_t* lengths, bool per_step) {
  RowMask m;
  m.valid.assign(static_cast<size_t>(T * R), 0);
  m.count.assign(static_cast<size_t>(per_step ? T : 1), 0);
  for (int64_t r = 0; r < R; r++) {
    const int64_t len = std::min<int64_t>(std::max<int32_t>(lengths[r], 0), T);
    for (int64_t t = 0; t < len; t++) {
      m.valid[t * R + r] = 1;
      m.count[per_step ? t : 0]++;
    }
  }
  return m;
}

// Forward over G groups of R rows; valid (G·R, or null) and count (G, or null: R each).
void bn_train(const float* x, int64_t G, int64_t R, int64_t C, const uint8_t* valid,
              const int64_t* count, const float* gamma, const float* beta, float eps, float* y,
              float* mean, float* variance, float* inv_std) {
  if (G == 0 || C == 0) return;
  const int64_t gsize = R * C;
  auto group = [&](int64_t g, int nt) {
    bn_group_train(x + g * gsize, R, C, valid ? valid + g * R : nullptr, count ? count[g] : R,
                   gamma, beta, eps, y + g * gsize, mean + g * C, variance + g * C,
                   inv_std + g * C, nt);
  };
  if (G >= 2 * num_threads()) {  // frame-wise: whole groups per thread
    parallel_for(G, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(gsize, 1)),
                 [&](int64_t g0, int64_t g1) {
                   for (int64_t g = g0; g < g1; g++) group(g, 1);
                 });
    return;
  }
  const int nt = threads_for(gsize, kElementwiseGrain);
  for (int64_t g = 0; g < G; g++) group(g, nt);
}

void bn_grad(const float* dy, const float* x, int64_t G, int64_t R, int64_t C,
             const uint8_t* valid, const int64_t* count, const float* mean, const float* inv_std,
             const float* gamma, float* dx, float* dgamma, float* dbeta) {
  if (C == 0) return;
  const int64_t gsize = R * C;
  std::vector<double> dg(static_cast<size_t>(C), 0.0), db(static_cast<size_t>(C), 0.0);
  auto group = [&](int64_t g, double* pg, double* pb, int nt) {
    bn_group_grad(dy + g * gsize, x + g * gsize, R, C, valid ? valid + g * R : nullptr,
                  count ? count[g] : R, mean + g * C, inv_std + g * C, gamma, dx + g * gsize, pg,
                  pb, nt);
  };
  if (G >= 2 * num_threads()) {
    // per-thread [C] sums of dγ, dβ over that thread's groups, added in thread order
    const int nt = threads_for(G * gsize, kElementwiseGrain);
    std::vector<double> pg(static_cast<size_t>(nt * C), 0.0), pb(static_cast<size_t>(nt * C), 0.0);
    run_parallel(nt, [&](int tid, int parts) {
      int64_t g0, g1;
      split_range(G, parts, tid, 1, &g0, &g1);
      for (int64_t g = g0; g < g1; g++) group(g, &pg[tid * C], &pb[tid * C], 1);
    });
    add_partials(pg, nt, C, dg.data());
    add_partials(pb, nt, C, db.data());
  } else {
    const int nt = threads_for(gsize, kElementwiseGrain);
    for (int64_t g = 0; g < G; g++) group(g, dg.data(), db.data(), nt);
  }
  for (int64_t c = 0; c < C; c++) {
    dgamma[c] = static_cast<float>(dg[c]);
    dbeta[c] = static_cast<float>(db[c]);
  }
}

}  // namespace

void batch_norm_train(const float* x, int64_t groups, int64_t rows, int64_t channels,
                      const float* gamma, const float* beta, float eps, float* y, float* mean,
                      float* variance, float* inv_std) {
  bn_train(x, groups, rows, channels, nullptr, nullptr, gamma, beta, eps, y, mean, variance,
           inv_std);
}

void batch_norm_grad(const float* dy, const float* x, int64_t groups, int64_t rows,
                     int64_t channels, const float* mean, const float* inv_std, const float* gamma,
                     float* dx, float* dgamma, float* dbeta) {
  bn_grad(dy, x, groups, rows, channels, nullptr, nullptr, mean, inv_std, gamma, dx, dgamma,
          dbeta);
}

// x [T, R, C]: frame-wise is T groups of R rows, sequence-wise one group of T·R rows; the mask
// rows line up with x's rows either way.
void batch_norm_train_masked(const float* x, int64_t T, int64_t R, int64_t channels,
                             const int32_t* lengths, bool per_step, const float* gamma,
                             const float* beta, float eps, float* y, float* mean, float* variance,
                             float* inv_std) {
  const RowMask m = row_mask(T, R, lengths, per_step);
  bn_train(x, per_step ? T : 1, per_step ? R : T * R, channels, m.valid.data(), m.count.data(),
           gamma, beta, eps, y, mean, variance, inv_std);
}

void batch_norm_grad_masked(const float* dy, const float* x, int64_t T, int64_t R,
                            int64_t channels, const int32_t* lengths, bool per_step,
                            const float* mean, const float* inv_std, const float* gamma, float* dx,
                            float* dgamma, float* dbeta) {
  const RowMask m = row_mask(T, R, lengths, per_step);
  bn_grad(dy, x, per_step ? T : 1, per_step ? R : T * R, channels, m.valid.data(), m.count.data(),
          mean, inv_std, gamma, dx, dgamma, dbeta);
}

}  // namespace indrnn
