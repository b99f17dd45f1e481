// One persistent thread pool for every kernel. Sized to the available cores at load time, or to
// INDRNN_NUM_THREADS. A call from inside a parallel region runs on the calling thread alone, so
// kernels may nest freely; a call while another JS thread holds the pool waits for it. The split of
// a job over threads depends only on its size and the pool size, never on timing, so reductions
// that add per-thread partials in thread order give the same bits on every run.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace indrnn {

int num_threads();
// Resizes the pool (1 = single-threaded). For tests and benchmarks.
void set_num_threads(int n);

// Runs fn(tid, nthreads) once on each of `nthreads` threads (tid 0 is the caller), at most
// num_threads(); returns when all have finished. Every tid runs concurrently, so fn may use a
// Barrier. An exception thrown by any tid is rethrown here.
void run_parallel(int nthreads, const std::function<void(int, int)>& fn);

// How many threads a loop of `work` units is worth, given `grain` units per thread at least.
int threads_for(int64_t work, int64_t grain);

// Splits [0, n) into contiguous ranges over threads_for(n, grain) threads: fn(begin, end).
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Barrier for the threads of one run_parallel call; every thread passes the same n (the nthreads
// its fn received, which is 1 when the pool ran the call serially). Waiters spin briefly, then
// sleep, so an oversubscribed machine does not lose its cores to spinning.
class Barrier {
 public:
  void wait(int n);

 private:
  std::atomic<int> count_{0};
  std::atomic<int> phase_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

// Splits [0, n) into `parts` near-equal contiguous pieces; the range of piece `i`, aligned to
// multiples of `align` (except the end).
inline void split_range(int64_t n, int parts, int i, int64_t align, int64_t* b, int64_t* e) {
  const int64_t units = (n + align - 1) / align;
  const int64_t ub = units * i / parts;
  const int64_t ue = units * (i + 1) / parts;
  *b = ub * align < n ? ub * align : n;
  *e = ue * align < n ? ue * align : n;
}

}  // namespace indrnn
