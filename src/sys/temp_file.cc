#include "sys/temp_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "sys/entropy.h"
#include "sys/fs.h"

namespace rm {

namespace {

constexpr int kCreateAttempts = 8;

std::string hex16(uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) {
    s[static_cast<size_t>(i)] = kHex[v & 0xf];
    v >>= 4;
  }
  return s;
}

}  // namespace

TempFile::TempFile(UniqueFd fd, std::string path, const SysOps& ops)
    : fd_(std::move(fd)), path_(std::move(path)), ops_(&ops) {}

Result<TempFile> TempFile::create(const std::string& dir, std::string_view prefix,
                                  const SysOps& ops) {
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    auto rnd = random_u64();
    if (!rnd) {
      return std::move(rnd).error();
    }
    std::string path = join_path(dir, std::string(prefix) + hex16(*rnd));
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.valid()) {
      // Marks the file as being written (see the header); where flock is not supported the
      // cleaner falls back to age alone, so a failure here is no reason to give up.
      ::flock(fd.get(), LOCK_EX | LOCK_NB);
      return TempFile(std::move(fd), std::move(path), ops);
    }
    if (errno != EEXIST) {
      return sys_error(Errc::io, errno, "create %s", path.c_str());
    }
  }
  return sys_error(Errc::io, EEXIST, "create temporary file in %s", dir.c_str());
}

TempFile::TempFile(TempFile&& o) noexcept
    : fd_(std::move(o.fd_)),
      path_(std::move(o.path_)),
      ops_(o.ops_),
      owns_name_(std::exchange(o.owns_name_, false)),
      committed_(o.committed_),
      poisoned_(o.poisoned_) {}

TempFile& TempFile::operator=(TempFile&& o) noexcept {
  if (this != &o) {
    discard();
    fd_ = std::move(o.fd_);
    path_ = std::move(o.path_);
    ops_ = o.ops_;
    owns_name_ = std::exchange(o.owns_name_, false);
    committed_ = o.committed_;
    poisoned_ = o.poisoned_;
  }
  return *this;
}

TempFile::~TempFile() {
  discard();
}

void TempFile::discard() {
  if (owns_name_ && !path_.empty()) {
    ops_->unlink(path_.c_str());
  }
  owns_name_ = false;
}

Status TempFile::fsync() {
  if (poisoned_) {
    return sys_error(Errc::io, EIO, "fsync %s: an earlier fsync failed", path_.c_str());
  }
  if (!fd_.valid()) {
    return sys_error(Errc::io, EBADF, "fsync %s", path_.c_str());
  }
  if (ops_->fsync(fd_.get()) != 0) {
    poisoned_ = true;
    return sys_error(Errc::io, errno, "fsync %s", path_.c_str());
  }
  return {};
}

Status TempFile::rename_to(const std::string& final_path, Replace replace) {
  unsigned flags = replace == Replace::no ? RENAME_NOREPLACE : 0;
  if (ops_->rename(path_.c_str(), final_path.c_str(), flags) == 0) {
    return {};
  }
  int err = errno;
  if (replace == Replace::no && (err == EINVAL || err == ENOSYS)) {
    // No RENAME_NOREPLACE on this filesystem: link() refuses an existing target just the same.
    if (::link(path_.c_str(), final_path.c_str()) == 0) {
      ops_->unlink(path_.c_str());
      return {};
    }
    err = errno;
  }
  return sys_error(Errc::io, err, "rename %s to %s", path_.c_str(), final_path.c_str());
}

Status TempFile::commit_as(const std::string& final_path, Replace replace, DirSync dir_sync,
                           AfterCommit after) {
  if (!owns_name_) {
    return sys_error(Errc::io, EINVAL, "commit %s to %s: already committed or released",
                     path_.c_str(), final_path.c_str());
  }
  if (auto r = fsync(); !r) {
    return r;
  }
  if (auto r = rename_to(final_path, replace); !r) {
    return r;
  }
  owns_name_ = false;
  committed_ = true;
  path_ = final_path;
  if (after == AfterCommit::unlock) {
    unlock();
  }
  if (dir_sync == DirSync::by_caller) {
    return {};
  }
  return fsync_dir(dir_name(final_path), *ops_);
}

void TempFile::unlock() {
  if (fd_.valid()) {
    ::flock(fd_.get(), LOCK_UN);
  }
}

UniqueFd TempFile::release() {
  owns_name_ = false;
  unlock();
  return std::move(fd_);
}

}  // namespace rm
