#include "core/clock.h"

#include <climits>
#include <ctime>

namespace rm {

int millis_left(Deadline d) {
  auto left = std::chrono::duration_cast<Millis>(d - std::chrono::steady_clock::now()).count();
  if (left <= 0) {
    return 0;
  }
  return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

int64_t SystemClock::wall() const {
  return static_cast<int64_t>(::time(nullptr));
}

}  // namespace rm
