// Stand-in for libcublas in the emulator build: the entry points src/cublas.cc opens, with
// cuBLAS's column-major SGEMM semantics and argument checks (a bad leading dimension is
// CUBLAS_STATUS_INVALID_VALUE; beta = 0 never reads C, so garbage there does not leak in).
#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace {
struct Context {
  void* stream = nullptr;
  int mathMode = 0;
};
constexpr int kSuccess = 0, kNotInitialized = 1, kInvalidValue = 7;

/** A line in the emulator's INDRNN_EMU_TRACE file (see runtime.cc), if one is being written. */
void trace(int m, int n, int k) {
  if (const char* p = std::getenv("INDRNN_EMU_TRACE"); p != nullptr && *p) {
    if (FILE* f = std::fopen(p, "a")) {
      std::fprintf(f, "gemm %d %d %d\n", m, n, k);
      std::fclose(f);
    }
  }
}
}  // namespace

extern "C" {
#define EXPORT __attribute__((visibility("default")))

EXPORT int cublasCreate_v2(Context** handle) {
  if (handle == nullptr) return kInvalidValue;
  *handle = new Context();
  return kSuccess;
}
EXPORT int cublasDestroy_v2(Context* handle) {
  if (handle == nullptr) return kNotInitialized;
  delete handle;
  return kSuccess;
}
EXPORT int cublasSetStream_v2(Context* handle, void* stream) {
  if (handle == nullptr) return kNotInitialized;
  handle->stream = stream;
  return kSuccess;
}
EXPORT int cublasSetMathMode(Context* handle, int mode) {
  if (handle == nullptr) return kNotInitialized;
  if (mode != 0 && mode != 3) return kInvalidValue;
  handle->mathMode = mode;
  return kSuccess;
}
EXPORT int cublasGetVersion_v2(Context* handle, int* version) {
  if (handle == nullptr) return kNotInitialized;
  *version = 120000;
  return kSuccess;
}
EXPORT const char* cublasGetStatusString(int status) {
  return status == kSuccess ? "the operation completed successfully"
         : status == kInvalidValue ? "an unsupported value or parameter was passed"
                                   : "cuBLAS emulator error";
}

// C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C, all column-major.
EXPORT int cublasSgemm_v2(Context* handle, int transa, int transb, int m, int n, int k,
                          const float* alpha, const float* A, int lda, const float* B, int ldb,
                          const float* beta, float* C, int ldc) {
  if (handle == nullptr) return kNotInitialized;
  if ((transa != 0 && transa != 1) || (transb != 0 && transb != 1)) return kInvalidValue;
  if (m < 0 || n < 0 || k < 0) return kInvalidValue;
  if (lda < std::max(1, transa ? k : m) || ldb < std::max(1, transb ? n : k) ||
      ldc < std::max(1, m)) {
    return kInvalidValue;
  }
  if (m == 0 || n == 0) return kSuccess;
  trace(m, n, k);
  auto a = [&](int i, int p) { return transa ? A[p + size_t(i) * lda] : A[i + size_t(p) * lda]; };
  auto b = [&](int p, int j) { return transb ? B[j + size_t(p) * ldb] : B[p + size_t(j) * ldb]; };
  for (int j = 0; j < n; j++) {
    for (int i = 0; i < m; i++) {
      float acc = 0.f;
      for (int p = 0; p < k; p++) acc += a(i, p) * b(p, j);
      float& c = C[i + size_t(j) * ldc];
      c = *beta == 0.f ? *alpha * acc : *alpha * acc + *beta * c;
    }
  }
  return kSuccess;
}
}
