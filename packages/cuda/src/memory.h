// Device memory: the stream-ordered pool, garbage-collection pressure, and host <-> device copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace icu {

/** The storage behind one tensor: 4-byte elements (float32 or int32) in device memory. */
struct DevBuf {
  void* ptr;      // null for size 0 and after free()
  int64_t size;   // elements
  int32_t dtype;  // 0 float32, 1 int32
  bool freed;
};

/**
 * Asks JS to collect garbage (major = full mark-compact, else a scavenge). Tensors that died free
 * their device memory from the collector itself: the addon is built with NAPI_EXPERIMENTAL, whose
 * finalizers run synchronously inside the GC (plain N-API defers them to the event loop, which a
 * synchronous training loop never reaches).
 */
using Collector = std::function<void(bool major)>;

struct MemoryStats {
  uint64_t liveBytes, peakBytes, softLimitBytes, totalBytes, freeBytes;
  uint64_t allocations, minorGcs, majorGcs;
};

/** Sets up the pool, the pinned staging buffers and the GC limit (after the device is chosen). */
void initMemory();
void setCollector(Collector c);

/** Device memory for a tensor. May run the collector first; throws a clear error when out of
 * memory. */
void* deviceAlloc(size_t bytes, const char* what);
/** Returns memory to the pool, ordered after all work queued so far (safe inside a GC finalizer).
 */
void deviceFree(void* p, size_t bytes) noexcept;

/** host → device. Small copies ride in a kernel's parameters; medium ones go through pinned
 * staging. */
void upload(void* dst, const void* src, size_t bytes, const char* what);
/** device → host, then waits for the stream (the only place the backend synchronises). */
void copyToHostSync(void* dst, const void* src, size_t bytes, const char* what);
/** Waits for all queued work; reports a kernel that failed asynchronously. */
void synchronize(const char* what);

MemoryStats memoryStats();

}  // namespace icu
