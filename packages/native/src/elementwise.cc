// Elementwise kernels: unary ops and their gradients, broadcasting binary ops, affine, in-place
// clamp/scale, sum of squares and casts. Loops are compiled per ISA level (INDRNN_CLONES) and
// split over the pool when large. Binary ops take fast paths for equal shapes, a scalar operand
// and a trailing-vector operand (a bias), and otherwise walk strided rows.
#include <cmath>
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace indrnn {
namespace {

#define ALWAYS_INLINE inline __attribute__((always_inline))

template <class F>
void for_chunks(int64_t n, F&& f) {
  parallel_for(n, kElementwiseGrain, [&](int64_t b, int64_t e) { f(b, e); });
}

INDRNN_CLONES void unary_range(UnaryOp op, const float* x, float* y, int64_t b, int64_t e) {
  switch (op) {
    case UnaryOp::Neg:
      for (int64_t i = b; i < e; i++) y[i] = -x[i];
      break;
    case UnaryOp::Relu:
      for (int64_t i = b; i < e; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case UnaryOp::Tanh:
      for (int64_t i = b; i < e; i++) y[i] = tanh_f(x[i]);
      break;
    case UnaryOp::Sigmoid:
      for (int64_t i = b; i < e; i++) y[i] = sigmoid_f(x[i]);
      break;
    case UnaryOp::Exp:
      for (int64_t i = b; i < e; i++) y[i] = exp_f(x[i]);
      break;
    case UnaryOp::Log:
      for (int64_t i = b; i < e; i++) y[i] = std::log(x[i]);
      break;
    case UnaryOp::Sqrt:
      for (int64_t i = b; i < e; i++) y[i] = std::sqrt(x[i]);
      break;
    case UnaryOp::Square:
      for (int64_t i = b; i < e; i++) y[i] = x[i] * x[i];
      break;
    case UnaryOp::Abs:
      for (int64_t i = b; i < e; i++) y[i] = std::fabs(x[i]);
      break;
  }
}

INDRNN_CLONES void unary_grad_range(UnaryOp op, const float* x, const float* y, const float* dy,
                                    float* dx, int64_t b, int64_t e) {
  switch (op) {
    case UnaryOp::Neg:  // d(-x) = -dx
      for (int64_t i = b; i < e; i++) dx[i] = -dy[i];
      break;
    case UnaryOp::Relu:  // d relu = [x > 0]
      for (int64_t i = b; i < e; i++) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
      break;
    case UnaryOp::Tanh:  // d tanh = 1 - y²
      for (int64_t i = b; i < e; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
      break;
    case UnaryOp::Sigmoid:  // d σ = y (1 - y)
      for (int64_t i = b; i < e; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
      break;
    case UnaryOp::Exp:  // d exp = y
      for (int64_t i = b; i < e; i++) dx[i] = dy[i] * y[i];
      break;
    case UnaryOp::Log:  // d log = 1 / x
      for (int64_t i = b; i < e; i++) dx[i] = dy[i] / x[i];
      break;
    case UnaryOp::Sqrt:  // d sqrt = 1 / (2 y)
      for (int64_t i = b; i < e; i++) dx[i] = dy[i] / (2.0f * y[i]);
      break;
    case UnaryOp::Square:  // d x² = 2x
      for (int64_t i = b; i < e; i++) dx[i] = 2.0f * x[i] * dy[i];
      break;
    case UnaryOp::Abs:  // d |x| = sign(x)
      for (int64_t i = b; i < e; i++) dx[i] = x[i] > 0.0f ? dy[i] : (x[i] < 0.0f ? -dy[i] : 0.0f);
      break;
  }
}

template <BinaryOp OP>
ALWAYS_INLINE float apply(float a, float b) {
  switch (OP) {
    case BinaryOp::Add:
      return a + b;
    case BinaryOp::Sub:
      return a - b;
    case BinaryOp::Mul:
      return a * b;
    case BinaryOp::Div:
      return a / b;
    case BinaryOp::Maximum:
      return a >= b ? a : b;  // ties and NaN follow the reference's comparison
    default:
      return a <= b ? a : b;
  }
}

// out[i] = a[i·sa] op b[i·sb] for i < n, with strides 0 or 1 specialised so each loop vectorises.
template <BinaryOp OP>
ALWAYS_INLINE void binary_row_t(const float* a, int64_t sa, const float* b, int64_t sb, float* out,
                                int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; i++) out[i] = apply<OP>(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; i++) out[i] = apply<OP>(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; i++) out[i] = apply<OP>(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; i++) out[i] = apply<OP>(a[i * sa], b[i * sb]);
  }
}

INDRNN_CLONES void binary_row(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                              float* out, int64_t n) {
  switch (op) {
    case BinaryOp::Add:
      binary_row_t<BinaryOp::Add>(a, sa, b, sb, out, n);
      break;
    case BinaryOp::Sub:
      binary_row_t<BinaryOp::Sub>(a, sa, b, sb, out, n);
      break;
    case BinaryOp::Mul:
      binary_row_t<BinaryOp::Mul>(a, sa, b, sb, out, n);
      break;
    case BinaryOp::Div:
      binary_row_t<BinaryOp::Div>(a, sa, b, sb, out, n);
      break;
    case BinaryOp::Maximum:
      binary_row_t<BinaryOp::Maximum>(a, sa, b, sb, out, n);
      break;
    case BinaryOp::Minimum:
      binary_row_t<BinaryOp::Minimum>(a, sa, b, sb, out, n);
      break;
  }
}

int64_t product(const Dims& d, size_t from = 0, size_t to = SIZE_MAX) {
  int64_t p = 1;
  for (size_t i = from; i < d.size() && i < to; i++) p *= d[i];
  return p;
}

// Strides of `shape` right-aligned to `out`, 0 on broadcast axes.
Dims broadcast_strides(const Dims& shape, const Dims& out) {
  Dims s(out.size(), 0);
  const size_t off = out.size() - shape.size();
  int64_t st = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[off + i] = shape[i] == 1 ? 0 : st;
    st *= shape[i];
  }
  return s;
}

// Whether `shape` (right-aligned to out) equals out's last `shape.size()` axes after leading ones,
// i.e. it repeats every `inner` elements: a bias vector over the trailing axes.
bool is_trailing(const Dims& shape, const Dims& out, int64_t* inner) {
  size_t lead = 0;
  while (lead < shape.size() && shape[lead] == 1) lead++;
  const size_t off = out.size() - shape.size();
  for (size_t i = lead; i < shape.size(); i++) {
    if (shape[i] != out[off + i]) return false;
  }
  *inner = product(shape, lead);
  return true;
}

}  // namespace

void unary(UnaryOp op, const float* x, float* y, int64_t n) {
  for_chunks(n, [&](int64_t b, int64_t e) { unary_range(op, x, y, b, e); });
}

void unary_grad(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, int64_t n) {
  for_chunks(n, [&](int64_t b, int64_t e) { unary_grad_range(op, x, y, dy, dx, b, e); });
}

void binary(BinaryOp op, const float* a, const Dims& a_shape, const float* b, const Dims& b_shape,
            const Dims& out_shape, float* out) {
  const int64_t n = product(out_shape);
  if (n == 0) return;
  const int64_t na = product(a_shape), nb = product(b_shape);
  // same shape, or one scalar operand
  if ((na == n || na == 1) && (nb == n || nb == 1)) {
    const int64_t sa = na == 1 ? 0 : 1, sb = nb == 1 ? 0 : 1;
    for_chunks(n, [&](int64_t s, int64_t e) {
      binary_row(op, a + s * sa, sa, b + s * sb, sb, out + s, e - s);
    });
    return;
  }
  // one full operand and one that repeats every `inner` elements (a bias over trailing axes)
  int64_t inner = 0;
  if (na == n && is_trailing(b_shape, out_shape, &inner) && inner > 0) {
    const int64_t rows = n / inner;
    parallel_for(rows, std::max<int64_t>(1, kElementwiseGrain / inner),
                 [&](int64_t r0, int64_t r1) {
                   for (int64_t r = r0; r < r1; r++)
                     binary_row(op, a + r * inner, 1, b, 1, out + r * inner, inner);
                 });
    return;
  }
  if (nb == n && is_trailing(a_shape, out_shape, &inner) && inner > 0) {
    const int64_t rows = n / inner;
    parallel_for(rows, std::max<int64_t>(1, kElementwiseGrain / inner),
                 [&](int64_t r0, int64_t r1) {
                   for (int64_t r = r0; r < r1; r++)
                     binary_row(op, a, 1, b + r * inner, 1, out + r * inner, inner);
                 });
    return;
  }
  // general broadcast: an odometer over the outer axes, one strided row per step
  const Dims sa = broadcast_strides(a_shape, out_shape);
  const Dims sb = broadcast_strides(b_shape, out_shape);
  const size_t rank = out_shape.size();
  const int64_t inner_n = out_shape[rank - 1];
  const int64_t rows = n / inner_n;
  parallel_for(
      rows, std::max<int64_t>(1, kElementwiseGrain / inner_n), [&](int64_t r0, int64_t r1) {
        // decompose r0 into an index over the outer axes
        std::vector<int64_t> idx(rank, 0);
        int64_t rem = r0, oa = 0, ob = 0;
        for (size_t ax = rank - 1; ax-- > 0;) {
          idx[ax] = rem % out_shape[ax];
          rem /= out_shape[ax];
          oa += idx[ax] * sa[ax];
          ob += idx[ax] * sb[ax];
        }
        for (int64_t r = r0; r < r1; r++) {
          binary_row(op, a + oa, sa[rank - 1], b + ob, sb[rank - 1], out + r * inner_n, inner_n);
          for (size_t ax = rank - 1; ax-- > 0;) {
            oa += sa[ax];
            ob += sb[ax];
            if (++idx[ax] < out_shape[ax]) break;
            oa -= sa[ax] * out_shape[ax];
            ob -= sb[ax] * out_shape[ax];
            idx[ax] = 0;
          }
        }
      });
}

namespace {
INDRNN_CLONES void affine_range(const float* x, float* y, float scale, float shift, int64_t b,
                                int64_t e) {
  for (int64_t i = b; i < e; i++) y[i] = x[i] * scale + shift;
}
INDRNN_CLONES void clamp_range(float* x, float lo, float hi, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; i++) {
    const float v = x[i];
    x[i] = v < lo ? lo : (v > hi ? hi : v);  // NaN stays NaN, as in the reference
  }
}
INDRNN_CLONES void scale_range(float* x, float s, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; i++) x[i] *= s;
}
INDRNN_CLONES double sum_squares_range(const float* x, int64_t b, int64_t e) {
  // eight independent partial sums, so the loop vectorises without reassociating one sum
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = b;
  for (; i + 8 <= e; i += 8) {
    for (int j = 0; j < 8; j++) acc[j] += static_cast<double>(x[i + j]) * x[i + j];
  }
  double s = 0.0;
  for (; i < e; i++) s += static_cast<double>(x[i]) * x[i];
  for (int j = 0; j < 8; j++) s += acc[j];
  return s;
}

// ToInt32(trunc(v)) as JS stores a number into an Int32Array: NaN and ±Inf give 0, larger
// values wrap modulo 2^32.
int32_t js_to_int32(float v) {
  if (v > -2147483648.0f && v < 2147483648.0f) return static_cast<int32_t>(v);
  if (!std::isfinite(v)) return 0;
  const double m = std::fmod(std::trunc(static_cast<double>(v)), 4294967296.0);
  const double u = m < 0 ? m + 4294967296.0 : m;
  return static_cast<int32_t>(static_cast<uint32_t>(u));
}
}  // namespace

void affine(const float* x, float* y, int64_t n, float scale, float shift) {
  for_chunks(n, [&](int64_t b, int64_t e) { affine_range(x, y, scale, shift, b, e); });
}

void clamp_inplace(float* x, int64_t n, float lo, float hi) {
  for_chunks(n, [&](int64_t b, int64_t e) { clamp_range(x, lo, hi, b, e); });
}

void scale_inplace(float* x, int64_t n, float scale) {
  for_chunks(n, [&](int64_t b, int64_t e) { scale_range(x, scale, b, e); });
}

double sum_squares(const float* x, int64_t n) {
  const int nt = threads_for(n, kElementwiseGrain);
  std::vector<double> part(static_cast<size_t>(nt), 0.0);
  run_parallel(nt, [&](int tid, int parts) {
    int64_t b, e;
    split_range(n, parts, tid, 16, &b, &e);
    part[tid] = sum_squares_range(x, b, e);
  });
  double s = 0.0;
  for (double p : part) s += p;  // fixed order: the same sum for the same thread count
  return s;
}

void cast_f32_to_i32(const float* x, int32_t* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = js_to_int32(x[i]);
}

void cast_i32_to_f32(const int32_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = static_cast<float>(x[i]);
}

}  // namespace indrnn
