// Kernels with the defects the emulator exists to catch, each beside its correct twin. The test
// (test/emulator.test.mts) builds this with emu/build.cjs --selftest and checks that the emulator
// tells every pair apart, so a green emulated run means something.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>

namespace {

// Each thread publishes its index in shared memory and reads its mirror's: correct only with the
// barrier between the write and the read.
__global__ void mirror(int* out, bool sync) {
  __shared__ int s[256];
  s[threadIdx.x] = int(threadIdx.x);
  if (sync) __syncthreads();
  out[threadIdx.x] = s[blockDim.x - 1 - threadIdx.x];
}

// A warp sum by shuffles; with `early`, lane 0 returns first, which the full mask forbids.
__global__ void warpSumKernel(float* out, bool early) {
  if (early && threadIdx.x == 0) return;
  float v = 1.f;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  out[threadIdx.x] = v;
}

// Writes n + extra values into an n-element buffer.
__global__ void fill(float* p, int n) {
  for (int i = threadIdx.x; i < n; i += blockDim.x) p[i] = 1.f;
}

// Copies without initialising: a kernel that forgets to write reads garbage, never zeros.
__global__ void copyKernel(const float* in, float* out, int n) {
  for (int i = threadIdx.x; i < n; i += blockDim.x) out[i] = in[i];
}

int mirrorErrors(bool sync) {
  int* out = nullptr;
  cudaMallocAsync(reinterpret_cast<void**>(&out), 256 * sizeof(int), nullptr);
  mirror<<<1, 256, 0, nullptr>>>(out, sync);
  int host[256], errors = 0;
  cudaMemcpyAsync(host, out, sizeof(host), cudaMemcpyDeviceToHost, nullptr);
  for (int i = 0; i < 256; i++) errors += host[i] != 255 - i;
  cudaFreeAsync(out, nullptr);
  return errors;
}

}  // namespace

int main(int argc, char** argv) {
  // every line: a name and what the emulator reported, read by the test
  if (argc > 1 && std::strcmp(argv[1], "shuffle-lane-returned") == 0) {
    // in a process of its own: a failed kernel poisons the context, as on a GPU
    float* f = nullptr;
    cudaMallocAsync(reinterpret_cast<void**>(&f), 32 * sizeof(float), nullptr);
    warpSumKernel<<<1, 32, 0, nullptr>>>(f, true);
    std::printf("shuffle-lane-returned sync=%s\n", cudaGetErrorName(cudaStreamSynchronize(nullptr)));
    return 0;
  }
  std::printf("mirror-with-sync wrong=%d\n", mirrorErrors(true));
  std::printf("mirror-without-sync wrong=%d\n", mirrorErrors(false));

  float* f = nullptr;
  cudaMallocAsync(reinterpret_cast<void**>(&f), 64 * sizeof(float), nullptr);
  warpSumKernel<<<1, 32, 0, nullptr>>>(f, false);
  float sum = 0;
  cudaMemcpyAsync(&sum, f + 5, sizeof(float), cudaMemcpyDeviceToHost, nullptr);
  std::printf("shuffle-all-lanes error=%s sum=%g\n", cudaGetErrorName(cudaGetLastError()), sum);

  float* g = nullptr;
  cudaMallocAsync(reinterpret_cast<void**>(&g), 100 * sizeof(float), nullptr);
  float* h = nullptr;
  cudaMallocAsync(reinterpret_cast<void**>(&h), 100 * sizeof(float), nullptr);
  copyKernel<<<1, 64, 0, nullptr>>>(g, h, 100);
  float first = 0;
  cudaMemcpyAsync(&first, h, sizeof(float), cudaMemcpyDeviceToHost, nullptr);
  std::printf("fresh-memory is-nan=%d\n", first != first ? 1 : 0);

  fill<<<1, 64, 0, nullptr>>>(g, 100);
  std::printf("write-in-bounds free=%s\n", cudaGetErrorName(cudaFreeAsync(g, nullptr)));

  fill<<<1, 2048, 0, nullptr>>>(h, 100);
  std::printf("block-of-2048 launch=%s\n", cudaGetErrorName(cudaGetLastError()));

  fill<<<1, 64, 0, nullptr>>>(h, 101);
  std::printf("write-past-the-end free=%s\n", cudaGetErrorName(cudaFreeAsync(h, nullptr)));
  std::printf("after-the-fault sync=%s\n", cudaGetErrorName(cudaStreamSynchronize(nullptr)));
  return 0;
}
