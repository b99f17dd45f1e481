// See profile.h. Event pairs come from a free list and go back to it when takeProfile resolves
// them, so a long profiled run creates only as many events as one step has calls.
#include "profile.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "common.h"

namespace icu {
namespace {

struct Pending {
  const char* name;
  cudaEvent_t start, stop;
};

bool g_on = false;
std::vector<Pending> g_pending;
std::vector<std::pair<cudaEvent_t, cudaEvent_t>> g_free;

std::pair<cudaEvent_t, cudaEvent_t> takeEvents() {
  if (!g_free.empty()) {
    auto e = g_free.back();
    g_free.pop_back();
    return e;
  }
  std::pair<cudaEvent_t, cudaEvent_t> e;
  CUDA_CHECK("profile", cudaEventCreateWithFlags(&e.first, 0));  // timing events
  CUDA_CHECK("profile", cudaEventCreateWithFlags(&e.second, 0));
  return e;
}

}  // namespace

void setProfiling(bool on) {
  g_on = on;
}

bool profiling() {
  return g_on;
}

ProfileScope::ProfileScope(const char* name) {
  if (!g_on) return;
  // calls that queue nothing on the stream (or read the profile itself) are not timed
  for (const char* control : {"takeProfile", "setProfiling", "probe", "init", "memoryStats",
                              "setCollector", "setTf32"}) {
    if (std::strcmp(name, control) == 0) return;
  }
  const auto e = takeEvents();
  CUDA_CHECK("profile", cudaEventRecord(e.first, stream()));
  g_pending.push_back({name, e.first, e.second});
  slot_ = int(g_pending.size()) - 1;
}

ProfileScope::~ProfileScope() {
  // a destructor must not throw: a failed record leaves the pair unresolved (reported as 0 ms)
  if (slot_ >= 0 && cudaEventRecord(g_pending[size_t(slot_)].stop, stream()) != cudaSuccess) {
    cudaGetLastError();
  }
}

std::vector<ProfileTotal> takeProfile() {
  CUDA_CHECK("profile", cudaStreamSynchronize(stream()));
  std::map<std::string, ProfileTotal> totals;
  for (const Pending& p : g_pending) {
    float ms = 0.f;
    if (cudaEventElapsedTime(&ms, p.start, p.stop) != cudaSuccess) {
      cudaGetLastError();
      ms = 0.f;
    }
    ProfileTotal& t = totals[p.name];
    t.name = p.name;
    t.calls++;
    t.ms += double(ms);
    g_free.push_back({p.start, p.stop});
  }
  g_pending.clear();
  std::vector<ProfileTotal> out;
  for (auto& [name, t] : totals) out.push_back(t);
  std::sort(out.begin(), out.end(), [](const ProfileTotal& a, const ProfileTotal& b) {
    return a.ms > b.ms;
  });
  return out;
}

}  // namespace icu
