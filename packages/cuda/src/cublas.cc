// cuBLAS through dlopen. Only the handful of entry points we call are declared, with the types of
// cublas_api.h (stable across cuBLAS 11, 12 and 13).
//
// Row-major to column-major: cuBLAS sees our row-major [r, c] array as a column-major [c, r] one,
// i.e. as its transpose. So C = op(A)·op(B) (row-major) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ in
// column-major terms: swap the operands, keep each one's transpose flag, and pass n, m, k.
#include "cublas.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common.h"
#include "kernels.h"

namespace icu {
namespace {

using cublasStatus_t = int;
using cublasHandle_t = struct cublasContext*;
enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
enum cublasMath_t { CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3 };

using CreateFn = cublasStatus_t (*)(cublasHandle_t*);
using SetStreamFn = cublasStatus_t (*)(cublasHandle_t, cudaStream_t);
using SetMathModeFn = cublasStatus_t (*)(cublasHandle_t, cublasMath_t);
using GetVersionFn = cublasStatus_t (*)(cublasHandle_t, int*);
using GetStatusStringFn = const char* (*)(cublasStatus_t);
using SgemmFn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int,
                                   int, const float*, const float*, int, const float*, int,
                                   const float*, float*, int);

struct Api {
  CreateFn create = nullptr;
  SetStreamFn setStream = nullptr;
  SetMathModeFn setMathMode = nullptr;
  GetVersionFn getVersion = nullptr;
  GetStatusStringFn statusString = nullptr;  // cuBLAS >= 11.4; optional
  SgemmFn sgemm = nullptr;
  cublasHandle_t handle = nullptr;
};

Api api;

const char* statusName(cublasStatus_t s) {
  switch (s) {
    case 0:
      return "CUBLAS_STATUS_SUCCESS";
    case 1:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case 3:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case 7:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case 8:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case 11:
      return "CUBLAS_STATUS_MAPPING_ERROR";
    case 13:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case 14:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case 15:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
    case 16:
      return "CUBLAS_STATUS_LICENSE_ERROR";
    default:
      return "CUBLAS_STATUS_UNKNOWN";
  }
}

[[noreturn]] void throwCublas(const char* what, const char* call, cublasStatus_t s) {
  std::string msg = std::string("cuda: ") + what + ": " + call + " failed with " + statusName(s) +
                    " (" + std::to_string(s) + ")";
  if (api.statusString != nullptr) msg += std::string(": ") + api.statusString(s);
  throwMsg(msg);
}

void checkCublas(cublasStatus_t s, const char* what, const char* call) {
  if (s != 0) throwCublas(what, call, s);
}

std::vector<std::string> candidates() {
  std::vector<std::string> out;
  if (const char* p = std::getenv("INDRNN_CUBLAS"); p != nullptr && *p) out.push_back(p);
#ifdef INDRNN_CUBLAS_FIRST  // the emulator build (emu/) names its stand-in cuBLAS
  out.push_back(INDRNN_CUBLAS_FIRST);
#endif
  const char* names[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"};
  std::vector<std::string> dirs = {""};  // "" = the loader's own search path first
  for (const char* env : {"CUDA_HOME", "CUDA_PATH"}) {
    if (const char* d = std::getenv(env); d != nullptr && *d)
      dirs.push_back(std::string(d) + "/lib64/");
  }
  dirs.push_back("/usr/local/cuda/lib64/");
  for (const auto& d : dirs) {
    for (const char* n : names) out.push_back(d + n);
  }
  return out;
}

/** Loads libcublasLt from the same folder first, so libcublas finds its dependency by soname. */
void preloadLt(const std::string& cublasPath) {
  const auto slash = cublasPath.rfind('/');
  if (slash == std::string::npos) return;
  std::string lt = cublasPath;
  lt.replace(slash + 1, std::string("libcublas").size(), "libcublasLt");
  dlopen(lt.c_str(), RTLD_NOW | RTLD_GLOBAL);  // best effort: the loader may find it anyway
}

}  // namespace

std::string loadCublas(int* version, std::string* path) {
  void* lib = nullptr;
  std::string tried, loaded, found;
  for (const auto& c : candidates()) {
    preloadLt(c);
    lib = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) {
      loaded = c;
      break;
    }
    tried += (tried.empty() ? "" : ", ") + c;
    // a file that exists but does not load (a missing dependency, a wrong architecture) is the
    // interesting failure: keep the loader's words for it
    if (const char* err = dlerror(); err != nullptr && access(c.c_str(), F_OK) == 0) found = err;
  }
  if (lib == nullptr) {
    return "cuBLAS could not be loaded (tried " + tried + ")" +
           (found.empty() ? "" : "; " + found) +
           "; install the CUDA toolkit's cuBLAS or set INDRNN_CUBLAS to libcublas.so's path";
  }
  auto sym = [&](const char* name) { return dlsym(lib, name); };
  api.create = reinterpret_cast<CreateFn>(sym("cublasCreate_v2"));
  api.setStream = reinterpret_cast<SetStreamFn>(sym("cublasSetStream_v2"));
  api.setMathMode = reinterpret_cast<SetMathModeFn>(sym("cublasSetMathMode"));
  api.getVersion = reinterpret_cast<GetVersionFn>(sym("cublasGetVersion_v2"));
  api.statusString = reinterpret_cast<GetStatusStringFn>(sym("cublasGetStatusString"));
  api.sgemm = reinterpret_cast<SgemmFn>(sym("cublasSgemm_v2"));
  if (!api.create || !api.setStream || !api.setMathMode || !api.getVersion || !api.sgemm) {
    return loaded + " lacks cublasCreate_v2, cublasSetStream_v2, cublasSetMathMode, " +
           "cublasGetVersion_v2 or cublasSgemm_v2";
  }
  checkCublas(api.create(&api.handle), "init", "cublasCreate_v2");
  checkCublas(api.setStream(api.handle, stream()), "init", "cublasSetStream_v2");
  checkCublas(api.setMathMode(api.handle, CUBLAS_DEFAULT_MATH), "init", "cublasSetMathMode");
  checkCublas(api.getVersion(api.handle, version), "init", "cublasGetVersion_v2");
  *path = loaded;
  return "";
}

void setTf32(bool on) {
  if (api.handle == nullptr) throwMsg("cuda: setTf32: the backend is not initialised");
  const cublasMath_t mode = on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH;
  checkCublas(api.setMathMode(api.handle, mode), "setTf32", "cublasSetMathMode");
}

void gemm(const char* what, const float* a, const float* b, float* out, int m, int n, int k,
          bool transA, bool transB, float beta) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum: out = beta · out (cuBLAS rejects lda = 0)
    if (beta == 0.f) {
      CUDA_CHECK(what, cudaMemsetAsync(out, 0, size_t(m) * n * sizeof(float), stream()));
    } else if (beta != 1.f) {
      scaleInPlace(out, int64_t(m) * n, beta);
    }
    return;
  }
  const float alpha = 1.f;
  // column-major: Cᵀ [n, m] = op(B)ᵀ [n, k] · op(A)ᵀ [k, m]
  const int ldb = transB ? k : n;
  const int lda = transA ? m : k;
  const cublasOperation_t opB = transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t opA = transA ? CUBLAS_OP_T : CUBLAS_OP_N;
  checkCublas(api.sgemm(api.handle, opB, opA, n, m, k, &alpha, b, ldb, a, lda, &beta, out, n), what,
              "cublasSgemm_v2");
}

}  // namespace icu
