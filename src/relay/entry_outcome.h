// relay/entry_outcome.h — what one delivery attempt did to one queue entry, as reported to
// whoever runs the queue (one line per entry: oneshot/queue_run.h outcome_line()).
// Plain data. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "queue/queue_entry.h"

namespace rm {

enum class EntryResult { delivered, deferred, failed, partial, busy };
const char* entry_result_name(EntryResult r);  // "sent" | "deferred" | "failed" | ...

struct EntryOutcome {
  std::string id;
  EntryResult result = EntryResult::deferred;
  std::vector<RcptEntry> rcpts;  // state after this attempt
  std::string sender;
  std::string relay;   // peer, e.g. "127.0.0.1:587"
  std::string tls;     // "TLSv1.3" or ""
  std::string dsn;     // status of the last failure, e.g. "4.4.1"
  std::string reason;  // last failure text
  uint32_t attempts = 0;
  int64_t next_try = 0;
  double delay = 0;       // seconds since the entry was created
  std::string bounce;     // id of the bounce queued for newly failed recipients, if any
  std::string no_bounce;  // why no bounce was sent for them, if none was
};

}  // namespace rm
