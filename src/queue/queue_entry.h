// queue/queue_entry.h — one spool entry's envelope and delivery state, as data. The on-disk
// form is queue/env_format.h; this header has no I/O. Addresses here are bare addr-specs
// (no angle brackets); the null sender is the empty string.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  bool operator==(const QueueEntry&) const = default;

  bool has_pending() const;  // any recipient pending or deferred
};

// The entry as `relaymail requeue` puts it back: attempts 0, next_try `now`, every failed or
// deferred recipient pending again (sent ones stay sent); last replies and last_error are kept
// for the operator.
QueueEntry requeued(QueueEntry e, int64_t now);

}  // namespace rm
