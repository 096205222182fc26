#include "core/clock.h"

#include <climits>
#include <cstdio>
#include <ctime>
#include <memory>

namespace rm {

namespace {

// The boot id, or "" when it cannot be read or does not look like one. C stdio, not a raw fd
// (core/ sits below sys/ and its UniqueFd) and not an ifstream: iostreams would make every
// relaymail start-up build the C++ locales, about ten page faults.
std::string read_boot_id() {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(
      std::fopen("/proc/sys/kernel/random/boot_id", "re"), &std::fclose);
  char line[64] = {};
  if (!in || std::fgets(line, sizeof line, in.get()) == nullptr) {
    return {};
  }
  std::string id(line);
  if (!id.empty() && id.back() == '\n') {
    id.pop_back();
  }
  return is_valid_boot_id(id) ? id : std::string();
}

}  // namespace

int millis_left(Deadline d) {
  auto left = std::chrono::duration_cast<Millis>(d - std::chrono::steady_clock::now()).count();
  if (left <= 0) {
    return 0;
  }
  return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

bool is_valid_boot_id(std::string_view id) {
  if (id.size() != 36) {
    return false;
  }
  for (char ch : id) {
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || ch == '-')) {
      return false;
    }
  }
  return true;
}

SystemClock::SystemClock() : boot_id_(read_boot_id()) {}

// Both from CLOCK_REALTIME: time() reads the coarse clock, which can still show the last second
// when CLOCK_REALTIME has passed into the next.
int64_t SystemClock::wall() const {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec);
}

int64_t SystemClock::wall_micros() const {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

BootTime SystemClock::boot() const {
  struct timespec ts {};
  if (boot_id_.empty() || ::clock_gettime(CLOCK_BOOTTIME, &ts) != 0) {
    return {};
  }
  return BootTime{boot_id_, static_cast<int64_t>(ts.tv_sec)};
}

}  // namespace rm
