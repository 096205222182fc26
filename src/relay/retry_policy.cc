#include "relay/retry_policy.h"

#include <algorithm>

namespace rm {

int64_t next_attempt_time(const RetryConfig& retry, uint32_t attempts, int64_t now) {
  int64_t delay = std::max<int64_t>(1, retry.first.count());
  int64_t cap = std::max<int64_t>(delay, retry.max.count());
  for (uint32_t i = 1; i < attempts && delay < cap; ++i) {
    delay *= 2;
  }
  return now + std::min(delay, cap);
}

}  // namespace rm
