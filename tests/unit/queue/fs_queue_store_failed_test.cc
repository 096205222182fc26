// Tests for the failed/ side of queue/fs_queue_store.h against a real directory, with entries of
// the two-file format (unit/queue/two_file_spool.h; the one-file ones are in
// fs_queue_store_one_file_test.cc): load_failed(),
// requeue() (state reset, the copy of the .msg, crash leftovers in either direction, errors) and
// remove_failed(), including exclusion through the failed/<id>.msg lock.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "core/ids.h"
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
const std::string kBody = "Subject: hi\r\n\r\nhello\r\n";

class FailedEntriesTest : public test::SpoolTest {
 protected:
  // A committed entry that then failed for good: one recipient sent, one failed, one deferred,
  // five attempts; moved to failed/. Returns its id ("" on failure).
  std::string failed_entry(FsQueueStore& store) {
    QueueEntry e;
    e.uid = 1000;
    e.sender = "alice@example.org";
    e.created = kNow;
    e.rcpts = {{.addr = "bob@example.org", .state = RcptState::pending, .last_reply = ""}};
    e.id = commit_entry(store, e, kBody);
    if (e.id.empty()) {
      return "";
    }
    test::split_to_two_files(store.queue_dir(), e.id);  // the cases here are for .env with .msg
    e = *store.load(e.id);
    e.rcpts = {
        {.addr = "bob@example.org", .state = RcptState::sent, .last_reply = "250 2.0.0 ok"},
        {.addr = "carol@example.net", .state = RcptState::failed, .last_reply = "550 5.1.1 no"},
        {.addr = "dave@example.net", .state = RcptState::deferred, .last_reply = "451 later"},
    };
    e.attempts = 5;
    e.next_try = kNow + 9999;
    e.last_error = "550 5.1.1 no";
    EXPECT_TRUE(store.update(e));
    EXPECT_TRUE(store.move_to_failed(e.id));
    return e.id;
  }
};

TEST_F(FailedEntriesTest, LoadFailedReadsFailedOnly) {
  FsQueueStore store(spool_, clock_);
  std::string id = failed_entry(store);
  auto e = store.load_failed(id);
  ASSERT_TRUE(e) << e.error().what;
  EXPECT_EQ(e->attempts, 5u);
  EXPECT_EQ(store.load(id).error().sys_errno, ENOENT);
  ASSERT_TRUE(store.requeue(id));
  EXPECT_EQ(store.load_failed(id).error().sys_errno, ENOENT);
  EXPECT_EQ(store.load_failed("../../etc/passwd").error().sys_errno, EINVAL);
}

TEST_F(FailedEntriesTest, RequeueResetsTheStateAndMovesBothFiles) {
  FsQueueStore store(spool_, clock_);
  std::string id = failed_entry(store);
  QueueEntry before = *store.load_failed(id);
  clock_.now = kNow + 100;
  auto r = store.requeue(id);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_EQ(names("queue"), (std::vector<std::string>{id + ".env", id + ".msg"}));
  EXPECT_TRUE(names("failed").empty());
  EXPECT_TRUE(names("tmp").empty());

  QueueEntry got = *store.load(id);
  EXPECT_EQ(got.attempts, 0u);
  EXPECT_EQ(got.next_try, kNow + 100);
  ASSERT_EQ(got.rcpts.size(), 3u);
  const RcptState kWant[] = {RcptState::sent, RcptState::pending, RcptState::pending};
  for (size_t i = 0; i < got.rcpts.size(); ++i) {
    SCOPED_TRACE(got.rcpts[i].addr);
    EXPECT_EQ(got.rcpts[i].state, kWant[i]);
    EXPECT_EQ(got.rcpts[i].last_reply, before.rcpts[i].last_reply);
  }
  EXPECT_EQ(got.last_error, before.last_error);
  EXPECT_EQ(got.size, before.size);
  EXPECT_EQ(got.created, before.created);

  auto listed = store.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->entries.size(), 1u);
  EXPECT_EQ(listed->entries[0], got);
  auto fd = store.open_content(id);  // a single-link regular file, as delivery requires
  ASSERT_TRUE(fd) << fd.error().what;
  EXPECT_EQ(*read_fd(fd->get(), 1 << 20, "msg"), kBody);
  auto lock = store.try_lock(id);
  ASSERT_TRUE(lock);
  EXPECT_TRUE(lock->has_value());
}

TEST_F(FailedEntriesTest, RequeueErrors) {
  struct Case {
    const char* name;
    // Damages or arranges the spool around a failed entry `id`.
    void (*arrange)(FsQueueStore& store, const std::string& spool, const std::string& id);
    Errc code;
    int sys_errno;  // checked when code is Errc::io
    bool failed_kept;
  };
  const Case kCases[] = {
      {.name = "no such entry",
       .arrange = [](FsQueueStore& store, const std::string&,
                     const std::string& id) { ASSERT_TRUE(store.remove_failed(id)); },
       .code = Errc::io,
       .sys_errno = ENOENT,
       .failed_kept = false},
      {.name = "quarantined: .env does not parse",
       .arrange =
           [](FsQueueStore&, const std::string& spool, const std::string& id) {
             ASSERT_TRUE(write_file_atomic(spool + "/failed", id + ".env", "junk\n"));
           },
       .code = Errc::spool_corrupt,
       .sys_errno = 0,
       .failed_kept = true},
      {.name = "quarantined: .env is a symlink",
       .arrange =
           [](FsQueueStore&, const std::string& spool, const std::string& id) {
             std::string env = spool + "/failed/" + id + ".env";
             ASSERT_EQ(::rename(env.c_str(), (spool + "/elsewhere").c_str()), 0);
             ASSERT_EQ(::symlink("../elsewhere", env.c_str()), 0);
           },
       .code = Errc::spool_corrupt,
       .sys_errno = 0,
       .failed_kept = true},
      {.name = "no message anywhere",
       .arrange =
           [](FsQueueStore&, const std::string& spool, const std::string& id) {
             ASSERT_EQ(::unlink((spool + "/failed/" + id + ".msg").c_str()), 0);
           },
       .code = Errc::spool_corrupt,
       .sys_errno = 0,
       .failed_kept = true},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    spool_ = tmp_->file(std::string("spool-") + std::to_string(&c - kCases));
    FsQueueStore store(spool_, clock_);
    std::string id = failed_entry(store);
    c.arrange(store, spool_, id);
    std::vector<std::string> failed_before = names("failed");
    auto r = store.requeue(id);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, c.code) << r.error().what;
    if (c.code == Errc::io) {
      EXPECT_EQ(r.error().sys_errno, c.sys_errno) << r.error().what;
    }
    EXPECT_NE(r.error().what.find(id), std::string::npos) << r.error().what;
    EXPECT_EQ(names("failed"), failed_before);
    EXPECT_EQ(!failed_before.empty(), c.failed_kept);
    EXPECT_FALSE(file_exists(path("queue", id, ".env")));
    EXPECT_TRUE(names("tmp").empty());
  }
}

TEST_F(FailedEntriesTest, RequeueOfAQueuedEntryChangesNothing) {
  FsQueueStore store(spool_, clock_);
  std::string id = failed_entry(store);
  ASSERT_TRUE(store.requeue(id));
  QueueEntry queued = *store.load(id);
  auto again = store.requeue(id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().sys_errno, EEXIST);
  EXPECT_EQ(*store.load(id), queued);
  EXPECT_EQ(store.requeue("0006010a1b2c3da1b2c3").error().sys_errno, EINVAL);
}

TEST_F(FailedEntriesTest, RequeueAndRemoveFailedExcludeEachOther) {
  FsQueueStore store(spool_, clock_);
  std::string id = failed_entry(store);
  auto held = try_lock_path(path("failed", id, ".msg"));
  ASSERT_TRUE(held && held->has_value());
  auto r = store.requeue(id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, EWOULDBLOCK);
  auto d = store.remove_failed(id);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().sys_errno, EWOULDBLOCK);
  EXPECT_EQ(names("failed").size(), 2u);
  held->reset();
  EXPECT_TRUE(store.requeue(id));
}

// A failure at each durable step leaves the failed entry whole; a rerun then succeeds.
TEST_F(FailedEntriesTest, RequeueFailureLeavesTheFailedEntry) {
  struct Case {
    const char* name;
    int fail_rename_at;  // counted from the requeue: 1 the .msg copy, 2 the .env
    int fail_fsync_at;   // 1 the .msg copy, 2 queue/ after it, 3 the .env
  };
  const Case kCases[] = {
      {.name = "rename of the .msg copy", .fail_rename_at = 1, .fail_fsync_at = 0},
      {.name = "rename of the .env", .fail_rename_at = 2, .fail_fsync_at = 0},
      {.name = "fsync of the .msg copy", .fail_rename_at = 0, .fail_fsync_at = 1},
      {.name = "fsync of queue/ after the .msg", .fail_rename_at = 0, .fail_fsync_at = 2},
      {.name = "fsync of the .env", .fail_rename_at = 0, .fail_fsync_at = 3},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    spool_ = tmp_->file(std::string("spool-") + std::to_string(&c - kCases));
    FaultOps ops;
    FsQueueStore store(spool_, clock_, ops);
    std::string id = failed_entry(store);
    ops.fail_rename_at = c.fail_rename_at == 0 ? 0 : ops.renames + c.fail_rename_at;
    ops.fail_fsync_at = c.fail_fsync_at == 0 ? 0 : ops.fsyncs + c.fail_fsync_at;
    auto r = store.requeue(id);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys_errno, c.fail_rename_at != 0 ? EXDEV : EIO) << r.error().what;
    EXPECT_EQ(names("failed"), (std::vector<std::string>{id + ".env", id + ".msg"}));
    EXPECT_FALSE(file_exists(path("queue", id, ".env")));
    EXPECT_TRUE(store.list()->entries.empty());
    EXPECT_TRUE(names("tmp").empty());
    auto rerun = store.requeue(id);
    ASSERT_TRUE(rerun) << rerun.error().what;
    EXPECT_EQ(store.list()->entries.size(), 1u);
    EXPECT_TRUE(names("failed").empty());
  }
}

// What a crash leaves in each direction, and how requeue and list treat it.
TEST_F(FailedEntriesTest, CrashLeftovers) {
  FsQueueStore store(spool_, clock_);

  // requeue crashed after the .msg copy: a queue/<id>.msg without .env is replaced by a rerun.
  std::string a = failed_entry(store);
  ASSERT_TRUE(write_file_atomic(spool_ + "/queue", a + ".msg", "half a copy"));
  EXPECT_TRUE(store.list()->entries.empty());
  ASSERT_TRUE(store.requeue(a));
  EXPECT_EQ(*read_fd(store.open_content(a)->get(), 1 << 20, "msg"), kBody);

  // requeue crashed after the .env: the entry is in both places. The queue copy is the entry.
  std::string b = failed_entry(store);
  std::string env_text = *read_file(path("failed", b, ".env"), 1 << 20);
  ASSERT_TRUE(store.requeue(b));
  ASSERT_TRUE(write_file_atomic(spool_ + "/failed", b + ".env", env_text));
  ASSERT_TRUE(write_file_atomic(spool_ + "/failed", b + ".msg", kBody));
  auto listed = store.list();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->entries.size(), 2u);
  EXPECT_TRUE(listed->quarantined.empty());
  EXPECT_EQ(store.requeue(b).error().sys_errno, EEXIST);
  ASSERT_TRUE(store.remove_failed(b));  // the leftover goes; the queued entry stays
  EXPECT_TRUE(names("failed").empty());
  EXPECT_TRUE(store.load(b));

  // move_to_failed crashed between its renames: failed/<id>.env, queue/<id>.msg. Requeue uses
  // that .msg.
  std::string c = failed_entry(store);
  ASSERT_EQ(::rename(path("failed", c, ".msg").c_str(), path("queue", c, ".msg").c_str()), 0);
  auto r = store.requeue(c);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_EQ(*read_fd(store.open_content(c)->get(), 1 << 20, "msg"), kBody);
  EXPECT_EQ(store.list()->entries.size(), 3u);
  EXPECT_TRUE(names("failed").empty());
}

TEST_F(FailedEntriesTest, RemoveFailed) {
  FsQueueStore store(spool_, clock_);
  std::string id = failed_entry(store);
  ASSERT_TRUE(store.remove_failed(id));
  EXPECT_TRUE(names("failed").empty());
  auto again = store.remove_failed(id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().sys_errno, ENOENT);
  EXPECT_EQ(store.remove_failed("../queue/x").error().sys_errno, EINVAL);

  // A quarantined entry (corrupt .env, symlinked .msg) is removed too; the target is not.
  std::string q = failed_entry(store);
  ASSERT_TRUE(write_file_atomic(spool_ + "/failed", q + ".env", "junk\n"));
  std::string target = tmp_->file("target");
  ASSERT_TRUE(write_file_atomic(tmp_->path(), "target", "keep"));
  ASSERT_EQ(::unlink(path("failed", q, ".msg").c_str()), 0);
  ASSERT_EQ(::symlink(target.c_str(), path("failed", q, ".msg").c_str()), 0);
  ASSERT_TRUE(store.remove_failed(q));
  EXPECT_TRUE(names("failed").empty());
  EXPECT_TRUE(file_exists(target));

  // A queued entry is not remove_failed()'s business.
  std::string queued = failed_entry(store);
  ASSERT_TRUE(store.requeue(queued));
  EXPECT_EQ(store.remove_failed(queued).error().sys_errno, ENOENT);
  EXPECT_TRUE(store.load(queued));
}

}  // namespace
}  // namespace rm
