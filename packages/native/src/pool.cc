// The thread pool. Workers spin briefly after each job (kernels such as the recurrent scans issue
// many short parallel regions back to back), then sleep on a condition variable.
#include "pool.h"

#if defined(__linux__)
#include <sched.h>
#endif

#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define INDRNN_PAUSE() _mm_pause()
#else
#define INDRNN_PAUSE() std::this_thread::yield()
#endif

namespace indrnn {
namespace {

thread_local bool t_in_region = false;

// Spin iterations before a waiting thread goes to sleep (a few tens of µs): long enough to catch
// the next step of a recurrent scan, short enough not to starve other work of the cores.
constexpr int kSpinBeforeSleep = 4000;

class Pool {
 public:
  explicit Pool(int n) { start(n); }
  ~Pool() { stop(); }

  int size() const { return size_; }

  void resize(int n) {
    std::lock_guard<std::mutex> busy(busy_);
    stop();
    start(n);
  }

  void run(int nthreads, const std::function<void(int, int)>& fn) {
    if (nthreads > size_) nthreads = size_;
    if (nthreads <= 1 || t_in_region) {
      run_serial(fn);
      return;
    }
    // Another JS thread's job holds the pool: wait for it rather than run this one on one thread.
    // Kernels size their per-thread partial sums by threads_for(); running with fewer parts than
    // that would add the same numbers in another order, and the bits would depend on timing.
    std::unique_lock<std::mutex> busy(busy_);
    job_ = &fn;
    job_threads_ = nthreads;
    error_ = nullptr;
    // every worker acknowledges each job, even idle ones, so none can see a stale job later
    remaining_.store(size_ - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(wake_mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_cv_.notify_all();
    t_in_region = true;
    try {
      fn(0, nthreads);
    } catch (...) {
      record_error();
    }
    t_in_region = false;
    int spins = 0;
    while (remaining_.load(std::memory_order_acquire) != 0) {
      if (++spins < kSpinBeforeSleep) {
        INDRNN_PAUSE();
        continue;
      }
      std::unique_lock<std::mutex> lk(done_mu_);
      done_cv_.wait(lk, [&] { return remaining_.load(std::memory_order_acquire) == 0; });
    }
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void run_serial(const std::function<void(int, int)>& fn) {
    const bool outer = t_in_region;
    t_in_region = true;
    try {
      fn(0, 1);
    } catch (...) {
      t_in_region = outer;
      throw;
    }
    t_in_region = outer;
  }

  void record_error() {
    std::lock_guard<std::mutex> lk(error_mu_);
    if (!error_) error_ = std::current_exception();
  }

  void start(int n) {
    size_ = n < 1 ? 1 : n;
    quit_ = false;
    // read here, not in the worker: a job posted before the thread starts must still count as new
    const uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < size_; i++) workers_.emplace_back([this, i, gen] { worker(i, gen); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(wake_mu_);
      quit_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  void worker(int tid, uint64_t seen) {
    t_in_region = true;  // nested parallel calls from a worker run serially
    for (;;) {
      int spins = 0;
      uint64_t g;
      while ((g = generation_.load(std::memory_order_acquire)) == seen) {
        if (++spins < kSpinBeforeSleep) {
          INDRNN_PAUSE();
          continue;
        }
        std::unique_lock<std::mutex> lk(wake_mu_);
        wake_cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      }
      seen = g;
      if (quit_) return;
      if (tid < job_threads_) {
        try {
          (*job_)(tid, job_threads_);
        } catch (...) {
          record_error();
        }
      }
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(done_mu_);  // pairs with the caller's predicate check
        done_cv_.notify_one();
      }
    }
  }

  int size_ = 1;
  std::vector<std::thread> workers_;
  std::mutex busy_;  // held by the JS thread that owns the current job
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> remaining_{0};
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  const std::function<void(int, int)>* job_ = nullptr;
  int job_threads_ = 0;
  bool quit_ = false;
  std::mutex error_mu_;
  std::exception_ptr error_;
};

int default_threads() {
  if (const char* env = std::getenv("INDRNN_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return n;
  }
#if defined(__linux__)
  // the cores this process may run on (taskset, cgroup cpusets), not every core of the machine
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

Pool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock.
  static Pool* p = new Pool(default_threads());
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) { pool().resize(n); }

void run_parallel(int nthreads, const std::function<void(int, int)>& fn) {
  pool().run(nthreads, fn);
}

int threads_for(int64_t work, int64_t grain) {
  const int n = num_threads();
  if (t_in_region || grain <= 0) return t_in_region ? 1 : n;
  const int64_t want = work / grain;
  return want < 1 ? 1 : (want < n ? static_cast<int>(want) : n);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int nt = threads_for(n, grain);
  if (nt <= 1) {
    fn(0, n);
    return;
  }
  run_parallel(nt, [&](int tid, int parts) {
    int64_t b, e;
    split_range(n, parts, tid, 1, &b, &e);
    if (b < e) fn(b, e);
  });
}

void Barrier::wait(int n) {
  if (n <= 1) return;
  const int phase = phase_.load(std::memory_order_acquire);
  if (count_.fetch_add(1, std::memory_order_acq_rel) == n - 1) {
    count_.store(0, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(mu_);  // no sleeper can miss the phase change
      phase_.store(phase + 1, std::memory_order_release);
    }
    cv_.notify_all();
    return;
  }
  for (int spins = 0; spins < kSpinBeforeSleep; spins++) {
    if (phase_.load(std::memory_order_acquire) != phase) return;
    INDRNN_PAUSE();
  }
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [&] { return phase_.load(std::memory_order_acquire) != phase; });
}

}  // namespace indrnn
