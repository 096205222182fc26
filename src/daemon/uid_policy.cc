// daemon/uid_policy.cc — daemon.limits rows to a caller's Limits, and the sender check.
#include "daemon/uid_policy.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>

namespace rm {
namespace {

using Kind = LimitTarget::Kind;

constexpr size_t kFirstBuffer = 1024;
// getgrnam_r needs room for every member's name; a group larger than this resolves to nothing.
constexpr size_t kMaxBuffer = size_t{1} << 20;

// The id field of the entry a get*nam_r function finds for `name`, its buffer grown on ERANGE;
// nullopt when there is no entry or the lookup fails.
template <class Entry, class Id, class Get>
std::optional<Id> find_id(const std::string& name, Get get, Id Entry::*id) {
  std::vector<char> buf(kFirstBuffer);
  for (;;) {
    Entry entry{};
    Entry* found = nullptr;
    int rc = get(name.c_str(), &entry, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < kMaxBuffer) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) {
      return std::nullopt;
    }
    return entry.*id;
  }
}

std::optional<uid_t> system_user_id(const std::string& name) {
  return find_id(name, ::getpwnam_r, &passwd::pw_uid);
}

std::optional<gid_t> system_group_id(const std::string& name) {
  return find_id(name, ::getgrnam_r, &group::gr_gid);
}

std::optional<uid_t> resolve_user(const NameLookup& names, const std::string& name) {
  return names.user_id ? names.user_id(name) : std::nullopt;
}

std::optional<gid_t> resolve_group(const NameLookup& names, const std::string& name) {
  return names.group_id ? names.group_id(name) : std::nullopt;
}

bool in_group(const Caller& caller, gid_t gid) {
  return caller.gid == gid ||
         std::find(caller.groups.begin(), caller.groups.end(), gid) != caller.groups.end();
}

bool is_user_row(const LimitTarget& t, const Caller& caller, const NameLookup& names) {
  if (t.kind == Kind::uid) {
    return t.id == caller.uid;
  }
  if (t.kind != Kind::user) {
    return false;
  }
  return (!caller.user.empty() && t.name == caller.user) ||
         resolve_user(names, t.name) == caller.uid;
}

bool is_group_row(const LimitTarget& t, const Caller& caller, const NameLookup& names) {
  if (t.kind == Kind::gid) {
    return in_group(caller, t.id);
  }
  if (t.kind != Kind::group) {
    return false;
  }
  auto gid = resolve_group(names, t.name);
  return gid && in_group(caller, *gid);
}

// The rows that apply to the caller, the most specific first: users, groups, then "*".
std::vector<const LimitRule*> applicable_rows(const DaemonConfig& cfg, const Caller& caller,
                                              const NameLookup& names) {
  std::vector<const LimitRule*> users;
  std::vector<const LimitRule*> groups;
  const LimitRule* fallback = nullptr;
  for (const LimitRule& row : cfg.limits) {
    auto t = parse_limit_target(row.target);
    if (!t) {
      continue;  // the loader refuses these; a hand-built config may not
    }
    if (t->kind == Kind::any) {
      fallback = fallback != nullptr ? fallback : &row;
    } else if (is_user_row(*t, caller, names)) {
      users.push_back(&row);
    } else if (is_group_row(*t, caller, names)) {
      groups.push_back(&row);
    }
  }
  users.insert(users.end(), groups.begin(), groups.end());
  if (fallback != nullptr) {
    users.push_back(fallback);
  }
  return users;
}

// The value of the first row that sets `field`, else `unset`.
template <class T>
T first_set(const std::vector<const LimitRule*>& rows, std::optional<T> LimitRule::*field,
            T unset) {
  for (const LimitRule* row : rows) {
    if (const auto& v = row->*field) {
      return *v;
    }
  }
  return unset;
}

bool is_admin(const DaemonConfig& cfg, const Caller& caller, const NameLookup& names) {
  if (caller.uid == 0) {
    return true;
  }
  if (cfg.admin_group.empty()) {
    return false;
  }
  auto gid = resolve_group(names, cfg.admin_group);
  return gid && in_group(caller, *gid);
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

NameLookup system_name_lookup() {
  return NameLookup{system_user_id, system_group_id};
}

Limits limits_for(const DaemonConfig& cfg, const Caller& caller, const NameLookup& names) {
  Limits out;
  out.admin = is_admin(cfg, caller, names);
  if (caller.uid == 0) {
    return out;
  }
  const std::vector<const LimitRule*> rows = applicable_rows(cfg, caller, names);
  out.max_message_size = first_set<uint64_t>(rows, &LimitRule::max_message_size, 0);
  out.messages_per_hour = first_set<uint32_t>(rows, &LimitRule::messages_per_hour, 0);
  out.recipients_per_message = first_set<uint32_t>(rows, &LimitRule::recipients_per_message, 0);
  out.connections = first_set<uint32_t>(rows, &LimitRule::connections, 0);
  out.senders = first_set<std::vector<std::string>>(rows, &LimitRule::senders, {});
  return out;
}

// Greedy, backtracking to the last '*': O(pattern × sender) at worst, both short.
bool sender_pattern_matches(std::string_view pattern, std::string_view sender) {
  if (pattern == "<>") {
    return sender.empty();
  }
  size_t p = 0;
  size_t s = 0;
  size_t star = std::string_view::npos;  // where the last '*' was in pattern
  size_t star_s = 0;                     // where in sender that '*' stands now
  while (s < sender.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_s = s;
    } else if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(sender[s]))) {
      ++p;
      ++s;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++star_s;  // the '*' takes one more character
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

bool sender_allowed(const Limits& limits, std::string_view sender, std::string_view own_address) {
  if (limits.admin || sender.empty() || (!own_address.empty() && iequals(sender, own_address))) {
    return true;
  }
  return std::any_of(limits.senders.begin(), limits.senders.end(),
                     [&](const std::string& p) { return sender_pattern_matches(p, sender); });
}

}  // namespace rm
