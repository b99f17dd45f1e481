// Device memory management.
//
// Allocation: cudaMallocAsync on our stream from the device's default pool, whose release threshold
// is raised so freed blocks stay cached for reuse (a caching allocator without our own free lists).
// Frees are cudaFreeAsync on the same stream, so a block is reused only after every kernel queued
// before the free has run.
//
// Garbage collection: tensors are freed when V8 collects their handles, but V8 only sees a few
// bytes of JS heap per tensor, not the megabytes of device memory behind it. So the allocator
// keeps its own budget: when live device bytes pass a soft limit (half the device's memory at
// start-up, INDRNN_CUDA_GC_FRACTION) and enough was allocated since the last collection, it asks JS
// for a scavenge, then a full GC if the scavenge did not free enough. If the memory is truly live
// the limit grows instead (up to 90% of the device), so we do not collect on every allocation.
// On cudaErrorMemoryAllocation it runs a full GC and retries once before failing.
#include "memory.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common.h"
#include "kernels.h"

namespace icu {
namespace {

constexpr size_t kStagingBytes = size_t(4) << 20;  // per pinned slot
constexpr int kUploadSlots = 4;                    // H2D ring: a slot is reused once its copy ran

struct State {
  uint64_t live = 0, peak = 0, softLimit = 0, hardLimit = 0, total = 0;
  uint64_t sinceGc = 0, allocations = 0, minorGcs = 0, majorGcs = 0;
  Collector collector;
  bool collecting = false;
  void* download = nullptr;  // pinned, kStagingBytes
  void* uploads[kUploadSlots] = {};
  cudaEvent_t uploadDone[kUploadSlots] = {};
  int nextUpload = 0;
};

State st;

void collect(bool major) {
  if (!st.collector || st.collecting) return;
  st.collecting = true;  // a finalizer never allocates, but guard against re-entry anyway
  try {
    st.collector(major);
  } catch (...) {
    st.collecting = false;
    throw;
  }
  st.collecting = false;
  (major ? st.majorGcs : st.minorGcs)++;
  st.sinceGc = 0;
}

/** Before allocating `bytes`: collect garbage if the budget says so, or grow the budget. */
void relievePressure(size_t bytes) {
  if (st.live + bytes <= st.softLimit || st.sinceGc < st.softLimit / 8) return;
  collect(false);
  if (st.live + bytes > st.softLimit * 3 / 4) collect(true);
  if (st.live + bytes > st.softLimit * 3 / 4) {
    // what is left is live: raise the limit rather than collect again on the next allocation
    st.softLimit =
        std::min<uint64_t>(std::max<uint64_t>(st.softLimit, 2 * (st.live + bytes)), st.hardLimit);
  }
}

std::string mib(uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

}  // namespace

void initMemory() {
  int device = 0;
  CUDA_CHECK("init", cudaGetDevice(&device));
  int pools = 0;
  CUDA_CHECK("init", cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, device));
  if (!pools) throwMsg("cuda: init: this device or driver has no stream-ordered memory pools");
  cudaMemPool_t pool;
  CUDA_CHECK("init", cudaDeviceGetDefaultMemPool(&pool, device));
  uint64_t keep = UINT64_MAX;  // never hand cached blocks back to the driver between steps
  CUDA_CHECK("init", cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
  size_t freeBytes = 0, total = 0;
  CUDA_CHECK("init", cudaMemGetInfo(&freeBytes, &total));
  double fraction = 0.5;
  if (const char* f = std::getenv("INDRNN_CUDA_GC_FRACTION"); f != nullptr && *f) {
    const double v = std::atof(f);
    if (v > 0 && v <= 1) fraction = v;
  }
  st.total = total;
  st.softLimit = uint64_t(double(freeBytes) * fraction);
  st.hardLimit = uint64_t(double(freeBytes) * 0.9);
  CUDA_CHECK("init", cudaMallocHost(&st.download, kStagingBytes));
  for (int i = 0; i < kUploadSlots; i++) {
    CUDA_CHECK("init", cudaMallocHost(&st.uploads[i], kStagingBytes));
    CUDA_CHECK("init", cudaEventCreateWithFlags(&st.uploadDone[i], cudaEventDisableTiming));
  }
}

void setCollector(Collector c) {
  st.collector = std::move(c);
}

void* deviceAlloc(size_t bytes, const char* what) {
  if (bytes == 0) return nullptr;
  relievePressure(bytes);
  void* p = nullptr;
  cudaError_t e = cudaMallocAsync(&p, bytes, stream());
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear it: out of memory is recoverable
    collect(true);
    e = cudaMallocAsync(&p, bytes, stream());
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throwMsg(std::string("cuda: ") + what + ": out of device memory allocating " + mib(bytes) +
               " (" + mib(st.live) + " held by live tensors of " + mib(st.total) +
               "); free tensors with dispose(), or use a smaller batch or sequence");
    }
  }
  check(e, what, "cudaMallocAsync");
  st.live += bytes;
  st.sinceGc += bytes;
  st.peak = std::max(st.peak, st.live);
  st.allocations++;
  return p;
}

void deviceFree(void* p, size_t bytes) noexcept {
  if (p == nullptr) return;
  // errors cannot be thrown from a GC finalizer; a failing free means the context is already gone
  if (cudaFreeAsync(p, stream()) != cudaSuccess) cudaGetLastError();
  st.live -= std::min<uint64_t>(st.live, bytes);
}

void upload(void* dst, const void* src, size_t bytes, const char* what) {
  if (bytes == 0) return;
  if (bytes <= sizeof(InlineWords)) {
    InlineWords words;
    std::memcpy(words.w, src, bytes);
    fillInline(static_cast<uint32_t*>(dst), int(bytes / 4), words);
    return;
  }
  if (bytes <= kStagingBytes) {
    // A pinned slot makes the copy truly asynchronous (pageable copies may wait for the stream).
    const int slot = st.nextUpload;
    st.nextUpload = (slot + 1) % kUploadSlots;
    CUDA_CHECK(what, cudaEventSynchronize(st.uploadDone[slot]));  // its last copy has run
    std::memcpy(st.uploads[slot], src, bytes);
    CUDA_CHECK(what,
               cudaMemcpyAsync(dst, st.uploads[slot], bytes, cudaMemcpyHostToDevice, stream()));
    CUDA_CHECK(what, cudaEventRecord(st.uploadDone[slot], stream()));
    return;
  }
  CUDA_CHECK(what, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream()));
}

void copyToHostSync(void* dst, const void* src, size_t bytes, const char* what) {
  if (bytes == 0) {
    synchronize(what);
    return;
  }
  const bool staged = bytes <= kStagingBytes;
  void* target = staged ? st.download : dst;
  CUDA_CHECK(what, cudaMemcpyAsync(target, src, bytes, cudaMemcpyDeviceToHost, stream()));
  synchronize(what);
  if (staged) std::memcpy(dst, st.download, bytes);
}

void synchronize(const char* what) {
  const cudaError_t e = cudaStreamSynchronize(stream());
  if (e != cudaSuccess) {
    throwMsg(std::string("cuda: ") + what + ": cudaStreamSynchronize failed with " +
             cudaGetErrorName(e) + " (" + std::to_string(int(e)) + "): " + cudaGetErrorString(e) +
             "; a kernel queued earlier failed while running (errors surface at the next sync)");
  }
}

MemoryStats memoryStats() {
  size_t freeBytes = 0, total = 0;
  CUDA_CHECK("memoryStats", cudaMemGetInfo(&freeBytes, &total));
  return {st.live,   st.peak,        st.softLimit, total,
          freeBytes, st.allocations, st.minorGcs,  st.majorGcs};
}

}  // namespace icu
