// relay/retry_policy.h — when to try a deferred entry again: exponential backoff from
// retry.first, doubling per attempt, capped at retry.max. (Jitter and the lifetime bounce
// arrive with the reliability issue.) Pure; thread-safe.
#pragma once

#include <cstdint>

#include "config/config.h"

namespace rm {

// `attempts` counts the attempt that just failed (1 after the first failure).
int64_t next_attempt_time(const RetryConfig& retry, uint32_t attempts, int64_t now);

}  // namespace rm
