// Stand-in for libcuda.so.1 in the emulator build: the four driver entry points src/driver.cc
// opens with dlopen, reporting one device and a driver as new as the emulated runtime.
extern "C" {

__attribute__((visibility("default"))) int cuInit(unsigned flags) {
  return flags == 0 ? 0 : 1;  // CUDA_ERROR_INVALID_VALUE, as the driver answers
}
__attribute__((visibility("default"))) int cuDriverGetVersion(int* v) {
  if (v == nullptr) return 1;
  *v = 12080;
  return 0;
}
__attribute__((visibility("default"))) int cuDeviceGetCount(int* n) {
  if (n == nullptr) return 1;
  *n = 1;
  return 0;
}
__attribute__((visibility("default"))) int cuGetErrorName(int code, const char** name) {
  *name = code == 0 ? "CUDA_SUCCESS" : code == 1 ? "CUDA_ERROR_INVALID_VALUE" : "CUDA_ERROR_UNKNOWN";
  return 0;
}
}
