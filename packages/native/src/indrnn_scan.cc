// The fused IndRNN recurrence h[t] = act(z[t] + b + u ⊙ h[t-1]) and its reverse loop (b, the
// projection bias, is optional: folding it in here saves a full pass over [T, B, N]).
// Every (batch, neuron) column is independent, so each thread owns a contiguous range of the
// B·N columns and walks all T steps over it: at each t it streams one contiguous slice of z and h,
// with its columns' state in a small buffer. The backward sums du over batch and time in per-thread
// float64 partials, added in thread order afterwards (no races, same result every run).
#include <algorithm>
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace indrnn {
namespace {

// Columns per thread below which a second thread is not worth waking (T steps each).
constexpr int64_t kScanGrain = 1 << 14;

// One time step over columns [n0, n1) of batch row b: z, h point at step t's row b.
template <Act A>
inline __attribute__((always_inline)) void step_fwd(const float* z, const float* u, const float* bias,
                                                    float* state, float* h, int64_t n0, int64_t n1) {
  for (int64_t n = n0; n < n1; n++) {
    const float v = activate(A, z[n] + bias[n] + u[n] * state[n]);
    state[n] = v;
    h[n] = v;
  }
}

INDRNN_CLONES void scan_fwd_range(Act act, const float* z, const float* u, const float* bias,
                                  const float* h0,
                                  const int32_t* lengths, int64_t T, int64_t B, int64_t N,
                                  int64_t c0, int64_t c1, float* h) {
  // state[c - c0] is column c's h[t-1]
  std::vector<float> state(h0 + c0, h0 + c1);
  float* s = state.data() - c0;  // indexed by absolute column
  const int64_t BN = B * N;
  for (int64_t t = 0; t < T; t++) {
    const int64_t off = t * BN;
    for (int64_t c = c0; c < c1;) {
      const int64_t b = c / N;
      const int64_t row = b * N;
      const int64_t end = std::min(c1, row + N);
      if (lengths && t >= lengths[b]) {
        std::copy(s + c, s + end, h + off + c);  // past this sequence's end: keep the state
      } else {
        const float* zr = z + off + row;
        float* hr = h + off + row;
        switch (act) {  // per row segment, so each inner loop is specialised and vectorised
          case Act::Relu:
            step_fwd<Act::Relu>(zr, u, bias, s + row, hr, c - row, end - row);
            break;
          case Act::Tanh:
            step_fwd<Act::Tanh>(zr, u, bias, s + row, hr, c - row, end - row);
            break;
          default:
            step_fwd<Act::Identity>(zr, u, bias, s + row, hr, c - row, end - row);
        }
      }
      c = end;
    }
  }
}

// One reverse step over columns [n0, n1) of one batch row (pointers at that row).
template <Act A>
inline __attribute__((always_inline)) void step_bwd(const float* dh, const float* hr,
                                                    const float* prev, const float* u, float* dz,
                                                    float* carry, double* du, double* db,
                                                    int64_t n0, int64_t n1) {
  for (int64_t n = n0; n < n1; n++) {
    const float dpre = (dh[n] + carry[n]) * activation_slope(A, hr[n]);
    dz[n] = dpre;
    du[n] += static_cast<double>(dpre * prev[n]);
    db[n] += static_cast<double>(dpre);
    carry[n] = dpre * u[n];
  }
}

INDRNN_CLONES void scan_bwd_range(Act act, const float* dh, const float* h, const float* u,
                                  const float* h0, const int32_t* lengths, int64_t T, int64_t B,
                                  int64_t N, int64_t c0, int64_t c1, float* dz, double* du,
                                  double* db, float* dh0) {
  // carry[c - c0] = dL/dh[t] arriving from step t+1
  std::vector<float> carry_buf(static_cast<size_t>(c1 - c0), 0.0f);
  float* carry = carry_buf.data() - c0;
  const int64_t BN = B * N;
  for (int64_t t = T - 1; t >= 0; t--) {
    const int64_t off = t * BN;
    for (int64_t c = c0; c < c1;) {
      const int64_t b = c / N;
      const int64_t row = b * N;
      const int64_t end = std::min(c1, row + N);
      if (lengths && t >= lengths[b]) {
        for (int64_t i = c; i < end; i++) carry[i] += dh[off + i];  // identity step
        c = end;
        continue;
      }
      const float* prev = t > 0 ? h + off - BN + row : h0 + row;
      const float* hr = h + off + row;
      const float* dhr = dh + off + row;
      float* dzr = dz + off + row;
      float* cr = carry + row;
      switch (act) {
        case Act::Relu:
          step_bwd<Act::Relu>(dhr, hr, prev, u, dzr, cr, du, db, c - row, end - row);
          break;
        case Act::Tanh:
          step_bwd<Act::Tanh>(dhr, hr, prev, u, dzr, cr, du, db, c - row, end - row);
          break;
        default:
          step_bwd<Act::Identity>(dhr, hr, prev, u, dzr, cr, du, db, c - row, end - row);
      }
      c = end;
    }
  }
  std::copy(carry + c0, carry + c1, dh0 + c0);
}

}  // namespace

void indrnn_scan(const float* z, const float* u, const float* bias, const float* h0,
                 const int32_t* lengths, int64_t T, int64_t B, int64_t N, Act act, float* h) {
  const int64_t cols = B * N;
  if (T == 0 || cols == 0) return;
  std::vector<float> no_bias;
  if (!bias) {
    no_bias.assign(static_cast<size_t>(N), 0.0f);
    bias = no_bias.data();
  }
  const int nt = threads_for(cols * T, kScanGrain * 16);
  run_parallel(nt, [&](int tid, int parts) {
    int64_t c0, c1;
    split_range(cols, parts, tid, 16, &c0, &c1);  // 16 floats: whole cache lines per thread
    if (c0 < c1) scan_fwd_range(act, z, u, bias, h0, lengths, T, B, N, c0, c1, h);
  });
}

void indrnn_scan_grad(const float* dh, const float* h, const float* u, const float* h0,
                      const int32_t* lengths, int64_t T, int64_t B, int64_t N, Act act, float* dz,
                      float* du, float* db, float* dh0) {
  const int64_t cols = B * N;
  if (cols == 0) return;
  if (T == 0) return;  // dz empty, du = 0, dh0 = 0: the outputs arrive zero-filled
  const int nt = threads_for(cols * T, kScanGrain * 16);
  // per-thread partial sums of du and db, each [N]
  std::vector<double> partial(static_cast<size_t>(nt) * N, 0.0);
  std::vector<double> partial_db(static_cast<size_t>(nt) * N, 0.0);
  run_parallel(nt, [&](int tid, int parts) {
    int64_t c0, c1;
    split_range(cols, parts, tid, 16, &c0, &c1);
    if (c0 < c1) {
      scan_bwd_range(act, dh, h, u, h0, lengths, T, B, N, c0, c1, dz,
                     partial.data() + static_cast<size_t>(tid) * N,
                     partial_db.data() + static_cast<size_t>(tid) * N, dh0);
    }
  });
  for (int64_t n = 0; n < N; n++) {
    double s = 0.0, sb = 0.0;
    for (int t = 0; t < nt; t++) {
      s += partial[static_cast<size_t>(t) * N + n];
      sb += partial_db[static_cast<size_t>(t) * N + n];
    }
    du[n] = static_cast<float>(s);
    if (db) db[n] = static_cast<float>(sb);
  }
}

}  // namespace indrnn
