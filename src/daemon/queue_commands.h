// daemon/queue_commands.h — XQUEUE (mailq) and XFLUSH (the queue run) on the daemon's socket
// (submit/daemon_protocol.h), answered for one caller: a user sees only the entries it
// submitted; root and members of daemon.admin_group see all and may run the queue.
// Contract: each answer is one whole SMTP reply: a multi-line 250 (one listing or outcome line
// per reply line after "250-", then a last line of its own), or a single-line refusal
// (550 5.7.1 for a caller who may not flush, 501 for bad arguments, 451 when the spool cannot be
// listed). XFLUSH returns when its run is over.
// Errors: as replies; spool problems also logged once here. Threads: any; no state of its own.
// Not here: the attempts (daemon/queue_flusher.h), the listing's format (queue/queue_list.h).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/clock.h"
#include "daemon/queue_flusher.h"
#include "log/logger.h"
#include "queue/queue_store.h"

namespace rm {

struct QueueCaller {
  uid_t uid = 0;
  bool admin = false;
  std::string admin_group;  // named in the refusal; "" = root only
};

struct QueueCommandDeps {
  QueueStore& store;
  const Clock& clock;
  QueueFlusher& flusher;
  Logger& log;
};

// `verb` is XQUEUE (arg "" or "JSON") or XFLUSH (arg: queue ids, space-separated, or "").
std::string queue_command_reply(const QueueCommandDeps& d, const QueueCaller& who,
                                std::string_view verb, std::string_view arg);

// "250-line\r\n" for each line of `text` (its last LF optional), then "250 2.0.0 <last>\r\n".
std::string multiline_250(std::string_view text, std::string_view last);

}  // namespace rm
