// Tests for sys/fs.h: path helpers, mkdir -p, guarded opens and reads, atomic writes.
#include "sys/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "sys/dir_list.h"
#include "unit/sys/fault_ops.h"

namespace rm {
namespace {

using test::FaultOps;
using test::TempDir;

TempDir make_dir() {
  return TempDir::create_or_die("rm-sys-fs");
}

void put(const std::string& path, const std::string& content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd.valid()) << path;
  ASSERT_EQ(::write(fd.get(), content.data(), content.size()),
            static_cast<ssize_t>(content.size()));
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(PathHelpers, Table) {
  struct Case {
    const char* path;
    const char* dir;
  };
  const Case kCases[] = {
      {.path = "a/b/c", .dir = "a/b"}, {.path = "c", .dir = "."},    {.path = "/c", .dir = "/"},
      {.path = "/a/b/", .dir = "/a"},  {.path = "a//b", .dir = "a"}, {.path = "/", .dir = "/"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.path);
    EXPECT_EQ(dir_name(c.path), c.dir);
  }
  EXPECT_EQ(join_path("a", "b"), "a/b");
  EXPECT_EQ(join_path("a/", "b"), "a/b");
}

TEST(MakeDirs, CreatesNestedWithModeAndIsIdempotent) {
  TempDir t = make_dir();
  std::string deep = t.file("x/y/z");
  ASSERT_TRUE(make_dirs(deep, 0700));
  EXPECT_EQ(mode_of(t.file("x")), 0700u);
  EXPECT_EQ(mode_of(deep), 0700u);
  EXPECT_TRUE(make_dirs(deep + "/", 0700));  // exists already, trailing slash
  ::chmod(deep.c_str(), 0755);
  ASSERT_TRUE(make_dirs(deep, 0700));
  EXPECT_EQ(mode_of(deep), 0755u);  // existing directories are left alone
}

TEST(MakeDirs, FileInTheWayIsNotADirectory) {
  TempDir t = make_dir();
  put(t.file("f"), "x");
  auto r = make_dirs(t.file("f/sub"), 0700);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, ENOTDIR);
  EXPECT_FALSE(make_dirs("", 0700));
}

TEST(FsyncDir, ExistingAndMissing) {
  TempDir t = make_dir();
  EXPECT_TRUE(fsync_dir(t.path()));
  auto r = fsync_dir(t.file("missing"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, ENOENT);
  FaultOps ops;
  ops.fail_fsync_at = 1;
  auto f = fsync_dir(t.path(), ops);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().sys_errno, EIO);
}

TEST(ReadFile, RefusesWhatIsNotAPlainFile) {
  TempDir t = make_dir();
  put(t.file("plain"), "hello");
  put(t.file("big"), std::string(100, 'x'));
  ASSERT_EQ(::symlink(t.file("plain").c_str(), t.file("link").c_str()), 0);
  ASSERT_EQ(::mkfifo(t.file("fifo").c_str(), 0600), 0);  // opening must not block
  ASSERT_EQ(::link(t.file("plain").c_str(), t.file("hard").c_str()), 0);
  ASSERT_EQ(::mkdir(t.file("dir").c_str(), 0700), 0);
  struct Case {
    const char* name;
    LinkCheck links;
    size_t max;
    int want_errno;  // 0 = success
  };
  const Case kCases[] = {
      {.name = "plain", .links = LinkCheck::any, .max = 100, .want_errno = 0},
      {.name = "link", .links = LinkCheck::any, .max = 100, .want_errno = ELOOP},
      {.name = "fifo", .links = LinkCheck::any, .max = 100, .want_errno = EINVAL},
      {.name = "dir", .links = LinkCheck::any, .max = 100, .want_errno = EINVAL},
      {.name = "hard", .links = LinkCheck::single, .max = 100, .want_errno = EMLINK},
      {.name = "hard", .links = LinkCheck::any, .max = 100, .want_errno = 0},
      {.name = "big", .links = LinkCheck::any, .max = 99, .want_errno = EFBIG},
      {.name = "big", .links = LinkCheck::any, .max = 100, .want_errno = 0},
      {.name = "missing", .links = LinkCheck::any, .max = 100, .want_errno = ENOENT},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto r = read_file(t.file(c.name), c.max, c.links);
    if (c.want_errno == 0) {
      ASSERT_TRUE(r) << r.error().what;
    } else {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, Errc::io);
      EXPECT_EQ(r.error().sys_errno, c.want_errno) << r.error().what;
      EXPECT_NE(r.error().what.find(c.name), std::string::npos) << r.error().what;
    }
  }
  EXPECT_EQ(*read_file(t.file("plain"), 100), "hello");
}

TEST(SafeOpenRead, ReturnsBlockingFd) {
  TempDir t = make_dir();
  put(t.file("f"), "abc");
  auto fd = safe_open_read(t.file("f"));
  ASSERT_TRUE(fd);
  int flags = ::fcntl(fd->get(), F_GETFL);
  EXPECT_EQ(flags & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(ReadFile, AtDirFdAndFromOpenFd) {
  TempDir t = make_dir();
  std::string big(200000, 'b');
  put(t.file("small"), "abc");
  put(t.file("big"), big);
  put(t.file("empty"), "");
  auto dir = open_dir(t.path());
  ASSERT_TRUE(dir);
  EXPECT_EQ(*read_file_at(dir->get(), "small", 100), "abc");
  EXPECT_EQ(*read_file_at(dir->get(), "big", big.size()), big);
  EXPECT_EQ(*read_file_at(dir->get(), "empty", 0), "");
  EXPECT_FALSE(read_file_at(dir->get(), "big", big.size() - 1));
  EXPECT_TRUE(file_exists_at(dir->get(), "small"));
  EXPECT_FALSE(file_exists_at(dir->get(), "nope"));
  auto fd = safe_open_read(t.file("big"));
  ASSERT_TRUE(fd);
  ASSERT_EQ(::lseek(fd->get(), 1000, SEEK_SET), 1000);  // from the current offset
  EXPECT_EQ(*read_fd(fd->get(), big.size(), "big"), big.substr(1000));
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd r(fds[0]);
  UniqueFd w(fds[1]);
  ASSERT_EQ(::write(w.get(), "piped", 5), 5);
  w.reset();
  EXPECT_EQ(*read_fd(r.get(), 100, "pipe"), "piped");  // no size hint: to EOF
  EXPECT_FALSE(open_dir(t.file("small")));
}

TEST(WriteFileAtomic, WritesReplacesAndLeavesNoTemp) {
  TempDir t = make_dir();
  ASSERT_TRUE(write_file_atomic(t.path(), "out", "first"));
  EXPECT_EQ(*read_file(t.file("out"), 100), "first");
  EXPECT_EQ(mode_of(t.file("out")), 0600u);
  ASSERT_TRUE(write_file_atomic(t.path(), "out", "second"));
  EXPECT_EQ(*read_file(t.file("out"), 100), "second");
  EXPECT_EQ(list_dir(t.path())->size(), 1u);
}

TEST(WriteFileAtomic, FailureLeavesTargetAndNoTemp) {
  struct Case {
    const char* name;
    int fail_write_at;
    int fail_fsync_at;
    int fail_rename_at;
  };
  const Case kCases[] = {
      {.name = "write ENOSPC", .fail_write_at = 1, .fail_fsync_at = 0, .fail_rename_at = 0},
      {.name = "fsync EIO", .fail_write_at = 0, .fail_fsync_at = 1, .fail_rename_at = 0},
      {.name = "rename EXDEV", .fail_write_at = 0, .fail_fsync_at = 0, .fail_rename_at = 1},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    TempDir t = make_dir();
    put(t.file("out"), "old");
    FaultOps ops;
    ops.fail_write_at = c.fail_write_at;
    ops.fail_fsync_at = c.fail_fsync_at;
    ops.fail_rename_at = c.fail_rename_at;
    EXPECT_FALSE(write_file_atomic(t.path(), "out", "new", ops));
    EXPECT_EQ(*read_file(t.file("out"), 100), "old");
    EXPECT_EQ(list_dir(t.path())->size(), 1u);
  }
}

TEST(WriteFileAtomic, RejectsNamesWithSlash) {
  TempDir t = make_dir();
  for (const char* name : {"", ".", "..", "a/b"}) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(write_file_atomic(t.path(), name, "x"));
  }
}

TEST(FileExists, DoesNotFollow) {
  TempDir t = make_dir();
  EXPECT_FALSE(file_exists(t.file("nothing")));
  ASSERT_EQ(::symlink(t.file("nothing").c_str(), t.file("dangling").c_str()), 0);
  EXPECT_TRUE(file_exists(t.file("dangling")));
  EXPECT_TRUE(file_exists(t.path()));
}

TEST(ListDir, NamesWithoutDotsAndMissingDir) {
  TempDir t = make_dir();
  put(t.file("a"), "");
  put(t.file(".hidden"), "");
  auto names = list_dir(t.path());
  ASSERT_TRUE(names);
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{".hidden", "a"}));
  auto missing = list_dir(t.file("nope"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().sys_errno, ENOENT);
}

}  // namespace
}  // namespace rm
