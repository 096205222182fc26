// queue/queue_entry.h — one spool entry's envelope and delivery state, as data. The on-disk
// form is queue/env_format.h; this header has no I/O. Addresses here are bare addr-specs
// (no angle brackets); the null sender is the empty string. Each time is kept twice: in wall
// seconds (what people read, and the fallback) and in boot seconds (core/clock.h BootTime),
// which retry timing trusts within one boot (relay/retry_policy.h decides).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace rm {

enum class RcptState { pending, sent, deferred, failed };
const char* rcpt_state_name(RcptState s);  // "pending" | "sent" | "deferred" | "failed"
// The inverse of rcpt_state_name(); nullopt for anything else (case-sensitive).
std::optional<RcptState> rcpt_state_from_name(std::string_view name);

struct RcptEntry {
  std::string addr;
  RcptState state = RcptState::pending;
  std::string last_reply;  // sanitised: printable ASCII only, no CR/LF, at most 512 octets
  bool operator==(const RcptEntry&) const = default;
};

struct QueueEntry {
  std::string id;  // core/ids.h
  uint32_t uid = 0;
  std::string sender;  // envelope sender; "" is the null sender <>
  std::vector<RcptEntry> rcpts;
  int64_t created = 0;   // wall seconds
  int64_t next_try = 0;  // wall seconds; 0 = now
  uint32_t attempts = 0;
  std::string last_error;  // sanitised like last_reply
  std::string account;     // account chosen at submission ("" = pick at delivery)
  uint64_t size = 0;       // bytes of the .msg file
  bool eightbit = false;   // the message has bytes >= 0x80
  // DSN parameters (RFC 3461) as given with -N/-R/-V; empty = not given.
  std::string dsn_notify;
  std::string dsn_ret;
  std::string dsn_envid;
  std::string body_type;  // "" | "7BIT" | "8BITMIME" (-B)
  // The boot the two times below count in (CLOCK_BOOTTIME seconds); "" = unknown (an entry
  // from before they were kept, or no readable boot id): only the wall times count.
  std::string boot_id{};
  int64_t created_boot = 0;   // negative when created in an earlier boot (rebased when rewritten)
  int64_t next_try_boot = 0;  // 0 = now
  int64_t warned = 0;         // wall seconds the delay warning was queued; 0 = never
  bool operator==(const QueueEntry&) const = default;

  bool has_pending() const;  // any recipient pending or deferred
};

// Marks a new entry as accepted at `wall` / `boot`, due at once.
void stamp_created(QueueEntry& e, int64_t wall, const BootTime& boot);

// The entry as `relaymail requeue` puts it back: attempts 0, next_try `now` (next_try_boot 0),
// every failed or
// deferred recipient pending again (sent ones stay sent); last replies and last_error are kept
// for the operator.
QueueEntry requeued(QueueEntry e, int64_t now);

}  // namespace rm
