// core/clock.h — time as the rest of relaymail sees it. Deadlines are on the monotonic clock
// (waiting); wall time is for Date: headers, arrival dates and what mailq shows; boot time
// (CLOCK_BOOTTIME, which keeps counting through suspend, plus the kernel's boot id) is what
// retry timing trusts across the short-lived processes of one boot (RELIABILITY.md §6 case 10):
// unlike wall time it never jumps when the clock is set, and unlike steady_clock its origin is
// shared by every process of the boot. Clock is the seam tests replace. No I/O beyond reading
// the clocks and, once per SystemClock, /proc/sys/kernel/random/boot_id. Thread-safe.
// Errors: none; an unreadable boot id reads as "" (unknown: callers fall back to wall time).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace rm {

using MonoTime = std::chrono::steady_clock::time_point;
using Deadline = MonoTime;
using Millis = std::chrono::milliseconds;

inline Deadline deadline_after(Millis d) {
  return std::chrono::steady_clock::now() + d;
}

// Milliseconds left until d, clamped to [0, INT32_MAX] (suits poll()).
int millis_left(Deadline d);

// Seconds since boot `id`. Two readings compare only when their ids are equal and not empty.
struct BootTime {
  std::string id{};     // the kernel's boot id (36 characters); "" = unknown
  int64_t seconds = 0;  // CLOCK_BOOTTIME, whole seconds
};

// The form of a kernel boot id: 36 characters, lower-case hex digits and '-'.
bool is_valid_boot_id(std::string_view id);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime mono() const = 0;
  // Seconds since the epoch.
  virtual int64_t wall() const = 0;
  // Microseconds since the epoch, from one reading of the clock (a queue id's time). The default
  // suits clocks that only keep whole seconds.
  virtual int64_t wall_micros() const { return wall() * 1000000; }
  virtual BootTime boot() const = 0;
};

// Wall and boot time read together, for decisions that weigh one against the other.
struct ClockReading {
  int64_t wall = 0;
  BootTime boot{};
};
inline ClockReading read_clock(const Clock& clock) {
  return ClockReading{clock.wall(), clock.boot()};
}

class SystemClock final : public Clock {
 public:
  SystemClock();  // reads the boot id
  MonoTime mono() const override { return std::chrono::steady_clock::now(); }
  int64_t wall() const override;
  int64_t wall_micros() const override;
  BootTime boot() const override;

 private:
  std::string boot_id_;
};

}  // namespace rm
