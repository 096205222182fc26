// relay/classify.h — THE one place that decides whether a failure is temporary (defer: try
// again later) or permanent (bounce), and which RFC 3463 status code describes it
// (RELIABILITY.md §2, STYLE.md §5.9). Network, DNS, TLS, timeouts, protocol errors, 4xx, AUTH
// failures, a refused OAuth2 grant and unavailable secrets defer; 5xx to MAIL/RCPT/DATA and "too
// big" bounce, and so does the end of the queue lifetime (expired_error(): 4.4.7, whatever the last
// error was). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"
#include "queue/queue_entry.h"

namespace rm {

enum class Disposition { defer, bounce };

Disposition classify(const Error& e);
// The state a recipient takes after `e`: failed when it bounces, deferred when it does not.
RcptState rcpt_state_after(const Error& e);
// "5.1.1" from the reply's enhanced code when present, else derived from the class of failure.
std::string dsn_status(const Error& e);
// The status of a reply recorded as text (RcptEntry::last_reply): "550 5.1.1 no such user" ->
// "5.1.1", "554 rejected" -> "5.0.0"; anything that is not a 4xx or 5xx reply -> `fallback`.
std::string reply_status(const std::string& reply, const std::string& fallback);

// The queue lifetime ran out while recipients were still pending or deferred (RELIABILITY.md
// §2): "message expired after N attempts; last error: <last_error>". classify() bounces it and
// dsn_status() gives 4.4.7 ("delivery time expired", RFC 3463). Errc::expired: only the queue
// decides that; a server's own "451 4.4.7" still defers.
Error expired_error(uint32_t attempts, const std::string& last_error);

}  // namespace rm
