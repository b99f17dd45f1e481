// The NVIDIA driver probe and device set-up.
#pragma once

#include <string>

namespace icu {

struct DriverProbe {
  bool ok;
  std::string reason;  // why not, when !ok
  int driverVersion;   // e.g. 13000 for CUDA 13.0 (0 when unknown)
  int runtimeVersion;  // the CUDA runtime this addon was built with
  int deviceCount;
};

/**
 * Opens libcuda.so.1 with dlopen and asks it for devices (cuInit, cuDeviceGetCount), without
 * creating a context: cheap, and the reason is precise (no driver library, no device, a driver
 * older than the runtime). Never throws.
 */
DriverProbe probeDriver();

struct DeviceInfo {
  int index;
  std::string name;
  int major, minor;
  int smCount;
  size_t totalMemory;
};

/** Selects the device, creates the stream, the memory pool and cuBLAS; idempotent. Throws. */
DeviceInfo initDevice(int index, int* cublasVersion, std::string* cublasPath);

}  // namespace icu
