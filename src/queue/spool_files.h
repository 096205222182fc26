// queue/spool_files.h — the names and checks FsQueueStore's three source files share
// (fs_queue_store.cc, fs_queue_clean.cc, fs_queue_failed.cc): the file suffixes, queue ids held
// in place, "<id><suffix>" names for the *at() calls, and the tests of a spool file.
// Contract: the layout is queue/FORMAT.md's; nothing here touches the disk except
// unlink_entry() and unlink_quietly(), through the store's SysOps. Pure functions otherwise,
// thread-safe. Not for use outside queue/: it is FsQueueStore's inside.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/ids.h"
#include "core/result.h"
#include "queue/env_format.h"
#include "sys/sys_ops.h"

namespace rm::spool {

inline constexpr std::string_view kMailSuffix = ".mail";
inline constexpr std::string_view kMsgSuffix = ".msg";
inline constexpr std::string_view kEnvSuffix = ".env";

inline Status check_id(const char* verb, std::string_view id) {
  if (is_valid_queue_id(id)) {
    return {};
  }
  return sys_error(Errc::io, EINVAL, "%s %s: invalid queue id", verb,
                   sanitise_text(id, kQueueIdLen + 8).c_str());
}

// A queue id held in place. list() collects, sorts and searches one per file in queue/; as
// std::string each (24-byte names are past the small-string buffer) costs an allocation.
using IdKey = std::array<char, kQueueIdLen>;
// "<id>.mail", "<id>.env" or "<id>.msg" with its NUL, for the *at() calls.
using IdFileName = std::array<char, kQueueIdLen + 6>;

inline std::string_view view(const IdKey& id) {
  return {id.data(), id.size()};
}

// The order of the ids as strings (arrival order), in one memcmp.
inline bool id_less(const IdKey& a, const IdKey& b) {
  return std::memcmp(a.data(), b.data(), a.size()) < 0;
}

// The id when name is "<valid id><suffix>".
inline std::optional<IdKey> id_of(std::string_view name, std::string_view suffix) {
  if (name.size() != kQueueIdLen + suffix.size() || !name.ends_with(suffix) ||
      !is_valid_queue_id(name.substr(0, kQueueIdLen))) {
    return std::nullopt;
  }
  IdKey id{};
  std::copy_n(name.begin(), kQueueIdLen, id.begin());
  return id;
}

inline IdFileName file_name(std::string_view id, std::string_view suffix) {
  IdFileName name{};  // zero-filled: the NUL is there
  std::copy(id.begin(), id.end(), name.begin());
  std::copy(suffix.begin(), suffix.end(), name.begin() + static_cast<ptrdiff_t>(id.size()));
  return name;
}

// Errors read_file() uses for a file that is there but must not be trusted (sys/fs.h), and
// EACCES: in a directory of ours, a file we may not read is another uid's (or was made so).
inline bool hostile_file(const Error& e) {
  return e.sys_errno == ELOOP || e.sys_errno == EINVAL || e.sys_errno == EMLINK ||
         e.sys_errno == EPERM || e.sys_errno == EFBIG || e.sys_errno == EACCES;
}

// A spool file as LinkCheck::owned wants it: a regular file of ours with one link.
inline bool trusted_file(const struct stat& st, uid_t owner) {
  return S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_uid == owner;
}

inline Error with_context(Error e, const std::string& context) {
  e.what = context + ": " + e.what;
  return e;
}

// Best effort, for rolling back a commit that failed half way.
inline void unlink_quietly(const SysOps& ops, const std::string& path) {
  ops.unlink(path.c_str());
}

// Unlinks an entry's files in dir (queue/ or failed/): dir/<id>.mail, .env, .msg, in that order,
// so the file that makes the entry goes first. Counts the missing ones (3: there was no entry);
// any other failure stops there.
inline Status unlink_entry(const SysOps& ops, const std::string& dir, std::string_view id,
                           int& missing) {
  missing = 0;
  const std::string stem = dir + "/" + std::string(id);
  for (std::string_view suffix : {kMailSuffix, kEnvSuffix, kMsgSuffix}) {
    const std::string path = stem + std::string(suffix);
    if (ops.unlink(path.c_str()) == 0) {
      continue;
    }
    if (errno != ENOENT) {
      return sys_error(Errc::io, errno, "remove %s", path.c_str());
    }
    ++missing;
  }
  return {};
}

}  // namespace rm::spool
