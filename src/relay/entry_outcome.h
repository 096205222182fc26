// relay/entry_outcome.h — what one delivery attempt did to one queue entry, and the one line
// that reports it (the log of the one-shot run and of the daemon, `relaymail flush`'s output).
// Plain data and a pure function. Thread-compatible.
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
  // The id of the delay warning this attempt queued, or why none was sent when one was due.
  std::string warning;
  std::string no_warning;
};

// "4F2A…: to=<a@b> relay=127.0.0.1:587 tls=TLSv1.3 delay=2 attempts=1 status=sent ...", then
// "bounce=ID" or "bounce=none no_bounce=..." and "warning=ID" or "warning=none no_warning=..."
// when there was one to send.
std::string outcome_line(const EntryOutcome& o);

}  // namespace rm
