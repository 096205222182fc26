// sys/fs.h — small, careful filesystem operations: mkdir -p with a mode, fsync of a directory,
// opening and reading a file without following a final symlink or blocking on a FIFO, and the
// atomic write (temp, fsync, rename, fsync dir) of RELIABILITY.md §1.
// Errors: Result with Errc::io and the errno in Error::sys_errno; messages "verb path: reason".
// Refusals that are not a failing syscall carry a chosen errno so callers can tell them apart:
// ELOOP final component is a symlink (from O_NOFOLLOW itself), EINVAL not a regular file,
// EMLINK more than one hard link where LinkCheck::single or ::owned was asked, EPERM owned by
// another uid than the effective one where LinkCheck::owned was asked, EFBIG over max_bytes.
// Intermediate path components are followed (the spool may live behind a symlink); only the last
// one is guarded. Not here: temp-file ownership (sys/temp_file.h), directory listing
// (sys/dir_list.h), locks (sys/file_lock.h). Never logs. Thread-safe (no shared state).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/result.h"
#include "sys/sys_ops.h"
#include "sys/unique_fd.h"

namespace rm {

enum class LinkCheck {
  any,
  single,  // one hard link only
  owned,   // one hard link, owned by the effective uid: a spool file (queue/fs_queue_store.h)
};

// "a/b/c" -> "a/b"; "c" -> "."; "/c" -> "/".
std::string dir_name(std::string_view path);
// "a" + "b" -> "a/b" (no doubled slash).
std::string join_path(std::string_view dir, std::string_view name);

// mkdir -p. Components it creates get `mode` (subject to umask) and their parent is fsynced, so
// a freshly created spool survives a crash. Existing directories are left as they are; an
// existing non-directory is ENOTDIR.
Status make_dirs(const std::string& path, mode_t mode);

// Makes the directory's entries (renames, creations, unlinks) durable. A filesystem that cannot
// fsync directories (EINVAL) counts as success: there is nothing more we could do.
Status fsync_dir(const std::string& path, const SysOps& ops = real_sys_ops());

// Opens read-only with O_NOFOLLOW|O_CLOEXEC|O_NOCTTY (and O_NONBLOCK while opening, so a FIFO
// cannot hang us), then checks it is a regular file. The returned fd is blocking.
Result<UniqueFd> safe_open_read(const std::string& path, LinkCheck links = LinkCheck::any);
// The same for `name` relative to dir_fd, also giving the file's stat (never null).
Result<UniqueFd> safe_open_read_at(int dir_fd, const char* name, LinkCheck links, struct stat* st);

// Reads an open fd from its current offset to EOF; more than max_bytes is EFBIG.
// `name` is used in error messages.
Result<std::string> read_fd(int fd, size_t max_bytes, const std::string& name);

// The checks of safe_open_read, then the whole file. Four syscalls (open, fstat, read, close)
// for a file that does not change while it is read, so it suits scanning many small files.
Result<std::string> read_file(const std::string& path, size_t max_bytes,
                              LinkCheck links = LinkCheck::any);

// A directory fd (O_RDONLY|O_DIRECTORY|O_CLOEXEC) for the *_at calls.
Result<UniqueFd> open_dir(const std::string& path);

// read_file() of `name` relative to dir_fd: no path walk per file. Messages name only `name`.
Result<std::string> read_file_at(int dir_fd, const std::string& name, size_t max_bytes,
                                 LinkCheck links = LinkCheck::any);
// read_file_at() into `out`, whose capacity is reused: no allocation per file for a caller that
// reads many (queue listing). Same checks and errors; on error `out` is left empty.
Status read_file_at_into(int dir_fd, const char* name, size_t max_bytes, LinkCheck links,
                         std::string& out);

// Writes dir/name atomically: a 0600 temp file in `dir` (O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC),
// all bytes, fsync, rename over dir/name, fsync dir. On failure dir/name is untouched and the temp
// file is gone. `name` must be a plain file name (no '/').
Status write_file_atomic(const std::string& dir, const std::string& name, std::string_view content,
                         const SysOps& ops = real_sys_ops());

// True when something (of any type, a dangling symlink included) is at `path`; not followed.
bool file_exists(const std::string& path);
bool file_exists_at(int dir_fd, const std::string& name);

}  // namespace rm
