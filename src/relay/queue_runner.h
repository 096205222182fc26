// relay/queue_runner.h — one queue run: take the due entries of the spool, deliver each over a
// session per account (reused across entries, RSET between), record every recipient's outcome
// (sent recipients are committed to the .env before anything else happens), reschedule what is
// deferred and set aside what failed for good. Outcomes are reported through a callback, one per
// entry; the caller (cli, daemon) decides what to log. Entries locked by another runner are
// skipped. Never logs. Not thread-safe.
// Not here: classification (relay/classify.h), backoff maths (relay/retry_policy.h), bounces
// (arrive with the reliability issue: failed entries are kept in failed/ for now).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "queue/queue_store.h"
#include "relay/connector.h"

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
  double delay = 0;  // seconds since the entry was created
};

struct RunSummary {
  size_t delivered = 0;
  size_t deferred = 0;
  size_t failed = 0;
  size_t busy = 0;
  std::vector<std::string> quarantined;
  std::vector<Error> errors;  // spool-level problems met during the run
};

class QueueRunner {
 public:
  QueueRunner(const Config& config, QueueStore& store, Connector& connector, const Clock& clock,
              std::function<void(const EntryOutcome&)> on_outcome);
  RunSummary run(const RunOptions& options);

 private:
  struct Session;
  const Account* account_for(const QueueEntry& entry) const;
  EntryOutcome deliver(const QueueEntry& listed, Session& session, RunSummary& summary);
  void apply(QueueEntry& entry, const TransactionResult& tr, const std::vector<size_t>& idx,
             EntryOutcome& out);
  void fail_all(QueueEntry& entry, const Error& err, EntryOutcome& out);
  void finish(QueueEntry& entry, EntryOutcome& out, RunSummary& summary);

  const Config& config_;
  QueueStore& store_;
  Connector& connector_;
  const Clock& clock_;
  std::function<void(const EntryOutcome&)> on_outcome_;
};

}  // namespace rm
