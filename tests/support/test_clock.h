// support/test_clock.h — the Clock tests set by hand (STYLE.md §4 seams): wall and boot time
// stand still until a test moves them; advance() moves both, as time passing does, while a test
// that steps the wall clock alone sets `now`. mono() is the real steady clock (deadlines stay
// real). wall_micros() is `now` plus `micros`, which each reading moves on by one microsecond
// (within the second), as a real clock moves between two readings: ids made while `now` stands
// still keep their order. Not thread-safe apart from `micros` (atomic): plain public fields.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "core/clock.h"

namespace rm::test {

inline constexpr char kTestBootId[] = "00000000-0000-4000-8000-000000000001";

class TestClock final : public Clock {
 public:
  explicit TestClock(int64_t wall) : now(wall) {}
  MonoTime mono() const override { return std::chrono::steady_clock::now(); }
  int64_t wall() const override { return now; }
  int64_t wall_micros() const override { return now * 1000000 + micros.fetch_add(1) % 1000000; }
  BootTime boot() const override { return {boot_id, boot_seconds}; }
  void advance(int64_t seconds) {
    now += seconds;
    boot_seconds += seconds;
  }

  int64_t now;
  mutable std::atomic<int64_t> micros{0};  // into the second `now`: the next wall_micros()
  std::string boot_id = kTestBootId;
  int64_t boot_seconds = 1000;
};

}  // namespace rm::test
