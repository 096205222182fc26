// relay/retry_policy.h — when to try a deferred entry again, when to warn its sender, and when
// to stop trying.
// Backoff: the nominal delay starts at retry.first and doubles per failed attempt up to
// retry.max; the actual delay is drawn uniformly from the ±10 % window around it, clipped to
// [retry.first, retry.max] (RELIABILITY.md §2). Expiry: an entry older than retry.lifetime is
// not tried again (the runner bounces it, 4.4.7). Delay warning: an entry still waiting after
// retry.warn earns its sender one RFC 3464 "delayed" DSN, decided by delay_warning().
// Clocks (RELIABILITY.md §6 case 10): an entry's age and due time are read on the boot clock
// (core/clock.h) when it was last written in this boot, so a stepped wall clock neither expires
// nor releases entries early; otherwise on wall time, never negative, and an entry due farther
// ahead than any backoff could put it (retry.max plus jitter) is due now.
// Threads: pure functions, thread-safe; the randomness is injected (RandomSource, not
// thread-safe) so tests are deterministic.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "queue/queue_entry.h"

namespace rm {

// Uniform draws in [0, 1). The seam tests replace.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual double uniform() = 0;
};

// A Mersenne twister seeded from std::random_device (no security need: only spreads retries).
class SystemRandom final : public RandomSource {
 public:
  SystemRandom() : gen_(std::random_device{}()) {}
  double uniform() override { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_); }

 private:
  std::mt19937_64 gen_;
};

// The delays (seconds, inclusive) a retry after `attempts` failures may be given:
// first ≤ lo ≤ hi ≤ max. `attempts` counts the attempt that just failed (1 after the first).
struct BackoffWindow {
  int64_t lo = 0;
  int64_t hi = 0;
};
BackoffWindow backoff_window(const RetryConfig& retry, uint32_t attempts);

// now + a delay in backoff_window(retry, attempts), picked by `u` in [0, 1) (clamped into it):
// u = 0 gives lo, u → 1 gives hi, each whole second equally likely.
int64_t next_attempt_time(const RetryConfig& retry, uint32_t attempts, int64_t now, double u);
inline int64_t next_attempt_time(const RetryConfig& retry, uint32_t attempts, int64_t now,
                                 RandomSource& random) {
  return next_attempt_time(retry, attempts, now, random.uniform());
}

// True when an entry created at `created` (wall seconds) has outlived retry.lifetime at `now`.
bool lifetime_expired(const RetryConfig& retry, int64_t created, int64_t now);

// True when the entry's boot times count in the boot `now` was read in.
bool same_boot(const QueueEntry& e, const ClockReading& now);

// Seconds since the entry was accepted, by the boot clock when same_boot(), else by the wall
// clock; never negative (a wall clock set back does not make an entry younger than new).
int64_t entry_age(const QueueEntry& e, const ClockReading& now);

// True when entry_age() is past retry.lifetime.
bool entry_expired(const RetryConfig& retry, const QueueEntry& e, const ClockReading& now);

// True when the entry's backoff is over: by the boot clock when same_boot(); else when wall
// `now` has reached next_try, or next_try is more than the longest backoff (retry.max + 10 %)
// ahead.
bool retry_due(const RetryConfig& retry, const QueueEntry& e, const ClockReading& now);

// True when the entry is waiting only for its smarthost to be reachable again: it has pending
// recipients, has been tried, and no recipient still pending holds a reply from a server (a
// last reply that does not start with an SMTP code: connection refused, timeout, no route, TLS
// handshake). A run that reaches the account's smarthost tries such entries at once, whatever
// their backoff says (the network is back); a server's own 4xx keeps its backoff.
bool awaits_network(const QueueEntry& e);

// Whether an entry, as an attempt leaves it, is owed its delay warning now, and for whom.
struct DelayWarning {
  bool due = false;
  std::vector<size_t> rcpts;  // indices into e.rcpts that the warning lists
  int64_t retry_until = 0;    // wall seconds when the entry's lifetime ends (Will-Retry-Until)
};

// Due once per entry: retry.warn is not 0, the sender is not null (a bounce is never warned
// about), e.warned is 0 (never warned), some recipient is still pending or deferred, and
// entry_age() has reached retry.warn. `rcpts` are those recipients when NOTIFY allows DELAY
// (not given, it does: mail/dsn.h must_not_warn()); empty when it does not, and the caller
// sends nothing but marks the entry warned all the same. retry_until is set when due: now
// plus what is left of retry.lifetime by entry_age().
DelayWarning delay_warning(const RetryConfig& retry, const QueueEntry& e, const ClockReading& now);

// Moves the boot times into the boot `now` was read in, as the rules above read them there:
// created_boot from entry_age() (negative when accepted in an earlier boot), next_try_boot 0
// when retry_due(), else now + the wall wait. Clears them when `now` has no boot id. Does
// nothing when same_boot(). Wall times are kept.
void rebase_boot(QueueEntry& e, const RetryConfig& retry, const ClockReading& now);

// rebase_boot(), then next_try and next_try_boot set to one delay drawn as next_attempt_time()
// draws it, for an entry that has failed e.attempts times.
void schedule_retry(QueueEntry& e, const RetryConfig& retry, const ClockReading& now, double u);

}  // namespace rm
