// dlopen loader for a system CBLAS. Only cblas_sgemm is used; the library's own thread count is
// set to ours so the two pools do not oversubscribe the cores.
#include "blas_loader.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gemm.h"
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
  BlasMode mode = BlasMode::Auto;
  int faster = -1;  // auto mode's timing verdict, -1 until measured
};

Blas load() {
  Blas blas;
#ifdef INDRNN_HAVE_DLOPEN
  const char* env = std::getenv("INDRNN_BLAS");
  if (env && (std::strcmp(env, "off") == 0 || std::strcmp(env, "0") == 0)) return blas;
  if (env && (std::strcmp(env, "on") == 0 || std::strcmp(env, "1") == 0)) blas.mode = BlasMode::On;
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

// Seconds taken by fn().
template <class F>
double seconds(F&& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Auto mode's one-time check (a few milliseconds): is the library faster than our kernels here?
// (OpenBLAS, for one, runs at half speed on AVX-512 CPUs when OPENBLAS_CORETYPE names an older
// core.) Rounds alternate between the two so a burst of load on a shared machine hits both, and
// the library must win by 10% to be used.
void calibrate(Blas& b) {
  const int n = 512;
  std::vector<float> x(static_cast<size_t>(n) * n), y(x.size()), z(x.size());
  for (size_t i = 0; i < x.size(); i++) {
    x[i] = static_cast<float>(i % 13) * 0.1f - 0.6f;
    y[i] = static_cast<float>(i % 7) * 0.1f - 0.3f;
  }
  double lib = 1e30, own = 1e30;
  for (int round = 0; round < 4; round++) {
    lib = std::min(lib, seconds([&] {
                     b.sgemm(kRowMajor, kNoTrans, kNoTrans, n, n, n, 1.0f, x.data(), n, y.data(), n,
                             0.0f, z.data(), n);
                   }));
    own = std::min(own, seconds([&] {
                     sgemm_own(false, false, n, n, n, x.data(), n, y.data(), n, z.data(), n, false,
                               num_threads());
                   }));
  }
  b.faster = lib < 0.9 * own ? 1 : 0;
}

}  // namespace

const char* blas_name() { return state().name; }

BlasMode blas_mode() { return state().mode; }

void set_blas_mode(BlasMode mode) { state().mode = mode; }

int blas_faster() { return state().faster; }

bool blas_enabled() {
  Blas& b = state();
  if (!b.sgemm || b.mode == BlasMode::Off) return false;
  if (b.mode == BlasMode::On) return true;
  if (b.faster < 0) calibrate(b);
  return b.faster == 1;
}

bool blas_should_handle(int64_t m, int64_t n, int64_t k) {
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX) return false;  // LP64 CBLAS takes int sizes
  if (static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) < kBlasMinWork) {
    return false;
  }
  return blas_enabled();
}

void blas_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  state().sgemm(kRowMajor, trans_a ? kTrans : kNoTrans, trans_b ? kTrans : kNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), accumulate ? 1.0f : 0.0f, c,
                static_cast<int>(ldc));
}

}  // namespace indrnn
