// Shared helpers for the native kernels: error type, SIMD dispatch attributes, vectorisable
// float math (exp, tanh, sigmoid) and the activation enum used by the recurrent scans.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace indrnn {

// A kernel-level failure; the binding turns it into a JS Error with this message.
struct KernelError : std::runtime_error {
  explicit KernelError(const std::string& msg) : std::runtime_error(msg) {}
};

// Elementwise loops are compiled once per ISA level and picked at load time through an ifunc
// (GCC/Clang function multiversioning). Where that is unavailable they compile once, portably.
#if defined(__x86_64__) && defined(__ELF__) && \
    (defined(__clang__) ? (__clang_major__ >= 14) : (defined(__GNUC__) && __GNUC__ >= 12))
#define INDRNN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define INDRNN_CLONES
#endif

enum class Act : int { Relu = 0, Tanh = 1, Identity = 2 };

inline float bits_to_float(int32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

// exp(x) in float32: Cephes polynomial after Cody-Waite range reduction (about 1 ulp). Branch-free
// so loops that call it vectorise; the magic-constant rounding needs no SSE4.1 roundps. The scale
// 2^n is applied in two halves so results down to the denormal range stay right.
inline float exp_f(float x) {
  const float xc = x > 88.72283f ? 88.72283f : (x < -104.0f ? -104.0f : x);
  float fx = xc * 1.44269504088896341f + 12582912.0f;
  fx -= 12582912.0f;  // round to nearest integer
  float r = xc - fx * 0.693359375f;
  r = r + fx * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.0f;
  const int32_t n = static_cast<int32_t>(fx);
  const int32_t n1 = n >> 1;
  const int32_t n2 = n - n1;
  y = y * bits_to_float((n1 + 127) << 23) * bits_to_float((n2 + 127) << 23);
  y = x > 88.72283f ? __builtin_inff() : y;
  y = x < -104.0f ? 0.0f : y;
  return x != x ? x : y;  // keep NaN
}

// tanh(x): Cephes odd polynomial for |x| < 0.625, else 1 - 2 / (exp(2|x|) + 1) with the sign back.
inline float tanh_f(float x) {
  const float ax = x < 0.0f ? -x : x;
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float big = 1.0f - 2.0f / (exp_f(2.0f * ax) + 1.0f);
  const float r = ax < 0.625f ? small : (x < 0.0f ? -big : big);
  return x != x ? x : r;
}

inline float sigmoid_f(float x) { return 1.0f / (1.0f + exp_f(-x)); }

inline float activate(Act act, float pre) {
  return act == Act::Relu ? (pre > 0.0f ? pre : 0.0f) : act == Act::Tanh ? tanh_f(pre) : pre;
}

// act'(pre) written in terms of the output y = act(pre), as the reference does.
inline float activation_slope(Act act, float y) {
  return act == Act::Relu ? (y > 0.0f ? 1.0f : 0.0f) : act == Act::Tanh ? 1.0f - y * y : 1.0f;
}

}  // namespace indrnn
