// Elman RNN and LSTM recurrences (the baselines IndRNN is compared with). Unlike IndRNN, every step
// needs the full recurrent product h[t-1] · Whhᵀ, so each step is one cuBLAS GEMM ([B, H] by
// [H, H] or [4H, H]) plus one fused cell kernel (bias-free: gx already holds W x + b); the
// recurrent weight gradient is one large GEMM over all T·B rows after the reverse loop.
// Shapes: gx [T, B, H] (LSTM [T, B, 4H], gate order i, f, g, o); whh [H, H] (LSTM [4H, H]);
// h, c [T, B, H]; gates [T, B, 4H] (activated); h0, c0 [B, H]; lengths int32 [B] or null.
// Steps t >= lengths[b] keep the state and pass the gradient through (as the reference).
#include <utility>

#include "cublas.h"
#include "device_util.cuh"
#include "kernels.h"

namespace icu {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ bool masked(const int32_t* lengths, int b, int t) {
  return lengths != nullptr && t >= lengths[b];
}

// h[t] = act(gx[t] + rec) or h[t-1] when masked; rec = h[t-1] · Whhᵀ [B, H].
template <Act A>
__global__ void rnnCellKernel(const float* __restrict__ gx, const float* __restrict__ rec,
                              const float* __restrict__ hPrev, const int32_t* __restrict__ lengths,
                              float* __restrict__ h, int t, int B, int H) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= B * H) return;
  const int b = i / H;
  h[i] = masked(lengths, b, t) ? hPrev[i] : activate<A>(gx[i] + rec[i]);
}

/**
 * One reverse step: gh = dh[t] + carry; dgx[t] = gh · act'(h[t]) (0 when masked); next = gh when
 * masked, else 0 — the GEMM then adds dgx[t] · Whh to `next`, giving dL/dh[t-1].
 */
template <Act A>
__global__ void rnnCellGradKernel(const float* __restrict__ dh, const float* __restrict__ carry,
                                  const float* __restrict__ h, const int32_t* __restrict__ lengths,
                                  float* __restrict__ dgx, float* __restrict__ next, int t, int B,
                                  int H) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= B * H) return;
  const float gh = dh[i] + carry[i];
  if (masked(lengths, i / H, t)) {
    dgx[i] = 0.f;
    next[i] = gh;
  } else {
    dgx[i] = gh * activationSlope<A>(h[i]);
    next[i] = 0.f;
  }
}

// LSTM cell, one thread per (b, j): gates from gx[t] + rec, then c and h. rec [B, 4H].
__global__ void lstmCellKernel(const float* __restrict__ gx, const float* __restrict__ rec,
                               const float* __restrict__ hPrev, const float* __restrict__ cPrev,
                               const int32_t* __restrict__ lengths, float* __restrict__ h,
                               float* __restrict__ c, float* __restrict__ gates, int t, int B,
                               int H) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= B * H) return;
  const int b = i / H, j = i - b * H;
  const size_t g = size_t(b) * 4 * H + j;  // gate i of row b; f, g, o follow at +H, +2H, +3H
  if (masked(lengths, b, t)) {
    h[i] = hPrev[i];
    c[i] = cPrev[i];
    for (int q = 0; q < 4; q++) gates[g + q * H] = 0.f;  // as the reference: untouched zeros
    return;
  }
  const float ig = sigmoidf(gx[g] + rec[g]);
  const float fg = sigmoidf(gx[g + H] + rec[g + H]);
  const float gg = tanhf(gx[g + 2 * H] + rec[g + 2 * H]);
  const float og = sigmoidf(gx[g + 3 * H] + rec[g + 3 * H]);
  gates[g] = ig;
  gates[g + H] = fg;
  gates[g + 2 * H] = gg;
  gates[g + 3 * H] = og;
  const float cj = fg * cPrev[i] + ig * gg;
  c[i] = cj;
  h[i] = og * tanhf(cj);
}

/**
 * LSTM reverse step (see the reference's derivation): with gh = dh[t] + hCarry,
 *   dc = dc[t] + cCarry + gh·o·(1 - tanh²c);  dpre_i = dc·g·i(1-i);  dpre_f = dc·c[t-1]·f(1-f);
 *   dpre_g = dc·i·(1-g²);  dpre_o = gh·tanh c·o(1-o);  cCarry = dc·f.
 * Writes dgx[t] = dpre [B, 4H] and hNext = 0 (gh when masked; then dgx[t] = 0 and
 * cCarry += dc[t]); the GEMM adds dpre · Whh to hNext.
 */
__global__ void lstmCellGradKernel(const float* __restrict__ dh, const float* __restrict__ dc,
                                   const float* __restrict__ hCarry, float* __restrict__ cCarry,
                                   const float* __restrict__ gates, const float* __restrict__ c,
                                   const float* __restrict__ cPrev,
                                   const int32_t* __restrict__ lengths, float* __restrict__ dgx,
                                   float* __restrict__ hNext, int t, int B, int H) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= B * H) return;
  const int b = i / H, j = i - b * H;
  const size_t g = size_t(b) * 4 * H + j;
  const float gh = dh[i] + hCarry[i];
  if (masked(lengths, b, t)) {
    for (int q = 0; q < 4; q++) dgx[g + q * H] = 0.f;
    hNext[i] = gh;
    cCarry[i] += dc[i];
    return;
  }
  const float ig = gates[g], fg = gates[g + H], gg = gates[g + 2 * H], og = gates[g + 3 * H];
  const float tc = tanhf(c[i]);
  const float dcTotal = dc[i] + cCarry[i] + gh * og * (1.f - tc * tc);
  dgx[g] = dcTotal * gg * ig * (1.f - ig);
  dgx[g + H] = dcTotal * cPrev[i] * fg * (1.f - fg);
  dgx[g + 2 * H] = dcTotal * ig * (1.f - gg * gg);
  dgx[g + 3 * H] = gh * tc * og * (1.f - og);
  cCarry[i] = dcTotal * fg;
  hNext[i] = 0.f;
}

unsigned cellGrid(int B, int H) {
  return unsigned((int64_t(B) * H + kThreads - 1) / kThreads);
}

void checkSizes(int64_t B, int64_t H, const char* what) {
  if (int64_t(B) * 4 * H >= (int64_t(1) << 31)) {
    throwMsg(std::string("cuda: ") + what + ": B·4H must be below 2^31");
  }
}

/**
 * dWhh = Σ_t dpre[t]ᵀ · h[t-1] with h[-1] = h0: one GEMM over the (T-1)·B rows of steps 1..T-1
 * (h[0..T-2] is contiguous), plus step 0 against h0. dpre [T, B, G·H] (G = 1 RNN, 4 LSTM).
 */
void weightGrad(const float* dpre, const float* h, const float* h0, float* dwhh, int T, int B,
                int H, int G, const char* what) {
  const int rowsOut = G * H;
  const size_t step = size_t(B) * rowsOut;
  if (T > 1) gemm(what, dpre + step, h, dwhh, rowsOut, H, (T - 1) * B, true, false, 0.f);
  gemm(what, dpre, h0, dwhh, rowsOut, H, B, true, false, T > 1 ? 1.f : 0.f);
}

template <Act A>
void rnnForward(const float* gx, const float* whh, const float* h0, const int32_t* lengths,
                float* h, int T, int B, int H) {
  Scratch rec(size_t(B) * H * sizeof(float), "rnnScan");  // h[t-1] · Whhᵀ [B, H]
  const size_t step = size_t(B) * H;
  for (int t = 0; t < T; t++) {
    const float* prev = t > 0 ? h + (t - 1) * step : h0;
    gemm("rnnScan", prev, whh, rec.as<float>(), B, H, H, false, true);
    rnnCellKernel<A><<<cellGrid(B, H), kThreads, 0, stream()>>>(
        gx + t * step, rec.as<float>(), prev, lengths, h + t * step, t, B, H);
    CHECK_LAUNCH("rnnScan", "rnnCellKernel");
  }
}

template <Act A>
void rnnBackward(const float* dh, const float* h, const float* whh, const float* h0,
                 const int32_t* lengths, float* dgx, float* dwhh, float* dh0, int T, int B, int H) {
  const size_t step = size_t(B) * H;
  Scratch carries(2 * step * sizeof(float), "rnnScanGrad");  // dL/dh[t], double-buffered
  float* carry = carries.as<float>();
  float* next = carry + step;
  CUDA_CHECK("rnnScanGrad", cudaMemsetAsync(carry, 0, step * sizeof(float), stream()));
  for (int t = T - 1; t >= 0; t--) {
    rnnCellGradKernel<A><<<cellGrid(B, H), kThreads, 0, stream()>>>(
        dh + t * step, carry, h + t * step, lengths, dgx + t * step, next, t, B, H);
    CHECK_LAUNCH("rnnScanGrad", "rnnCellGradKernel");
    gemm("rnnScanGrad", dgx + t * step, whh, next, B, H, H, false, false, 1.f);  // += dpre · Whh
    std::swap(carry, next);
  }
  CUDA_CHECK("rnnScanGrad",
             cudaMemcpyAsync(dh0, carry, step * sizeof(float), cudaMemcpyDeviceToDevice, stream()));
  weightGrad(dgx, h, h0, dwhh, T, B, H, 1, "rnnScanGrad");
}

}  // namespace

void rnnScanForward(const float* gx, const float* whh, const float* h0, const int32_t* lengths,
                    float* h, int T, int B, int H, Act act) {
  checkSizes(B, H, "rnnScan");
  if (T == 0 || B == 0 || H == 0) return;
  switch (act) {
    case Act::Relu:
      return rnnForward<Act::Relu>(gx, whh, h0, lengths, h, T, B, H);
    case Act::Tanh:
      return rnnForward<Act::Tanh>(gx, whh, h0, lengths, h, T, B, H);
    case Act::Identity:
      return rnnForward<Act::Identity>(gx, whh, h0, lengths, h, T, B, H);
  }
}

void rnnScanBackward(const float* dh, const float* h, const float* whh, const float* h0,
                     const int32_t* lengths, float* dgx, float* dwhh, float* dh0, int T, int B,
                     int H, Act act) {
  checkSizes(B, H, "rnnScanGrad");
  if (H == 0) return;
  if (T == 0 || B == 0) {
    CUDA_CHECK("rnnScanGrad", cudaMemsetAsync(dwhh, 0, size_t(H) * H * 4, stream()));
    CUDA_CHECK("rnnScanGrad", cudaMemsetAsync(dh0, 0, size_t(B) * H * 4, stream()));
    return;
  }
  switch (act) {
    case Act::Relu:
      return rnnBackward<Act::Relu>(dh, h, whh, h0, lengths, dgx, dwhh, dh0, T, B, H);
    case Act::Tanh:
      return rnnBackward<Act::Tanh>(dh, h, whh, h0, lengths, dgx, dwhh, dh0, T, B, H);
    case Act::Identity:
      return rnnBackward<Act::Identity>(dh, h, whh, h0, lengths, dgx, dwhh, dh0, T, B, H);
  }
}

void lstmScanForward(const float* gx, const float* whh, const float* h0, const float* c0,
                     const int32_t* lengths, float* h, float* c, float* gates, int T, int B,
                     int H) {
  checkSizes(B, H, "lstmScan");
  if (T == 0 || B == 0 || H == 0) return;
  const size_t step = size_t(B) * H, gstep = 4 * step;
  Scratch rec(gstep * sizeof(float), "lstmScan");  // h[t-1] · Whhᵀ [B, 4H]
  for (int t = 0; t < T; t++) {
    const float* hPrev = t > 0 ? h + (t - 1) * step : h0;
    const float* cPrev = t > 0 ? c + (t - 1) * step : c0;
    gemm("lstmScan", hPrev, whh, rec.as<float>(), B, 4 * H, H, false, true);
    lstmCellKernel<<<cellGrid(B, H), kThreads, 0, stream()>>>(
        gx + t * gstep, rec.as<float>(), hPrev, cPrev, lengths, h + t * step, c + t * step,
        gates + t * gstep, t, B, H);
    CHECK_LAUNCH("lstmScan", "lstmCellKernel");
  }
}

void lstmScanBackward(const float* dh, const float* dc, const float* gates, const float* h,
                      const float* c, const float* whh, const float* h0, const float* c0,
                      const int32_t* lengths, float* dgx, float* dwhh, float* dh0, float* dc0,
                      int T, int B, int H) {
  checkSizes(B, H, "lstmScanGrad");
  if (H == 0) return;
  const size_t step = size_t(B) * H, gstep = 4 * step;
  if (T == 0 || B == 0) {
    CUDA_CHECK("lstmScanGrad", cudaMemsetAsync(dwhh, 0, size_t(4) * H * H * 4, stream()));
    CUDA_CHECK("lstmScanGrad", cudaMemsetAsync(dh0, 0, step * 4, stream()));
    CUDA_CHECK("lstmScanGrad", cudaMemsetAsync(dc0, 0, step * 4, stream()));
    return;
  }
  Scratch carries(2 * step * sizeof(float), "lstmScanGrad");  // dL/dh, double-buffered
  float* hCarry = carries.as<float>();
  float* hNext = hCarry + step;
  float* cCarry = dc0;  // dL/dc[t] carried in place; what is left at t = 0 is dc0
  CUDA_CHECK("lstmScanGrad", cudaMemsetAsync(hCarry, 0, step * sizeof(float), stream()));
  CUDA_CHECK("lstmScanGrad", cudaMemsetAsync(cCarry, 0, step * sizeof(float), stream()));
  for (int t = T - 1; t >= 0; t--) {
    const float* cPrev = t > 0 ? c + (t - 1) * step : c0;
    lstmCellGradKernel<<<cellGrid(B, H), kThreads, 0, stream()>>>(
        dh + t * step, dc + t * step, hCarry, cCarry, gates + t * gstep, c + t * step, cPrev,
        lengths, dgx + t * gstep, hNext, t, B, H);
    CHECK_LAUNCH("lstmScanGrad", "lstmCellGradKernel");
    gemm("lstmScanGrad", dgx + t * gstep, whh, hNext, B, H, 4 * H, false, false,
         1.f);  // += dpre·Whh
    std::swap(hCarry, hNext);
  }
  CUDA_CHECK("lstmScanGrad", cudaMemcpyAsync(dh0, hCarry, step * sizeof(float),
                                             cudaMemcpyDeviceToDevice, stream()));
  weightGrad(dgx, h, h0, dwhh, T, B, H, 4, "lstmScanGrad");
}

}  // namespace icu
