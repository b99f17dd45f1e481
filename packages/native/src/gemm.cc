// SGEMM: Goto/BLIS-style blocking. op(B) is packed into NR-wide column panels (shared by all
// threads), each thread packs its own MC × KC blocks of op(A) into MR-row panels, and an
// MR × NR register-tile micro-kernel runs over them. Loop order per thread: rows in MC blocks,
// K in KC blocks, then B panels (one stays in L1) × A panels (the block stays in L2).
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "blas_loader.h"
#include "common.h"
#include "pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define INDRNN_X86 1
#define TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#endif

namespace indrnn {

AlignedBuffer::~AlignedBuffer() { std::free(ptr_); }

float* AlignedBuffer::get(int64_t count) {
  if (count > cap_) {
    std::free(ptr_);
    // round up to a whole number of cache lines, as aligned_alloc requires
    const size_t bytes = ((static_cast<size_t>(count) * sizeof(float) + 63) / 64) * 64;
    ptr_ = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!ptr_) {
      cap_ = 0;
      throw KernelError("out of memory allocating a " + std::to_string(bytes) + "-byte buffer");
    }
    cap_ = count;
  }
  return ptr_;
}

namespace {

// C tile (mr × nr at c, row stride ldc) (+)= packed A panel · packed B panel over kc steps.
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                             bool acc, int nr);

struct KernelSet {
  Simd level;
  int mr, nr, mc, kc;
  MicroKernel by_rows[16];  // by_rows[mr] handles an mr-row tile (1 <= mr <= MR)
};

// ---- portable micro-kernel (4 × 16); the compiler vectorises the j loops ----
constexpr int kMrGeneric = 4;
constexpr int kNrGeneric = 16;

template <int MR>
void ukr_generic(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool acc,
                 int nr) {
  float t[MR][kNrGeneric] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int r = 0; r < MR; r++) {
      const float ar = a[r];
      for (int j = 0; j < kNrGeneric; j++) t[r][j] += ar * b[j];
    }
    a += kMrGeneric;
    b += kNrGeneric;
  }
  for (int r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    for (int j = 0; j < nr; j++) cr[j] = acc ? cr[j] + t[r][j] : t[r][j];
  }
}

#ifdef INDRNN_X86
// ---- AVX2 + FMA micro-kernel (6 × 16): 12 accumulators, 2 B vectors, 1 broadcast ----
constexpr int kMr256 = 6;
constexpr int kNr256 = 16;

template <int MR>
TARGET_AVX2 void ukr_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                          bool acc, int nr) {
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++) c0[r] = c1[r] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      c0[r] = _mm256_fmadd_ps(ar, b0, c0[r]);
      c1[r] = _mm256_fmadd_ps(ar, b1, c1[r]);
    }
    a += kMr256;
    b += kNr256;
  }
  if (nr == kNr256) {
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      float* cr = c + r * ldc;
      if (acc) {
        c0[r] = _mm256_add_ps(c0[r], _mm256_loadu_ps(cr));
        c1[r] = _mm256_add_ps(c1[r], _mm256_loadu_ps(cr + 8));
      }
      _mm256_storeu_ps(cr, c0[r]);
      _mm256_storeu_ps(cr + 8, c1[r]);
    }
    return;
  }
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), lane);
  for (int r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    if (acc) {
      c0[r] = _mm256_add_ps(c0[r], _mm256_maskload_ps(cr, m0));
      c1[r] = _mm256_add_ps(c1[r], _mm256_maskload_ps(cr + 8, m1));
    }
    _mm256_maskstore_ps(cr, m0, c0[r]);
    _mm256_maskstore_ps(cr + 8, m1, c1[r]);
  }
}

// ---- AVX-512 micro-kernel (14 × 32): 28 accumulators, 2 B vectors, 1 broadcast ----
constexpr int kMr512 = 14;
constexpr int kNr512 = 32;

template <int MR>
TARGET_AVX512 void ukr_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                              bool acc, int nr) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) c0[r] = c1[r] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      c0[r] = _mm512_fmadd_ps(ar, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(ar, b1, c1[r]);
    }
    a += kMr512;
    b += kNr512;
  }
  if (nr == kNr512) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      float* cr = c + r * ldc;
      if (acc) {
        c0[r] = _mm512_add_ps(c0[r], _mm512_loadu_ps(cr));
        c1[r] = _mm512_add_ps(c1[r], _mm512_loadu_ps(cr + 16));
      }
      _mm512_storeu_ps(cr, c0[r]);
      _mm512_storeu_ps(cr + 16, c1[r]);
    }
    return;
  }
  const __mmask16 m0 = nr >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nr) - 1u);
  const __mmask16 m1 = nr <= 16 ? __mmask16(0) : __mmask16((1u << (nr - 16)) - 1u);
  for (int r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    if (acc) {
      c0[r] = _mm512_add_ps(c0[r], _mm512_maskz_loadu_ps(m0, cr));
      c1[r] = _mm512_add_ps(c1[r], _mm512_maskz_loadu_ps(m1, cr + 16));
    }
    _mm512_mask_storeu_ps(cr, m0, c0[r]);
    _mm512_mask_storeu_ps(cr + 16, m1, c1[r]);
  }
}
#endif

const KernelSet kGeneric = {
    Simd::Generic, kMrGeneric,
    kNrGeneric,    128,
    256,           {nullptr, ukr_generic<1>, ukr_generic<2>, ukr_generic<3>, ukr_generic<4>}};

#ifdef INDRNN_X86
const KernelSet kAvx2 = {
    Simd::Avx2,
    kMr256,
    kNr256,
    144,
    256,
    {nullptr, ukr_avx2<1>, ukr_avx2<2>, ukr_avx2<3>, ukr_avx2<4>, ukr_avx2<5>, ukr_avx2<6>}};

const KernelSet kAvx512 = {
    Simd::Avx512,
    kMr512,
    kNr512,
    168,
    256,
    {nullptr, ukr_avx512<1>, ukr_avx512<2>, ukr_avx512<3>, ukr_avx512<4>, ukr_avx512<5>,
     ukr_avx512<6>, ukr_avx512<7>, ukr_avx512<8>, ukr_avx512<9>, ukr_avx512<10>, ukr_avx512<11>,
     ukr_avx512<12>, ukr_avx512<13>, ukr_avx512<14>}};
#endif

Simd detect() {
#ifdef INDRNN_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("fma")) {
    return Simd::Avx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Simd::Avx2;
#endif
  return Simd::Generic;
}

Simd initial_level() {
  Simd s = detect();
  // INDRNN_SIMD=avx2|generic caps the level (to test the other kernels on a newer CPU).
  if (const char* env = std::getenv("INDRNN_SIMD")) {
    const std::string v(env);
    if (v == "generic")
      s = Simd::Generic;
    else if (v == "avx2" && s == Simd::Avx512)
      s = Simd::Avx2;
  }
  return s;
}

Simd g_level = initial_level();

const KernelSet& kernels_for(Simd s) {
#ifdef INDRNN_X86
  if (s == Simd::Avx512) return kAvx512;
  if (s == Simd::Avx2) return kAvx2;
#endif
  (void)s;
  return kGeneric;
}

// Packs op(A)[i0 : i0+mc, k0 : k0+kc] into MR-row panels: panel q holds, for each p, the MR
// values op(A)[i0 + q·MR + r, k0 + p] (rows past mc are left unset; edge kernels skip them).
void pack_a(const float* a, bool trans_a, int64_t lda, int64_t i0, int64_t mc, int64_t k0,
            int64_t kc, int mr_full, float* out) {
  for (int64_t ir = 0; ir < mc; ir += mr_full) {
    const int64_t mr = std::min<int64_t>(mr_full, mc - ir);
    float* dst = out + ir * kc;
    if (trans_a) {
      // A stored [K, M]: each p reads mr contiguous values
      for (int64_t p = 0; p < kc; p++) {
        const float* src = a + (k0 + p) * lda + i0 + ir;
        float* d = dst + p * mr_full;
        for (int64_t r = 0; r < mr; r++) d[r] = src[r];
      }
    } else {
      for (int64_t r = 0; r < mr; r++) {
        const float* src = a + (i0 + ir + r) * lda + k0;
        for (int64_t p = 0; p < kc; p++) dst[p * mr_full + r] = src[p];
      }
    }
  }
}

}  // namespace

void pack_b_panels(PackedB& pb, const float* b, bool trans_b, int64_t ldb,
                   const std::vector<int64_t>* perm, int64_t j0, int64_t j1) {
  const int nr = pb.nr_;
  const int64_t n_src = pb.n_;
  for (int64_t k0 = 0; k0 < pb.k_; k0 += pb.kc_) {
    const int64_t kcb = std::min<int64_t>(pb.kc_, pb.k_ - k0);
    for (int64_t j = j0; j < j1; j++) {
      float* dst = pb.data_.get(0) + k0 * pb.panels_ * nr + j * kcb * nr;
      int64_t cols[64];
      bool plain = !perm && (j + 1) * nr <= n_src;
      for (int cc = 0; cc < nr; cc++) {
        const int64_t jc = j * nr + cc;
        cols[cc] = perm ? (jc < static_cast<int64_t>(perm->size()) ? (*perm)[jc] : -1)
                        : (jc < n_src ? jc : -1);
      }
      if (!trans_b) {
        for (int64_t p = 0; p < kcb; p++) {
          const float* src = b + (k0 + p) * ldb;
          float* d = dst + p * nr;
          if (plain) {
            std::memcpy(d, src + j * nr, sizeof(float) * nr);
          } else {
            for (int cc = 0; cc < nr; cc++) d[cc] = cols[cc] >= 0 ? src[cols[cc]] : 0.0f;
          }
        }
      } else {
        // B stored [N, K]: column jc of op(B) is row jc of B
        for (int cc = 0; cc < nr; cc++) {
          if (cols[cc] < 0) {
            for (int64_t p = 0; p < kcb; p++) dst[p * nr + cc] = 0.0f;
            continue;
          }
          const float* src = b + cols[cc] * ldb + k0;
          for (int64_t p = 0; p < kcb; p++) dst[p * nr + cc] = src[p];
        }
      }
    }
  }
}

void PackedB::pack(const float* b, bool trans_b, int64_t k, int64_t n, int64_t ldb,
                   const std::vector<int64_t>* perm, int nthreads) {
  const KernelSet& ks = kernels_for(g_level);
  level_ = g_level;
  k_ = k;
  n_ = perm ? static_cast<int64_t>(perm->size()) : n;
  nr_ = ks.nr;
  kc_ = ks.kc;
  panels_ = (n_ + nr_ - 1) / nr_;
  data_.get(std::max<int64_t>(1, k_ * panels_ * nr_));
  if (perm) {
    for (int64_t src : *perm) {
      if (src >= n)
        throw KernelError("PackedB: permutation entry " + std::to_string(src) + " is past the " +
                          std::to_string(n) + " columns");
    }
  }
  if (nthreads <= 1 || panels_ < 2) {
    pack_b_panels(*this, b, trans_b, ldb, perm, 0, panels_);
    return;
  }
  run_parallel(nthreads, [&](int tid, int nt) {
    int64_t j0, j1;
    split_range(panels_, nt, tid, 1, &j0, &j1);
    pack_b_panels(*this, b, trans_b, ldb, perm, j0, j1);
  });
}

Simd simd_level() { return g_level; }
Simd simd_supported() { return detect(); }

Simd set_simd_level(Simd s) {
  const Simd best = detect();
  g_level = static_cast<int>(s) > static_cast<int>(best) ? best : s;
  return g_level;
}

const char* simd_name(Simd s) {
  switch (s) {
    case Simd::Avx512:
      return "avx512";
    case Simd::Avx2:
      return "avx2";
    default:
      return "generic";
  }
}

GemmBlocking gemm_blocking() {
  const KernelSet& ks = kernels_for(g_level);
  return {ks.mr, ks.nr, ks.mc, ks.kc};
}

void gemm_block(const float* a, bool trans_a, int64_t lda, const PackedB& b, float* c, int64_t ldc,
                int64_t m0, int64_t m1, int64_t j0, int64_t j1, bool accumulate) {
  if (m0 >= m1 || j0 >= j1) return;
  const int nr_full = b.nr();
  const KernelSet* kp = &kernels_for(b.level());  // the kernels B was packed for
  const int64_t k = b.k();
  const int64_t n = b.n();
  if (k == 0) {
    if (!accumulate) {
      const int64_t c0 = j0 * nr_full, c1 = std::min(n, j1 * nr_full);
      for (int64_t i = m0; i < m1; i++) std::fill(c + i * ldc + c0, c + i * ldc + c1, 0.0f);
    }
    return;
  }
  const int mr_full = kp->mr;
  const int64_t mc_full = kp->mc;
  const int64_t kc_full = b.kc();
  thread_local AlignedBuffer abuf;
  float* ap = abuf.get((mc_full + mr_full) * kc_full);
  // equal row blocks of at most MC rows (whole MR panels), so no block is a thin leftover
  const int64_t blocks = (m1 - m0 + mc_full - 1) / mc_full;
  const int64_t mc_even = ((m1 - m0 + blocks - 1) / blocks + mr_full - 1) / mr_full * mr_full;
  for (int64_t ic = m0; ic < m1; ic += mc_even) {
    const int64_t mc = std::min(mc_even, m1 - ic);
    for (int64_t k0 = 0; k0 < k; k0 += kc_full) {
      const int64_t kcb = std::min(kc_full, k - k0);
      pack_a(a, trans_a, lda, ic, mc, k0, kcb, mr_full, ap);
      const bool acc = accumulate || k0 > 0;
      for (int64_t j = j0; j < j1; j++) {
        const float* bp = b.panel(k0, kcb, j);
        const int nr = static_cast<int>(std::min<int64_t>(nr_full, n - j * nr_full));
        float* cj = c + ic * ldc + j * nr_full;
        for (int64_t ir = 0; ir < mc; ir += mr_full) {
          const int mr = static_cast<int>(std::min<int64_t>(mr_full, mc - ir));
          kp->by_rows[mr](kcb, ap + ir * kcb, bp, cj + ir * ldc, ldc, acc, nr);
        }
      }
    }
  }
}

GemmSplit gemm_split(int64_t m, int64_t panels, int threads) {
  const int64_t mt = (m + kernels_for(g_level).mr - 1) / kernels_for(g_level).mr;
  GemmSplit best{1, threads};
  int64_t best_cost = -1;
  for (int tm = threads; tm >= 1; tm--) {
    if (threads % tm) continue;
    const int tn = threads / tm;
    const int64_t cost = ((mt + tm - 1) / tm) * ((panels + tn - 1) / tn);
    if (best_cost < 0 || cost < best_cost) {
      best_cost = cost;
      best = {tm, tn};
    }
  }
  return best;
}

namespace {

// Minimum multiply-adds per thread before another thread is worth waking.
constexpr int64_t kGemmGrain = 1 << 17;

// Panels of B per work item of the threaded product (8 × NR columns).
constexpr int64_t kPanelGroup = 8;

// op(B) with fewer than 8 columns: padding it to a full NR panel would waste most of the
// micro-kernel, so these products run as dot products / axpys over op(B)ᵀ [n, k].
INDRNN_CLONES void skinny_rows(const float* a, int64_t lda, const float* bt, int64_t n, int64_t k,
                               float* c, int64_t ldc, bool acc, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) {
    const float* ai = a + i * lda;
    for (int64_t j = 0; j < n; j++) {
      const float* bj = bt + j * k;
      float s = 0.0f;
      for (int64_t p = 0; p < k; p++) s += ai[p] * bj[p];
      c[i * ldc + j] = acc ? c[i * ldc + j] + s : s;
    }
  }
}

// A stored [K, M]: accumulate Cᵀ rows (one per output column) over p with axpys.
INDRNN_CLONES void skinny_cols(const float* a, int64_t lda, const float* bt, int64_t n, int64_t k,
                               float* ct, int64_t m, int64_t i0, int64_t i1) {
  for (int64_t p = 0; p < k; p++) {
    const float* ap = a + p * lda;
    for (int64_t j = 0; j < n; j++) {
      const float bjp = bt[j * k + p];
      float* cj = ct + j * m;
      for (int64_t i = i0; i < i1; i++) cj[i] += bjp * ap[i];
    }
  }
}

void sgemm_skinny(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                  int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate,
                  int threads) {
  std::vector<float> bt(static_cast<size_t>(n * k));  // op(B)ᵀ [n, k]
  for (int64_t j = 0; j < n; j++) {
    for (int64_t p = 0; p < k; p++) bt[j * k + p] = trans_b ? b[j * ldb + p] : b[p * ldb + j];
  }
  const int nt = std::min(threads, threads_for(m * n * k, kGemmGrain));
  if (!trans_a) {
    run_parallel(nt, [&](int tid, int parts) {
      int64_t i0, i1;
      split_range(m, parts, tid, 16, &i0, &i1);
      skinny_rows(a, lda, bt.data(), n, k, c, ldc, accumulate, i0, i1);
    });
    return;
  }
  std::vector<float> ct(static_cast<size_t>(n * m), 0.0f);  // Cᵀ [n, m]
  run_parallel(nt, [&](int tid, int parts) {
    int64_t i0, i1;
    split_range(m, parts, tid, 16, &i0, &i1);
    skinny_cols(a, lda, bt.data(), n, k, ct.data(), m, i0, i1);
  });
  for (int64_t i = 0; i < m; i++) {
    for (int64_t j = 0; j < n; j++) {
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + ct[j * m + i] : ct[j * m + i];
    }
  }
}

}  // namespace

void sgemm_own(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
               int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate,
               int threads) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (int64_t i = 0; i < m; i++) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    }
    return;
  }
  if (n < 8) {
    sgemm_skinny(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, accumulate, threads);
    return;
  }
  const KernelSet& ks = kernels_for(g_level);
  const int nt = std::max(1, std::min(threads, threads_for(m * n * k, kGemmGrain)));
  // Column blocks keep the packed B within ~8 MB (it stays in L3 while every row block uses it).
  const int64_t budget = (int64_t(8) << 20) / static_cast<int64_t>(sizeof(float));
  const int64_t nc_full = std::max<int64_t>(ks.nr, (budget / k) / ks.nr * ks.nr);
  thread_local PackedB tl_pb;
  PackedB& pb = tl_pb;  // a name in the lambda below would mean each worker's own thread_local
  for (int64_t jc = 0; jc < n; jc += nc_full) {
    const int64_t nc = std::min(nc_full, n - jc);
    const float* bblock = trans_b ? b + jc * ldb : b + jc;
    pb.pack(bblock, trans_b, k, nc, ldb, nullptr, nt);
    float* cblock = c + jc;
    if (nt <= 1) {
      gemm_block(a, trans_a, lda, pb, cblock, ldc, 0, m, 0, pb.panels(), accumulate);
      continue;
    }
    // Work items of (equal row block) × (group of kPanelGroup panels), claimed from a counter:
    // a thread the OS delays (a busy machine) takes fewer items instead of holding up the rest.
    const int64_t mblocks = (m + ks.mc - 1) / ks.mc;
    const int64_t mc = ((m + mblocks - 1) / mblocks + ks.mr - 1) / ks.mr * ks.mr;
    const int64_t row_items = (m + mc - 1) / mc;
    const int64_t groups = (pb.panels() + kPanelGroup - 1) / kPanelGroup;
    const int64_t items = row_items * groups;
    std::atomic<int64_t> next{0};
    run_parallel(static_cast<int>(std::min<int64_t>(nt, items)), [&](int, int) {
      for (int64_t w = next.fetch_add(1); w < items; w = next.fetch_add(1)) {
        const int64_t m0 = (w / groups) * mc, j0 = (w % groups) * kPanelGroup;
        gemm_block(a, trans_a, lda, pb, cblock, ldc, m0, std::min(m, m0 + mc), j0,
                   std::min(pb.panels(), j0 + kPanelGroup), accumulate);
      }
    });
  }
}

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  if (blas_should_handle_product(trans_a, trans_b, m, n, k)) {
    blas_sgemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    return;
  }
  sgemm_own(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, accumulate, num_threads());
}

}  // namespace indrnn
