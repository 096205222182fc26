#include "relay/entry_outcome.h"

#include "core/error.h"
#include "log/kv.h"

namespace rm {

const char* entry_result_name(EntryResult r) {
  switch (r) {
    case EntryResult::delivered:
      return "sent";
    case EntryResult::deferred:
      return "deferred";
    case EntryResult::failed:
      return "failed";
    case EntryResult::partial:
      return "partial";
    case EntryResult::busy:
      return "busy";
  }
  return "?";
}

std::string outcome_line(const EntryOutcome& o) {
  std::string line = o.id + ":";
  for (const RcptEntry& r : o.rcpts) {
    line += " to=<" + r.addr + ">";
  }
  line += " relay=" + (o.relay.empty() ? std::string("none") : o.relay);
  if (!o.tls.empty()) {
    line += " tls=" + o.tls;
  }
  line +=
      format(" delay=%.0f attempts=%u status=%s", o.delay, o.attempts, entry_result_name(o.result));
  if (o.result != EntryResult::delivered) {
    line += " dsn=" + o.dsn + " reason=" + kv_quote(o.reason);
  }
  if (!o.bounce.empty()) {
    line += " bounce=" + o.bounce;
  } else if (!o.no_bounce.empty()) {
    line += " bounce=none no_bounce=" + kv_quote(o.no_bounce);
  }
  if (!o.warning.empty()) {
    line += " warning=" + o.warning;
  } else if (!o.no_warning.empty()) {
    line += " warning=none no_warning=" + kv_quote(o.no_warning);
  }
  return line;
}

}  // namespace rm
