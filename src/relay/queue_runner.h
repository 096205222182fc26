// relay/queue_runner.h — one queue run: take the due entries of the spool, deliver each over a
// session per account (reused across entries, RSET between, reopened after the account's
// messages_per_connection), record every recipient's outcome
// (sent recipients are committed to the .env before anything else happens), reschedule what is
// deferred and set aside what failed for good. Outcomes are reported through a callback, one per
// entry; the caller (cli, daemon) decides what to log. Entries locked by another runner are
// skipped. Never logs. Not thread-safe.
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
// Not here: classification (relay/classify.h), backoff and lifetime maths, and which clock
// (boot or wall) decides an entry's age and due time (relay/retry_policy.h).
#pragma once

#include <functional>
#include <string>
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
  QueueRunner(const Config& config, std::string hostname, QueueStore& store, Connector& connector,
              const Clock& clock, std::function<void(const EntryOutcome&)> on_outcome,
              RandomSource* random = nullptr);
  RunSummary run(const RunOptions& options);

 private:
  struct Session;
  const Account* account_for(const QueueEntry& entry) const;
  EntryOutcome deliver(const QueueEntry& listed, Session& session, RunSummary& summary);
  void apply(QueueEntry& entry, const TransactionResult& tr, const std::vector<size_t>& idx,
             EntryOutcome& out);
  void fail_all(QueueEntry& entry, const Error& err, EntryOutcome& out);
  // Fails the still pending or deferred recipients with 4.4.7 when the entry has outlived
  // retry.lifetime; `attempts` is the count the DSN text quotes. True when it did.
  bool expire(QueueEntry& entry, uint32_t attempts, EntryOutcome& out);
  // The end of every attempt: expiry, bounce, then the entry's new state. `attempted` = false
  // when no delivery was tried (the attempt counter stays as it is).
  void conclude(QueueEntry& entry, const std::vector<bool>& failed_before, EntryOutcome& out,
                RunSummary& summary, bool attempted = true);
  void finish(QueueEntry& entry, EntryOutcome& out, RunSummary& summary, bool attempted);
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
  std::vector<std::string> new_bounces_;  // queued during this run, delivered at its end
};

}  // namespace rm
