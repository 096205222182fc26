// relay/queue_runner.h — one queue run: take the due entries of the spool and deliver them to
// their account's smarthost over up to Account::connections sessions at once, each reused across
// entries and reopened after the account's messages_per_connection; record every recipient's
// outcome (on disk — the .env rewritten or the entry removed, fsync included — before anything
// else happens for that entry), reschedule what is deferred, set aside what failed for good.
// No RSET after a completed transaction (smtp/smtp_client.h). Outcomes are reported through a
// callback, one per entry; the caller (cli, daemon) decides what to log. Entries locked by
// another runner are skipped. Never logs.
// Recipients that fail for good get one RFC 3464 bounce (mail/dsn.h) per entry and run, queued
// with the null sender before the entry's own state is updated (a crash may duplicate a bounce,
// never lose one) and delivered in the same run; never for a bounce (null sender) or when
// NOTIFY excludes FAILURE; to `admin` when the sender has no real domain. The failed entry
// itself is kept in failed/.
// Expiry (RELIABILITY.md §2): an entry older than retry.lifetime that still has pending or
// deferred recipients is not tried again — it is picked up even before its next_try, costs no
// connection, and those recipients fail with 4.4.7 (relay/classify.h expired_error()), one
// bounce as above. The same holds when an attempt ends in a deferral (e.g. the connection
// failed) after the lifetime ran out, so an outage that outlasts the lifetime bounces once.
//
// Threads. run() makes three passes (the due entries; those that waited only for the network,
// when this run reached their smarthost; the bounces it queued), and in each pass takes the
// accounts one after another. An account's entries of a pass are shared by min(connections,
// entries) workers: the calling thread and up to connections - 1 std::threads. Each worker owns
// one session (kept for the later passes) and takes the next entry from a shared index, so the
// order of outcomes is not the spool's. The first connection of an account in a run is opened
// alone: the other workers wait for it, and if it fails every entry of that account defers with
// its error, without another attempt (one connection attempt per run for an unreachable
// smarthost). A worker whose own connection cannot be (re)opened later hands its entry back,
// untouched, and stops, unless it is the last one, which then defers the rest as a single
// session would. A connection lost mid-transaction defers that transaction's entry only.
// Recording an attempt (bounce, .env update, move to failed/, each with its fsync, then the
// outcome report) is done by the worker before its session goes on, except for a delivered
// entry: that goes to the pass's committer thread, which removes all the delivered entries
// waiting (at most 2 per worker) with one fsync (QueueStore::remove_each) while the sessions
// go on. Until its state is on disk an entry stays locked and unreported: nothing else happens
// for it. A pass ends when its workers and its committer are joined. With one entry per worker
// there is no committer, and connections = 1 with a single entry runs on the calling thread.
// What the threads share, and how:
//  - `on_outcome` is called from the worker and committer threads, never two calls at a time (a
//    mutex): it may use state of its own without locking, but not state another thread uses;
//  - RunSummary: one per thread, merged after the join; the bounce list and the RandomSource
//    are behind the runner's mutex;
//  - the QueueStore gets calls for different entries at once (try_lock, load, open_content,
//    update, remove_each, move_to_failed, begin and commit): FsQueueStore allows that
//    (queue/fs_queue_store.h); one entry is only ever touched by the thread holding its lock;
//  - Connector::connect is called by several workers at once (relay/connector.h: NetConnector
//    is thread-safe); the Clock and the Config are only read.
// One run() at a time per QueueRunner.
// Not here: classification (relay/classify.h), backoff and lifetime maths, and which clock
// (boot or wall) decides an entry's age and due time (relay/retry_policy.h).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "queue/queue_store.h"
#include "relay/connector.h"
#include "relay/retry_policy.h"

namespace rm {

struct RunOptions {
  bool force = false;             // ignore next_try (flush, -q)
  std::vector<std::string> only;  // restrict to these ids (empty = all)
};

enum class EntryResult { delivered, deferred, failed, partial, busy };
const char* entry_result_name(EntryResult r);

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

struct RunSummary {
  size_t delivered = 0;
  size_t deferred = 0;
  size_t failed = 0;
  size_t busy = 0;
  std::vector<std::string> quarantined;
  std::vector<Error> errors;  // spool-level problems met during the run
  // Accounts whose session could not be opened in this run (each once), with the reason: a
  // refused login (Errc::auth) is the operator's to fix and deserves a loud line.
  std::vector<std::pair<std::string, Error>> account_failures;
};

class QueueRunner {
 public:
  // `hostname` names us in bounces (Reporting-MTA, From: MAILER-DAEMON@hostname). `random`
  // jitters the backoff; null = a SystemRandom of the runner's own (tests pass a fixed one).
  // `on_outcome` runs on the worker threads, one call at a time (see the header comment).
  QueueRunner(const Config& config, std::string hostname, QueueStore& store, Connector& connector,
              const Clock& clock, std::function<void(const EntryOutcome&)> on_outcome,
              RandomSource* random = nullptr);
  RunSummary run(const RunOptions& options);

 private:
  struct Session;
  struct AccountRun;
  struct Finish;
  struct Committer;
  enum class Opened { ready, failed, leave };
  enum class Attempt { skipped, handed_back, decided };

  const Account* account_for(const QueueEntry& entry) const;
  // One pass: `entries` grouped by account, in order, each account's over its workers.
  void pass(const std::vector<const QueueEntry*>& entries,
            std::map<std::string, AccountRun>& accounts, RunSummary& summary);
  void run_account(const Account* acc, AccountRun& ar, std::vector<const QueueEntry*> entries,
                   RunSummary& summary);
  static bool spawn(std::vector<std::thread>& threads, std::function<void()> fn);
  // One worker: takes entries until none is left or its session gives up. Delivered entries go
  // to `com` (when not null) to be removed; every other attempt is recorded on the spot.
  void work(const Account* acc, AccountRun& ar, Session& s, Committer* com, RunSummary& summary);
  void commit_removals(Committer& com, RunSummary& summary);
  // Records each attempt (expiry, bounce, the entry's new state, on disk; the removals of
  // delivered entries with one fsync), then reports each outcome and releases each lock.
  void finish(std::vector<Finish>& jobs, RunSummary& summary);
  const QueueEntry* take(AccountRun& ar);
  void give_back(AccountRun& ar, const QueueEntry* entry);
  // Locks and loads the entry and makes the attempt, leaving its outcome in `job` (decided);
  // skipped when the entry is busy; handed_back when the worker's session could not be opened
  // and the worker leaves (the entry is unlocked and untouched).
  Attempt deliver(const QueueEntry& listed, const Account* acc, AccountRun& ar, Session& s,
                  Finish& job, RunSummary& summary);
  // The SMTP transaction for the recipients still to do; the session is kept, reset or closed.
  void transact(QueueEntry& entry, const Account& acc, Session& s, EntryOutcome& out);
  Opened open_session(const Account& acc, AccountRun& ar, Session& s, RunSummary& summary);
  void report(const EntryOutcome& out);
  void apply(QueueEntry& entry, const TransactionResult& tr, const std::vector<size_t>& idx,
             EntryOutcome& out);
  void fail_all(QueueEntry& entry, const Error& err, EntryOutcome& out);
  // Fails the still pending or deferred recipients with 4.4.7 when the entry has outlived
  // retry.lifetime; `attempts` is the count the DSN text quotes. True when it did.
  bool expire(QueueEntry& entry, uint32_t attempts, EntryOutcome& out);
  // The end of every attempt: expiry, bounce, then the entry's new state. `attempted` = false
  // when no delivery was tried (the attempt counter stays as it is). An entry that is done is
  // not removed here but `remove_later` set: the caller removes it (finish(), in batches).
  void conclude(QueueEntry& entry, const std::vector<bool>& failed_before, EntryOutcome& out,
                RunSummary& summary, bool attempted, bool& remove_later);
  void record(QueueEntry& entry, EntryOutcome& out, RunSummary& summary, bool attempted,
              bool& remove_later);
  // Queues the bounce for the recipients of `entry` that failed in this attempt. False when one
  // was due but could not be queued (the spool is full or failing).
  bool bounce(const QueueEntry& entry, const std::vector<bool>& failed_before, EntryOutcome& out,
              RunSummary& summary);

  const Config& config_;
  std::string hostname_;
  QueueStore& store_;
  Connector& connector_;
  const Clock& clock_;
  std::function<void(const EntryOutcome&)> on_outcome_;
  SystemRandom own_random_;
  RandomSource& random_;
  std::mutex mu_;                         // random_ and new_bounces_
  std::vector<std::string> new_bounces_;  // queued during this run, delivered at its end
  std::mutex outcome_mu_;                 // one on_outcome_ call at a time
};

}  // namespace rm
