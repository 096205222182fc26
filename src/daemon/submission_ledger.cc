// daemon/submission_ledger.cc — the per-uid counts behind one mutex. A message's time stays in
// its uid's deque, kept sorted, for kWindow after its admission; the deque is trimmed when the
// uid asks again, and every kSweepEvery a sweep trims every uid and drops the idle ones, so a
// host with many uids keeps only those active in the last hour.
#include "daemon/submission_ledger.h"

#include <algorithm>
#include <utility>

namespace rm {
namespace {

constexpr std::chrono::minutes kSweepEvery{1};

// Drops the times that are kWindow old or older at `now`.
void expire(std::deque<MonoTime>& sent, MonoTime now) {
  while (!sent.empty() && sent.front() <= now - SubmissionLedger::kWindow) {
    sent.pop_front();
  }
}

}  // namespace

SubmissionLedger::Ticket::Ticket(Ticket&& other) noexcept
    : ledger_(std::exchange(other.ledger_, nullptr)), uid_(other.uid_) {}

SubmissionLedger::Ticket& SubmissionLedger::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    ledger_ = std::exchange(other.ledger_, nullptr);
    uid_ = other.uid_;
  }
  return *this;
}

SubmissionLedger::Ticket::~Ticket() {
  release();
}

void SubmissionLedger::Ticket::release() {
  if (ledger_ != nullptr) {
    std::exchange(ledger_, nullptr)->end_connection(uid_);
  }
}

SubmissionLedger::Slot::Slot(Slot&& other) noexcept
    : ledger_(std::exchange(other.ledger_, nullptr)), uid_(other.uid_), at_(other.at_) {}

SubmissionLedger::Slot& SubmissionLedger::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    give_back();
    ledger_ = std::exchange(other.ledger_, nullptr);
    uid_ = other.uid_;
    at_ = other.at_;
  }
  return *this;
}

SubmissionLedger::Slot::~Slot() {
  give_back();
}

void SubmissionLedger::Slot::give_back() {
  if (ledger_ != nullptr) {
    std::exchange(ledger_, nullptr)->give_back(uid_, at_);
  }
}

std::optional<SubmissionLedger::Ticket> SubmissionLedger::admit_connection(uid_t uid,
                                                                           uint32_t limit) {
  std::lock_guard lock(mu_);
  auto it = usage_.find(uid);
  uint32_t open = it != usage_.end() ? it->second.connections : 0;
  if (limit != 0 && open >= limit) {
    return std::nullopt;
  }
  ++usage_[uid].connections;
  return Ticket(this, uid);
}

std::optional<SubmissionLedger::Slot> SubmissionLedger::admit_message(uid_t uid, uint32_t per_hour,
                                                                      MonoTime now) {
  std::lock_guard lock(mu_);
  sweep_locked(now);
  if (per_hour == 0) {
    return Slot(nullptr, uid, now);
  }
  auto it = usage_.find(uid);
  if (it != usage_.end()) {
    expire(it->second.sent, now);
    if (it->second.sent.size() >= per_hour) {
      return std::nullopt;
    }
  }
  std::deque<MonoTime>& sent = usage_[uid].sent;
  // Callers read their clocks before taking the lock: keep the times in order all the same.
  sent.insert(std::upper_bound(sent.begin(), sent.end(), now), now);
  return Slot(this, uid, now);
}

uint32_t SubmissionLedger::connections(uid_t uid) const {
  std::lock_guard lock(mu_);
  auto it = usage_.find(uid);
  return it != usage_.end() ? it->second.connections : 0;
}

size_t SubmissionLedger::messages(uid_t uid, MonoTime now) const {
  std::lock_guard lock(mu_);
  auto it = usage_.find(uid);
  if (it == usage_.end()) {
    return 0;
  }
  const std::deque<MonoTime>& sent = it->second.sent;
  return static_cast<size_t>(
      std::count_if(sent.begin(), sent.end(), [&](MonoTime t) { return t > now - kWindow; }));
}

size_t SubmissionLedger::uids() const {
  std::lock_guard lock(mu_);
  return usage_.size();
}

void SubmissionLedger::end_connection(uid_t uid) {
  std::lock_guard lock(mu_);
  auto it = usage_.find(uid);
  if (it == usage_.end() || it->second.connections == 0) {
    return;  // cannot happen: a ticket holds its uid's entry
  }
  --it->second.connections;
  forget_if_idle_locked(it);
}

void SubmissionLedger::give_back(uid_t uid, MonoTime at) {
  std::lock_guard lock(mu_);
  auto it = usage_.find(uid);
  if (it == usage_.end()) {
    return;  // expired and swept already
  }
  std::deque<MonoTime>& sent = it->second.sent;
  // Equal times are interchangeable: removing any one of them gives this slot back.
  if (auto t = std::lower_bound(sent.begin(), sent.end(), at); t != sent.end() && *t == at) {
    sent.erase(t);
  }
  forget_if_idle_locked(it);
}

void SubmissionLedger::forget_if_idle_locked(Map::iterator it) {
  if (it->second.connections == 0 && it->second.sent.empty()) {
    usage_.erase(it);
  }
}

void SubmissionLedger::sweep_locked(MonoTime now) {
  if (now < next_sweep_) {
    return;
  }
  next_sweep_ = now + kSweepEvery;
  for (auto it = usage_.begin(); it != usage_.end();) {
    expire(it->second.sent, now);
    auto next = std::next(it);
    forget_if_idle_locked(it);
    it = next;
  }
}

}  // namespace rm
