// The CPU stand-in for the CUDA runtime (see include/cuda_runtime.h for what it promises).
//
// Threads of a block are ucontext fibers on the calling thread. A round resumes every unfinished
// fiber once, in a seeded random order; a fiber runs until it finishes or reaches a rendezvous
// (__syncthreads, a warp shuffle), where it waits until the others of its block or warp arrive.
// A round in which no fiber moved is a deadlock (a __syncthreads or shuffle not every thread
// reaches): the launch fails with cudaErrorLaunchFailure and a message on stderr, as a hung or
// faulting kernel surfaces on a GPU at the next synchronisation.
#include <cuda_runtime.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace emu {

ThreadState* g_thread = nullptr;
uint3 g_blockIdx{0, 0, 0};
dim3 g_blockDim, g_gridDim;

namespace {

constexpr size_t kStackBytes = 256 * 1024;
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kRedZone = 0;  // AddressSanitizer's own red zones catch reads too
#else
constexpr size_t kRedZone = 256;  // guard bytes after (and before) each device allocation
#endif
constexpr unsigned char kGuard = 0xA5;

cudaError_t g_lastError = cudaSuccess;    // cleared by cudaGetLastError
cudaError_t g_stickyError = cudaSuccess;  // a failed kernel: every later call reports it

struct Fiber {
  ThreadState state;
  ucontext_t ctx;
  char* stack = nullptr;
  bool done = false;
  int warp = 0;
};

ucontext_t g_scheduler;
std::vector<Fiber> g_fibers;
Fiber* g_current = nullptr;
bool g_moved = false;  // some fiber made progress in this round
bool g_failed = false;
std::string g_failure;
void (*g_body)(void*) = nullptr;
void* g_ctx = nullptr;
// the order threads run in between rendezvous points; INDRNN_EMU_SEED picks another one (to hunt a
// race that the default order happens to miss)
std::mt19937_64 g_order(std::getenv("INDRNN_EMU_SEED") ? std::strtoull(std::getenv("INDRNN_EMU_SEED"),
                                                                        nullptr, 10)
                                                       : 0x1d1277ULL);
uint64_t g_blockSerial = 0;  // counts blocks run, for poisonShared

void fail(const std::string& why) {
  if (!g_failed) g_failure = why;
  g_failed = true;
}

void yieldToScheduler() {
  swapcontext(&g_current->ctx, &g_scheduler);
}

/** The rendezvous of a block (__syncthreads) or of a warp (each phase of a shuffle). */
struct Barrier {
  int live = 0, arrived = 0;
  unsigned generation = 0;

  /** Waits until every live member has arrived, letting the other fibers run meanwhile. */
  void arriveAndWait() {
    const unsigned gen = generation;
    g_moved = true;
    if (++arrived == live) {
      arrived = 0;
      generation++;
      return;
    }
    while (generation == gen && !g_failed) yieldToScheduler();
  }

  /** A member returned: it no longer counts (as on sm_70+), which may complete the waiting round. */
  void leave() {
    live--;
    if (arrived > 0 && arrived == live) {
      arrived = 0;
      generation++;
    }
  }
};

struct Warp {
  Barrier barrier;
  uint64_t slots[32] = {};
};

struct Block {
  int threads = 0;
  Barrier barrier;
  std::vector<Warp> warps;
};

Block g_block;

void fiberMain() {
  g_body(g_ctx);
  Fiber* f = g_current;
  f->done = true;
  g_moved = true;
  g_block.barrier.leave();
  Barrier& w = g_block.warps[f->warp].barrier;
  if (w.arrived > 0) fail("a thread returned while other lanes of its warp waited in a shuffle");
  w.leave();
  // returning switches to uc_link, the scheduler
}

char* takeStack(size_t i) {
  static std::vector<char*> stacks;
  while (stacks.size() <= i) {
    void* p = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      std::fprintf(stderr, "cuda emulator: out of memory for thread stacks\n");
      std::abort();
    }
    stacks.push_back(static_cast<char*>(p));
  }
  return stacks[i];
}

void runBlock(int nthreads) {
  g_blockSerial++;
  g_fibers.resize(size_t(nthreads));
  g_block.threads = nthreads;
  g_block.barrier = Barrier{nthreads, 0, g_block.barrier.generation};
  g_block.warps.assign(size_t((nthreads + 31) / 32), Warp{});
  for (int i = 0; i < nthreads; i++) {
    Fiber& f = g_fibers[size_t(i)];
    f.done = false;
    f.state.tid = uint3{unsigned(i) % g_blockDim.x, unsigned(i) / g_blockDim.x % g_blockDim.y,
                        unsigned(i) / (g_blockDim.x * g_blockDim.y)};
    f.warp = i / 32;
    g_block.warps[size_t(f.warp)].barrier.live++;
    f.stack = takeStack(size_t(i));
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack;
    f.ctx.uc_stack.ss_size = kStackBytes;
    f.ctx.uc_link = &g_scheduler;
    makecontext(&f.ctx, fiberMain, 0);
  }
  std::vector<int> order(static_cast<size_t>(nthreads));
  for (int i = 0; i < nthreads; i++) order[size_t(i)] = i;
  int unfinished = nthreads;
  while (unfinished > 0 && !g_failed) {
    std::shuffle(order.begin(), order.end(), g_order);
    g_moved = false;
    for (int i : order) {
      Fiber& f = g_fibers[size_t(i)];
      if (f.done) continue;
      g_current = &f;
      g_thread = &f.state;
      swapcontext(&g_scheduler, &f.ctx);
      if (f.done) unfinished--;
      if (g_failed) break;
    }
    if (!g_moved && unfinished > 0) {
      fail("deadlock: some threads wait at __syncthreads or a warp shuffle that others never reach");
    }
  }
  g_current = nullptr;
  g_thread = nullptr;
}

struct Allocation {
  size_t bytes;
};
std::unordered_map<char*, Allocation> g_device;  // user pointer -> size

bool isDevice(const void* p, size_t bytes) {
  // exact containment check: the pointer lies in one live allocation with room for `bytes`
  for (const auto& [base, a] : g_device) {
    const char* c = static_cast<const char*>(p);
    if (c >= base && c + bytes <= base + a.bytes) return true;
  }
  return false;
}

/** The emulated device's memory: INDRNN_EMU_DEVICE_MB, 512 MiB by default (small, so that tests of
 * the allocator's budget and out-of-memory paths stay quick). */
size_t deviceBytes() {
  static const size_t bytes = [] {
    const char* mb = std::getenv("INDRNN_EMU_DEVICE_MB");
    const long long v = mb ? std::atoll(mb) : 0;
    return size_t(v > 0 ? v : 512) << 20;
  }();
  return bytes;
}

size_t usedBytes() {
  size_t used = 0;
  for (const auto& [p, a] : g_device) used += a.bytes;
  return used;
}

/**
 * INDRNN_EMU_TRACE=file appends one line per launch, synchronisation, copy, allocation and free
 * (opened for appending, so a script may write its own markers between them).
 */
void trace(const char* format, ...) {
  // the variable is read on every call, so a test can start and stop a trace while it runs
  static std::string path;
  static FILE* file = nullptr;
  const char* now = std::getenv("INDRNN_EMU_TRACE");
  if ((now ? now : "") != path) {
    if (file != nullptr) std::fclose(file);
    path = now ? now : "";
    file = path.empty() ? nullptr : std::fopen(path.c_str(), "a");
  }
  if (file == nullptr) return;
  va_list args;
  va_start(args, format);
  std::vfprintf(file, format, args);
  va_end(args);
  std::fflush(file);
}

cudaError_t ret(cudaError_t e) {
  if (g_stickyError != cudaSuccess) return g_stickyError;
  if (e != cudaSuccess) g_lastError = e;
  return e;
}

}  // namespace

int laneId() {
  return int(g_current - g_fibers.data()) & 31;  // lanes are consecutive linear thread indices
}

void poisonShared(void* p, size_t bytes) {
  static std::unordered_map<void*, uint64_t> poisonedIn;  // array -> block it was last filled for
  uint64_t& block = poisonedIn[p];
  if (block == g_blockSerial) return;
  block = g_blockSerial;
  std::memset(p, 0xFF, bytes);
}

void syncthreads() {
  g_block.barrier.arriveAndWait();
}

uint64_t warpExchange(uint64_t bits, int src) {
  Fiber* f = g_current;
  Warp& w = g_block.warps[size_t(f->warp)];
  const int lanes = std::min(32, g_block.threads - f->warp * 32);
  if (lanes != 32) fail("a full-mask warp shuffle in a warp of " + std::to_string(lanes) + " lanes");
  if (w.barrier.live != lanes) fail("a warp shuffle after some lanes of the warp returned");
  w.slots[laneId()] = bits;
  w.barrier.arriveAndWait();  // every lane has published its value
  const uint64_t out = w.slots[src & 31];
  w.barrier.arriveAndWait();  // every lane has read, so no slot is overwritten early
  return out;
}

void launch(dim3 grid, dim3 block, size_t sharedBytes, cudaStream_t, const char* name,
            void (*body)(void*), void* ctx) {
  if (g_stickyError != cudaSuccess) return;
  trace("launch %s grid=%u,%u,%u block=%u,%u,%u\n", name, grid.x, grid.y, grid.z, block.x, block.y,
        block.z);
  const uint64_t threads = uint64_t(block.x) * block.y * block.z;
  if (threads == 0 || threads > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 ||
      grid.z == 0 || grid.y > 65535 || grid.z > 65535 || sharedBytes > 48 * 1024) {
    g_lastError = cudaErrorInvalidConfiguration;
    return;
  }
  g_body = body;
  g_ctx = ctx;
  g_gridDim = grid;
  g_blockDim = block;
  g_failed = false;
  for (unsigned z = 0; z < grid.z && !g_failed; z++) {
    for (unsigned y = 0; y < grid.y && !g_failed; y++) {
      for (unsigned x = 0; x < grid.x && !g_failed; x++) {
        g_blockIdx = uint3{x, y, z};
        runBlock(int(threads));
      }
    }
  }
  if (g_failed) {
    std::fprintf(stderr, "cuda emulator: kernel failed in block (%u,%u,%u): %s\n", g_blockIdx.x,
                 g_blockIdx.y, g_blockIdx.z, g_failure.c_str());
    g_stickyError = cudaErrorLaunchFailure;
  }
}

}  // namespace emu

using emu::g_device;
using emu::g_lastError;
using emu::g_stickyError;
using emu::kGuard;
using emu::kRedZone;

cudaError_t cudaGetLastError() {
  if (g_stickyError != cudaSuccess) return g_stickyError;
  const cudaError_t e = g_lastError;
  g_lastError = cudaSuccess;
  return e;
}


const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    case cudaErrorNoKernelImageForDevice: return "cudaErrorNoKernelImageForDevice";
    default: return "cudaErrorUnknown";
  }
}

const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    default: return "unknown error";
  }
}

cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = 12000;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) {
  return emu::ret(device == 0 ? cudaSuccess : cudaErrorInvalidValue);
}
cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return emu::ret(cudaSuccess);
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device != 0) return emu::ret(cudaErrorInvalidValue);
  std::memset(prop, 0, sizeof(*prop));
  std::strcpy(prop->name, "indrnn CUDA emulator (CPU)");
  prop->totalGlobalMem = emu::deviceBytes();
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 2;  // small grids: fewer emulated blocks, grid-stride loops exercised
  return emu::ret(cudaSuccess);
}
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int) {
  *value = attr == cudaDevAttrMemoryPoolsSupported ? 1 : 0;
  return emu::ret(cudaSuccess);
}
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int) {
  static char token;
  *pool = reinterpret_cast<cudaMemPool_t>(&token);
  return emu::ret(cudaSuccess);
}
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t pool, cudaMemPoolAttr, void* value) {
  return emu::ret(pool && value ? cudaSuccess : cudaErrorInvalidValue);
}
cudaError_t cudaMemGetInfo(size_t* freeBytes, size_t* total) {
  const size_t used = emu::usedBytes();
  *total = emu::deviceBytes();
  *freeBytes = *total > used ? *total - used : 0;
  return emu::ret(cudaSuccess);
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
  static char token;
  *s = reinterpret_cast<cudaStream_t>(&token);
  return emu::ret(cudaSuccess);
}
cudaError_t cudaStreamSynchronize(cudaStream_t) {
  emu::trace("sync\n");
  return emu::ret(cudaSuccess);
}
// An event is the wall-clock time of its last record (kernels run at launch, so the time between
// two events is the CPU time of the work queued between them).
struct CUevent_st {
  double ms = 0;
  bool recorded = false;
  bool timing = true;
};

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned flags) {
  *e = new CUevent_st();
  (*e)->timing = (flags & cudaEventDisableTiming) == 0;
  return emu::ret(cudaSuccess);
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t) {
  if (e == nullptr) return emu::ret(cudaErrorInvalidResourceHandle);
  e->ms = std::chrono::duration<double, std::milli>(
              std::chrono::steady_clock::now().time_since_epoch())
              .count();
  e->recorded = true;
  return emu::ret(cudaSuccess);
}
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t stop) {
  if (start == nullptr || stop == nullptr || !start->timing || !stop->timing) {
    return emu::ret(cudaErrorInvalidResourceHandle);
  }
  if (!start->recorded || !stop->recorded) return emu::ret(cudaErrorNotReady);
  *ms = float(stop->ms - start->ms);
  return emu::ret(cudaSuccess);
}
cudaError_t cudaEventSynchronize(cudaEvent_t) {
  emu::trace("event-sync\n");
  return emu::ret(cudaSuccess);
}

cudaError_t cudaMallocAsync(void** p, size_t bytes, cudaStream_t) {
  if (g_stickyError != cudaSuccess) return g_stickyError;
  if (p == nullptr) return emu::ret(cudaErrorInvalidValue);
  if (emu::usedBytes() + bytes > emu::deviceBytes()) return emu::ret(cudaErrorMemoryAllocation);
  char* raw = static_cast<char*>(std::malloc(bytes + 2 * kRedZone));
  if (raw == nullptr) return emu::ret(cudaErrorMemoryAllocation);
  std::memset(raw, kGuard, kRedZone);
  std::memset(raw + kRedZone, 0xFF, bytes);  // fresh device memory is garbage: NaN, not zeros
  std::memset(raw + kRedZone + bytes, kGuard, kRedZone);
  char* user = raw + kRedZone;
  g_device[user] = emu::Allocation{bytes};
  emu::trace("malloc %zu\n", bytes);
  *p = user;
  return cudaSuccess;
}

cudaError_t cudaFreeAsync(void* p, cudaStream_t) {
  if (p == nullptr) return emu::ret(cudaSuccess);
  auto it = g_device.find(static_cast<char*>(p));
  if (it == g_device.end()) {
    std::fprintf(stderr, "cuda emulator: cudaFreeAsync of %p, which is not a live allocation\n", p);
    return emu::ret(cudaErrorInvalidDevicePointer);
  }
  char* user = it->first;
  const size_t bytes = it->second.bytes;
  g_device.erase(it);
  emu::trace("free %zu\n", bytes);
  char* raw = user - kRedZone;
  for (size_t i = 0; i < kRedZone; i++) {
    if (static_cast<unsigned char>(raw[i]) != kGuard ||
        static_cast<unsigned char>(user[bytes + i]) != kGuard) {
      std::fprintf(stderr,
                   "cuda emulator: a write outside the %zu-byte allocation %p (%s it) was found "
                   "when it was freed\n",
                   bytes, p, static_cast<unsigned char>(raw[i]) != kGuard ? "before" : "after");
      std::free(raw);
      g_stickyError = cudaErrorIllegalAddress;
      return g_stickyError;
    }
  }
  std::free(raw);
  return emu::ret(cudaSuccess);
}

cudaError_t cudaMallocHost(void** p, size_t bytes) {
  *p = std::malloc(bytes ? bytes : 1);
  return emu::ret(*p ? cudaSuccess : cudaErrorMemoryAllocation);
}

cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t) {
  if (g_stickyError != cudaSuccess) return g_stickyError;
  if (bytes == 0) return cudaSuccess;
  if (!emu::isDevice(p, bytes)) return emu::ret(cudaErrorInvalidValue);
  std::memset(p, value, bytes);
  emu::trace("memset %zu\n", bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t) {
  if (g_stickyError != cudaSuccess) return g_stickyError;
  if (bytes == 0) return cudaSuccess;
  const bool srcDevice = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  const bool dstDevice = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  if ((srcDevice && !emu::isDevice(src, bytes)) || (dstDevice && !emu::isDevice(dst, bytes))) {
    return emu::ret(cudaErrorInvalidValue);
  }
  std::memmove(dst, src, bytes);
  static const char* kinds[] = {"H2H", "H2D", "D2H", "D2D", "default"};
  emu::trace("memcpy %s %zu\n", kinds[kind], bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch,
                              size_t width, size_t height, cudaMemcpyKind kind, cudaStream_t s) {
  if (width > dpitch || width > spitch) return emu::ret(cudaErrorInvalidValue);
  for (size_t r = 0; r < height; r++) {
    const cudaError_t e = cudaMemcpyAsync(static_cast<char*>(dst) + r * dpitch,
                                          static_cast<const char*>(src) + r * spitch, width, kind, s);
    if (e != cudaSuccess) return e;
  }
  return cudaSuccess;
}
