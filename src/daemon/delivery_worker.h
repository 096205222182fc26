// daemon/delivery_worker.h — the daemon's delivery: takes each entry from the Scheduler when it
// is due, attempts it (relay/delivery_attempt.h) on a session of the daemon's ConnectionPool,
// removes it when done, reports one line per attempt, and schedules what was deferred at its
// next try (retry.* exactly as the one-shot runs; an entry past its lifetime bounces at once),
// and schedules at once the DSNs an attempt queued (bounces, delay warnings).
// Contract: an entry's state is on disk before it is scheduled again or reported.
// Errors: logged once here, one line each (this is the layer that decides: try again later).
// Threads: run() is one worker thread; several may share a Scheduler, pool and store.
// An entry deferred only for want of its smarthost waits in the NetworkWaiters; an attempt that
// reaches the account sends every such entry of it at once (the network is back).
// Not here: noticing address and route changes (daemon/network_watch.h), the one-shot run
// (relay/queue_runner.h).
#pragma once

#include <functional>
#include <string>

#include "daemon/config_holder.h"
#include "daemon/network_waiters.h"
#include "daemon/scheduler.h"
#include "log/logger.h"
#include "relay/connection_pool.h"
#include "relay/delivery_attempt.h"
#include "relay/entry_outcome.h"

namespace rm {

struct DeliveryDeps {
  ConfigHolder& config;
  const std::string& hostname;
  QueueStore& store;
  const Clock& clock;
  Scheduler& scheduler;
  ConnectionPool& pool;
  Logger& log;
  std::function<void(const EntryOutcome&)> on_outcome;  // after the log line; may be empty
  NetworkWaiters* waiters = nullptr;  // entries waiting for the network; may be null
};

class DeliveryWorker {
 public:
  explicit DeliveryWorker(DeliveryDeps deps) : d_(std::move(deps)) {}
  // Until the Scheduler stops.
  void run();
  enum class Attempted { yes, busy, skipped };
  // One due entry, now. busy: every session of its account is leased, the entry is untouched
  // and the caller decides when to try again; skipped: locked by another, or gone.
  Attempted attempt(const std::string& id);

 private:
  void schedule_again(const EntryOutcome& out);
  void note_network(const Account* acc, bool reached, const DeliveryAttempt& a,
                    DeliveryAttempt::Recorded rec);

  DeliveryDeps d_;
  SystemRandom random_;
};

}  // namespace rm
