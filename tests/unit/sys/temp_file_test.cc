// Tests for sys/temp_file.h: a TempFile is gone unless committed; commit is fsync + rename +
// fsync dir; failures leave nothing behind and a failed fsync is never retried into success.
#include "sys/temp_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "sys/dir_list.h"
#include "sys/fd_io.h"
#include "sys/fs.h"
#include "unit/sys/fault_ops.h"

namespace rm {
namespace {

using test::FaultOps;
using test::TempDir;

TempDir make_dir() {
  return TempDir::create_or_die("rm-sys-tmp");
}

size_t count(const TempDir& t) {
  return list_dir(t.path())->size();
}

TEST(TempFile, CreatedPrivateWithPrefixAndUnlinkedWhenDropped) {
  TempDir t = make_dir();
  std::string path;
  {
    auto f = TempFile::create(t.path(), "draft.");
    ASSERT_TRUE(f) << f.error().what;
    path = f->path();
    EXPECT_EQ(dir_name(path), t.path());
    EXPECT_EQ(path.substr(t.path().size() + 1, 6), "draft.");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_NE(::fcntl(f->fd(), F_GETFD) & FD_CLOEXEC, 0);
    EXPECT_TRUE(write_all(f->fd(), "data"));
  }
  EXPECT_FALSE(file_exists(path));
  EXPECT_EQ(count(t), 0u);
}

TEST(TempFile, NamesAreRandom) {
  TempDir t = make_dir();
  auto a = TempFile::create(t.path(), "p");
  auto b = TempFile::create(t.path(), "p");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->path(), b->path());
}

TEST(TempFile, CreateInMissingDirFails) {
  TempDir t = make_dir();
  auto f = TempFile::create(t.file("missing"), "p");
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().sys_errno, ENOENT);
}

TEST(TempFile, CommitMakesItVisibleAndKeepsIt) {
  TempDir t = make_dir();
  std::string final_path = t.file("final");
  FaultOps ops;
  {
    auto f = TempFile::create(t.path(), "p", ops);
    ASSERT_TRUE(f);
    std::string tmp_path = f->path();
    ASSERT_TRUE(write_all(f->fd(), "payload"));
    ASSERT_TRUE(f->commit_as(final_path));
    EXPECT_TRUE(f->committed());
    EXPECT_EQ(f->path(), final_path);
    EXPECT_FALSE(file_exists(tmp_path));
    EXPECT_FALSE(f->commit_as(final_path));  // only once
  }
  EXPECT_EQ(*read_file(final_path, 100), "payload");
  EXPECT_EQ(count(t), 1u);
  EXPECT_EQ(ops.fsyncs, 2);  // the file, then the directory
  EXPECT_EQ(ops.renames, 1);
}

TEST(TempFile, ReplaceNoKeepsExistingTarget) {
  TempDir t = make_dir();
  ASSERT_TRUE(write_file_atomic(t.path(), "final", "old"));
  {
    auto f = TempFile::create(t.path(), "p");
    ASSERT_TRUE(f);
    ASSERT_TRUE(write_all(f->fd(), "new"));
    auto r = f->commit_as(t.file("final"), TempFile::Replace::no);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys_errno, EEXIST);
    EXPECT_FALSE(f->committed());
  }
  EXPECT_EQ(*read_file(t.file("final"), 100), "old");
  EXPECT_EQ(count(t), 1u);
  auto g = TempFile::create(t.path(), "p");
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->commit_as(t.file("fresh"), TempFile::Replace::no));
}

TEST(TempFile, ReplaceYesOverwrites) {
  TempDir t = make_dir();
  ASSERT_TRUE(write_file_atomic(t.path(), "final", "old"));
  auto f = TempFile::create(t.path(), "p");
  ASSERT_TRUE(f);
  ASSERT_TRUE(write_all(f->fd(), "new"));
  ASSERT_TRUE(f->commit_as(t.file("final")));
  EXPECT_EQ(*read_file(t.file("final"), 100), "new");
}

TEST(TempFile, FailedFsyncPoisonsTheFile) {
  TempDir t = make_dir();
  FaultOps ops;
  ops.fail_fsync_at = 1;  // only the first fsync fails; a retry would "succeed"
  {
    auto f = TempFile::create(t.path(), "p", ops);
    ASSERT_TRUE(f);
    auto r = f->commit_as(t.file("final"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys_errno, EIO);
    EXPECT_FALSE(f->fsync());
    EXPECT_FALSE(f->commit_as(t.file("final")));
    EXPECT_EQ(ops.fsyncs, 1);
  }
  EXPECT_EQ(count(t), 0u);
}

TEST(TempFile, FailedRenameLeavesNothing) {
  TempDir t = make_dir();
  FaultOps ops;
  ops.fail_rename_at = 1;
  {
    auto f = TempFile::create(t.path(), "p", ops);
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->commit_as(t.file("final")));
    EXPECT_FALSE(f->committed());
  }
  EXPECT_EQ(count(t), 0u);
}

TEST(TempFile, FailedDirFsyncReportsButFileIsCommitted) {
  TempDir t = make_dir();
  FaultOps ops;
  ops.fail_fsync_at = 2;  // the directory
  {
    auto f = TempFile::create(t.path(), "p", ops);
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->commit_as(t.file("final")));
    EXPECT_TRUE(f->committed());
  }
  EXPECT_TRUE(file_exists(t.file("final")));
}

// Whether another open of the file can take its flock now (LOCK_EX|LOCK_NB).
bool lockable(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  return fd.valid() && ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0;
}

// The writer's flock: held from creation, dropped at commit, or kept past it until unlock()
// for a caller with more to do before anyone may take the file.
TEST(TempFile, CommitDropsTheWritersLockUnlessAskedToKeepIt) {
  struct Case {
    const char* name;
    TempFile::AfterCommit after;
    bool locked_after_commit;
  };
  const Case kCases[] = {
      {.name = "default", .after = TempFile::AfterCommit::unlock, .locked_after_commit = false},
      {.name = "kept", .after = TempFile::AfterCommit::keep_lock, .locked_after_commit = true},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    TempDir t = make_dir();
    auto f = TempFile::create(t.path(), "draft.");
    ASSERT_TRUE(f) << f.error().what;
    EXPECT_FALSE(lockable(f->path())) << "a draft is its writer's";
    const std::string final_path = t.file("final");
    ASSERT_TRUE(f->commit_as(final_path, TempFile::Replace::no, TempFile::DirSync::now, c.after));
    EXPECT_EQ(lockable(final_path), !c.locked_after_commit);
    f->unlock();
    EXPECT_TRUE(lockable(final_path));
  }
}

TEST(TempFile, MoveTransfersOwnership) {
  TempDir t = make_dir();
  auto a = TempFile::create(t.path(), "a");
  auto b = TempFile::create(t.path(), "b");
  ASSERT_TRUE(a && b);
  std::string a_path = a->path();
  std::string b_path = b->path();
  {
    TempFile moved(std::move(*a));
    EXPECT_EQ(moved.path(), a_path);
    EXPECT_TRUE(file_exists(a_path));
    moved = std::move(*b);  // drops the file it held
    EXPECT_FALSE(file_exists(a_path));
    EXPECT_TRUE(file_exists(b_path));
  }
  EXPECT_FALSE(file_exists(b_path));
  EXPECT_EQ(count(t), 0u);
}

TEST(TempFile, ReleaseKeepsFileAndHandsOverFd) {
  TempDir t = make_dir();
  std::string path;
  UniqueFd fd;
  {
    auto f = TempFile::create(t.path(), "p");
    ASSERT_TRUE(f);
    path = f->path();
    fd = f->release();
  }
  EXPECT_TRUE(fd.valid());
  EXPECT_TRUE(file_exists(path));
}

}  // namespace
}  // namespace rm
