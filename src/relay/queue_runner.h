// relay/queue_runner.h — the one-shot queue run (`relaymail flush`, `sendmail -q`, background
// delivery): which entries of the spool to attempt, in which order and on which connection.
// Three passes: the due entries (all of them with `force`); those that waited only for the
// network, when this run reached their smarthost; the DSNs this run queued. Each account's
// entries of a pass are shared by min(connections, entries) workers, each holding one session
// of the run's ConnectionPool; an unreachable smarthost costs one connection attempt per run and
// defers all its entries. Each entry is one DeliveryAttempt (relay/delivery_attempt.h); delivered
// entries are removed in batches, one fsync each, by a committer thread while the sessions go on.
// Outcomes are reported through a callback, one entry at a time; the caller decides what to log.
// Errors: spool problems are collected in RunSummary; never logs.
// Threads: on_outcome runs on worker and committer threads, never two calls at once. The store
// gets calls for different entries at once (FsQueueStore allows it); the Connector is called by
// several workers at once (NetConnector is thread-safe). One run() at a time per QueueRunner.
// Not here: an attempt itself (delivery_attempt.h), sessions (connection_pool.h), what an error
// means (classify.h), backoff and lifetime (retry_policy.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "queue/queue_store.h"
#include "relay/connection_pool.h"
#include "relay/connector.h"
#include "relay/delivery_attempt.h"
#include "relay/entry_outcome.h"
#include "relay/retry_policy.h"

namespace rm {

struct RunOptions {
  bool force = false;             // ignore next_try (flush, -q)
  std::vector<std::string> only;  // restrict to these ids (empty = all)
};

struct RunSummary {
  size_t delivered = 0;
  size_t deferred = 0;
  size_t failed = 0;
  size_t busy = 0;
  std::vector<std::string> quarantined;
  std::vector<std::string> orphans_removed;  // ids of message files without an entry, removed
  std::vector<Error> errors;                 // spool-level problems met during the run
  // Accounts whose session could not be opened in this run (each once), with the reason: a
  // refused login (Errc::auth) is the operator's to fix and deserves a loud line.
  std::vector<std::pair<std::string, Error>> account_failures;
};

class QueueRunner {
 public:
  // `hostname` names us in bounces (Reporting-MTA, From: MAILER-DAEMON@hostname). `random`
  // jitters the backoff; null = a SystemRandom of the runner's own (tests pass a fixed one).
  // `on_outcome` runs on the worker threads, one call at a time (see the header comment).
  // `config` is the snapshot the whole run uses, whatever reloads happen meanwhile.
  QueueRunner(std::shared_ptr<const Config> config, std::string hostname, QueueStore& store,
              Connector& connector, const Clock& clock,
              std::function<void(const EntryOutcome&)> on_outcome, RandomSource* random = nullptr);
  RunSummary run(const RunOptions& options);

 private:
  struct Slot;
  struct AccountRun;
  struct Committer;
  class LockedRandom;
  enum class Opened { ready, failed, leave };
  enum class Taken { skipped, handed_back, decided };

  const Account* account_for(const QueueEntry& entry) const;
  // One pass: `entries` grouped by account, in order, each account's over its workers.
  void pass(const std::vector<const QueueEntry*>& entries,
            std::map<std::string, AccountRun>& accounts, ConnectionPool& pool, RunSummary& summary);
  void run_account(const Account* acc, AccountRun& ar, ConnectionPool& pool,
                   std::vector<const QueueEntry*> entries, RunSummary& summary);
  static bool spawn(std::vector<std::thread>& threads, std::function<void()> fn);
  // One worker: takes entries until none is left or its session gives up. Delivered entries go
  // to `com` (when not null) to be removed; every other attempt is recorded on the spot.
  void work(const Account* acc, AccountRun& ar, Slot& slot, ConnectionPool& pool, Committer* com,
            RunSummary& summary);
  void commit_removals(Committer& com, RunSummary& summary);
  // Concludes each attempt (on disk; the removals of delivered entries with one fsync), then
  // reports each outcome and releases each lock.
  void finish(std::vector<DeliveryAttempt>& attempts, RunSummary& summary);
  const QueueEntry* take(AccountRun& ar);
  void give_back(AccountRun& ar, const QueueEntry* entry);
  // Locks and loads the entry and makes the attempt (decided, left in `attempt`); skipped when
  // the entry is busy; handed_back when the worker's session could not be opened and the worker
  // leaves (the entry is unlocked and untouched).
  Taken attempt(const QueueEntry& listed, const Account* acc, AccountRun& ar, Slot& slot,
                ConnectionPool& pool, std::optional<DeliveryAttempt>& attempt, RunSummary& summary);
  Opened open_session(const Account& acc, AccountRun& ar, Slot& slot, ConnectionPool& pool,
                      RunSummary& summary);
  void report(const EntryOutcome& out);

  std::shared_ptr<const Config> config_;
  std::string hostname_;
  QueueStore& store_;
  Connector& connector_;
  const Clock& clock_;
  AttemptEnv env_;
  std::function<void(const EntryOutcome&)> on_outcome_;
  SystemRandom own_random_;
  RandomSource& random_;
  std::mutex mu_;                         // random_ and new_bounces_
  std::vector<std::string> new_bounces_;  // DSNs queued during this run, delivered at its end
  std::mutex outcome_mu_;                 // one on_outcome_ call at a time
};

}  // namespace rm
