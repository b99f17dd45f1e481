// Shared by every file of the CUDA addon: error checking, the one stream, launch sizes.
//
// Error policy: every CUDA and cuBLAS return code is checked. A failure throws CudaError whose
// message names the kernel (the Backend method), the call and the code; binding.cc turns it into
// a JS Error. Kernel launches are checked with cudaGetLastError() right after the launch (that
// catches bad configurations); faults while a kernel runs surface at the next synchronisation
// (toHost), where the message says so.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace icu {

/** A CUDA, cuBLAS or argument failure, with a message ready for JS. */
struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throwCuda(const char* what, const char* call, cudaError_t code);
[[noreturn]] void throwMsg(const std::string& msg);

inline void check(cudaError_t code, const char* what, const char* call) {
  if (code != cudaSuccess) throwCuda(what, call, code);
}

// CUDA_CHECK("indrnnScan", cudaMemsetAsync(...)): throws naming the kernel, the call and the code.
#define CUDA_CHECK(what, call) ::icu::check((call), (what), #call)
// After a <<<>>> launch: configuration errors now, execution errors at the next sync.
#define CHECK_LAUNCH(what, kernel) ::icu::check(cudaGetLastError(), (what), "launch of " kernel)

/** The stream every kernel, copy and cuBLAS call is queued on (created by init()). */
cudaStream_t stream();
/** Streaming multiprocessors of the device (sizes grids for reductions and scans). */
int smCount();

/** Grid size for a grid-stride loop over n elements: enough blocks to fill the device, no more. */
inline unsigned gridFor(int64_t n, int threads) {
  int64_t blocks = (n + threads - 1) / threads;
  int64_t cap = int64_t(smCount()) * 32;
  if (blocks > cap) blocks = cap;
  return unsigned(blocks < 1 ? 1 : blocks);
}

/** Stream-ordered scratch memory (cudaMallocAsync/cudaFreeAsync), freed when it goes out of scope.
 */
class Scratch {
 public:
  Scratch(size_t bytes, const char* what);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
};

constexpr int kMaxRank = 8;

/**
 * A strided view, coalesced on the JS side (lib/layout.ts): element i of a dense row-major array of
 * `shape` lives at offset Σ coord[d]·stride[d] of the other operand.
 */
struct Strides {
  int rank;
  int64_t shape[kMaxRank];
  int64_t stride[kMaxRank];
};

}  // namespace icu
