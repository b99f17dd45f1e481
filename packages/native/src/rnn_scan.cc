// Fused Elman RNN and LSTM recurrences (the baselines IndRNN is compared with).
// The recurrent weight is packed once per call; each step is one small GEMM over the batch
// (h[t-1] [B, H] times the packed weight) followed by the cell's elementwise update, both run by
// one long-lived parallel region: each thread owns a tile of (batch rows × output columns) for the
// whole loop and threads meet at one barrier per step. The weight gradient is not accumulated per
// step: after the reverse loop it is one large GEMM, dW = Σ_t dpre[t]ᵀ · h[t-1].
#include <algorithm>
#include <atomic>
#include <chrono>
#include <vector>

#include "gemm.h"
#include "kernels.h"
#include "pool.h"

namespace indrnn {
namespace {

// Multiply-adds per step and thread below which the step runs on fewer threads.
constexpr int64_t kStepGrain = 1 << 16;

struct Tile {
  int64_t m0, m1;  // batch rows
  int64_t j0, j1;  // packed column panels
};

// The tile of thread tid when `parts` threads split B rows × `units` column units of
// `per_unit` panels each.
Tile tile_for(int tid, int parts, int64_t B, int64_t units, int64_t per_unit) {
  const GemmSplit s = gemm_split(B, units, parts);
  Tile t;
  split_range(B, s.tm, tid / s.tn, gemm_blocking().mr, &t.m0, &t.m1);
  int64_t u0, u1;
  split_range(units, s.tn, tid % s.tn, 1, &u0, &u1);
  t.j0 = u0 * per_unit;
  t.j1 = u1 * per_unit;
  return t;
}

// The per-step barrier of the scans, watching how long threads wait in it. On a busy machine a
// descheduled thread stalls every step for all the others (a scan with 2 threads ran 4x slower
// than with 1 under load); once the waiting outweighs the work, the scan finishes on thread 0
// alone. Times are wall clock, so a thread preempted mid-step adds Δ to the work and its partner
// Δ to the wait: "2·wait > work" then means Δ > the real work. Thread 0 decides before it
// arrives, so every thread sees the same answer after the barrier.
// Tests force the serial switch at a given step (see forceSerialScanAt in binding.cc); -1 = off.
std::atomic<int64_t> g_force_serial_at{-1};

class StepSync {
 public:
  explicit StepSync(int threads) : calls_(static_cast<size_t>(threads), 0) {}

  // Ends one step: returns false when this thread should leave the loop (the scan went serial
  // and this is not thread 0). *parts becomes 1 once serial.
  bool next(int tid, int* parts, std::chrono::steady_clock::time_point step_start) {
    if (*parts <= 1) return true;
    const int64_t call = ++calls_[tid];
    const auto arrive = std::chrono::steady_clock::now();
    work_ns_.fetch_add(ns(arrive - step_start), std::memory_order_relaxed);
    const int64_t forced = g_force_serial_at.load(std::memory_order_relaxed);
    if (tid == 0 && forced >= 0 && call == forced)
      serial_at_.store(call, std::memory_order_relaxed);
    if (tid == 0 && call >= kMinSteps && serial_at_.load(std::memory_order_relaxed) < 0 &&
        2 * wait_ns_.load(std::memory_order_relaxed) > work_ns_.load(std::memory_order_relaxed)) {
      // tagged with the call number: a slow thread still leaving the previous barrier must not
      // act on it early
      serial_at_.store(call, std::memory_order_relaxed);
    }
    bar_.wait(*parts);
    wait_ns_.fetch_add(ns(std::chrono::steady_clock::now() - arrive), std::memory_order_relaxed);
    const int64_t at = serial_at_.load(std::memory_order_relaxed);
    if (at < 0 || at > call) return true;
    *parts = 1;
    return tid == 0;
  }

 private:
  static constexpr int64_t kMinSteps = 8;
  static int64_t ns(std::chrono::steady_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }
  Barrier bar_;
  std::vector<int64_t> calls_;  // per thread: how many steps it has ended
  std::atomic<int64_t> serial_at_{-1};
  std::atomic<int64_t> wait_ns_{0}, work_ns_{0};
};

using Clock = std::chrono::steady_clock;

inline bool masked(const int32_t* lengths, int64_t t, int64_t b) {
  return lengths && t >= lengths[b];
}

// h[n0:n1] = act(h + gx) for one row (h holds the recurrent product).
INDRNN_CLONES void rnn_cell_fwd(Act act, const float* gx, float* h, int64_t n0, int64_t n1) {
  switch (act) {
    case Act::Relu:
      for (int64_t n = n0; n < n1; n++) h[n] = activate(Act::Relu, h[n] + gx[n]);
      break;
    case Act::Tanh:
      for (int64_t n = n0; n < n1; n++) h[n] = activate(Act::Tanh, h[n] + gx[n]);
      break;
    default:
      for (int64_t n = n0; n < n1; n++) h[n] = h[n] + gx[n];
  }
}

// dpre = (dh + carry) · act'(h) for one row.
INDRNN_CLONES void rnn_cell_bwd(Act act, const float* dh, const float* carry, const float* h,
                                float* dpre, int64_t n0, int64_t n1) {
  switch (act) {
    case Act::Relu:
      for (int64_t n = n0; n < n1; n++)
        dpre[n] = (dh[n] + carry[n]) * activation_slope(Act::Relu, h[n]);
      break;
    case Act::Tanh:
      for (int64_t n = n0; n < n1; n++)
        dpre[n] = (dh[n] + carry[n]) * activation_slope(Act::Tanh, h[n]);
      break;
    default:
      for (int64_t n = n0; n < n1; n++) dpre[n] = dh[n] + carry[n];
  }
}

// The weight gradient after the reverse loop: dw [rows_w, H] = Σ_t dpre[t]ᵀ [rows_w, B] · h[t-1].
// dpre: [T, B, rows_w]; h: [T, B, H]; h0: [B, H].
void weight_grad(const float* dpre, const float* h, const float* h0, int64_t T, int64_t B,
                 int64_t H, int64_t rows_w, float* dw) {
  sgemm(true, false, rows_w, H, (T - 1) * B, dpre + B * rows_w, rows_w, h, H, dw, H, false);
  sgemm(true, false, rows_w, H, B, dpre, rows_w, h0, H, dw, H, true);
}

// One LSTM cell for hidden units j0 + [0, jn) of one batch row. pre holds the recurrent products
// of the four gates as four consecutive blocks of `stride` floats (the permuted panel layout).
// (__restrict: the outputs never overlap the inputs, which lets the loop vectorise.)
INDRNN_CLONES void lstm_cell_fwd(const float* __restrict pre, int64_t stride,
                                 const float* __restrict gx, const float* __restrict c_prev,
                                 float* __restrict h, float* __restrict c, float* __restrict gates,
                                 int64_t H, int64_t j0, int64_t jn) {
  for (int64_t jj = 0; jj < jn; jj++) {
    const int64_t j = j0 + jj;
    const float ig = sigmoid_f(pre[jj] + gx[j]);
    const float fg = sigmoid_f(pre[stride + jj] + gx[H + j]);
    const float gg = tanh_f(pre[2 * stride + jj] + gx[2 * H + j]);
    const float og = sigmoid_f(pre[3 * stride + jj] + gx[3 * H + j]);
    gates[j] = ig;
    gates[H + j] = fg;
    gates[2 * H + j] = gg;
    gates[3 * H + j] = og;
    const float cj = fg * c_prev[j] + ig * gg;
    c[j] = cj;
    h[j] = og * tanh_f(cj);
  }
}

// LSTM backward for hidden units [n0, n1) of one row (see the reference's formulas):
// dc = gc + gh·o·(1 - tanh²c); d(pre) of i, f, g, o; the cell carry becomes dc·f.
INDRNN_CLONES void lstm_cell_bwd(const float* __restrict gates, const float* __restrict c,
                                 const float* __restrict c_prev, const float* __restrict dh,
                                 const float* __restrict dc, const float* __restrict h_carry,
                                 float* __restrict c_carry, float* __restrict dpre, int64_t H,
                                 int64_t n0, int64_t n1) {
  for (int64_t j = n0; j < n1; j++) {
    const float ig = gates[j];
    const float fg = gates[H + j];
    const float gg = gates[2 * H + j];
    const float og = gates[3 * H + j];
    const float gh = dh[j] + h_carry[j];
    const float tc = tanh_f(c[j]);
    const float dct = dc[j] + c_carry[j] + gh * og * (1.0f - tc * tc);
    dpre[j] = dct * gg * ig * (1.0f - ig);
    dpre[H + j] = dct * c_prev[j] * fg * (1.0f - fg);
    dpre[2 * H + j] = dct * ig * (1.0f - gg * gg);
    dpre[3 * H + j] = gh * tc * og * (1.0f - og);
    c_carry[j] = dct * fg;
  }
}

}  // namespace

void force_serial_scan_at(int64_t step) { g_force_serial_at.store(step); }

void rnn_scan(const float* gx, const float* whh, const float* h0, const int32_t* lengths, int64_t T,
              int64_t B, int64_t H, Act act, float* h) {
  if (T == 0 || B == 0 || H == 0) return;
  const int nt = threads_for(B * H * H, kStepGrain);
  PackedB w;  // op(B) = Whhᵀ [H, H]: rec[b, i] = Σ_j h[b, j] Whh[i, j]
  w.pack(whh, true, H, H, H, nullptr, nt);
  const int nr = w.nr();
  StepSync sync(nt);
  run_parallel(nt, [&](int tid, int parts) {
    Tile tl = tile_for(tid, parts, B, w.panels(), 1);
    int64_t n0 = tl.j0 * nr, n1 = std::min(H, tl.j1 * nr);
    for (int64_t t = 0; t < T; t++) {
      const auto start = Clock::now();
      const float* prev = t > 0 ? h + (t - 1) * B * H : h0;  // [B, H]
      float* ht = h + t * B * H;
      gemm_block(prev, false, H, w, ht, H, tl.m0, tl.m1, tl.j0, tl.j1, false);
      for (int64_t b = tl.m0; b < tl.m1 && n0 < n1; b++) {
        if (masked(lengths, t, b)) {
          std::copy(prev + b * H + n0, prev + b * H + n1, ht + b * H + n0);
        } else {
          rnn_cell_fwd(act, gx + (t * B + b) * H, ht + b * H, n0, n1);
        }
      }
      // step t+1 reads every column of h[t]
      if (!sync.next(tid, &parts, start)) return;
      if (parts == 1 && (tl.m1 - tl.m0 < B || tl.j1 - tl.j0 < w.panels())) {
        tl = tile_for(0, 1, B, w.panels(), 1);  // serial from here on: thread 0 takes everything
        n0 = 0;
        n1 = H;
      }
    }
  });
}

void rnn_scan_grad(const float* dh, const float* h, const float* whh, const float* h0,
                   const int32_t* lengths, int64_t T, int64_t B, int64_t H, Act act, float* dgx,
                   float* dwhh, float* dh0) {
  if (T == 0 || B == 0 || H == 0) return;
  const int nt = threads_for(B * H * H, kStepGrain);
  PackedB w;  // op(B) = Whh [H, H]: carry[b, j] = Σ_i dpre[b, i] Whh[i, j]
  w.pack(whh, false, H, H, H, nullptr, nt);
  const int nr = w.nr();
  std::vector<float> carry(static_cast<size_t>(B * H), 0.0f);  // dL/dh[t] from step t+1
  std::vector<float> pass(static_cast<size_t>(B * H), 0.0f);   // masked rows: carry passes on
  StepSync sync(nt);
  run_parallel(nt, [&](int tid, int parts) {
    Tile tl = tile_for(tid, parts, B, w.panels(), 1);
    int64_t n0 = tl.j0 * nr, n1 = std::min(H, tl.j1 * nr);
    auto start = Clock::now();
    for (int64_t t = T - 1; t >= 0; t--) {
      // phase 1 on this thread's tile only: it reads the carry tile this thread wrote
      for (int64_t b = tl.m0; b < tl.m1 && n0 < n1; b++) {
        const int64_t o = (t * B + b) * H;
        if (masked(lengths, t, b)) {
          for (int64_t n = n0; n < n1; n++) pass[b * H + n] = carry[b * H + n] + dh[o + n];
        } else {
          rnn_cell_bwd(act, dh + o, carry.data() + b * H, h + o, dgx + o, n0, n1);
        }
      }
      // the product below reads whole rows of dgx[t]
      if (!sync.next(tid, &parts, start)) return;
      if (parts == 1 && (tl.m1 - tl.m0 < B || tl.j1 - tl.j0 < w.panels())) {
        tl = tile_for(0, 1, B, w.panels(), 1);  // serial: phase 2 of this step covers everything
        n0 = 0;
        n1 = H;
      }
      start = Clock::now();
      gemm_block(dgx + t * B * H, false, H, w, carry.data(), H, tl.m0, tl.m1, tl.j0, tl.j1, false);
      for (int64_t b = tl.m0; b < tl.m1 && n0 < n1; b++) {
        if (masked(lengths, t, b)) {
          std::copy(pass.data() + b * H + n0, pass.data() + b * H + n1, carry.data() + b * H + n0);
        }
      }
    }
  });
  std::copy(carry.begin(), carry.end(), dh0);
  weight_grad(dgx, h, h0, T, B, H, H, dwhh);
}

void lstm_scan(const float* gx, const float* whh, const float* h0, const float* c0,
               const int32_t* lengths, int64_t T, int64_t B, int64_t H, float* h, float* c,
               float* gates) {
  if (T == 0 || B == 0 || H == 0) return;
  const int nt = threads_for(B * 4 * H * H, kStepGrain);
  const int nr = gemm_blocking().nr;
  // Packed column order: for each chunk q of nr hidden units, the four gates' columns in turn,
  // so one thread's panels hold every gate of its hidden units.
  const int64_t chunks = (H + nr - 1) / nr;
  std::vector<int64_t> perm(static_cast<size_t>(chunks * 4 * nr));
  for (int64_t cp = 0; cp < static_cast<int64_t>(perm.size()); cp++) {
    const int64_t q = cp / (4 * nr), g = (cp % (4 * nr)) / nr, j = q * nr + cp % nr;
    perm[cp] = j < H ? g * H + j : -1;
  }
  PackedB w;  // op(B) = Whhᵀ [H, 4H], columns permuted as above
  w.pack(whh, true, H, 4 * H, H, &perm, nt);
  const int64_t ld = w.panels() * nr;
  std::vector<float> pre(static_cast<size_t>(B * ld));  // recurrent products [B, ld]
  StepSync sync(nt);
  run_parallel(nt, [&](int tid, int parts) {
    Tile tl = tile_for(tid, parts, B, chunks, 4);
    for (int64_t t = 0; t < T; t++) {
      const auto start = Clock::now();
      const int64_t prev_off = t > 0 ? (t - 1) * B * H : 0;
      const float* hp = t > 0 ? h + prev_off : h0;  // [B, H]
      const float* cp = t > 0 ? c + prev_off : c0;
      gemm_block(hp, false, H, w, pre.data(), ld, tl.m0, tl.m1, tl.j0, tl.j1, false);
      for (int64_t b = tl.m0; b < tl.m1; b++) {
        const int64_t o = (t * B + b) * H;
        for (int64_t q = tl.j0 / 4; q < tl.j1 / 4; q++) {
          const int64_t j0 = q * nr, jn = std::min<int64_t>(nr, H - j0);
          if (masked(lengths, t, b)) {
            std::copy(hp + b * H + j0, hp + b * H + j0 + jn, h + o + j0);
            std::copy(cp + b * H + j0, cp + b * H + j0 + jn, c + o + j0);
          } else {
            lstm_cell_fwd(pre.data() + b * ld + q * 4 * nr, nr, gx + o * 4, cp + b * H, h + o,
                          c + o, gates + o * 4, H, j0, jn);
          }
        }
      }
      if (!sync.next(tid, &parts, start)) return;
      if (parts == 1) tl = tile_for(0, 1, B, chunks, 4);
    }
  });
}

void lstm_scan_grad(const float* dh, const float* dc, const float* gates, const float* h,
                    const float* c, const float* whh, const float* h0, const float* c0,
                    const int32_t* lengths, int64_t T, int64_t B, int64_t H, float* dgx,
                    float* dwhh, float* dh0, float* dc0) {
  if (T == 0 || B == 0 || H == 0) return;
  const int nt = threads_for(B * 4 * H * H, kStepGrain);
  PackedB w;  // op(B) = Whh [4H, H]: h_carry[b, j] = Σ_r dpre[b, r] Whh[r, j]
  w.pack(whh, false, 4 * H, H, H, nullptr, nt);
  const int nr = w.nr();
  std::vector<float> h_carry(static_cast<size_t>(B * H), 0.0f);
  std::vector<float> c_carry(static_cast<size_t>(B * H), 0.0f);
  std::vector<float> pass(static_cast<size_t>(B * H), 0.0f);
  StepSync sync(nt);
  run_parallel(nt, [&](int tid, int parts) {
    Tile tl = tile_for(tid, parts, B, w.panels(), 1);
    int64_t n0 = tl.j0 * nr, n1 = std::min(H, tl.j1 * nr);
    auto start = Clock::now();
    for (int64_t t = T - 1; t >= 0; t--) {
      for (int64_t b = tl.m0; b < tl.m1 && n0 < n1; b++) {
        const int64_t o = (t * B + b) * H;
        const int64_t bh = b * H;
        if (masked(lengths, t, b)) {
          for (int64_t n = n0; n < n1; n++) {
            pass[bh + n] = h_carry[bh + n] + dh[o + n];
            c_carry[bh + n] += dc[o + n];
          }
          continue;
        }
        const float* c_prev = t > 0 ? c + o - B * H : c0 + bh;
        lstm_cell_bwd(gates + o * 4, c + o, c_prev, dh + o, dc + o, h_carry.data() + bh,
                      c_carry.data() + bh, dgx + o * 4, H, n0, n1);
      }
      // the product reads whole rows of dgx[t]
      if (!sync.next(tid, &parts, start)) return;
      if (parts == 1 && (tl.m1 - tl.m0 < B || tl.j1 - tl.j0 < w.panels())) {
        tl = tile_for(0, 1, B, w.panels(), 1);  // serial: phase 2 of this step covers everything
        n0 = 0;
        n1 = H;
      }
      start = Clock::now();
      gemm_block(dgx + t * B * 4 * H, false, 4 * H, w, h_carry.data(), H, tl.m0, tl.m1, tl.j0,
                 tl.j1, false);
      for (int64_t b = tl.m0; b < tl.m1 && n0 < n1; b++) {
        if (masked(lengths, t, b)) {
          std::copy(pass.data() + b * H + n0, pass.data() + b * H + n1,
                    h_carry.data() + b * H + n0);
        }
      }
    }
  });
  std::copy(h_carry.begin(), h_carry.end(), dh0);
  std::copy(c_carry.begin(), c_carry.end(), dc0);
  weight_grad(dgx, h, h0, T, B, H, 4 * H, dwhh);
}

}  // namespace indrnn
