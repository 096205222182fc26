// Tests for the leftovers clean_tmp() removes from queue/ (queue/fs_queue_store.h). In a spool
// of two-file entries (unit/queue/two_file_spool.h): a queue/<id>.msg without its .env, older
// than the bound and locked by nobody, goes, with one fsync of queue/; a younger one, a locked
// one, one with its .env or with a failed/<id>.env stays. Of one-file entries: a state (.env)
// whose .mail is gone goes the same way, unless a failed/<id>.mail may still want it; and a
// commit in progress, however old its draft, is never taken for a leftover.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "queue/fs_queue_store.h"
#include "support/temp_dir.h"
#include "support/test_clock.h"
#include "sys/dir_list.h"
#include "sys/fd_io.h"
#include "sys/file_lock.h"
#include "sys/fs.h"
#include "unit/queue/spool_fixture.h"
#include "unit/queue/two_file_spool.h"
#include "unit/sys/fault_ops.h"

namespace rm {
namespace {

using test::FaultOps;

constexpr int64_t kNow = 1700000000;
constexpr int64_t kBound = 60;  // what the daemon and the one-shot runs pass
const std::string kBody = "Subject: hi\r\n\r\nhello\r\n";

void set_mtime(const std::string& path, int64_t t) {
  timespec times[2] = {{.tv_sec = t, .tv_nsec = 0}, {.tv_sec = t, .tv_nsec = 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

class OrphanTest : public test::SpoolTest {
 protected:
  std::string submit(FsQueueStore& store) { return commit_entry(store, entry_for(""), kBody); }

  // submit(), then the entry rewritten in the two-file format.
  std::string submit_two_files(FsQueueStore& store) {
    std::string id = submit(store);
    if (!id.empty()) {
      test::split_to_two_files(spool_ + "/queue", id);
    }
    return id;
  }

  std::string msg(const std::string& id) const { return spool_ + "/queue/" + id + ".msg"; }
  std::string env(const std::string& id) const { return spool_ + "/queue/" + id + ".env"; }
  std::string mail(const std::string& id) const { return spool_ + "/queue/" + id + ".mail"; }
};

TEST_F(OrphanTest, RemovesOnlyOldUnlockedMessagesWithoutAnEntry) {
  enum class Left { orphan, entry, failed_entry };  // what else there is of the id
  struct Case {
    const char* name;
    Left left;
    int64_t age;  // of the .msg's mtime, before the clock's now
    bool locked;  // someone holds the .msg's lock (a runner, a commit)
    bool removed;
  };
  const Case kCases[] = {
      {.name = "old orphan",
       .left = Left::orphan,
       .age = kBound + 1,
       .locked = false,
       .removed = true},
      {.name = "ancient orphan",
       .left = Left::orphan,
       .age = 86400 * 30,
       .locked = false,
       .removed = true},
      {.name = "orphan at the bound",
       .left = Left::orphan,
       .age = kBound,
       .locked = false,
       .removed = false},
      {.name = "young orphan", .left = Left::orphan, .age = 10, .locked = false, .removed = false},
      {.name = "orphan from the future",
       .left = Left::orphan,
       .age = -100,
       .locked = false,
       .removed = false},
      {.name = "locked old orphan",
       .left = Left::orphan,
       .age = 86400,
       .locked = true,
       .removed = false},
      {.name = "old entry", .left = Left::entry, .age = 86400, .locked = false, .removed = false},
      {.name = "old message of a failed entry",
       .left = Left::failed_entry,
       .age = 86400,
       .locked = false,
       .removed = false},
  };
  FaultOps ops;  // counts the unlinks and fsyncs of the store
  FsQueueStore store(spool_, clock_, ops);
  std::vector<std::string> ids;
  std::vector<FileLock> locks;
  std::vector<std::string> want_removed;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    std::string id = submit_two_files(store);
    ASSERT_FALSE(id.empty());
    ids.push_back(id);
    if (c.left == Left::orphan) {
      ASSERT_EQ(::unlink(env(id).c_str()), 0);
    } else if (c.left == Left::failed_entry) {  // move_to_failed() cut between its renames
      const std::string to = spool_ + "/failed/" + id + ".env";
      ASSERT_EQ(::rename(env(id).c_str(), to.c_str()), 0);
    }
    set_mtime(msg(id), kNow - c.age);
    if (c.locked) {
      auto lock = try_lock_path(msg(id), LockOpen::existing);
      ASSERT_TRUE(lock && lock->has_value());
      locks.push_back(std::move(**lock));
    }
    if (c.removed) {
      want_removed.push_back(id);
    }
  }
  std::sort(want_removed.begin(), want_removed.end());
  const int unlinks = ops.unlinks;
  const int fsyncs = ops.fsyncs;
  auto cleaned = store.clean_tmp(kBound);
  ASSERT_TRUE(cleaned) << cleaned.error().what;
  EXPECT_EQ(cleaned->orphans, want_removed);
  EXPECT_EQ(cleaned->tmp_files, 0u);
  EXPECT_EQ(ops.unlinks - unlinks, static_cast<int>(want_removed.size()))
      << "removed through the store's SysOps";
  EXPECT_EQ(ops.fsyncs - fsyncs, 1) << "one fsync of queue/ for all the removals";
  for (size_t k = 0; k < std::size(kCases); ++k) {
    SCOPED_TRACE(kCases[k].name);
    EXPECT_EQ(file_exists(msg(ids[k])), !kCases[k].removed);
  }
  locks.clear();  // the holder is gone: now it is garbage
  auto again = store.clean_tmp(kBound);
  ASSERT_TRUE(again) << again.error().what;
  EXPECT_EQ(again->orphans, std::vector<std::string>{ids[5]});
  EXPECT_FALSE(file_exists(msg(ids[5])));
}

TEST_F(OrphanTest, NothingToRemoveCostsNoFsync) {
  FaultOps ops;
  FsQueueStore store(spool_, clock_, ops);
  std::string id = submit_two_files(store);
  set_mtime(msg(id), kNow - 86400);
  const int fsyncs = ops.fsyncs;
  auto cleaned = store.clean_tmp(kBound);
  ASSERT_TRUE(cleaned) << cleaned.error().what;
  EXPECT_TRUE(cleaned->orphans.empty());
  EXPECT_EQ(ops.fsyncs, fsyncs);
  EXPECT_TRUE(store.load(id));
}

// The removal is only durable with the fsync of queue/: when that fails, the error says so and
// still names what went, for the caller's log.
TEST_F(OrphanTest, AFailedDirectoryFsyncIsAnErrorNamingTheOrphans) {
  FaultOps ops;
  FsQueueStore store(spool_, clock_, ops);
  std::string id = submit_two_files(store);
  ASSERT_EQ(::unlink(env(id).c_str()), 0);
  set_mtime(msg(id), kNow - 3600);
  ops.fail_fsync_at = ops.fsyncs + 1;
  auto cleaned = store.clean_tmp(kBound);
  ASSERT_FALSE(cleaned);
  EXPECT_EQ(cleaned.error().sys_errno, EIO);
  EXPECT_NE(cleaned.error().what.find(id), std::string::npos) << cleaned.error().what;
  EXPECT_FALSE(file_exists(msg(id)));
}

// A SysOps that runs a hook ahead of each rename.
class HookOps final : public SysOps {
 public:
  int rename(const char* from, const char* to, unsigned flags) const override {
    if (before_rename) {
      before_rename(to);
    }
    return SysOps::rename(from, to, flags);
  }
  std::function<void(std::string_view to)> before_rename;
};

// commit() is one rename of a draft its writer holds locked: a cleaner that runs just before
// it, the draft however old, takes nothing, and the entry is whole after it.
TEST_F(OrphanTest, ACommitInProgressIsNoLeftoverHoweverOldItsDraft) {
  HookOps ops;
  FsQueueStore writer(spool_, clock_, ops);
  FsQueueStore cleaner(spool_, clock_);  // its own opens: another process, as far as flock goes
  auto draft = writer.begin();
  ASSERT_TRUE(draft);
  ASSERT_TRUE((*draft)->sink().write(kBody));
  const std::string id = (*draft)->id();
  std::optional<CleanResult> during;
  ops.before_rename = [&](std::string_view to) {
    if (to == mail(id)) {
      const std::vector<std::string> drafts = *list_dir(spool_ + "/tmp");
      for (const std::string& name : drafts) {
        set_mtime(spool_ + "/tmp/" + name, kNow - 86400);
      }
      auto r = cleaner.clean_tmp(kBound);
      ASSERT_TRUE(r) << r.error().what;
      during = std::move(*r);
    }
  };
  ASSERT_TRUE(writer.commit(**draft, entry_for(id)));
  ASSERT_TRUE(during) << "the hook ran before the rename";
  EXPECT_TRUE(during->orphans.empty());
  EXPECT_EQ(during->tmp_files, 0u);
  EXPECT_TRUE(cleaner.load(id));
  auto fd = cleaner.open_content(id);
  ASSERT_TRUE(fd);
  EXPECT_EQ(*read_fd(fd->get(), 1000, "mail"), kBody);
  auto lock = cleaner.try_lock(id);
  ASSERT_TRUE(lock);
  EXPECT_TRUE(lock->has_value()) << "a committed entry keeps no lock of its writer";
}

// A commit that fails after its .mail is in queue/ takes it away itself: nothing is left for
// the cleaner, and nothing locked.
TEST_F(OrphanTest, AFailedCommitLeavesNoLeftover) {
  FaultOps ops;
  FsQueueStore store(spool_, clock_, ops);
  auto draft = store.begin();
  ASSERT_TRUE(draft);
  ASSERT_TRUE((*draft)->sink().write(kBody));
  const std::string id = (*draft)->id();
  ops.fail_fsync_at = ops.fsyncs + 2;  // queue/'s, after the rename
  EXPECT_FALSE(store.commit(**draft, entry_for(id)));
  EXPECT_FALSE(file_exists(mail(id)));
  EXPECT_TRUE(list_dir(spool_ + "/queue")->empty());
}

// A one-file entry's state outlives its .mail when a remove() or move_to_failed() is cut between
// its two steps: never listed, and removed by the cleaner once older than the bound, unless the
// failed entry it belongs to may still be requeued with it.
TEST_F(OrphanTest, RemovesOnlyOldLoneStates) {
  enum class Left { alone, entry, failed_entry };
  struct Case {
    const char* name;
    Left left;
    int64_t age;  // of the .env's mtime
    bool removed;
  };
  const Case kCases[] = {
      {.name = "old lone state", .left = Left::alone, .age = kBound + 1, .removed = true},
      {.name = "state at the bound", .left = Left::alone, .age = kBound, .removed = false},
      {.name = "young lone state (a requeue at work)",
       .left = Left::alone,
       .age = 5,
       .removed = false},
      {.name = "old state of an entry", .left = Left::entry, .age = 86400, .removed = false},
      {.name = "old state of a failed entry",
       .left = Left::failed_entry,
       .age = 86400,
       .removed = false},
  };
  FsQueueStore store(spool_, clock_);
  std::vector<std::string> ids;
  std::vector<std::string> want_removed;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    std::string id = submit(store);
    ASSERT_FALSE(id.empty());
    ids.push_back(id);
    QueueEntry e = *store.load(id);
    ++e.attempts;
    ASSERT_TRUE(store.update(e));
    if (c.left == Left::alone) {
      ASSERT_EQ(::unlink(mail(id).c_str()), 0);
    } else if (c.left == Left::failed_entry) {
      ASSERT_EQ(::rename(mail(id).c_str(), (spool_ + "/failed/" + id + ".mail").c_str()), 0);
    }
    set_mtime(env(id), kNow - c.age);
    if (c.removed) {
      want_removed.push_back(id);
    }
  }
  auto listed = store.list();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->entries.size(), 1u);
  EXPECT_TRUE(listed->quarantined.empty());
  auto cleaned = store.clean_tmp(kBound);
  ASSERT_TRUE(cleaned) << cleaned.error().what;
  EXPECT_EQ(cleaned->orphans, want_removed);
  for (size_t k = 0; k < std::size(kCases); ++k) {
    SCOPED_TRACE(kCases[k].name);
    EXPECT_EQ(file_exists(env(ids[k])), !kCases[k].removed);
  }
  // The failed entry's state, left in queue/, is the one requeue() starts from.
  auto failed = store.load_failed(ids[4]);
  ASSERT_TRUE(failed) << failed.error().what;
  EXPECT_EQ(failed->attempts, 1u);
}

}  // namespace
}  // namespace rm
