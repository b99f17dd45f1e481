// Optional system BLAS, loaded at run time with dlopen (no build-time dependency): OpenBLAS,
// BLIS or MKL's single dynamic library. Modes: auto (default: a product goes to the library when
// a fixed rule on its shape says the library is faster, see blas_rule()), on (always for large
// products), off. INDRNN_BLAS=off|on|auto sets the initial mode. The choice never depends on
// timing, so runs with the same seed and thread count give the same bits.
#pragma once

#include <cstdint>

namespace indrnn {

// Name of the loaded library ("openblas", "blis", "mkl") or nullptr.
const char* blas_name();
// The kernel family the library runs (OpenBLAS's core name, e.g. "SkylakeX", "Haswell"), or nullptr
// when the library does not say. OPENBLAS_CORETYPE changes it, and with it the bits of its products.
const char* blas_core();
enum class BlasMode : int { Off = 0, On = 1, Auto = 2 };

BlasMode blas_mode();
void set_blas_mode(BlasMode mode);
// Auto mode's rule in words (for `indrnn info` and run records).
const char* blas_rule();
// Whether sgemm hands a product of this shape to the system BLAS in the current mode: a pure
// function of the shape, the mode, the library and the micro-kernel level.
bool blas_should_handle_product(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k);
void blas_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);

}  // namespace indrnn
