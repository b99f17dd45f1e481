// A CPU stand-in for the CUDA runtime, so that the addon's own sources (src/*.cu, src/*.cc) build
// with g++ and run their kernels on machines without a GPU (see emu/README.md).
//
// Kernels run as GPU code would: every thread of a block is a fiber with its own threadIdx, and
// __syncthreads and warp shuffles are real rendezvous points between them. Blocks run one after
// another on the calling thread, and the threads of a block run in a seeded random order between
// rendezvous points, so code that relies on an ordering the GPU does not promise (a missing
// __syncthreads, a shuffle some lanes skip) fails here too instead of passing by luck.
//
// The runtime keeps the semantics the addon depends on: every call returns a cudaError_t,
// launch configuration errors come from cudaGetLastError, fresh allocations hold garbage (NaN
// bytes), and writes past an allocation are caught when it is freed (or, in an AddressSanitizer
// build, any access outside it at once). Streams, events and pools exist but everything runs
// synchronously; an event holds the wall-clock time of its record.
#pragma once

#include <math.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

// ---- qualifiers -----------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// One block runs at a time, so a function-local static is exactly one block's shared memory
// (emu/build.cjs also makes each block start it as garbage).
#define __shared__ static

// ---- vector types ---------------------------------------------------------------------------
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};

// ---- errors and handles ---------------------------------------------------------------------
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchTimeout = 702,
  cudaErrorAssert = 710,
  cudaErrorHardwareStackError = 714,
  cudaErrorIllegalInstruction = 715,
  cudaErrorMisalignedAddress = 716,
  cudaErrorLaunchFailure = 719,
  cudaErrorNoKernelImageForDevice = 209,
};

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

enum cudaDeviceAttr { cudaDevAttrMemoryPoolsSupported = 115 };
enum cudaMemPoolAttr { cudaMemPoolAttrReleaseThreshold = 4 };

struct CUstream_st;
struct CUevent_st;
struct CUmemPoolHandle_st;
using cudaStream_t = CUstream_st*;
using cudaEvent_t = CUevent_st*;
using cudaMemPool_t = CUmemPoolHandle_st*;

constexpr unsigned cudaStreamNonBlocking = 1;
constexpr unsigned cudaEventDisableTiming = 2;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int major, minor;
  int multiProcessorCount;
};

// ---- runtime API (emu/runtime.cc) -----------------------------------------------------------
cudaError_t cudaGetLastError();
const char* cudaGetErrorName(cudaError_t e);
const char* cudaGetErrorString(cudaError_t e);
cudaError_t cudaRuntimeGetVersion(int* v);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device);
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int device);
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t pool, cudaMemPoolAttr attr, void* value);
cudaError_t cudaMemGetInfo(size_t* freeBytes, size_t* total);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned flags);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned flags);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t stop);
cudaError_t cudaMallocAsync(void** p, size_t bytes, cudaStream_t s);
cudaError_t cudaFreeAsync(void* p, cudaStream_t s);
cudaError_t cudaMallocHost(void** p, size_t bytes);
cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t s);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t s);
cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch,
                              size_t width, size_t height, cudaMemcpyKind kind, cudaStream_t s);

// ---- device side ----------------------------------------------------------------------------
namespace emu {

/** The thread (fiber) now running and the block it belongs to. */
struct ThreadState {
  uint3 tid;
};
extern ThreadState* g_thread;
extern uint3 g_blockIdx;
extern dim3 g_blockDim, g_gridDim;

void syncthreads();
/** Fills a block's shared array with NaN bytes the first time a thread of a new block declares it. */
void poisonShared(void* p, size_t bytes);
/** All 32 lanes of the warp publish `bits`; returns what lane `src` published. */
uint64_t warpExchange(uint64_t bits, int src);
int laneId();

/**
 * Runs `body` for every thread of every block of the grid; a bad configuration sets the error
 * cudaGetLastError reports, as a real launch does.
 */
void launch(dim3 grid, dim3 block, size_t sharedBytes, cudaStream_t s, const char* name,
            void (*body)(void*), void* ctx);

struct Launch {
  dim3 grid, block;
  size_t shared;
  cudaStream_t stream;
  const char* name = "kernel";
  Launch(dim3 g, dim3 b, size_t sh = 0, cudaStream_t s = nullptr)
      : grid(g), block(b), shared(sh), stream(s) {}
  /** The kernel's name as written at the launch, for INDRNN_EMU_TRACE. */
  Launch& named(const char* n) {
    name = n;
    return *this;
  }

  // Arguments are converted to the kernel's parameter types once, at launch, as CUDA copies them.
  template <typename... P, typename... A>
  void operator()(void (*kernel)(P...), A&&... args) const {
    struct Ctx {
      void (*kernel)(P...);
      std::tuple<std::decay_t<P>...> params;
    } ctx{kernel, std::tuple<std::decay_t<P>...>(std::forward<A>(args)...)};
    launch(
        grid, block, shared, stream, name,
        [](void* c) {
          auto* x = static_cast<Ctx*>(c);
          std::apply(x->kernel, x->params);
        },
        &ctx);
  }
};

}  // namespace emu

#define threadIdx (::emu::g_thread->tid)
#define blockIdx (::emu::g_blockIdx)
#define blockDim (::emu::g_blockDim)
#define gridDim (::emu::g_gridDim)

inline void __syncthreads() {
  emu::syncthreads();
}

template <typename T>
inline T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "shuffle of a scalar");
  (void)mask;
  (void)width;
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  bits = emu::warpExchange(bits, emu::laneId() ^ laneMask);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

template <typename T>
inline T __ldcs(const T* p) {
  return *p;
}

// Threads of the emulator never run at the same time, so a plain read-modify-write is atomic.
template <typename T>
inline T atomicAdd(T* p, T v) {
  const T old = *p;
  *p = old + v;
  return old;
}

// CUDA's overloaded device min/max on integers and floats.
template <typename A, typename B>
inline constexpr std::common_type_t<A, B> min(A a, B b) {
  using C = std::common_type_t<A, B>;
  return C(a) < C(b) ? C(a) : C(b);
}
template <typename A, typename B>
inline constexpr std::common_type_t<A, B> max(A a, B b) {
  using C = std::common_type_t<A, B>;
  return C(a) < C(b) ? C(b) : C(a);
}
