// core/clock.h — time as the rest of relaymail sees it. Deadlines are on the monotonic clock
// (waiting); wall time is for lifetimes, Date: headers and the spool. Clock is the seam tests
// replace. No I/O beyond reading the clocks. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace rm {

using MonoTime = std::chrono::steady_clock::time_point;
using Deadline = MonoTime;
using Millis = std::chrono::milliseconds;

inline Deadline deadline_after(Millis d) {
  return std::chrono::steady_clock::now() + d;
}

// Milliseconds left until d, clamped to [0, INT32_MAX] (suits poll()).
int millis_left(Deadline d);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime mono() const = 0;
  // Seconds since the epoch.
  virtual int64_t wall() const = 0;
};

class SystemClock final : public Clock {
 public:
  MonoTime mono() const override { return std::chrono::steady_clock::now(); }
  int64_t wall() const override;
};

}  // namespace rm
