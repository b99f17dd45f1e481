// dlopen loader for a system CBLAS. Only cblas_sgemm is used; the library's own thread count is
// set to ours so the two pools do not oversubscribe the cores.
#include "blas_loader.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
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

// A product's shape: m, n, k, trans_a, trans_b.
using ShapeKey = std::tuple<int64_t, int64_t, int64_t, bool, bool>;

struct Blas {
  const char* name = nullptr;
  SgemmFn sgemm = nullptr;
  BlasMode mode = BlasMode::Auto;
  // Auto mode's verdict per shape: which implementation wins depends on the shape (OpenBLAS beats
  // our kernels on large square products here and loses on the tall-skinny ones training uses).
  std::map<ShapeKey, bool> by_shape;
  std::mutex lock;
};

void load(Blas& blas) {
#ifdef INDRNN_HAVE_DLOPEN
  const char* env = std::getenv("INDRNN_BLAS");
  if (env && (std::strcmp(env, "off") == 0 || std::strcmp(env, "0") == 0)) return;
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
}

Blas& state() {
  static Blas blas;
  static const bool loaded = (load(blas), true);  // once, thread-safe (function-local static)
  (void)loaded;
  return blas;
}

// Shapes remembered per process; past this (unusual: hundreds of distinct large products), new
// shapes use our kernels without a timing.
constexpr size_t kMaxShapes = 256;

// Below this many multiply-adds our own kernel wins (no BLAS call and thread start-up overhead).
constexpr double kBlasMinWork = 128.0 * 128.0 * 128.0;

// Seconds taken by fn().
template <class F>
double seconds(F&& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Whether a product this large may go to the library at all (library loaded, mode not off).
bool library_may_take(int64_t m, int64_t n, int64_t k) {
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX) return false;  // LP64 CBLAS takes int sizes
  if (static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) < kBlasMinWork) {
    return false;
  }
  const Blas& b = state();
  return b.sgemm != nullptr && b.mode != BlasMode::Off;
}

// Auto mode, first product of a shape: time both implementations on its real operands into a
// scratch output (alternating, best of three each, so first-touch and load bursts hit both), and
// remember which wins (the library by 10% or more). The caller then computes the real product.
bool calibrate_shape(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                     const float* a, int64_t lda, const float* bm, int64_t ldb) {
  std::vector<float> scratch(static_cast<size_t>(m) * static_cast<size_t>(n));
  double lib = 1e30, own = 1e30;
  for (int round = 0; round < 3; round++) {
    auto run_lib = [&] {
      lib = std::min(lib, seconds([&] {
                       blas_sgemm(trans_a, trans_b, m, n, k, a, lda, bm, ldb, scratch.data(), n,
                                  false);
                     }));
    };
    auto run_own = [&] {
      own = std::min(own, seconds([&] {
                       sgemm_own(trans_a, trans_b, m, n, k, a, lda, bm, ldb, scratch.data(), n,
                                 false, num_threads());
                     }));
    };
    if (round % 2 == 0) {
      run_own();
      run_lib();
    } else {
      run_lib();
      run_own();
    }
  }
  return lib < 0.9 * own;
}

}  // namespace

const char* blas_name() { return state().name; }

BlasMode blas_mode() { return state().mode; }

void set_blas_mode(BlasMode mode) { state().mode = mode; }

bool blas_should_handle_product(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                                const float* a, int64_t lda, const float* bm, int64_t ldb) {
  if (!library_may_take(m, n, k)) return false;
  Blas& b = state();
  if (b.mode == BlasMode::On) return true;
  std::lock_guard<std::mutex> guard(b.lock);
  const ShapeKey key{m, n, k, trans_a, trans_b};
  auto it = b.by_shape.find(key);
  if (it != b.by_shape.end()) return it->second;
  if (b.by_shape.size() >= kMaxShapes) return false;
  const bool lib = calibrate_shape(trans_a, trans_b, m, n, k, a, lda, bm, ldb);
  b.by_shape.emplace(key, lib);
  return lib;
}

int blas_shapes_measured() {
  Blas& b = state();
  std::lock_guard<std::mutex> guard(b.lock);
  return static_cast<int>(b.by_shape.size());
}

int blas_shapes_won() {
  Blas& b = state();
  std::lock_guard<std::mutex> guard(b.lock);
  int won = 0;
  for (const auto& entry : b.by_shape) won += entry.second ? 1 : 0;
  return won;
}

void blas_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  state().sgemm(kRowMajor, trans_a ? kTrans : kNoTrans, trans_b ? kTrans : kNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), accumulate ? 1.0f : 0.0f, c,
                static_cast<int>(ldc));
}

}  // namespace indrnn
