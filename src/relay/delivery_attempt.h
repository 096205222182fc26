// relay/delivery_attempt.h — one attempt to deliver one queue entry, on one thread, sharing no
// state with any other attempt: lock and load the entry, open its message (to failed/ when its
// size is not the one recorded at commit), expire it past retry.lifetime, send it over a
// session the caller holds (or fail it with the error met instead of a session), apply each
// recipient's outcome, queue the bounce for what failed for good (mail/dsn.h; never for a
// bounce or against NOTIFY; to `admin` when the sender has no real domain) and, once per entry,
// the delay warning for what is still to do (relay/retry_policy.h delay_warning(); same rules,
// the entry marked warned in the same write), and record its new state on disk with its fsync
// — all but removing a delivered entry, which the caller batches (QueueStore::remove_each)
// before it releases the lock. Until then nothing else may happen for the entry: the lock is
// held and the outcome unreported.
// Errors: spool problems met while recording are collected in errors(); the outcome says what
// happened to the message. Never logs.
// Threads: an attempt belongs to one thread at a time; attempts of different entries may run at
// once over the same store, clock and config (read only, or thread-safe as FsQueueStore is).
// Not here: which entries to try and on which connection (relay/queue_runner.h), what an error
// means (relay/classify.h), backoff, lifetime and warning maths (relay/retry_policy.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "mail/dsn.h"
#include "queue/queue_store.h"
#include "relay/entry_outcome.h"
#include "relay/retry_policy.h"
#include "smtp/smtp_client.h"

namespace rm {

// What every attempt borrows; shared by attempts on several threads, so all of it is read-only
// or thread-safe.
struct AttemptEnv {
  std::shared_ptr<const Config>
      config;                   // the snapshot the run started with; a reload makes another
  const std::string& hostname;  // names us in bounces (Reporting-MTA, MAILER-DAEMON@hostname)
  QueueStore& store;
  const Clock& clock;
};

class DeliveryAttempt {
 public:
  // How conclude() left the entry.
  enum class Recorded { deferred, failed, done };

  // Locks `id`, loads its state as it is now and opens its message for send(). nullopt when
  // another runner holds it or it was finished since it was listed. A message whose size is not
  // the one its entry records (truncated or grown since commit) is never sent: the entry is
  // moved to failed/ and the error (Errc::spool_corrupt) names the id and both sizes.
  static Result<std::optional<DeliveryAttempt>> begin(const AttemptEnv& env, std::string_view id);

  const QueueEntry& entry() const { return entry_; }
  EntryOutcome& outcome() { return out_; }
  const EntryOutcome& outcome() const { return out_; }
  std::vector<Error>& errors() { return errors_; }

  // Before any connection: an entry that outlived retry.lifetime fails what is still to do with
  // 4.4.7 and is not attempted. True when it did.
  bool expire_unattempted();
  // What a send() left of the session.
  enum class SessionAfter {
    untouched,  // nothing was sent (the message could not be opened)
    reusable,   // a transaction ended with a reply: it may carry another
    broken,     // the connection failed mid-way: close it
  };
  // The transaction for the recipients still to do over `client`, streaming the message begin()
  // opened and checked. Once per attempt.
  SessionAfter send(SmtpClient& client, const Account& account);
  // No session could be had for the attempt: every recipient still to do takes `err`.
  void fail(const Error& err, const std::string& relay = "");
  // Expiry (counting this attempt), the bounce, the delay warning (a new entry committed before
  // the entry that owes it is marked warned: a crash in between may give a second warning,
  // never none), then the entry's new state on disk; `random`
  // jitters the next try (relay/retry_policy.h; one draw, only for a deferral). `done`: every
  // recipient has its answer, and the caller removes the entry. The outcome is then complete.
  Recorded conclude(RandomSource& random);
  // Lets another runner have the entry. Only after conclude() and, for `done`, the removal.
  void release() { lock_.reset(); }

 private:
  DeliveryAttempt(const AttemptEnv& env, std::unique_ptr<EntryLock> lock, QueueEntry entry,
                  Result<UniqueFd> content);
  // Fails what is still to do with 4.4.7 when the entry has outlived retry.lifetime;
  // `attempts` is the count the DSN quotes.
  bool expire(uint32_t attempts);
  void apply(const TransactionResult& tr, const std::vector<size_t>& idx);
  // False when a bounce was due but could not be queued (the spool is full or failing).
  bool bounce();
  // Queues the delay warning when one is due and marks entry_ warned; when it cannot be queued
  // the entry stays unwarned and the next attempt tries again.
  void warn();
  // Where this entry's DSNs go: its sender, or `admin` for a sender without a real domain; ""
  // when neither can take one.
  std::string dsn_to() const;
  // `in` (its action and recipients set) completed for this entry, written to `to` as a new
  // entry from <> and committed; the new entry's id.
  Result<std::string> queue_dsn(DsnInput in, const std::string& to);
  Recorded record(RandomSource& random);

  const AttemptEnv* env_;
  std::unique_ptr<EntryLock> lock_;
  QueueEntry entry_;
  Result<UniqueFd> content_;  // the .msg, or why it could not be opened (send() fails with it)
  std::vector<bool> failed_before_;  // per recipient, failed before this attempt
  EntryOutcome out_;
  bool attempted_ = true;  // false: expired without a delivery attempt
  std::vector<Error> errors_;
};

}  // namespace rm
