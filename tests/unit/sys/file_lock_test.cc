// Tests for sys/file_lock.h: exclusivity between open file descriptions, release on
// destruction, refusal of symlinks and non-regular files.
#include "sys/file_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "sys/fs.h"

namespace rm {
namespace {

using test::TempDir;

TempDir make_dir() {
  return TempDir::create_or_die("rm-sys-lock");
}

TEST(FileLock, BusyWhileHeldByAnotherOpenFileDescription) {
  TempDir t = make_dir();
  std::string path = t.file("f");
  ASSERT_TRUE(write_file_atomic(t.path(), "f", "x"));
  auto first = try_lock_path(path);
  ASSERT_TRUE(first) << first.error().what;
  ASSERT_TRUE(first->has_value());
  EXPECT_TRUE((*first)->held());

  auto second = try_lock_path(path);  // same process, second open(): still excluded
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->has_value());

  first->reset();  // destroying the owner releases the lock
  auto third = try_lock_path(path);
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->has_value());
}

TEST(FileLock, ReleaseHandsTheLockOver) {
  TempDir t = make_dir();
  ASSERT_TRUE(write_file_atomic(t.path(), "f", "x"));
  UniqueFd kept;
  {
    auto lock = try_lock_path(t.file("f"));
    ASSERT_TRUE(lock && lock->has_value());
    kept = (*lock)->release();
  }
  auto again = try_lock_path(t.file("f"));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
  kept.reset();
  auto last = try_lock_path(t.file("f"));
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->has_value());
}

TEST(FileLock, MoveKeepsTheLock) {
  TempDir t = make_dir();
  ASSERT_TRUE(write_file_atomic(t.path(), "f", "x"));
  auto lock = try_lock_path(t.file("f"));
  ASSERT_TRUE(lock && lock->has_value());
  FileLock moved = std::move(**lock);
  lock->reset();
  EXPECT_TRUE(moved.held());
  auto other = try_lock_path(t.file("f"));
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());
}

TEST(FileLock, OpenModesAndRefusals) {
  TempDir t = make_dir();
  ASSERT_TRUE(write_file_atomic(t.path(), "target", "x"));
  ASSERT_EQ(::symlink(t.file("target").c_str(), t.file("link").c_str()), 0);
  ASSERT_EQ(::mkfifo(t.file("fifo").c_str(), 0600), 0);
  struct Case {
    const char* name;
    LockOpen how;
    int want_errno;  // 0 = locked
  };
  const Case kCases[] = {
      {.name = "target", .how = LockOpen::existing, .want_errno = 0},
      {.name = "missing", .how = LockOpen::existing, .want_errno = ENOENT},
      {.name = "created", .how = LockOpen::create, .want_errno = 0},
      {.name = "link", .how = LockOpen::existing, .want_errno = ELOOP},
      {.name = "link", .how = LockOpen::create, .want_errno = ELOOP},
      {.name = "fifo", .how = LockOpen::existing, .want_errno = EINVAL},
      {.name = "fifo", .how = LockOpen::create, .want_errno = EINVAL},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto r = try_lock_path(t.file(c.name), c.how);
    if (c.want_errno == 0) {
      ASSERT_TRUE(r) << r.error().what;
      EXPECT_TRUE(r->has_value());
    } else {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().sys_errno, c.want_errno) << r.error().what;
    }
  }
  struct stat st {};
  ASSERT_EQ(::stat(t.file("created").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FileLock, TryLockOnInvalidFd) {
  auto r = FileLock::try_lock(UniqueFd());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, EBADF);
}

}  // namespace
}  // namespace rm
