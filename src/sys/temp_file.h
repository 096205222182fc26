// sys/temp_file.h — TempFile: the owner of a file being written before it is committed
// (RELIABILITY.md §1). create() makes a new file with a random name in `dir`
// (O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode 0600). commit_as() fsyncs it, renames it to its
// final name and fsyncs the final directory; until that succeeds the destructor unlinks the
// file, so an abandoned or failed write leaves nothing behind. While it is being written the file
// carries a flock (LOCK_EX, taken right after creation, dropped by commit_as() unless it is
// asked to keep it, by unlock() and by release()): the lock dies with the writer, so a cleaner
// can tell a crashed writer's leftover from a slow writer's file of any age
// (queue/fs_queue_store.h, clean_tmp()).
// Errors: Errc::io with errno. After a failed fsync the file is poisoned: every later fsync() or
// commit_as() fails too, because a second fsync may "succeed" without the data being on disk.
// release() gives up ownership of the name (the file stays) and hands back the fd.
// Not here: what the bytes are. Move-only; not thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "sys/sys_ops.h"
#include "sys/unique_fd.h"

namespace rm {

class TempFile {
 public:
  enum class Replace { yes, no };
  // Whether commit_as() fsyncs the final directory itself, or the caller does it once after
  // renaming several files into the same directory.
  enum class DirSync { now, by_caller };
  // Whether commit_as() drops the writer's flock (a committed file is no draft: its lock is its
  // owner's to take), or keeps it until unlock() for a caller with more to do before anyone may
  // take the file (a queue .msg until its .env is in).
  enum class AfterCommit { unlock, keep_lock };

  // Name: dir/<prefix><16 hex digits>.
  static Result<TempFile> create(const std::string& dir, std::string_view prefix,
                                 const SysOps& ops = real_sys_ops());

  TempFile(TempFile&& o) noexcept;
  TempFile& operator=(TempFile&& o) noexcept;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile();

  int fd() const { return fd_.get(); }
  // The temp name until commit, the final name after it.
  const std::string& path() const { return path_; }
  bool committed() const { return committed_; }

  Status fsync();
  // fsync, rename to final_path, fsync the directory of final_path. With Replace::no an existing
  // final_path is EEXIST and left alone (renameat2 RENAME_NOREPLACE, or link+unlink where the
  // filesystem lacks it). When the rename succeeded but the directory fsync failed, committed()
  // is true and the error is returned: the file is at final_path, not durably. With
  // DirSync::by_caller the rename is not durable until the caller fsyncs that directory.
  Status commit_as(const std::string& final_path, Replace replace = Replace::yes,
                   DirSync dir_sync = DirSync::now, AfterCommit after = AfterCommit::unlock);
  // Drops the flock, as commit_as() does by default.
  void unlock();
  // The file is kept (not unlinked) wherever it is; the caller owns the returned fd.
  UniqueFd release();

 private:
  TempFile(UniqueFd fd, std::string path, const SysOps& ops);
  Status rename_to(const std::string& final_path, Replace replace);
  void discard();

  UniqueFd fd_;
  std::string path_;
  const SysOps* ops_;
  bool owns_name_ = true;  // unlink path_ on destruction
  bool committed_ = false;
  bool poisoned_ = false;  // an fsync failed
};

}  // namespace rm
