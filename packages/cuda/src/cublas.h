// cuBLAS, loaded at run time with dlopen: no cuBLAS headers or libraries are needed to build the
// addon, and a machine without cuBLAS fails at init() with the paths that were tried.
#pragma once

#include <string>

namespace icu {

/**
 * Loads libcublas (INDRNN_CUBLAS, then the sonames 13, 12, 11 on the loader's path and in
 * $CUDA_HOME/lib64, $CUDA_PATH/lib64, /usr/local/cuda/lib64), creates a handle bound to stream().
 * Returns "" on success, else the reason. `version` and `path` describe what was loaded.
 */
std::string loadCublas(int* version, std::string* path);

/** Whether cuBLAS may use TF32 tensor cores for fp32 GEMMs (off by default, as PyTorch). */
void setTf32(bool on);

/**
 * out[m, n] = op(a) · op(b) + beta · out in our row-major contract: op(a) is [m, k] (a stored [k,
 * m] when transA), op(b) is [k, n] (b stored [n, k] when transB). `what` names the caller in
 * errors.
 */
void gemm(const char* what, const float* a, const float* b, float* out, int m, int n, int k,
          bool transA, bool transB, float beta = 0.f);

}  // namespace icu
