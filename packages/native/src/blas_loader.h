// Optional system BLAS, loaded at run time with dlopen (no build-time dependency): OpenBLAS,
// BLIS or MKL's single dynamic library. Modes: auto (default: a large product goes to the library
// when a one-time timing of its shape, on its first call, found the library faster than our
// kernels), on (always for large products), off. INDRNN_BLAS=off|on|auto sets the initial mode.
#pragma once

#include <cstdint>

namespace indrnn {

// Name of the loaded library ("openblas", "blis", "mkl") or nullptr.
const char* blas_name();
enum class BlasMode : int { Off = 0, On = 1, Auto = 2 };

BlasMode blas_mode();
void set_blas_mode(BlasMode mode);
// Whether sgemm should hand this product to the system BLAS: in auto mode, by the verdict for its
// shape (timed on these operands the first time the shape is seen).
bool blas_should_handle_product(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                                const float* a, int64_t lda, const float* b, int64_t ldb);
// Auto mode: distinct shapes timed so far, and how many of them the library won.
int blas_shapes_measured();
int blas_shapes_won();
void blas_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);

}  // namespace indrnn
