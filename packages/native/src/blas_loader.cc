// dlopen loader for a system CBLAS. Only cblas_sgemm is used; the library's own thread count is
// set to ours so the two pools do not oversubscribe the cores.
#include "blas_loader.h"

#include <climits>
#include <cstdlib>
#include <cstring>

#include "pool.h"

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#define INDRNN_HAVE_DLOPEN 1
#endif

namespace indrnn {
namespace {

// CBLAS enum values (cblas.h): row-major 101, no-transpose 111, transpose 112.
constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;

using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int,
                         float, float*, int);
using SetThreadsFn = void (*)(int);

struct Blas {
  const char* name = nullptr;
  SgemmFn sgemm = nullptr;
  bool enabled = false;
};

Blas load() {
  Blas blas;
#ifdef INDRNN_HAVE_DLOPEN
  const char* env = std::getenv("INDRNN_BLAS");
  if (env && (std::strcmp(env, "off") == 0 || std::strcmp(env, "0") == 0)) return blas;
  struct Candidate {
    const char* file;
    const char* name;
    const char* set_threads;
  };
  static const Candidate candidates[] = {
      {"libopenblas.so.0", "openblas", "openblas_set_num_threads"},
      {"libopenblas.so", "openblas", "openblas_set_num_threads"},
      {"libopenblas.dylib", "openblas", "openblas_set_num_threads"},
      {"libblis.so.4", "blis", "bli_thread_set_num_threads"},
      {"libblis.so", "blis", "bli_thread_set_num_threads"},
      {"libmkl_rt.so.2", "mkl", "MKL_Set_Num_Threads"},
      {"libmkl_rt.so", "mkl", "MKL_Set_Num_Threads"},
  };
  for (const Candidate& cand : candidates) {
    void* h = dlopen(cand.file, RTLD_NOW | RTLD_LOCAL);
    if (!h) continue;
    auto fn = reinterpret_cast<SgemmFn>(dlsym(h, "cblas_sgemm"));
    if (!fn) {
      dlclose(h);
      continue;
    }
    if (auto set = reinterpret_cast<SetThreadsFn>(dlsym(h, cand.set_threads))) set(num_threads());
    blas.name = cand.name;
    blas.sgemm = fn;
    blas.enabled = true;
    break;  // the handle stays open for the life of the process
  }
#endif
  return blas;
}

Blas& state() {
  static Blas blas = load();
  return blas;
}

// Below this many multiply-adds our own kernel wins (no BLAS call and thread start-up overhead).
constexpr double kBlasMinWork = 128.0 * 128.0 * 128.0;

}  // namespace

const char* blas_name() { return state().name; }

bool blas_enabled() { return state().enabled; }

bool set_blas_enabled(bool on) {
  Blas& b = state();
  b.enabled = on && b.sgemm != nullptr;
  return b.enabled;
}

bool blas_should_handle(int64_t m, int64_t n, int64_t k) {
  const Blas& b = state();
  if (!b.enabled) return false;
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX) return false;  // LP64 CBLAS takes int sizes
  return static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) >= kBlasMinWork;
}

void blas_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  state().sgemm(kRowMajor, trans_a ? kTrans : kNoTrans, trans_b ? kTrans : kNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), accumulate ? 1.0f : 0.0f, c,
                static_cast<int>(ldc));
}

}  // namespace indrnn
