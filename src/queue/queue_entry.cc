#include "queue/queue_entry.h"

#include <algorithm>

namespace rm {

namespace {

struct StateName {
  RcptState state;
  std::string_view name;
};

constexpr StateName kStateNames[] = {
    {RcptState::pending, "pending"},
    {RcptState::sent, "sent"},
    {RcptState::deferred, "deferred"},
    {RcptState::failed, "failed"},
};

}  // namespace

const char* rcpt_state_name(RcptState s) {
  for (const StateName& n : kStateNames) {
    if (n.state == s) {
      return n.name.data();
    }
  }
  return "?";
}

std::optional<RcptState> rcpt_state_from_name(std::string_view name) {
  for (const StateName& n : kStateNames) {
    if (n.name == name) {
      return n.state;
    }
  }
  return std::nullopt;
}

bool QueueEntry::has_pending() const {
  return std::any_of(rcpts.begin(), rcpts.end(), [](const RcptEntry& r) {
    return r.state == RcptState::pending || r.state == RcptState::deferred;
  });
}

void stamp_created(QueueEntry& e, int64_t wall, const BootTime& boot) {
  e.created = wall;
  e.next_try = 0;
  e.boot_id = boot.id;
  e.created_boot = boot.id.empty() ? 0 : boot.seconds;
  e.next_try_boot = 0;
}

QueueEntry requeued(QueueEntry e, int64_t now) {
  e.attempts = 0;
  e.next_try = now;
  e.next_try_boot = 0;  // due at once in any boot, like next_try `now`
  for (RcptEntry& r : e.rcpts) {
    if (r.state == RcptState::failed || r.state == RcptState::deferred) {
      r.state = RcptState::pending;
    }
  }
  return e;
}

}  // namespace rm
