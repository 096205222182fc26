// daemon/submission_ledger.h — what each uid is doing on the submission socket, in memory: its
// open connections and its messages of the last hour, held against its Limits
// (daemon/uid_policy.h).
// Contract: admit_connection() gives a Ticket that holds one connection until destroyed, or
// nothing when `limit` are open. admit_message() gives a Slot, one of the messages of the hour
// before `now` (a sliding window), or nothing when `per_hour` are taken: take it before the
// spool commit and commit() it after; a Slot destroyed uncommitted is given back, so only
// messages accepted count, and a pending one already holds its place against a concurrent one.
// A limit of 0 admits always; such a message is not recorded. A uid with no connection and no
// message within the hour is forgotten. Tickets and slots must not outlive the ledger.
// Errors: none. Threads: every call, and tickets and slots, from any thread.
// Not here: what the limits are (daemon/uid_policy.h), reading the clock (callers pass `now`).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/clock.h"

namespace rm {

class SubmissionLedger {
 public:
  // One open connection of a uid; destroying it ends the connection.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

   private:
    friend class SubmissionLedger;
    Ticket(SubmissionLedger* ledger, uid_t uid) : ledger_(ledger), uid_(uid) {}
    void release();

    SubmissionLedger* ledger_;
    uid_t uid_;
  };

  // One message of a uid's hour: kept by commit(), given back when destroyed without it.
  class Slot {
   public:
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();
    void commit() { ledger_ = nullptr; }

   private:
    friend class SubmissionLedger;
    Slot(SubmissionLedger* ledger, uid_t uid, MonoTime at) : ledger_(ledger), uid_(uid), at_(at) {}
    void give_back();

    SubmissionLedger* ledger_;  // nullptr once committed, moved from, or not recorded
    uid_t uid_;
    MonoTime at_;
  };

  static constexpr std::chrono::hours kWindow{1};

  // nullopt when `uid` has `limit` connections open (0 = unlimited).
  std::optional<Ticket> admit_connection(uid_t uid, uint32_t limit);
  // nullopt when `uid` has `per_hour` messages, committed or pending, in the hour before `now`
  // (0 = unlimited).
  std::optional<Slot> admit_message(uid_t uid, uint32_t per_hour, MonoTime now);

  uint32_t connections(uid_t uid) const;
  // Committed and pending messages of `uid` in the hour before `now`.
  size_t messages(uid_t uid, MonoTime now) const;
  // The uids remembered (not yet forgotten).
  size_t uids() const;

 private:
  struct Usage {
    uint32_t connections = 0;
    std::deque<MonoTime> sent;  // admission times, oldest first; at most the per_hour in force
  };
  using Map = std::unordered_map<uid_t, Usage>;

  void end_connection(uid_t uid);
  void give_back(uid_t uid, MonoTime at);
  void forget_if_idle_locked(Map::iterator it);
  void sweep_locked(MonoTime now);

  mutable std::mutex mu_;
  Map usage_;
  MonoTime next_sweep_{};
};

}  // namespace rm
