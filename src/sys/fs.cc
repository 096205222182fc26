#include "sys/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "sys/fd_io.h"
#include "sys/temp_file.h"

namespace rm {

namespace {

constexpr size_t kReadChunk = size_t{64} * 1024;

// mkdir of one component; fsyncs the parent when it created something.
Status make_one_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0) {
    return fsync_dir(dir_name(path));
  }
  int err = errno;
  struct stat st {};
  if (err == EEXIST && ::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      return {};
    }
    err = ENOTDIR;
  }
  return sys_error(Errc::io, err, "create directory %s", path.c_str());
}

// openat with the guards of safe_open_read; leaves O_NONBLOCK set and fills *st.
Result<UniqueFd> open_checked(int dir_fd, const char* name, LinkCheck links, struct stat* st) {
  UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    return sys_error(Errc::io, errno, "open %s", name);
  }
  if (::fstat(fd.get(), st) != 0) {
    return sys_error(Errc::io, errno, "stat %s", name);
  }
  if (!S_ISREG(st->st_mode)) {
    Error e = make_error(Errc::io, "open %s: not a regular file", name);
    e.sys_errno = EINVAL;
    return e;
  }
  if (links != LinkCheck::any && st->st_nlink != 1) {
    Error e =
        make_error(Errc::io, "open %s: %ju hard links", name, static_cast<uintmax_t>(st->st_nlink));
    e.sys_errno = EMLINK;
    return e;
  }
  if (links == LinkCheck::owned && st->st_uid != ::geteuid()) {
    Error e = make_error(Errc::io, "open %s: owned by uid %ju, not by uid %ju", name,
                         static_cast<uintmax_t>(st->st_uid), static_cast<uintmax_t>(::geteuid()));
    e.sys_errno = EPERM;
    return e;
  }
  return fd;
}

Error too_big(const char* name, size_t max_bytes) {
  Error e = make_error(Errc::io, "read %s: larger than %zu bytes", name, max_bytes);
  e.sys_errno = EFBIG;
  return e;
}

// Reads to EOF. With the size fstat reported (> 0), it asks for one byte more than that and
// stops without the extra read(2) that would return 0 once a short read has delivered exactly
// that size: a file that grew would have filled the request. `out` is replaced, its capacity kept.
Status read_sized(int fd, off_t size_hint, size_t max_bytes, const char* name, std::string& out) {
  out.clear();
  if (size_hint > 0 && static_cast<uint64_t>(size_hint) > max_bytes) {
    return too_big(name, max_bytes);
  }
  const size_t expect = size_hint > 0 ? static_cast<size_t>(size_hint) : 0;
  size_t want = expect > 0 ? expect + 1 : kReadChunk;
  for (;;) {
    size_t old = out.size();
    out.resize(old + want);
    ssize_t n = ::read(fd, out.data() + old, want);
    if (n < 0) {
      if (errno == EINTR) {
        out.resize(old);
        continue;
      }
      return sys_error(Errc::io, errno, "read %s", name);
    }
    out.resize(old + static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      return too_big(name, max_bytes);
    }
    if (n == 0 || (expect > 0 && out.size() == expect && static_cast<size_t>(n) < want)) {
      return {};
    }
    want = kReadChunk;
  }
}

}  // namespace

std::string dir_name(std::string_view path) {
  size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') {
    --end;
  }
  size_t pos = path.substr(0, end).rfind('/');
  if (pos == std::string_view::npos) {
    return ".";
  }
  while (pos > 0 && path[pos - 1] == '/') {
    --pos;
  }
  return pos == 0 ? "/" : std::string(path.substr(0, pos));
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') {
    out += '/';
  }
  out += name;
  return out;
}

Status make_dirs(const std::string& path, mode_t mode) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') {
    p.pop_back();
  }
  if (p.empty()) {
    return sys_error(Errc::io, ENOENT, "create directory \"\"");
  }
  // The usual case, an existing directory, costs one mkdir and one stat; parents are only
  // looked at when the kernel says one is missing.
  Status r = make_one_dir(p, mode);
  if (r || r.error().sys_errno != ENOENT || dir_name(p) == p) {
    return r;
  }
  if (auto parent = make_dirs(dir_name(p), mode); !parent) {
    return parent;
  }
  return make_one_dir(p, mode);
}

Status fsync_dir(const std::string& path, const SysOps& ops) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return sys_error(Errc::io, errno, "open directory %s", path.c_str());
  }
  if (ops.fsync(fd.get()) != 0 && errno != EINVAL) {
    return sys_error(Errc::io, errno, "fsync directory %s", path.c_str());
  }
  return {};
}

Result<UniqueFd> safe_open_read(const std::string& path, LinkCheck links) {
  struct stat st {};
  return safe_open_read_at(AT_FDCWD, path.c_str(), links, &st);
}

Result<UniqueFd> safe_open_read_at(int dir_fd, const char* name, LinkCheck links, struct stat* st) {
  auto fd = open_checked(dir_fd, name, links, st);
  if (!fd) {
    return fd;
  }
  int flags = ::fcntl(fd->get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd->get(), F_SETFL, flags & ~O_NONBLOCK) < 0) {
    return sys_error(Errc::io, errno, "fcntl %s", name);
  }
  return fd;
}

Result<std::string> read_fd(int fd, size_t max_bytes, const std::string& name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    st.st_size = 0;  // no size hint: read to EOF
  } else if (const off_t at = ::lseek(fd, 0, SEEK_CUR); at > 0) {
    st.st_size = at < st.st_size ? st.st_size - at : 0;  // what is left from the offset
  }
  std::string out;
  if (auto r = read_sized(fd, st.st_size, max_bytes, name.c_str(), out); !r) {
    return std::move(r).error();
  }
  return out;
}

Result<std::string> read_file(const std::string& path, size_t max_bytes, LinkCheck links) {
  return read_file_at(AT_FDCWD, path, max_bytes, links);
}

Result<UniqueFd> open_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return sys_error(Errc::io, errno, "open directory %s", path.c_str());
  }
  return fd;
}

Result<std::string> read_file_at(int dir_fd, const std::string& name, size_t max_bytes,
                                 LinkCheck links) {
  std::string out;
  if (auto r = read_file_at_into(dir_fd, name.c_str(), max_bytes, links, out); !r) {
    return std::move(r).error();
  }
  return out;
}

Status read_file_at_into(int dir_fd, const char* name, size_t max_bytes, LinkCheck links,
                         std::string& out) {
  struct stat st {};
  auto fd = open_checked(dir_fd, name, links, &st);
  if (!fd) {
    out.clear();
    return std::move(fd).error();
  }
  return read_sized(fd->get(), st.st_size, max_bytes, name, out);
}

Status write_file_atomic(const std::string& dir, const std::string& name, std::string_view content,
                         const SysOps& ops) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return sys_error(Errc::io, EINVAL, "write %s/%s", dir.c_str(), name.c_str());
  }
  auto tmp = TempFile::create(dir, "." + name + ".", ops);
  if (!tmp) {
    return std::move(tmp).error();
  }
  if (auto w = write_all(tmp->fd(), content, ops, tmp->path()); !w) {
    return w;
  }
  return tmp->commit_as(join_path(dir, name));
}

bool file_exists(const std::string& path) {
  return file_exists_at(AT_FDCWD, path);
}

bool file_exists_at(int dir_fd, const std::string& name) {
  struct stat st {};
  return ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

}  // namespace rm
