// Tests for core/clock.h: the boot id's form, SystemClock's boot time read from the kernel, and
// wall time in seconds and microseconds from the same clock.
#include "core/clock.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace rm {
namespace {

TEST(Clock, BootIdForm) {
  struct Case {
    const char* id;
    bool valid;
  };
  const Case kCases[] = {
      {.id = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f", .valid = true},
      {.id = "", .valid = false},
      {.id = "3F1C2D4E-5A6B-4C7D-8E9F-0A1B2C3D4E5F",
       .valid = false},  // the kernel writes lower case
      {.id = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5", .valid = false},
      {.id = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f0", .valid = false},
      {.id = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5g", .valid = false},
      {.id = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5\n", .valid = false},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.id);
    EXPECT_EQ(is_valid_boot_id(c.id), c.valid);
  }
}

TEST(Clock, SystemClockReadsTheKernelBootTime) {
  std::string want;
  std::getline(std::ifstream("/proc/sys/kernel/random/boot_id"), want);
  ASSERT_TRUE(is_valid_boot_id(want)) << "Linux has had /proc/sys/kernel/random/boot_id since 2.6";
  SystemClock clock;
  const BootTime a = clock.boot();
  const BootTime b = clock.boot();
  EXPECT_EQ(a.id, want);
  EXPECT_EQ(b.id, a.id);
  EXPECT_GT(a.seconds, 0);
  EXPECT_GE(b.seconds, a.seconds);
  EXPECT_EQ(SystemClock().boot().id, a.id) << "one id per boot, whichever process reads it";
}

// wall() and wall_micros() read the same clock: a reading in microseconds falls between the
// seconds read before and after it.
TEST(Clock, SystemClockWallSecondsAndMicrosAgree) {
  SystemClock clock;
  for (int i = 0; i < 100000; ++i) {
    const int64_t before = clock.wall();
    const int64_t micros = clock.wall_micros();
    const int64_t after = clock.wall();
    ASSERT_LE(before, micros / 1000000) << "reading " << i;
    ASSERT_LE(micros / 1000000, after) << "reading " << i;
  }
}

// A clock that keeps whole seconds only gets whole-second microseconds.
TEST(Clock, WallMicrosDefaultsToWholeSeconds) {
  class SecondsClock final : public Clock {
   public:
    MonoTime mono() const override { return std::chrono::steady_clock::now(); }
    int64_t wall() const override { return 1700000000; }
    BootTime boot() const override { return {}; }
  };
  EXPECT_EQ(SecondsClock().wall_micros(), int64_t{1700000000} * 1000000);
}

}  // namespace
}  // namespace rm
