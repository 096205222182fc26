#include "sys/trusted_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <vector>

#include "sys/fs.h"
#include "sys/user_db.h"

namespace rm {
namespace {

constexpr mode_t kOwnDirMode = 0700;
constexpr int kMaxSymlinks = 40;  // what the kernel allows in one path walk

std::string uid_text(uid_t uid) {
  std::string out = "uid " + std::to_string(uid);
  if (auto pw = lookup_uid(uid)) {
    out += " (" + pw->name + ")";
  }
  return out;
}

Error untrusted(const std::string& path, Distrust why, const PathFacts& f, DirRole role,
                uid_t uid) {
  const std::string expected = role == DirRole::own ? uid_text(uid) : "root or " + uid_text(uid);
  std::string what;
  switch (why) {
    case Distrust::symlink:
      what = "is a symbolic link; expected a directory owned by " + uid_text(uid);
      break;
    case Distrust::not_dir:
      what = "is not a directory";
      break;
    case Distrust::owner:
      what = "is owned by " + uid_text(f.owner) + "; expected " + expected;
      break;
    case Distrust::writable:
      what = format(
          "is writable by group or others (mode %04o)%s; expected %s",
          static_cast<unsigned>(f.mode & 07777), role == DirRole::ancestor ? " and not sticky" : "",
          role == DirRole::own ? "mode 0700" : "no group or other write, or the sticky bit");
      break;
    case Distrust::none:
      break;
  }
  return make_error(Errc::untrusted, "%s %s", path.c_str(), what.c_str());
}

// "a/b//c/" -> {"a", "b", "c"}
std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) {
      j = path.size();
    }
    if (j > i) {
      out.push_back(path.substr(i, j - i));
    }
    i = j + 1;
  }
  return out;
}

// Pushes `path`'s components onto the walk's stack so that the first is taken next.
void push_components(const std::string& path, std::vector<std::string>& todo) {
  std::vector<std::string> parts = components(path);
  todo.insert(todo.end(), parts.rbegin(), parts.rend());
}

Result<std::string> read_link(const std::string& path) {
  std::string target(PATH_MAX, '\0');
  ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
  if (n < 0) {
    return sys_error(Errc::io, errno, "read link %s", path.c_str());
  }
  if (n == 0 || static_cast<size_t>(n) >= target.size()) {
    return sys_error(Errc::io, ENAMETOOLONG, "read link %s", path.c_str());
  }
  target.resize(static_cast<size_t>(n));
  return target;
}

Status check_one(const std::string& path, const struct stat& st, DirRole role, uid_t uid) {
  PathFacts facts{st.st_mode, st.st_uid};
  Distrust why = distrust(facts, role, uid);
  if (why == Distrust::none) {
    return {};
  }
  return untrusted(path, why, facts, role, uid);
}

}  // namespace

Distrust distrust(const PathFacts& facts, DirRole role, uid_t uid) {
  if (S_ISLNK(facts.mode)) {
    return Distrust::symlink;
  }
  if (!S_ISDIR(facts.mode)) {
    return Distrust::not_dir;
  }
  const bool others_write = (facts.mode & (S_IWGRP | S_IWOTH)) != 0;
  if (role == DirRole::own) {
    if (facts.owner != uid) {
      return Distrust::owner;
    }
    return others_write ? Distrust::writable : Distrust::none;
  }
  if (facts.owner != 0 && facts.owner != uid) {
    return Distrust::owner;
  }
  return others_write && (facts.mode & S_ISVTX) == 0 ? Distrust::writable : Distrust::none;
}

Status check_dir_path(const std::string& path, uid_t uid, DirRole last) {
  if (path.empty()) {
    return sys_error(Errc::io, ENOENT, "check directory \"\"");
  }
  std::vector<std::string> todo;
  if (path[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) {
      return sys_error(Errc::io, errno, "check directory %s: getcwd", path.c_str());
    }
    push_components(path, todo);
    push_components(cwd, todo);
  } else {
    push_components(path, todo);
  }
  std::string at = "/";
  struct stat st {};
  if (::lstat("/", &st) != 0) {
    return sys_error(Errc::io, errno, "check directory /");
  }
  if (auto r = check_one("/", st, todo.empty() ? last : DirRole::ancestor, uid); !r) {
    return r;
  }
  int links = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    if (name == ".") {
      continue;
    }
    if (name == "..") {  // `at` is resolved and checked: its parent was checked before it
      at = dir_name(at);
      continue;
    }
    const bool is_last = todo.empty();
    std::string next = join_path(at, name);
    if (::lstat(next.c_str(), &st) != 0) {
      return sys_error(Errc::io, errno, "check directory %s", next.c_str());
    }
    if (S_ISLNK(st.st_mode) && !(is_last && last == DirRole::own)) {
      if (++links > kMaxSymlinks) {
        return sys_error(Errc::io, ELOOP, "check directory %s", path.c_str());
      }
      auto target = read_link(next);
      if (!target) {
        return std::move(target).error();
      }
      push_components(*target, todo);
      if ((*target)[0] == '/') {
        at = "/";
      }
      continue;
    }
    if (auto r = check_one(next, st, is_last ? last : DirRole::ancestor, uid); !r) {
      return r;
    }
    at = std::move(next);
  }
  return {};
}

Status make_own_dir(const std::string& path, uid_t uid) {
  Status checked = check_dir_path(path, uid, DirRole::own);
  if (checked || checked.error().code != Errc::io || checked.error().sys_errno != ENOENT) {
    return checked;
  }
  // Every directory before the missing one passed the checks: create below it, then check all.
  if (auto made = make_dirs(path, kOwnDirMode); !made) {
    return made;
  }
  return check_dir_path(path, uid, DirRole::own);
}

Status check_trusted_file(const std::string& path, uid_t uid) {
  if (auto dir = check_dir_path(dir_name(path), uid, DirRole::ancestor); !dir) {
    return dir;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return sys_error(Errc::io, errno, "check file %s", path.c_str());
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(Errc::untrusted, "%s is not a regular file", path.c_str());
  }
  if (st.st_uid != 0 && st.st_uid != uid) {
    return make_error(Errc::untrusted, "%s is owned by %s; expected root or %s", path.c_str(),
                      uid_text(st.st_uid).c_str(), uid_text(uid).c_str());
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return make_error(Errc::untrusted,
                      "%s is writable by group or others (mode %04o); expected no group or other "
                      "write",
                      path.c_str(), static_cast<unsigned>(st.st_mode & 07777));
  }
  return {};
}

Status make_own_subdir(const std::string& path, uid_t uid) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return sys_error(Errc::io, errno, "check directory %s", path.c_str());
    }
    if (::mkdir(path.c_str(), kOwnDirMode) == 0) {
      if (auto r = fsync_dir(dir_name(path)); !r) {
        return r;
      }
    } else if (errno != EEXIST) {
      return sys_error(Errc::io, errno, "create directory %s", path.c_str());
    }
    if (::lstat(path.c_str(), &st) != 0) {
      return sys_error(Errc::io, errno, "check directory %s", path.c_str());
    }
  }
  return check_one(path, st, DirRole::own, uid);
}

}  // namespace rm
