// Optional system BLAS, loaded at run time with dlopen (no build-time dependency): OpenBLAS,
// BLIS or MKL's single dynamic library. INDRNN_BLAS=off disables it.
#pragma once

#include <cstdint>

namespace indrnn {

// Name of the loaded library ("openblas", "blis", "mkl") or nullptr.
const char* blas_name();
// Whether sgemm currently uses it.
bool blas_enabled();
// Enables or disables use of the loaded library (tests and benchmarks); returns whether it is used.
bool set_blas_enabled(bool on);
// Whether sgemm should hand this product to the system BLAS.
bool blas_should_handle(int64_t m, int64_t n, int64_t k);
void blas_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);

}  // namespace indrnn
