// sys/trusted_dir.h — may a process running as `uid` trust a directory with its files? The rules
// of Postfix's and qmail's queue checks (RELIABILITY.md §4): a directory of its own (a spool,
// queue/, tmp/, failed/) is a real directory, not a symlink, owned by `uid`, with no group or
// other write bit; every directory on the way to it is owned by root or `uid` and, when others
// may write to it, sticky. A sticky shared parent (/tmp, /var/tmp) is thus allowed only for a
// directory the uid owns, which in a sticky directory nobody else can rename or replace.
// Errors: Errc::untrusted, one line naming the path, the owner (or mode) found and what was
// expected; Errc::io with the errno for a failing syscall (ENOENT: the path that is missing).
// Names in messages come from sys/user_db.h, looked up only on the error path.
// Threads: no shared state. Not here: the files inside (sys/fs.h LinkCheck::owned).
#pragma once

#include <sys/types.h>

#include <string>

#include "core/result.h"

namespace rm {

// What lstat(2) says of one path, reduced to what trust depends on.
struct PathFacts {
  mode_t mode = 0;  // st_mode: type and permission bits
  uid_t owner = 0;
};

enum class DirRole {
  own,       // a directory the process keeps its files in
  ancestor,  // a directory on the way to one (symlinks in the middle are followed, and checked)
};

enum class Distrust { none, symlink, not_dir, owner, writable };

// Why a path with these facts cannot be trusted in `role` by `uid`. Pure.
Distrust distrust(const PathFacts& facts, DirRole role, uid_t uid);

// Checks `path` as `last` and every directory it passes through as an ancestor, from "/" down.
// Symlinks before the last component are resolved one at a time, so the directory holding each
// link is checked too; a symlink as the last component is resolved only for `ancestor`.
Status check_dir_path(const std::string& path, uid_t uid, DirRole last);

// A directory of its own for `uid` at `path`: checked as check_dir_path(own); when something on
// the way is missing, the missing directories are created (mode 0700, parent fsynced) and the
// whole path is checked again, so whatever was there already is never simply adopted.
Status make_own_dir(const std::string& path, uid_t uid);

// One level below a directory already checked: mkdir 0700 when missing, then lstat and the
// checks of DirRole::own.
Status make_own_subdir(const std::string& path, uid_t uid);

// A file only root or `uid` can change (the daemon's config, aliases and password files,
// RELIABILITY.md §6 case 55): a regular file, not a symlink, owned by root or `uid`, no group or
// other write bit, in a directory that passes check_dir_path(ancestor), so it cannot be swapped.
Status check_trusted_file(const std::string& path, uid_t uid);

}  // namespace rm
