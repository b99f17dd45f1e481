// dlopen loader for a system CBLAS. Only cblas_sgemm is used; the library's own thread count is
// set to ours so the two pools do not oversubscribe the cores.
#include "blas_loader.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

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
using CoreNameFn = char* (*)();

struct Blas {
  const char* name = nullptr;
  SgemmFn sgemm = nullptr;
  const char* core = nullptr;
  BlasMode mode = BlasMode::Auto;
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
    if (auto core = reinterpret_cast<CoreNameFn>(dlsym(h, "openblas_get_corename"))) {
      // copied: the library may reuse its buffer
      static std::string core_name;
      if (const char* c = core()) core_name = c;
      if (!core_name.empty()) blas.core = core_name.c_str();
    }
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

// Below this many multiply-adds our own kernel wins (no BLAS call and thread start-up overhead).
constexpr double kBlasMinWork = 128.0 * 128.0 * 128.0;

// Auto mode's rule, from timings of both on AVX-512 and AVX2 machines: the library wins by 15-25%
// on products whose inner and output widths are both large (square layers of 512 or more, a
// language model's decoder), and loses on the tall-skinny products of narrow layers (n or k of 256
// or less over T·B rows), where our kernels pack less. An OpenBLAS core without AVX-512 (e.g.
// OPENBLAS_CORETYPE=Haswell) loses to our AVX-512 kernels on every shape. A fixed rule rather than
// a timing per shape: timings flip under load, and each flip changes the bits of a run.
constexpr int64_t kRuleMinRows = 256;
constexpr int64_t kRuleMinWidth = 512;

// OpenBLAS cores with AVX-512 kernels.
bool core_has_avx512(const char* core) {
  static const char* const cores[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
  for (const char* c : cores) {
    if (std::strcmp(core, c) == 0) return true;
  }
  return false;
}

bool library_wins_by_rule(int64_t m, int64_t n, int64_t k) {
  const Blas& b = state();
  if (b.core && simd_level() == Simd::Avx512 && !core_has_avx512(b.core)) return false;
  return m >= kRuleMinRows && n >= kRuleMinWidth && k >= kRuleMinWidth;
}

}  // namespace

const char* blas_name() { return state().name; }

const char* blas_core() { return state().core; }

BlasMode blas_mode() { return state().mode; }

void set_blas_mode(BlasMode mode) { state().mode = mode; }

const char* blas_rule() {
  return "a product of m x k by k x n goes to the library when m >= 256, n >= 512 and k >= 512 "
         "(never when the library's OpenBLAS core lacks AVX-512 and our kernels have it)";
}

bool blas_should_handle_product(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k) {
  (void)trans_a;
  (void)trans_b;
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX) return false;  // LP64 CBLAS takes int sizes
  if (static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) < kBlasMinWork) {
    return false;
  }
  const Blas& b = state();
  if (b.sgemm == nullptr || b.mode == BlasMode::Off) return false;
  return b.mode == BlasMode::On || library_wins_by_rule(m, n, k);
}

void blas_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  state().sgemm(kRowMajor, trans_a ? kTrans : kNoTrans, trans_b ? kTrans : kNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a,
                static_cast<int>(lda), b, static_cast<int>(ldb), accumulate ? 1.0f : 0.0f, c,
                static_cast<int>(ldc));
}

}  // namespace indrnn
