// The fused IndRNN recurrence, forward and backward:  h[t] = act(z[t] + b + u ⊙ h[t-1]),
// h[-1] = h0, with the projection bias b optional (folded in: no separate add over [T, B, N], and
// db comes out of the backward loop instead of a reduction over T·B rows of dz).
// Shapes: z, h, dh, dz [T, B, N];  u, du, b, db [N];  h0, dh0 [B, N];  lengths int32 [B] or null.
// Steps t >= lengths[b] keep the state (h[t] = h[t-1]) and pass the gradient straight through.
//
// One thread per (b, n) column with the time loop inside: consecutive threads own consecutive
// neurons, so every step's loads and stores are coalesced rows of [B, N]. The loop is sequential
// in t but its loads are not: z[t] (and dh[t], h[t] backward) do not depend on the state, so a
// block of U steps is loaded ahead while the previous block computes. That keeps U loads per
// thread in flight instead of one, which is what this latency-bound loop needs when B·N is only
// a few thousand threads (B = 32, N = 128 fills 4096 of the H100's ~270k thread slots).
//
// du (and db) sum over batch and time. Each thread accumulates its column's Σ_t dpre·h[t-1] (and
// Σ_t dpre) in a register (double) and writes one partial [B, N]; a column reduction over B then
// gives du [N] (and db).
// No atomics: no contention on the 128 du entries, and the result is deterministic.
#include "device_util.cuh"
#include "kernels.h"

namespace icu {
namespace {

constexpr int kForwardUnroll = 32;   // steps loaded ahead in the forward (32 registers per buffer)
constexpr int kBackwardUnroll = 16;  // backward loads dh and h per step: two buffers of 16 + 17

template <Act A>
__global__ void indrnnForwardKernel(const float* __restrict__ z, const float* __restrict__ u,
                                    const float* __restrict__ h0,
                                    const int32_t* __restrict__ lengths,
                                    const float* __restrict__ bias, float* __restrict__ h, int T,
                                    int B, int N) {
  constexpr int U = kForwardUnroll;
  const int cols = B * N;
  const int col = blockIdx.x * blockDim.x + threadIdx.x;  // (b, n) column
  if (col >= cols) return;
  const int b = col / N, n = col - b * N;
  const float un = u[n];
  const float bn = bias != nullptr ? bias[n] : 0.f;
  int len = T;
  if (lengths != nullptr) len = min(max(lengths[b], 0), T);
  const size_t stride = size_t(cols);
  const float* zc = z + col;
  float* hc = h + col;
  float state = h0[col];

  int t = 0;
  float cur[U], next[U];
  if (len >= U) {
#pragma unroll
    for (int k = 0; k < U; k++) cur[k] = __ldcs(zc + size_t(k) * stride);  // z is read once
  }
  for (; t + U <= len; t += U) {
    const bool more = t + 2 * U <= len;
    if (more) {
#pragma unroll
      for (int k = 0; k < U; k++) next[k] = __ldcs(zc + size_t(t + U + k) * stride);
    }
#pragma unroll
    for (int k = 0; k < U; k++) {
      state = activate<A>(fmaf(un, state, cur[k] + bn));
      hc[size_t(t + k) * stride] = state;
    }
    if (more) {
#pragma unroll
      for (int k = 0; k < U; k++) cur[k] = next[k];
    }
  }
  for (; t < len; t++) {
    state = activate<A>(fmaf(un, state, __ldcs(zc + size_t(t) * stride) + bn));
    hc[size_t(t) * stride] = state;
  }
  for (; t < T; t++) hc[size_t(t) * stride] = state;  // past the sequence's end: keep the state
}

/**
 * Reverse loop. With gh = dh[t] + carry (carry = dL/dh[t] arriving from step t+1):
 *   dpre = gh · act'(h[t]);  dz[t] = dpre;  du += dpre · h[t-1];  carry = dpre · u.
 * Masked steps (t >= len) set dz[t] = 0 and carry = gh. dh0 = the final carry.
 */
template <Act A>
__global__ void indrnnBackwardKernel(const float* __restrict__ dh, const float* __restrict__ h,
                                     const float* __restrict__ u, const float* __restrict__ h0,
                                     const int32_t* __restrict__ lengths, float* __restrict__ dz,
                                     double* __restrict__ duPartial,
                                     double* __restrict__ dbPartial, float* __restrict__ dh0, int T,
                                     int B, int N) {
  constexpr int U = kBackwardUnroll;
  const int cols = B * N;
  const int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (col >= cols) return;
  const int b = col / N, n = col - b * N;
  const float un = u[n];
  int len = T;
  if (lengths != nullptr) len = min(max(lengths[b], 0), T);
  const size_t stride = size_t(cols);
  const float* dhc = dh + col;
  const float* hc = h + col;
  float* dzc = dz + col;
  const float h0c = h0[col];

  float carry = 0.f;
  for (int t = T - 1; t >= len; t--) {  // identity steps past the end
    carry += dhc[size_t(t) * stride];
    dzc[size_t(t) * stride] = 0.f;
  }

  // Block j covers steps t0 - k for k = 0..U-1 (t0 = len-1 - j·U); it reads dh at those steps and
  // h at t0 - k for k = 0..U (the last one is the previous state of the block's last step).
  auto loadBlock = [&](int t0, float* dhv, float* hv) {
#pragma unroll
    for (int k = 0; k < U; k++) dhv[k] = __ldcs(dhc + size_t(t0 - k) * stride);
#pragma unroll
    for (int k = 0; k <= U; k++) {
      const int t = t0 - k;
      hv[k] = t >= 0 ? hc[size_t(t) * stride] : h0c;
    }
  };

  double du = 0.0, db = 0.0;
  int t = len - 1;
  float dhCur[U], hCur[U + 1], dhNext[U], hNext[U + 1];
  if (t + 1 >= U) loadBlock(t, dhCur, hCur);
  for (; t + 1 >= U; t -= U) {
    const bool more = t + 1 >= 2 * U;
    if (more) loadBlock(t - U, dhNext, hNext);
#pragma unroll
    for (int k = 0; k < U; k++) {
      const float dpre = (dhCur[k] + carry) * activationSlope<A>(hCur[k]);
      dzc[size_t(t - k) * stride] = dpre;
      du += double(dpre) * double(hCur[k + 1]);
      db += double(dpre);
      carry = dpre * un;
    }
    if (more) {
#pragma unroll
      for (int k = 0; k < U; k++) dhCur[k] = dhNext[k];
#pragma unroll
      for (int k = 0; k <= U; k++) hCur[k] = hNext[k];
    }
  }
  for (; t >= 0; t--) {
    const float prev = t > 0 ? hc[size_t(t - 1) * stride] : h0c;
    const float dpre =
        (dhc[size_t(t) * stride] + carry) * activationSlope<A>(hc[size_t(t) * stride]);
    dzc[size_t(t) * stride] = dpre;
    du += double(dpre) * double(prev);
    db += double(dpre);
    carry = dpre * un;
  }
  duPartial[col] = du;
  if (dbPartial != nullptr) dbPartial[col] = db;
  dh0[col] = carry;
}

/** Block size that spreads few columns over many SMs (a latency-bound loop wants every SM). */
int scanThreads(int cols) {
  int threads = 256;
  while (threads > 32 && cols / threads < smCount()) threads >>= 1;
  return threads;
}

void checkColumns(int64_t B, int64_t N, const char* what) {
  if (B * N >= (int64_t(1) << 31))
    throwMsg(std::string("cuda: ") + what + ": B·N must be below 2^31");
}

template <Act A>
void launchForward(const float* z, const float* u, const float* h0, const int32_t* lengths,
                   const float* bias, float* h, int T, int B, int N) {
  const int cols = B * N, threads = scanThreads(cols);
  indrnnForwardKernel<A><<<(cols + threads - 1) / threads, threads, 0, stream()>>>(
      z, u, h0, lengths, bias, h, T, B, N);
  CHECK_LAUNCH("indrnnScan", "indrnnForwardKernel");
}

template <Act A>
void launchBackward(const float* dh, const float* h, const float* u, const float* h0,
                    const int32_t* lengths, float* dz, double* duPartial, double* dbPartial,
                    float* dh0, int T, int B, int N) {
  const int cols = B * N, threads = scanThreads(cols);
  indrnnBackwardKernel<A><<<(cols + threads - 1) / threads, threads, 0, stream()>>>(
      dh, h, u, h0, lengths, dz, duPartial, dbPartial, dh0, T, B, N);
  CHECK_LAUNCH("indrnnScanGrad", "indrnnBackwardKernel");
}

}  // namespace

void indrnnScanForward(const float* z, const float* u, const float* h0, const int32_t* lengths,
                       float* h, int T, int B, int N, Act act, const float* bias) {
  checkColumns(B, N, "indrnnScan");
  if (T == 0 || B == 0 || N == 0) return;
  switch (act) {
    case Act::Relu:
      return launchForward<Act::Relu>(z, u, h0, lengths, bias, h, T, B, N);
    case Act::Tanh:
      return launchForward<Act::Tanh>(z, u, h0, lengths, bias, h, T, B, N);
    case Act::Identity:
      return launchForward<Act::Identity>(z, u, h0, lengths, bias, h, T, B, N);
  }
}

void indrnnScanBackward(const float* dh, const float* h, const float* u, const float* h0,
                        const int32_t* lengths, float* dz, float* du, float* dh0, int T, int B,
                        int N, Act act, float* db) {
  checkColumns(B, N, "indrnnScanGrad");
  if (B == 0 || N == 0) {
    if (N > 0) CUDA_CHECK("indrnnScanGrad", cudaMemsetAsync(du, 0, size_t(N) * 4, stream()));
    if (N > 0 && db != nullptr) {
      CUDA_CHECK("indrnnScanGrad", cudaMemsetAsync(db, 0, size_t(N) * 4, stream()));
    }
    return;
  }
  // per-column Σ_t: du partials [B, N], then db partials [B, N] when the bias is folded in
  const size_t cols = size_t(B) * N;
  Scratch partial((db != nullptr ? 2 : 1) * cols * sizeof(double), "indrnnScanGrad");
  double* p = partial.as<double>();
  double* pb = db != nullptr ? p + cols : nullptr;
  switch (act) {
    case Act::Relu:
      launchBackward<Act::Relu>(dh, h, u, h0, lengths, dz, p, pb, dh0, T, B, N);
      break;
    case Act::Tanh:
      launchBackward<Act::Tanh>(dh, h, u, h0, lengths, dz, p, pb, dh0, T, B, N);
      break;
    case Act::Identity:
      launchBackward<Act::Identity>(dh, h, u, h0, lengths, dz, p, pb, dh0, T, B, N);
      break;
  }
  reduceSum(p, du, 1, B, N);  // du[n] = Σ_b partial[b, n]
  if (db != nullptr) reduceSum(pb, db, 1, B, N);
}

}  // namespace icu
