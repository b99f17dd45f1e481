// Per-entry-point GPU time, for finding what dominates a training step on the device: while on,
// every addon call that queues work is bracketed by two CUDA events on the stream, and
// takeProfile() adds up the elapsed times by entry name. Off by default: events cost a little.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace icu {

void setProfiling(bool on);
bool profiling();

/** Records the start event on construction and the stop event on destruction (when on). */
class ProfileScope {
 public:
  explicit ProfileScope(const char* name);
  ~ProfileScope();
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  int slot_ = -1;
};

struct ProfileTotal {
  std::string name;
  int64_t calls;
  double ms;
};

/** Waits for the stream, returns the totals since the last call (largest first) and resets them. */
std::vector<ProfileTotal> takeProfile();

}  // namespace icu
