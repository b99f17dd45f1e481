// Elementwise kernels: unary ops and their gradients, broadcasting binary ops, affine, in-place
// clamp/scale, casts and the small-upload fill. All are memory-bound grid-stride loops over n.
#include "device_util.cuh"
#include "kernels.h"

namespace icu {
namespace {

constexpr int kThreads = 256;

template <Unary OP>
__device__ __forceinline__ float unaryOp(float x) {
  if constexpr (OP == Unary::Neg)
    return -x;
  else if constexpr (OP == Unary::Relu)
    return x > 0.f ? x : 0.f;
  else if constexpr (OP == Unary::Tanh)
    return tanhf(x);
  else if constexpr (OP == Unary::Sigmoid)
    return sigmoidf(x);
  else if constexpr (OP == Unary::Exp)
    return expf(x);
  else if constexpr (OP == Unary::Log)
    return logf(x);
  else if constexpr (OP == Unary::Sqrt)
    return sqrtf(x);
  else if constexpr (OP == Unary::Square)
    return x * x;
  else
    return fabsf(x);
}

/** dx from x, y = op(x) and dy; each rule is the reference's (backend/reference/elementwise.ts). */
template <Unary OP>
__device__ __forceinline__ float unaryGradOp(float x, float y, float dy) {
  if constexpr (OP == Unary::Neg)
    return -dy;
  else if constexpr (OP == Unary::Relu)
    return x > 0.f ? dy : 0.f;
  else if constexpr (OP == Unary::Tanh)
    return dy * (1.f - y * y);
  else if constexpr (OP == Unary::Sigmoid)
    return dy * y * (1.f - y);
  else if constexpr (OP == Unary::Exp)
    return dy * y;
  else if constexpr (OP == Unary::Log)
    return dy / x;
  else if constexpr (OP == Unary::Sqrt)
    return dy / (2.f * y);
  else if constexpr (OP == Unary::Square)
    return 2.f * x * dy;
  else
    return x > 0.f ? dy : x < 0.f ? -dy : 0.f;
}

template <Unary OP>
__global__ void unaryKernel(const float* __restrict__ x, float* __restrict__ y, int64_t n) {
  GRID_STRIDE(i, n)
  y[i] = unaryOp<OP>(x[i]);
}

template <Unary OP>
__global__ void unaryGradKernel(const float* __restrict__ x, const float* __restrict__ y,
                                const float* __restrict__ dy, float* __restrict__ dx, int64_t n) {
  GRID_STRIDE(i, n)
  dx[i] = unaryGradOp<OP>(x[i], y[i], dy[i]);
}

template <Binary OP>
__device__ __forceinline__ float binaryOp(float a, float b) {
  if constexpr (OP == Binary::Add)
    return a + b;
  else if constexpr (OP == Binary::Sub)
    return a - b;
  else if constexpr (OP == Binary::Mul)
    return a * b;
  else if constexpr (OP == Binary::Div)
    return a / b;
  // the reference's a >= b ? a : b (not fmaxf, which drops NaNs)
  else if constexpr (OP == Binary::Maximum)
    return a >= b ? a : b;
  else
    return a <= b ? a : b;
}

/**
 * Broadcasting binary op over a coalesced layout. RANK is 1 or 2 for the common cases (same shape,
 * scalar operand, a row vector added to every row as in W x + b); 0 means the general loop.
 * Offsets fit 32 bits whenever n does (checked by the launcher), so the index math is 32-bit.
 */
template <Binary OP, int RANK>
__global__ void binaryKernel(const float* __restrict__ a, const float* __restrict__ b,
                             float* __restrict__ out, BinaryLayout l, uint32_t n) {
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    uint32_t oa, ob;
    if constexpr (RANK == 1) {
      oa = i * uint32_t(l.strideA[0]);
      ob = i * uint32_t(l.strideB[0]);
    } else if constexpr (RANK == 2) {
      const uint32_t cols = uint32_t(l.shape[1]);
      const uint32_t r = i / cols, c = i - r * cols;
      oa = r * uint32_t(l.strideA[0]) + c * uint32_t(l.strideA[1]);
      ob = r * uint32_t(l.strideB[0]) + c * uint32_t(l.strideB[1]);
    } else {
      uint32_t rest = i;
      oa = 0;
      ob = 0;
      for (int d = l.rank - 1; d >= 0; d--) {
        const uint32_t dim = uint32_t(l.shape[d]);
        const uint32_t q = rest / dim, coord = rest - q * dim;
        oa += coord * uint32_t(l.strideA[d]);
        ob += coord * uint32_t(l.strideB[d]);
        rest = q;
      }
    }
    out[i] = binaryOp<OP>(a[oa], b[ob]);
  }
}

// Same as binaryKernel's general path with 64-bit offsets, for tensors past 2^32 elements.
template <Binary OP>
__global__ void binaryKernel64(const float* __restrict__ a, const float* __restrict__ b,
                               float* __restrict__ out, BinaryLayout l, int64_t n) {
  GRID_STRIDE(i, n) {
    int64_t rest = i, oa = 0, ob = 0;
    for (int d = l.rank - 1; d >= 0; d--) {
      const int64_t coord = rest % l.shape[d];
      rest /= l.shape[d];
      oa += coord * l.strideA[d];
      ob += coord * l.strideB[d];
    }
    out[i] = binaryOp<OP>(a[oa], b[ob]);
  }
}

__global__ void affineKernel(const float* __restrict__ x, float* __restrict__ y, int64_t n,
                             float scale, float shift) {
  GRID_STRIDE(i, n)
  y[i] = x[i] * scale + shift;
}

__global__ void clampKernel(float* x, int64_t n, float lo, float hi) {
  GRID_STRIDE(i, n) {
    const float v = x[i];
    x[i] = v < lo ? lo : v > hi ? hi : v;  // as the reference: NaN stays NaN
  }
}

__global__ void scaleKernel(float* x, int64_t n, float s) {
  GRID_STRIDE(i, n)
  x[i] *= s;
}

__global__ void castF32ToI32Kernel(const float* __restrict__ x, int32_t* __restrict__ y,
                                   int64_t n) {
  GRID_STRIDE(i, n)
  y[i] = int32_t(truncf(x[i]));  // toward zero, as Math.trunc
}

__global__ void castI32ToF32Kernel(const int32_t* __restrict__ x, float* __restrict__ y,
                                   int64_t n) {
  GRID_STRIDE(i, n)
  y[i] = float(x[i]);
}

// The data rides in the launch parameters: no staging buffer and no host synchronisation.
__global__ void fillInlineKernel(uint32_t* dst, int n, InlineWords words) {
  const int i = threadIdx.x;
  if (i < n) dst[i] = words.w[i];
}

template <Unary OP>
void launchUnary(const float* x, float* y, int64_t n) {
  unaryKernel<OP><<<gridFor(n, kThreads), kThreads, 0, stream()>>>(x, y, n);
  CHECK_LAUNCH("unary", "unaryKernel");
}

template <Unary OP>
void launchUnaryGrad(const float* x, const float* y, const float* dy, float* dx, int64_t n) {
  unaryGradKernel<OP><<<gridFor(n, kThreads), kThreads, 0, stream()>>>(x, y, dy, dx, n);
  CHECK_LAUNCH("unaryGrad", "unaryGradKernel");
}

template <Binary OP>
void launchBinary(const float* a, const float* b, float* out, const BinaryLayout& l, int64_t n) {
  const unsigned grid = gridFor(n, kThreads);
  // 32-bit offsets are safe when every operand's largest offset stays below 2^32
  int64_t maxA = 0, maxB = 0;
  for (int d = 0; d < l.rank; d++) {
    maxA += (l.shape[d] - 1) * l.strideA[d];
    maxB += (l.shape[d] - 1) * l.strideB[d];
  }
  const int64_t lim = int64_t(1) << 32;
  if (n >= lim || maxA >= lim || maxB >= lim) {
    binaryKernel64<OP><<<grid, kThreads, 0, stream()>>>(a, b, out, l, n);
  } else if (l.rank == 1) {
    binaryKernel<OP, 1><<<grid, kThreads, 0, stream()>>>(a, b, out, l, uint32_t(n));
  } else if (l.rank == 2) {
    binaryKernel<OP, 2><<<grid, kThreads, 0, stream()>>>(a, b, out, l, uint32_t(n));
  } else {
    binaryKernel<OP, 0><<<grid, kThreads, 0, stream()>>>(a, b, out, l, uint32_t(n));
  }
  CHECK_LAUNCH("binary", "binaryKernel");
}

}  // namespace

void unaryForward(Unary op, const float* x, float* y, int64_t n) {
  if (n == 0) return;
  switch (op) {
    case Unary::Neg:
      return launchUnary<Unary::Neg>(x, y, n);
    case Unary::Relu:
      return launchUnary<Unary::Relu>(x, y, n);
    case Unary::Tanh:
      return launchUnary<Unary::Tanh>(x, y, n);
    case Unary::Sigmoid:
      return launchUnary<Unary::Sigmoid>(x, y, n);
    case Unary::Exp:
      return launchUnary<Unary::Exp>(x, y, n);
    case Unary::Log:
      return launchUnary<Unary::Log>(x, y, n);
    case Unary::Sqrt:
      return launchUnary<Unary::Sqrt>(x, y, n);
    case Unary::Square:
      return launchUnary<Unary::Square>(x, y, n);
    case Unary::Abs:
      return launchUnary<Unary::Abs>(x, y, n);
  }
}

void unaryBackward(Unary op, const float* x, const float* y, const float* dy, float* dx,
                   int64_t n) {
  if (n == 0) return;
  switch (op) {
    case Unary::Neg:
      return launchUnaryGrad<Unary::Neg>(x, y, dy, dx, n);
    case Unary::Relu:
      return launchUnaryGrad<Unary::Relu>(x, y, dy, dx, n);
    case Unary::Tanh:
      return launchUnaryGrad<Unary::Tanh>(x, y, dy, dx, n);
    case Unary::Sigmoid:
      return launchUnaryGrad<Unary::Sigmoid>(x, y, dy, dx, n);
    case Unary::Exp:
      return launchUnaryGrad<Unary::Exp>(x, y, dy, dx, n);
    case Unary::Log:
      return launchUnaryGrad<Unary::Log>(x, y, dy, dx, n);
    case Unary::Sqrt:
      return launchUnaryGrad<Unary::Sqrt>(x, y, dy, dx, n);
    case Unary::Square:
      return launchUnaryGrad<Unary::Square>(x, y, dy, dx, n);
    case Unary::Abs:
      return launchUnaryGrad<Unary::Abs>(x, y, dy, dx, n);
  }
}

void binaryForward(Binary op, const float* a, const float* b, float* out, const BinaryLayout& l,
                   int64_t n) {
  if (n == 0) return;
  switch (op) {
    case Binary::Add:
      return launchBinary<Binary::Add>(a, b, out, l, n);
    case Binary::Sub:
      return launchBinary<Binary::Sub>(a, b, out, l, n);
    case Binary::Mul:
      return launchBinary<Binary::Mul>(a, b, out, l, n);
    case Binary::Div:
      return launchBinary<Binary::Div>(a, b, out, l, n);
    case Binary::Maximum:
      return launchBinary<Binary::Maximum>(a, b, out, l, n);
    case Binary::Minimum:
      return launchBinary<Binary::Minimum>(a, b, out, l, n);
  }
}

void affine(const float* x, float* y, int64_t n, float scale, float shift) {
  if (n == 0) return;
  affineKernel<<<gridFor(n, kThreads), kThreads, 0, stream()>>>(x, y, n, scale, shift);
  CHECK_LAUNCH("affine", "affineKernel");
}

void clampInPlace(float* x, int64_t n, float lo, float hi) {
  if (n == 0) return;
  clampKernel<<<gridFor(n, kThreads), kThreads, 0, stream()>>>(x, n, lo, hi);
  CHECK_LAUNCH("clampInPlace", "clampKernel");
}

void scaleInPlace(float* x, int64_t n, float scale) {
  if (n == 0) return;
  scaleKernel<<<gridFor(n, kThreads), kThreads, 0, stream()>>>(x, n, scale);
  CHECK_LAUNCH("scaleInPlace", "scaleKernel");
}

void castF32ToI32(const float* x, int32_t* y, int64_t n) {
  if (n == 0) return;
  castF32ToI32Kernel<<<gridFor(n, kThreads), kThreads, 0, stream()>>>(x, y, n);
  CHECK_LAUNCH("cast", "castF32ToI32Kernel");
}

void castI32ToF32(const int32_t* x, float* y, int64_t n) {
  if (n == 0) return;
  castI32ToF32Kernel<<<gridFor(n, kThreads), kThreads, 0, stream()>>>(x, y, n);
  CHECK_LAUNCH("cast", "castI32ToF32Kernel");
}

void fillInline(uint32_t* dst, int n, const InlineWords& words) {
  if (n == 0) return;
  fillInlineKernel<<<1, kInlineWords, 0, stream()>>>(dst, n, words);
  CHECK_LAUNCH("fromHost", "fillInlineKernel");
}

}  // namespace icu
