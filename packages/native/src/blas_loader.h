// Optional system BLAS, loaded at run time with dlopen (no build-time dependency): OpenBLAS,
// BLIS or MKL's single dynamic library. Modes: auto (default: used for large products if a one-time
// timing on a 512³ product finds it faster than our kernels), on (always for large products),
// off. INDRNN_BLAS=off|on|auto sets the initial mode.
#pragma once

#include <cstdint>

namespace indrnn {

// Name of the loaded library ("openblas", "blis", "mkl") or nullptr.
const char* blas_name();
enum class BlasMode : int { Off = 0, On = 1, Auto = 2 };

BlasMode blas_mode();
void set_blas_mode(BlasMode mode);
// Whether large products currently go to the library (in auto mode this runs the timing once).
bool blas_enabled();
// In auto mode: the timing's verdict; -1 before it ran (or without a library).
int blas_faster();
// Whether sgemm should hand this product to the system BLAS.
bool blas_should_handle(int64_t m, int64_t n, int64_t k);
void blas_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);

}  // namespace indrnn
