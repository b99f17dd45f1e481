// Driver probe (dlopen of libcuda.so.1, declared here: no driver headers or stubs are linked) and
// one-time device initialisation. The CUDA runtime itself is the static cudart that nvcc links by
// default: it is part of the toolkit, so the addon links nothing that a machine without a GPU
// lacks, and it opens libcuda.so.1 with dlopen on first use.
#include "driver.h"

#include <dlfcn.h>

#include <string>

#include "common.h"
#include "cublas.h"
#include "kernels.h"
#include "memory.h"

namespace icu {
namespace {

// The emulator build (emu/) names its stand-in driver library here.
#ifndef INDRNN_DRIVER_LIB
#define INDRNN_DRIVER_LIB "libcuda.so.1"
#endif

using CUresult = int;
using CuInitFn = CUresult (*)(unsigned);
using CuIntFn = CUresult (*)(int*);
using CuErrorNameFn = CUresult (*)(CUresult, const char**);

cudaStream_t g_stream = nullptr;
int g_smCount = 1;
bool g_ready = false;
DeviceInfo g_info;
int g_cublasVersion = 0;
std::string g_cublasPath;

std::string versionString(int v) {
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

}  // namespace

cudaStream_t stream() {
  return g_stream;
}
int smCount() {
  return g_smCount;
}

[[noreturn]] void throwMsg(const std::string& msg) {
  throw CudaError(msg);
}

/** Errors a kernel raises while running: reported by whatever call comes next, and sticky. */
static bool raisedByARunningKernel(cudaError_t code) {
  return code == cudaErrorIllegalAddress || code == cudaErrorLaunchFailure ||
         code == cudaErrorMisalignedAddress || code == cudaErrorIllegalInstruction ||
         code == cudaErrorHardwareStackError || code == cudaErrorAssert ||
         code == cudaErrorLaunchTimeout;
}

[[noreturn]] void throwCuda(const char* what, const char* call, cudaError_t code) {
  cudaGetLastError();  // clear a non-sticky error so later calls are not blamed for it
  std::string msg = std::string("cuda: ") + what + ": " + call + " failed with " +
                    cudaGetErrorName(code) + " (" + std::to_string(int(code)) +
                    "): " + cudaGetErrorString(code);
  if (raisedByARunningKernel(code)) {
    msg +=
        "; a kernel queued earlier may have caused it (errors surface at the next call), and"
        " the CUDA context is now unusable: restart the process";
  }
  throwMsg(msg);
}

Scratch::Scratch(size_t bytes, const char* what) {
  if (bytes > 0) CUDA_CHECK(what, cudaMallocAsync(&ptr_, bytes, stream()));
}

Scratch::~Scratch() {
  if (ptr_ != nullptr && cudaFreeAsync(ptr_, stream()) != cudaSuccess) cudaGetLastError();
}

DriverProbe probeDriver() {
  DriverProbe p{false, "", 0, 0, 0};
  cudaRuntimeGetVersion(&p.runtimeVersion);  // needs no driver
  void* lib = dlopen(INDRNN_DRIVER_LIB, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* err = dlerror();
    p.reason = std::string("the NVIDIA driver library libcuda.so.1 could not be loaded (") +
               (err ? err : "not found") + "): this machine has no NVIDIA driver";
    return p;
  }
  auto cuInit = reinterpret_cast<CuInitFn>(dlsym(lib, "cuInit"));
  auto cuDriverGetVersion = reinterpret_cast<CuIntFn>(dlsym(lib, "cuDriverGetVersion"));
  auto cuDeviceGetCount = reinterpret_cast<CuIntFn>(dlsym(lib, "cuDeviceGetCount"));
  auto cuGetErrorName = reinterpret_cast<CuErrorNameFn>(dlsym(lib, "cuGetErrorName"));
  if (!cuInit || !cuDriverGetVersion || !cuDeviceGetCount) {
    p.reason = "libcuda.so.1 lacks cuInit, cuDriverGetVersion or cuDeviceGetCount";
    return p;
  }
  auto name = [&](CUresult r) {
    const char* n = nullptr;
    if (cuGetErrorName != nullptr) cuGetErrorName(r, &n);
    return std::string(n ? n : "CUDA_ERROR") + " (" + std::to_string(r) + ")";
  };
  if (CUresult r = cuDriverGetVersion(&p.driverVersion); r != 0) {
    p.reason = "cuDriverGetVersion failed with " + name(r);
    return p;
  }
  if (CUresult r = cuInit(0); r != 0) {
    p.reason = "the NVIDIA driver did not initialise: cuInit failed with " + name(r) +
               (r == 100 ? ": no CUDA-capable device is visible" : "");
    return p;
  }
  if (CUresult r = cuDeviceGetCount(&p.deviceCount); r != 0) {
    p.reason = "cuDeviceGetCount failed with " + name(r);
    return p;
  }
  if (p.deviceCount == 0) {
    p.reason = "the NVIDIA driver reports no CUDA device";
    return p;
  }
  if (p.driverVersion / 1000 < p.runtimeVersion / 1000) {
    p.reason = "the NVIDIA driver supports CUDA " + versionString(p.driverVersion) +
               " but this addon was built with CUDA " + versionString(p.runtimeVersion) +
               "; update the driver or rebuild the addon with an older toolkit";
    return p;
  }
  p.ok = true;
  return p;
}

DeviceInfo initDevice(int index, int* cublasVersion, std::string* cublasPath) {
  if (g_ready) {
    if (index != g_info.index) {
      throwMsg("cuda: init: device " + std::to_string(g_info.index) +
               " is already in use by this process; one device per process");
    }
    *cublasVersion = g_cublasVersion;
    *cublasPath = g_cublasPath;
    return g_info;
  }
  const DriverProbe p = probeDriver();
  if (!p.ok) throwMsg("cuda: " + p.reason);
  if (index < 0 || index >= p.deviceCount) {
    throwMsg("cuda: device " + std::to_string(index) + " does not exist (this machine has " +
             std::to_string(p.deviceCount) + "; INDRNN_CUDA_DEVICE selects one)");
  }
  CUDA_CHECK("init", cudaSetDevice(index));
  cudaDeviceProp prop;
  CUDA_CHECK("init", cudaGetDeviceProperties(&prop, index));
  CUDA_CHECK("init", cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking));
  g_smCount = prop.multiProcessorCount;
  initMemory();

  // One tiny kernel proves the fat binary has code for this GPU before any real work is queued.
  void* probe = nullptr;
  CUDA_CHECK("init", cudaMallocAsync(&probe, 4, g_stream));
  cudaError_t e = cudaSuccess;
  try {
    fillInline(static_cast<uint32_t*>(probe), 1, InlineWords{});
    e = cudaStreamSynchronize(g_stream);
  } catch (const CudaError&) {
    e = cudaErrorNoKernelImageForDevice;  // the launch itself was refused
  }
  cudaFreeAsync(probe, g_stream);
  if (e != cudaSuccess) {
    cudaGetLastError();
    throwMsg("cuda: init: a test kernel failed with " + std::string(cudaGetErrorName(e)) + " on " +
             prop.name + " (compute capability " + std::to_string(prop.major) + "." +
             std::to_string(prop.minor) + "); rebuild with INDRNN_CUDA_ARCHS=" +
             std::to_string(prop.major * 10 + prop.minor) + " npm run rebuild -w @indrnn/cuda");
  }

  const std::string why = loadCublas(&g_cublasVersion, &g_cublasPath);
  if (!why.empty()) throwMsg("cuda: " + why);
  g_info = DeviceInfo{
      index, prop.name, prop.major, prop.minor, prop.multiProcessorCount, prop.totalGlobalMem};
  g_ready = true;
  *cublasVersion = g_cublasVersion;
  *cublasPath = g_cublasPath;
  return g_info;
}

}  // namespace icu
