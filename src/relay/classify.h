// relay/classify.h — THE one place that decides whether a failure is temporary (defer: try
// again later) or permanent (bounce), and which RFC 3463 status code describes it
// (RELIABILITY.md §2, STYLE.md §5.9). Network, DNS, TLS, timeouts, protocol errors, 4xx, AUTH
// failures and unavailable secrets defer; 5xx to MAIL/RCPT/DATA and "too big" bounce.
// Pure; thread-safe.
#pragma once

#include <string>

#include "core/error.h"

namespace rm {

enum class Disposition { defer, bounce };

Disposition classify(const Error& e);
// "5.1.1" from the reply's enhanced code when present, else derived from the class of failure.
std::string dsn_status(const Error& e);

}  // namespace rm
