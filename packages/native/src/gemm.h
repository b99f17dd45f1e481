// Single-precision GEMM: C[M, N] (+)= op(A)[M, K] · op(B)[K, N], row-major, with our own packed,
// cache-blocked SIMD kernels on the thread pool (AVX-512, AVX2+FMA or portable, picked at run
// time) and, when one is installed, a system BLAS loaded with dlopen for the large products.
#pragma once

#include <cstdint>
#include <vector>

namespace indrnn {

enum class Simd : int { Generic = 0, Avx2 = 1, Avx512 = 2 };

Simd simd_level();
const char* simd_name(Simd s);
// Best level this CPU supports.
Simd simd_supported();
// Forces a level (clamped to what the CPU supports); for tests and benchmarks.
Simd set_simd_level(Simd s);

// Register-tile and cache-block sizes of the active micro-kernel.
struct GemmBlocking {
  int mr, nr, mc, kc;
};
GemmBlocking gemm_blocking();

// 64-byte aligned float buffer that only grows.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();
  float* get(int64_t count);

 private:
  float* ptr_ = nullptr;
  int64_t cap_ = 0;
};

// op(B) [K, N] packed into NR-wide column panels, in KC-row blocks: the panel j of the block that
// starts at row k0 holds rows [k0, k0 + kcb) as kcb × NR floats, zero-padded past N. A column
// permutation (perm[c] = source column, or -1 for a zero column) lets the LSTM scan group the four
// gates of each hidden unit into one panel.
class PackedB {
 public:
  void pack(const float* b, bool trans_b, int64_t k, int64_t n, int64_t ldb,
            const std::vector<int64_t>* perm = nullptr, int nthreads = 1);
  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  int64_t panels() const { return panels_; }
  int nr() const { return nr_; }
  int kc() const { return kc_; }
  Simd level() const { return level_; }
  const float* panel(int64_t k0, int64_t kcb, int64_t j) const {
    return data_.get(0) + k0 * panels_ * nr_ + j * kcb * nr_;
  }

 private:
  friend void pack_b_panels(PackedB&, const float*, bool, int64_t, const std::vector<int64_t>*,
                            int64_t, int64_t);
  mutable AlignedBuffer data_;
  int64_t k_ = 0, n_ = 0, panels_ = 0;
  int nr_ = 0, kc_ = 0;
  Simd level_ = Simd::Generic;
};

// One thread's share: C[m0:m1, panels [j0, j1)] (+)= op(A)[m0:m1, :] · B, with B prepacked.
// C's columns follow the packed (possibly permuted) order; ldc counts floats.
void gemm_block(const float* a, bool trans_a, int64_t lda, const PackedB& b, float* c, int64_t ldc,
                int64_t m0, int64_t m1, int64_t j0, int64_t j1, bool accumulate);

// How `threads` threads split an M × panels tile grid: rows into tm parts, panels into tn parts.
struct GemmSplit {
  int tm, tn;
};
GemmSplit gemm_split(int64_t m, int64_t panels, int threads);

// The full product on the pool. lda/ldb/ldc are row strides of the stored matrices.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);

// The same without the system BLAS, with a fixed thread count (benchmarks and tests).
void sgemm_own(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
               int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate,
               int threads);

}  // namespace indrnn
