// daemon/queue_flusher.h — XFLUSH: every scheduled entry (or the named ones) attempted now,
// ignoring backoff and accounts marked down, on several threads, with one outcome line per
// attempt (relay/entry_outcome.h), the lines `relaymail flush` prints without the daemon.
// Contract: run() returns when every entry it took has been attempted; an entry another worker
// holds is left to it (no line); what is deferred goes back to the Scheduler at its next try.
// Errors: logged by the attempts (daemon/delivery_worker.h). Threads: run() may be called from
// any thread, also while another run is going on; it starts its own threads.
// Not here: who may flush (daemon/queue_commands.h), the regular schedule (delivery_worker.h).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "daemon/delivery_worker.h"

namespace rm {

class QueueFlusher {
 public:
  QueueFlusher(DeliveryDeps deps, size_t threads) : d_(std::move(deps)), threads_(threads) {}
  // `ids` empty: everything scheduled.
  std::vector<std::string> run(const std::vector<std::string>& ids);

 private:
  DeliveryDeps d_;
  size_t threads_;
};

}  // namespace rm
