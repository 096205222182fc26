#include "relay/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace rm {

BackoffWindow backoff_window(const RetryConfig& retry, uint32_t attempts) {
  const int64_t first = std::max<int64_t>(1, retry.first.count());
  const int64_t cap = std::max<int64_t>(first, retry.max.count());
  int64_t nominal = first;
  for (uint32_t i = 1; i < attempts && nominal < cap; ++i) {
    nominal *= 2;
  }
  nominal = std::min(nominal, cap);
  const int64_t spread = nominal / 10;  // ±10 %
  return BackoffWindow{std::max(first, nominal - spread), std::min(cap, nominal + spread)};
}

int64_t next_attempt_time(const RetryConfig& retry, uint32_t attempts, int64_t now, double u) {
  const BackoffWindow w = backoff_window(retry, attempts);
  if (!(u >= 0.0)) {  // also NaN
    u = 0.0;
  }
  const auto width = static_cast<double>(w.hi - w.lo + 1);
  auto offset = static_cast<int64_t>(std::floor(u * width));
  return now + std::clamp<int64_t>(w.lo + offset, w.lo, w.hi);
}

bool lifetime_expired(const RetryConfig& retry, int64_t created, int64_t now) {
  return now - created > retry.lifetime.count();
}

}  // namespace rm
