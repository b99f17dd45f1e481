// im2col / col2im for channels-last convolutions (see backend/reference/conv.ts):
//   x [N, H, W, C]  <->  cols [N·OH·OW, KH·KW·C], row (n, oh, ow), column (kh, kw, c).
// Both are written as gathers (one thread per output element), so col2im needs no atomics: a
// pixel sums the window taps that read it, found by inverting oh·stride - pad + kh = ih.
#include "device_util.cuh"
#include "kernels.h"

namespace icu {
namespace {

__global__ void im2colKernel(const float* __restrict__ x, float* __restrict__ cols, ConvGeometry g,
                             int64_t n) {
  const int64_t rowLen = int64_t(g.KH) * g.KW * g.C;
  GRID_STRIDE(i, n) {
    const int64_t row = i / rowLen;
    const int64_t k = i - row * rowLen;
    const int c = int(k % g.C), kw = int((k / g.C) % g.KW), kh = int(k / (int64_t(g.C) * g.KW));
    const int ow = int(row % g.OW), oh = int((row / g.OW) % g.OH);
    const int64_t b = row / (int64_t(g.OW) * g.OH);
    const int ih = oh * g.strideH - g.padH + kh, iw = ow * g.strideW - g.padW + kw;
    const bool inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
    cols[i] = inside ? x[((b * g.H + ih) * g.W + iw) * g.C + c] : 0.f;
  }
}

__global__ void col2imKernel(const float* __restrict__ cols, float* __restrict__ x, ConvGeometry g,
                             int64_t n) {
  const int64_t rowLen = int64_t(g.KH) * g.KW * g.C;
  GRID_STRIDE(i, n) {
    const int c = int(i % g.C);
    const int iw = int((i / g.C) % g.W), ih = int((i / (int64_t(g.C) * g.W)) % g.H);
    const int64_t b = i / (int64_t(g.C) * g.W * g.H);
    float acc = 0.f;
    for (int kh = 0; kh < g.KH; kh++) {
      const int t = ih + g.padH - kh;  // = oh · strideH
      if (t < 0 || t % g.strideH != 0) continue;
      const int oh = t / g.strideH;
      if (oh >= g.OH) continue;
      for (int kw = 0; kw < g.KW; kw++) {
        const int s = iw + g.padW - kw;
        if (s < 0 || s % g.strideW != 0) continue;
        const int ow = s / g.strideW;
        if (ow >= g.OW) continue;
        const int64_t row = (b * g.OH + oh) * g.OW + ow;
        acc += cols[row * rowLen + (int64_t(kh) * g.KW + kw) * g.C + c];
      }
    }
    x[i] = acc;
  }
}

}  // namespace

void im2col(const float* x, float* cols, const ConvGeometry& g) {
  const int64_t n = int64_t(g.N) * g.OH * g.OW * g.KH * g.KW * g.C;
  if (n == 0) return;
  im2colKernel<<<gridFor(n, 256), 256, 0, stream()>>>(x, cols, g, n);
  CHECK_LAUNCH("im2col", "im2colKernel");
}

void col2im(const float* cols, float* x, const ConvGeometry& g) {
  const int64_t n = int64_t(g.N) * g.H * g.W * g.C;
  if (n == 0) return;
  col2imKernel<<<gridFor(n, 256), 256, 0, stream()>>>(cols, x, g, n);
  CHECK_LAUNCH("col2im", "col2imKernel");
}

}  // namespace icu
