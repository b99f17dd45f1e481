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
#include <type_traits>

#include "cublas.h"
#include "device_util.cuh"
#include "kernels.h"

namespace icu {
namespace {

constexpr int kForwardUnroll = 32;   // steps loaded ahead in the forward (32 registers per buffer)
constexpr int kBackwardUnroll = 16;  // backward loads dh and h per step: two buffers of 16 + 17
constexpr int kMaxProjFeatures = 8;  // the folded projection: F input features, weights in registers

/** This thread's (b, n) column and its sequence's length; col = -1 past the last column. */
struct Column {
  int col, b, n, len;
};
__device__ __forceinline__ Column columnOf(const int32_t* lengths, int T, int B, int N) {
  const int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (col >= B * N) return Column{-1, 0, 0, 0};
  const int b = col / N;
  return Column{col, b, col - b * N, lengths != nullptr ? min(max(lengths[b], 0), T) : T};
}

// z[t] of one column, read from memory (the plain scan) ...
struct StoredInput {
  const float* zc;  // z + col
  size_t stride;    // B·N
  __device__ __forceinline__ float operator()(int t) const { return __ldcs(zc + size_t(t) * stride); }
};

// ... or computed from the input: z[t] = x[t, b, :] · w[n, :] (the projection folded in, F <= 8).
// F is a template parameter: with a runtime `if (f < F)` around each load, every load sat in its
// own basic block, so ptxas could not issue a block's loads ahead of their FMAs and each step
// waited a full memory latency (8x slower than the stored-z scan on an H200).
template <int F>
struct ProjectedInput {
  const float* xb;  // x + b·F
  size_t stride;    // B·F
  float w[F];
  __device__ __forceinline__ float operator()(int t) const {
    const float* xt = xb + size_t(t) * stride;
    float z = 0.f;
#pragma unroll
    for (int f = 0; f < F; f++) z = fmaf(xt[f], w[f], z);
    return z;
  }
};

/** The time loop of one column; `input(t)` gives z[t] (loaded or computed U steps ahead). */
template <Act A, typename Input>
__device__ __forceinline__ void forwardColumn(const Input& input, float un, float bn, float state,
                                              int len, int T, float* hc, size_t stride) {
  constexpr int U = kForwardUnroll;
  int t = 0;
  float cur[U], next[U];
  if (len >= U) {
#pragma unroll
    for (int k = 0; k < U; k++) cur[k] = input(k);
  }
  for (; t + U <= len; t += U) {
    const bool more = t + 2 * U <= len;
    if (more) {
#pragma unroll
      for (int k = 0; k < U; k++) next[k] = input(t + U + k);
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
    state = activate<A>(fmaf(un, state, input(t) + bn));
    hc[size_t(t) * stride] = state;
  }
  for (; t < T; t++) hc[size_t(t) * stride] = state;  // past the sequence's end: keep the state
}

template <Act A>
__global__ void indrnnForwardKernel(const float* __restrict__ z, const float* __restrict__ u,
                                    const float* __restrict__ h0,
                                    const int32_t* __restrict__ lengths,
                                    const float* __restrict__ bias, float* __restrict__ h, int T,
                                    int B, int N) {
  const Column c = columnOf(lengths, T, B, N);
  if (c.col < 0) return;
  const size_t stride = size_t(B) * N;
  forwardColumn<A>(StoredInput{z + c.col, stride}, u[c.n], bias != nullptr ? bias[c.n] : 0.f,
                   h0[c.col], c.len, T, h + c.col, stride);
}

template <Act A, int F>
__global__ void indrnnProjForwardKernel(const float* __restrict__ x, const float* __restrict__ w,
                                        const float* __restrict__ u, const float* __restrict__ h0,
                                        const int32_t* __restrict__ lengths,
                                        const float* __restrict__ bias, float* __restrict__ h,
                                        int T, int B, int N) {
  const Column c = columnOf(lengths, T, B, N);
  if (c.col < 0) return;
  ProjectedInput<F> input{x + size_t(c.b) * F, size_t(B) * F, {}};
#pragma unroll
  for (int f = 0; f < F; f++) input.w[f] = w[c.n * F + f];
  forwardColumn<A>(input, u[c.n], bias[c.n], h0[c.col], c.len, T, h + c.col, size_t(B) * N);
}

// What the reverse loop does with dpre = dL/dz[t] of its column. `load` fills a Block with what
// steps t0, t0-1, ..., t0-U+1 will read, one block ahead (as the loop does for dh and h), and
// `step` uses it; `operator()` serves the steps outside whole blocks.
// Store it as dz ...
struct StoreDz {
  float* dzc;
  size_t stride;
  struct Block {};
  __device__ __forceinline__ void load(Block&, int) const {}
  __device__ __forceinline__ void step(int t, float dpre, const Block&, int) { (*this)(t, dpre); }
  __device__ __forceinline__ void operator()(int t, float dpre) { dzc[size_t(t) * stride] = dpre; }
};

// ... or, with the projection folded in, accumulate dw[n, :] += dpre · x[t, b, :] (dz stored only
// when dx is wanted: dx = dz · w is then one GEMM). F and kStoreDz are compile-time for the reason
// given at ProjectedInput. For F <= 2 the x values of a block are loaded with the block before
// (2·U more registers per buffer); loaded in the step, each block waited a memory latency
// (3.6x slower than the plain backward on the H200 at F = 2). Wider inputs load in the step.
template <int F, bool kStoreDz>
struct AccumulateDw {
  static constexpr bool kPrefetch = F <= 2;
  static constexpr int kRows = kPrefetch ? kBackwardUnroll : 1;
  const float* xb;  // x + b·F
  size_t xStride;   // B·F
  float* dzc;       // used only when kStoreDz
  size_t stride;    // B·N
  double* dwPartial;
  double dw[F];
  struct Block {
    float x[kRows][F];
  };
  __device__ __forceinline__ void load(Block& blk, int t0) const {
    if constexpr (kPrefetch) {
#pragma unroll
      for (int k = 0; k < kRows; k++) {
        const float* xt = xb + size_t(t0 - k) * xStride;
#pragma unroll
        for (int f = 0; f < F; f++) blk.x[k][f] = xt[f];
      }
    }
  }
  __device__ __forceinline__ void step(int t, float dpre, const Block& blk, int k) {
    if constexpr (kPrefetch) {
      accumulate(t, dpre, blk.x[k]);
    } else {
      (*this)(t, dpre);
    }
  }
  __device__ __forceinline__ void operator()(int t, float dpre) {
    accumulate(t, dpre, xb + size_t(t) * xStride);
  }
  /** One step: dz[t] when stored, and dw += dpre · xt (x[t, b, :] from memory or a Block). */
  __device__ __forceinline__ void accumulate(int t, float dpre, const float* xt) {
    if constexpr (kStoreDz) dzc[size_t(t) * stride] = dpre;
#pragma unroll
    for (int f = 0; f < F; f++) dw[f] += double(dpre) * double(xt[f]);
  }
  __device__ __forceinline__ void finish(int col) const {
#pragma unroll
    for (int f = 0; f < F; f++) dwPartial[size_t(col) * F + f] = dw[f];
  }
};

/**
 * Reverse loop of one column. With gh = dh[t] + carry (carry = dL/dh[t] arriving from step t+1):
 *   dpre = gh · act'(h[t]);  out(t, dpre);  du += dpre · h[t-1];  db += dpre;  carry = dpre · u.
 * Masked steps (t >= len) give dpre = 0 and carry = gh. dh0 = the final carry.
 */
template <Act A, typename Out>
__device__ __forceinline__ void backwardColumn(Out& out, const float* dhc, const float* hc,
                                               float h0c, float un, int len, int T, size_t stride,
                                               double* du, double* db, float* dh0c) {
  constexpr int U = kBackwardUnroll;
  float carry = 0.f;
  for (int t = T - 1; t >= len; t--) {  // identity steps past the end
    carry += dhc[size_t(t) * stride];
    out(t, 0.f);
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

  double duAcc = 0.0, dbAcc = 0.0;
  int t = len - 1;
  float dhCur[U], hCur[U + 1], dhNext[U], hNext[U + 1];
  typename Out::Block outCur, outNext;
  if (t + 1 >= U) {
    loadBlock(t, dhCur, hCur);
    out.load(outCur, t);
  }
  for (; t + 1 >= U; t -= U) {
    const bool more = t + 1 >= 2 * U;
    if (more) {
      loadBlock(t - U, dhNext, hNext);
      out.load(outNext, t - U);
    }
#pragma unroll
    for (int k = 0; k < U; k++) {
      const float dpre = (dhCur[k] + carry) * activationSlope<A>(hCur[k]);
      out.step(t - k, dpre, outCur, k);
      duAcc += double(dpre) * double(hCur[k + 1]);
      dbAcc += double(dpre);
      carry = dpre * un;
    }
    if (more) {
#pragma unroll
      for (int k = 0; k < U; k++) dhCur[k] = dhNext[k];
#pragma unroll
      for (int k = 0; k <= U; k++) hCur[k] = hNext[k];
      outCur = outNext;
    }
  }
  for (; t >= 0; t--) {
    const float prev = t > 0 ? hc[size_t(t - 1) * stride] : h0c;
    const float dpre =
        (dhc[size_t(t) * stride] + carry) * activationSlope<A>(hc[size_t(t) * stride]);
    out(t, dpre);
    duAcc += double(dpre) * double(prev);
    dbAcc += double(dpre);
    carry = dpre * un;
  }
  *du = duAcc;
  if (db != nullptr) *db = dbAcc;
  *dh0c = carry;
}

template <Act A>
__global__ void indrnnBackwardKernel(const float* __restrict__ dh, const float* __restrict__ h,
                                     const float* __restrict__ u, const float* __restrict__ h0,
                                     const int32_t* __restrict__ lengths, float* __restrict__ dz,
                                     double* __restrict__ duPartial,
                                     double* __restrict__ dbPartial, float* __restrict__ dh0, int T,
                                     int B, int N) {
  const Column c = columnOf(lengths, T, B, N);
  if (c.col < 0) return;
  const size_t stride = size_t(B) * N;
  StoreDz out{dz + c.col, stride};
  backwardColumn<A>(out, dh + c.col, h + c.col, h0[c.col], u[c.n], c.len, T, stride,
                    duPartial + c.col, dbPartial != nullptr ? dbPartial + c.col : nullptr,
                    dh0 + c.col);
}

template <Act A, int F, bool kStoreDz>
__global__ void indrnnProjBackwardKernel(const float* __restrict__ dh, const float* __restrict__ h,
                                         const float* __restrict__ x, const float* __restrict__ u,
                                         const float* __restrict__ h0,
                                         const int32_t* __restrict__ lengths,
                                         float* __restrict__ dz, double* __restrict__ duPartial,
                                         double* __restrict__ dbPartial,
                                         double* __restrict__ dwPartial, float* __restrict__ dh0,
                                         int T, int B, int N) {
  const Column c = columnOf(lengths, T, B, N);
  if (c.col < 0) return;
  const size_t stride = size_t(B) * N;
  AccumulateDw<F, kStoreDz> out{
      x + size_t(c.b) * F, size_t(B) * F, kStoreDz ? dz + c.col : nullptr, stride, dwPartial, {}};
  backwardColumn<A>(out, dh + c.col, h + c.col, h0[c.col], u[c.n], c.len, T, stride,
                    duPartial + c.col, dbPartial + c.col, dh0 + c.col);
  out.finish(c.col);
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

/** Calls f with the activation as a compile-time constant (std::integral_constant). */
template <typename Fn>
void withAct(Act act, Fn&& f) {
  switch (act) {
    case Act::Relu:
      return f(std::integral_constant<Act, Act::Relu>{});
    case Act::Tanh:
      return f(std::integral_constant<Act, Act::Tanh>{});
    case Act::Identity:
      return f(std::integral_constant<Act, Act::Identity>{});
  }
}

/** Calls f with the feature count F (1..kMaxProjFeatures) as a compile-time constant. */
template <typename Fn>
void withFeatures(int F, Fn&& f) {
  switch (F) {
    case 1: return f(std::integral_constant<int, 1>{});
    case 2: return f(std::integral_constant<int, 2>{});
    case 3: return f(std::integral_constant<int, 3>{});
    case 4: return f(std::integral_constant<int, 4>{});
    case 5: return f(std::integral_constant<int, 5>{});
    case 6: return f(std::integral_constant<int, 6>{});
    case 7: return f(std::integral_constant<int, 7>{});
    case 8: return f(std::integral_constant<int, 8>{});
  }
}
static_assert(kMaxProjFeatures == 8, "withFeatures covers 1..8");

void checkFeatures(int F, const char* what) {
  if (F < 1 || F > kMaxProjFeatures) {
    throwMsg(std::string("cuda: ") + what + ": F must be 1.." + std::to_string(kMaxProjFeatures));
  }
}

}  // namespace

void indrnnScanProjForward(const float* x, const float* w, const float* bias, const float* u,
                           const float* h0, const int32_t* lengths, float* h, int T, int B, int N,
                           int F, Act act) {
  checkColumns(B, N, "indrnnScanProj");
  checkFeatures(F, "indrnnScanProj");
  if (T == 0 || B == 0 || N == 0) return;
  const int cols = B * N, threads = scanThreads(cols);
  withAct(act, [&](auto a) {
    withFeatures(F, [&](auto features) {
      constexpr Act A = decltype(a)::value;
      constexpr int kF = decltype(features)::value;
      indrnnProjForwardKernel<A, kF><<<(cols + threads - 1) / threads, threads, 0, stream()>>>(
          x, w, u, h0, lengths, bias, h, T, B, N);
    });
  });
  CHECK_LAUNCH("indrnnScanProj", "indrnnProjForwardKernel");
}

void indrnnScanProjBackward(const float* dh, const float* h, const float* x, const float* w,
                            const float* u, const float* h0, const int32_t* lengths, float* dw,
                            float* db, float* du, float* dx, float* dh0, int T, int B, int N, int F,
                            Act act) {
  const char* what = "indrnnScanProjGrad";
  checkColumns(B, N, what);
  checkFeatures(F, what);
  const size_t cols = size_t(B) * N;
  if (cols == 0) {
    if (N > 0) {
      CUDA_CHECK(what, cudaMemsetAsync(du, 0, size_t(N) * 4, stream()));
      CUDA_CHECK(what, cudaMemsetAsync(db, 0, size_t(N) * 4, stream()));
      CUDA_CHECK(what, cudaMemsetAsync(dw, 0, size_t(N) * F * 4, stream()));
    }
    return;
  }
  // per-column Σ_t partials in double: du [B, N], db [B, N], dw [B, N, F]; each reduced over B
  Scratch partial(cols * (2 + size_t(F)) * sizeof(double), what);
  double* pu = partial.as<double>();
  double* pb = pu + cols;
  double* pw = pb + cols;
  // dx = dz · w needs dz, which the loop otherwise never stores
  Scratch dzScratch(dx != nullptr ? size_t(T) * cols * sizeof(float) : 0, what);
  float* dz = dx != nullptr ? dzScratch.as<float>() : nullptr;
  const int threads = scanThreads(int(cols));
  const unsigned blocks = unsigned((cols + threads - 1) / threads);
  withAct(act, [&](auto a) {
    withFeatures(F, [&](auto features) {
      constexpr Act A = decltype(a)::value;
      constexpr int kF = decltype(features)::value;
      if (dz != nullptr) {
        indrnnProjBackwardKernel<A, kF, true><<<blocks, threads, 0, stream()>>>(
            dh, h, x, u, h0, lengths, dz, pu, pb, pw, dh0, T, B, N);
      } else {
        indrnnProjBackwardKernel<A, kF, false><<<blocks, threads, 0, stream()>>>(
            dh, h, x, u, h0, lengths, dz, pu, pb, pw, dh0, T, B, N);
      }
    });
  });
  CHECK_LAUNCH(what, "indrnnProjBackwardKernel");
  reduceSum(pu, du, 1, B, N);
  reduceSum(pb, db, 1, B, N);
  reduceSum(pw, dw, 1, B, int64_t(N) * F);  // [B, N·F] -> dw [N, F]
  if (dx != nullptr) gemm(what, dz, w, dx, T * B, F, N, false, false, 0.f);
}

void indrnnScanForward(const float* z, const float* u, const float* h0, const int32_t* lengths,
                       float* h, int T, int B, int N, Act act, const float* bias) {
  checkColumns(B, N, "indrnnScan");
  if (T == 0 || B == 0 || N == 0) return;
  const int cols = B * N, threads = scanThreads(cols);
  withAct(act, [&](auto a) {
    constexpr Act A = decltype(a)::value;
    indrnnForwardKernel<A><<<(cols + threads - 1) / threads, threads, 0, stream()>>>(
        z, u, h0, lengths, bias, h, T, B, N);
  });
  CHECK_LAUNCH("indrnnScan", "indrnnForwardKernel");
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
  const int threads = scanThreads(int(cols));
  withAct(act, [&](auto a) {
    constexpr Act A = decltype(a)::value;
    indrnnBackwardKernel<A><<<(int(cols) + threads - 1) / threads, threads, 0, stream()>>>(
        dh, h, u, h0, lengths, dz, p, pb, dh0, T, B, N);
  });
  CHECK_LAUNCH("indrnnScanGrad", "indrnnBackwardKernel");
  reduceSum(p, du, 1, B, N);  // du[n] = Σ_b partial[b, n]
  if (db != nullptr) reduceSum(pb, db, 1, B, N);
}

}  // namespace icu
