// The IndRNN recurrence with a narrow input projection folded in (F <= 8 input features, e.g. the
// adding problem's 2 and pixel MNIST's 1): h[t] = act(x[t] · Wᵀ + b + u ⊙ h[t-1]) without ever
// writing z = x · Wᵀ ([T, B, N], 16 MiB at T=1000, B=32, N=128) to memory. The backward sums dW, db
// and du in per-thread float64 partials and, only when asked, writes dx (threads then own whole
// batch rows, so each dx entry has one writer).
#include <algorithm>
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace indrnn {
namespace {

constexpr int64_t kGrain = 1 << 14;

// zb[n0..n1) = Σ_f x[f] · wt[f][n]  (wt is W transposed, [F, N], so the inner loop is contiguous)
inline void project_row(const float* x, const float* wt, int64_t F, int64_t N, float* zb, int64_t n0,
                        int64_t n1) {
  std::fill(zb + n0, zb + n1, 0.0f);
  for (int64_t f = 0; f < F; f++) {
    const float xf = x[f];
    const float* wf = wt + f * N;
    for (int64_t n = n0; n < n1; n++) zb[n] += xf * wf[n];
  }
}

template <Act A>
inline __attribute__((always_inline)) void fwd_row(const float* zb, const float* u, const float* bias,
                                                   float* state, float* h, int64_t n0, int64_t n1) {
  for (int64_t n = n0; n < n1; n++) {
    const float v = activate(A, zb[n] + bias[n] + u[n] * state[n]);
    state[n] = v;
    h[n] = v;
  }
}

template <Act A>
INDRNN_CLONES void fwd_range(const float* x, const float* wt, const float* bias, const float* u,
                             const float* h0, const int32_t* lengths, int64_t T, int64_t B,
                             int64_t N, int64_t F, int64_t c0, int64_t c1, float* h) {
  std::vector<float> state(h0 + c0, h0 + c1);
  float* s = state.data() - c0;
  std::vector<float> zbuf(static_cast<size_t>(N));
  float* zb = zbuf.data();
  for (int64_t t = 0; t < T; t++) {
    for (int64_t c = c0; c < c1;) {
      const int64_t b = c / N, row = b * N, end = std::min(c1, row + N);
      float* hr = h + t * B * N + row;
      if (lengths && t >= lengths[b]) {
        std::copy(s + c, s + end, hr + (c - row));
      } else {
        project_row(x + (t * B + b) * F, wt, F, N, zb, c - row, end - row);
        fwd_row<A>(zb, u, bias, s + row, hr, c - row, end - row);
      }
      c = end;
    }
  }
}

template <Act A>
INDRNN_CLONES void bwd_range(const float* dh, const float* h, const float* x, const float* w,
                             const float* u, const float* h0, const int32_t* lengths, int64_t T,
                             int64_t B, int64_t N, int64_t F, int64_t c0, int64_t c1, double* dw,
                             double* db, double* du, float* dx, float* dh0) {
  std::vector<float> carry_buf(static_cast<size_t>(c1 - c0), 0.0f);
  float* carry = carry_buf.data() - c0;
  std::vector<float> dbuf(static_cast<size_t>(N));
  float* dp = dbuf.data();
  const int64_t BN = B * N;
  for (int64_t t = T - 1; t >= 0; t--) {
    for (int64_t c = c0; c < c1;) {
      const int64_t b = c / N, row = b * N, end = std::min(c1, row + N);
      const int64_t n0 = c - row, n1 = end - row;
      const float* dhr = dh + t * BN + row;
      if (lengths && t >= lengths[b]) {
        for (int64_t n = n0; n < n1; n++) carry[row + n] += dhr[n];  // identity step
        c = end;
        continue;
      }
      const float* hr = h + t * BN + row;
      const float* prev = t > 0 ? h + (t - 1) * BN + row : h0 + row;
      float* cr = carry + row;
      for (int64_t n = n0; n < n1; n++) {
        const float d = (dhr[n] + cr[n]) * activation_slope(A, hr[n]);
        dp[n] = d;
        du[n] += static_cast<double>(d * prev[n]);
        db[n] += static_cast<double>(d);
        cr[n] = d * u[n];
      }
      const float* xr = x + (t * B + b) * F;
      for (int64_t f = 0; f < F; f++) {
        const double xf = xr[f];
        double* dwf = dw + f * N;  // partial dW stored transposed, [F, N]
        for (int64_t n = n0; n < n1; n++) dwf[n] += xf * static_cast<double>(dp[n]);
      }
      if (dx) {
        float* dxr = dx + (t * B + b) * F;
        for (int64_t f = 0; f < F; f++) {
          float s = 0.0f;
          for (int64_t n = n0; n < n1; n++) s += dp[n] * w[n * F + f];
          dxr[f] = s;
        }
      }
      c = end;
    }
  }
  std::copy(carry + c0, carry + c1, dh0 + c0);
}

template <typename Fn>
void dispatch(Act act, Fn&& fn) {
  switch (act) {
    case Act::Relu:
      fn(std::integral_constant<Act, Act::Relu>{});
      break;
    case Act::Tanh:
      fn(std::integral_constant<Act, Act::Tanh>{});
      break;
    default:
      fn(std::integral_constant<Act, Act::Identity>{});
  }
}

}  // namespace

void indrnn_scan_proj(const float* x, const float* w, const float* bias, const float* u,
                      const float* h0, const int32_t* lengths, int64_t T, int64_t B, int64_t N,
                      int64_t F, Act act, float* h) {
  const int64_t cols = B * N;
  if (T == 0 || cols == 0) return;
  std::vector<float> wt(static_cast<size_t>(F * N));  // W [N, F] → [F, N]
  for (int64_t n = 0; n < N; n++)
    for (int64_t f = 0; f < F; f++) wt[f * N + n] = w[n * F + f];
  const int nt = threads_for(cols * T, kGrain * 16);
  dispatch(act, [&](auto a) {
    run_parallel(nt, [&](int tid, int parts) {
      int64_t c0, c1;
      split_range(cols, parts, tid, 16, &c0, &c1);
      if (c0 < c1) fwd_range<decltype(a)::value>(x, wt.data(), bias, u, h0, lengths, T, B, N, F, c0, c1, h);
    });
  });
}

void indrnn_scan_proj_grad(const float* dh, const float* h, const float* x, const float* w,
                           const float* u, const float* h0, const int32_t* lengths, int64_t T,
                           int64_t B, int64_t N, int64_t F, Act act, float* dw, float* db,
                           float* du, float* dx, float* dh0) {
  const int64_t cols = B * N;
  if (T == 0 || cols == 0) return;
  int nt = threads_for(cols * T, kGrain * 16);
  // with dx, threads own whole batch rows (a dx entry sums over all N columns of its row)
  if (dx) nt = std::max(1, std::min<int>(nt, static_cast<int>(B)));
  const size_t per = static_cast<size_t>(F * N + 2 * N);
  std::vector<double> partial(static_cast<size_t>(nt) * per, 0.0);
  dispatch(act, [&](auto a) {
    run_parallel(nt, [&](int tid, int parts) {
      int64_t c0, c1;
      if (dx) {
        int64_t b0, b1;
        split_range(B, parts, tid, 1, &b0, &b1);
        c0 = b0 * N;
        c1 = b1 * N;
      } else {
        split_range(cols, parts, tid, 16, &c0, &c1);
      }
      double* p = partial.data() + static_cast<size_t>(tid) * per;
      if (c0 < c1) {
        bwd_range<decltype(a)::value>(dh, h, x, w, u, h0, lengths, T, B, N, F, c0, c1, p,
                                      p + F * N, p + F * N + N, dx, dh0);
      }
    });
  });
  // sum the partials in thread order (same result every run); dW back to [N, F]
  for (int64_t n = 0; n < N; n++) {
    double sb = 0.0, su = 0.0;
    for (int t = 0; t < nt; t++) {
      const double* p = partial.data() + static_cast<size_t>(t) * per;
      sb += p[F * N + n];
      su += p[F * N + N + n];
    }
    db[n] = static_cast<float>(sb);
    du[n] = static_cast<float>(su);
    for (int64_t f = 0; f < F; f++) {
      double s = 0.0;
      for (int t = 0; t < nt; t++) s += partial[static_cast<size_t>(t) * per + f * N + n];
      dw[n * F + f] = static_cast<float>(s);
    }
  }
}

}  // namespace indrnn
