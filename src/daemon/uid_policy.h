// daemon/uid_policy.h — what a caller of the submission socket may do: its Limits, merged from
// daemon.limits (config/config.h) field by field, and which envelope senders it may use.
// Contract: for each field, the first row that sets it among the caller's user:/uid: rows, then
// its group:/gid: rows (gid or supplementary groups), each in config order, then the "*" row;
// unset everywhere = 0, unlimited. Root is never limited. Names are resolved through the
// NameLookup at each call; a name it cannot resolve matches no one.
// Errors: none. Threads: pure functions; system_name_lookup() is safe from any thread.
// Not here: counting connections and messages (daemon/submission_ledger.h), the top-level
// max_message_size (the server applies the smaller of both), enforcing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace rm {

// Who is calling, as the kernel says (SO_PEERCRED) and the passwd database names it.
struct Caller {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups{};  // supplementary groups
  std::string user{};           // passwd name, "" if none
};

// 0 = unlimited.
struct Limits {
  uint64_t max_message_size = 0;
  uint32_t messages_per_hour = 0;
  uint32_t recipients_per_message = 0;
  uint32_t connections = 0;
  std::vector<std::string> senders{};  // patterns, beyond the caller's own address and <>
  bool admin = false;                  // root or daemon.admin_group: any sender
  bool operator==(const Limits&) const = default;
};

// Names to ids; nullopt for a name that does not exist (or cannot be looked up). An empty
// function resolves nothing.
struct NameLookup {
  std::function<std::optional<uid_t>(const std::string&)> user_id;
  std::function<std::optional<gid_t>(const std::string&)> group_id;
};

// getpwnam_r and getgrnam_r (NSS: files, LDAP, ...); may block on a remote directory.
NameLookup system_name_lookup();

Limits limits_for(const DaemonConfig& cfg, const Caller& caller, const NameLookup& names);

// True when `sender` ("" = the null sender) may be used: by an admin always; by anyone when it
// is "" or equals `own_address` (the caller's login with the domain; both compared ignoring
// case); else when a pattern of limits.senders matches it ('*' any run, '?' one character,
// ignoring ASCII case; "<>" matches only "").
bool sender_allowed(const Limits& limits, std::string_view sender, std::string_view own_address);

// The matching rule of sender_allowed's patterns, for one pattern.
bool sender_pattern_matches(std::string_view pattern, std::string_view sender);

}  // namespace rm
