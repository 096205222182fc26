// support/test_clock.h — the Clock tests set by hand (STYLE.md §4 seams): wall and boot time
// stand still until a test moves them; advance() moves both, as time passing does, while a test
// that steps the wall clock alone sets `now`. mono() is the real steady clock (deadlines stay
// real). Not thread-safe: plain public fields.
#pragma once

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
  BootTime boot() const override { return {boot_id, boot_seconds}; }
  void advance(int64_t seconds) {
    now += seconds;
    boot_seconds += seconds;
  }

  int64_t now;
  std::string boot_id = kTestBootId;
  int64_t boot_seconds = 1000;
};

}  // namespace rm::test
