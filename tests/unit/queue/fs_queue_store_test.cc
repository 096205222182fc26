// Tests for queue/fs_queue_store.h against a real directory: the commit protocol and its
// failure paths (through the SysOps seam), listing and quarantine, locking between two stores,
// tmp cleaning, permissions and refusal of hostile ids and files.
#include "queue/fs_queue_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include "core/ids.h"
#include "queue/env_format.h"
#include "queue/mail_file.h"
#include "support/temp_dir.h"
#include "support/test_clock.h"
#include "sys/dir_list.h"
#include "sys/fd_io.h"
#include "sys/fs.h"
#include "sys/temp_file.h"
#include "unit/queue/spool_fixture.h"
#include "unit/sys/fault_ops.h"

namespace rm {
namespace {

using test::FaultOps;
using test::TempDir;

constexpr int64_t kNow = 1700000000;
const std::string kBody = "Subject: hi\r\n\r\nhello\r\n";

class FsQueueStoreTest : public test::SpoolTest {
 protected:
  QueueEntry entry_for(const std::string& id) const {
    QueueEntry e;
    e.id = id;
    e.uid = 1000;
    e.sender = "alice@example.org";
    e.created = kNow;
    e.rcpts = {{.addr = "bob@example.org", .state = RcptState::pending, .last_reply = ""},
               {.addr = "carol@example.net", .state = RcptState::pending, .last_reply = ""}};
    return e;
  }

  // begin, write body, commit; returns the id ("" on failure).
  std::string submit(FsQueueStore& store, const std::string& body = kBody) {
    return commit_entry(store, entry_for(""), body);
  }

  mode_t mode_of(const std::string& path) const {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
};

TEST_F(FsQueueStoreTest, ConstructorDoesNoIo) {
  FsQueueStore store(spool_, clock_);
  EXPECT_FALSE(file_exists(spool_));
  EXPECT_EQ(store.dir(), spool_);
}

TEST_F(FsQueueStoreTest, CommitThenListLoadAndOpen) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  ASSERT_TRUE(is_valid_queue_id(id));
  EXPECT_EQ(names("queue"), (std::vector<std::string>{id + ".mail"}));
  EXPECT_TRUE(names("tmp").empty());

  auto listed = store.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->entries.size(), 1u);
  QueueEntry want = entry_for(id);
  want.size = kBody.size();
  EXPECT_EQ(listed->entries[0], want);
  EXPECT_TRUE(listed->quarantined.empty());
  EXPECT_TRUE(listed->errors.empty());

  auto loaded = store.load(id);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, want);

  auto fd = store.open_content(id);
  ASSERT_TRUE(fd);
  EXPECT_EQ(*read_fd(fd->get(), 1 << 20, "msg"), kBody);
}

// The id's time is one reading of the clock: seconds and microseconds agree, also at the end of
// a second (they were read apart once, and could straddle a second boundary).
TEST_F(FsQueueStoreTest, IdsAreFreshValidAndCarryTheClock) {
  clock_.micros = 999998;  // the test clock moves on by 1 us a reading
  FsQueueStore store(spool_, clock_);
  auto a = store.begin();
  auto b = store.begin();
  ASSERT_TRUE(a && b);
  EXPECT_NE((*a)->id(), (*b)->id());
  uint64_t want = static_cast<uint64_t>(kNow) * 1000000 + 999998;
  for (const auto* d : {&*a, &*b}) {
    ASSERT_TRUE(is_valid_queue_id((*d)->id()));
    uint64_t micros = std::stoull((*d)->id().substr(0, 14), nullptr, 16);
    EXPECT_EQ(micros, want++);
  }
}

TEST_F(FsQueueStoreTest, DirectoriesAndFilesArePrivate) {
  mode_t old = ::umask(0);  // even a careless umask must not widen the modes
  {
    FsQueueStore store(spool_, clock_);
    std::string id = submit(store);
    ASSERT_FALSE(id.empty());
    for (const char* d : {"", "/queue", "/tmp", "/failed"}) {
      SCOPED_TRACE(d);
      EXPECT_EQ(mode_of(spool_ + d), 0700u);
    }
    EXPECT_EQ(mode_of(spool_ + "/queue/" + id + ".mail"), 0600u);
    QueueEntry e = *store.load(id);
    e.attempts = 1;
    ASSERT_TRUE(store.update(e));
    EXPECT_EQ(mode_of(spool_ + "/queue/" + id + ".env"), 0600u);
  }
  ::umask(old);
}

TEST_F(FsQueueStoreTest, ListCreatesMissingDirectories) {
  FsQueueStore store(spool_, clock_);
  auto listed = store.list();
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->entries.empty());
  EXPECT_TRUE(file_exists(spool_ + "/queue") && file_exists(spool_ + "/tmp") &&
              file_exists(spool_ + "/failed"));
}

TEST_F(FsQueueStoreTest, UncommittedDraftLeavesNothing) {
  FsQueueStore store(spool_, clock_);
  {
    auto draft = store.begin();
    ASSERT_TRUE(draft);
    ASSERT_TRUE((*draft)->sink().write(std::string(200000, 'x')));
    EXPECT_EQ((*draft)->bytes_written(), 200000u);
    EXPECT_EQ(names("tmp").size(), 1u);
  }
  EXPECT_TRUE(names("tmp").empty());
  EXPECT_TRUE(names("queue").empty());
  EXPECT_TRUE(store.list()->entries.empty());
}

TEST_F(FsQueueStoreTest, CommitChecksTheDraft) {
  FsQueueStore store(spool_, clock_);
  FsQueueStore other(tmp_->file("other"), clock_);
  auto draft = store.begin();
  auto foreign = other.begin();
  ASSERT_TRUE(draft && foreign);
  std::string id = (*draft)->id();
  EXPECT_FALSE(store.commit(**foreign, entry_for((*foreign)->id())));      // another store's draft
  EXPECT_FALSE(store.commit(**draft, entry_for("0006010A1B2C3DA1B2C3")));  // wrong id
  ASSERT_TRUE(store.commit(**draft, entry_for(id)));
  EXPECT_FALSE(store.commit(**draft, entry_for(id)));  // twice
  EXPECT_FALSE((*draft)->sink().write("late"));        // cannot touch the committed .mail
  draft->reset();
  auto fd = store.open_content(id);
  ASSERT_TRUE(fd);
  EXPECT_EQ(*read_fd(fd->get(), 100, "msg"), "");
  EXPECT_EQ(store.list()->entries.size(), 1u);
}

TEST_F(FsQueueStoreTest, CommitRefusesAnEntryItCannotStore) {
  FsQueueStore store(spool_, clock_);
  auto draft = store.begin();
  ASSERT_TRUE(draft);
  QueueEntry e = entry_for((*draft)->id());
  e.rcpts[0].addr = "bad address@example.org";
  EXPECT_FALSE(store.commit(**draft, e));
  draft->reset();
  EXPECT_TRUE(names("queue").empty());
  EXPECT_TRUE(names("tmp").empty());
}

// RELIABILITY.md §1 and test list 5/6: a failure anywhere in commit leaves no entry and no file.
TEST_F(FsQueueStoreTest, CommitFailureAnywhereLeavesNothing) {
  struct Case {
    const char* name;
    int fail_write_at;   // 1: the draft's bytes, 2: the head
    int fail_fsync_at;   // 1: .mail, 2: queue/ after its rename
    int fail_rename_at;  // 1: .mail
  };
  const Case kCases[] = {
      {.name = "ENOSPC writing the message",
       .fail_write_at = 1,
       .fail_fsync_at = 0,
       .fail_rename_at = 0},
      {.name = "ENOSPC writing the head",
       .fail_write_at = 2,
       .fail_fsync_at = 0,
       .fail_rename_at = 0},
      {.name = "EIO on fsync of the .mail",
       .fail_write_at = 0,
       .fail_fsync_at = 1,
       .fail_rename_at = 0},
      {.name = "EIO on fsync of queue/ after the rename",
       .fail_write_at = 0,
       .fail_fsync_at = 2,
       .fail_rename_at = 0},
      {.name = "rename of the .mail", .fail_write_at = 0, .fail_fsync_at = 0, .fail_rename_at = 1},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    std::string spool = tmp_->file(std::string("spool-") + std::to_string(&c - kCases));
    FaultOps ops;
    ops.fail_write_at = c.fail_write_at;
    ops.fail_fsync_at = c.fail_fsync_at;
    ops.fail_rename_at = c.fail_rename_at;
    FsQueueStore store(spool, clock_, ops);
    {
      auto draft = store.begin();
      ASSERT_TRUE(draft);
      ASSERT_TRUE((*draft)->sink().write(kBody));
      EXPECT_FALSE(store.commit(**draft, entry_for((*draft)->id())));
    }
    EXPECT_TRUE(list_dir(spool + "/queue")->empty());
    EXPECT_TRUE(list_dir(spool + "/tmp")->empty());
    FsQueueStore reader(spool, clock_);
    EXPECT_TRUE(reader.list()->entries.empty());
  }
}

// A full disk is reported against the file being written, as the operator needs it (issue 16:
// "write fd 3: No space left on device" named nothing).
TEST_F(FsQueueStoreTest, WriteFailuresNameTheSpoolFile) {
  struct Case {
    const char* name;
    int fail_write_at;  // 1: the draft's bytes, 2: the head
    std::string file;   // the start of the temp file's name in tmp/, after the id
  };
  const Case kCases[] = {
      {.name = "the message", .fail_write_at = 1, .file = ".mail."},
      {.name = "the head", .fail_write_at = 2, .file = ".mail."},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    std::string spool = tmp_->file(std::string("full-") + std::to_string(&c - kCases));
    FaultOps ops;
    ops.fail_write_at = c.fail_write_at;
    ops.write_errno = ENOSPC;
    FsQueueStore store(spool, clock_, ops);
    auto draft = store.begin();
    ASSERT_TRUE(draft);
    ASSERT_TRUE((*draft)->sink().write(kBody));
    auto r = store.commit(**draft, entry_for((*draft)->id()));
    ASSERT_FALSE(r);
    const std::string& what = r.error().what;
    EXPECT_EQ(r.error().sys_errno, ENOSPC);
    EXPECT_EQ(what.rfind("write " + spool + "/tmp/" + (*draft)->id() + c.file, 0), 0u) << what;
    EXPECT_TRUE(what.ends_with(std::string(": ") + strerror(ENOSPC))) << what;
    EXPECT_EQ(what.find("fd "), std::string::npos) << what;
  }
}

// RELIABILITY.md §6 cases 3, 5 and 6 at the seam: every write, fsync and rename a commit makes
// is failed in turn, with EIO and with ENOSPC, and each time the rollback's unlinks fail too
// (the worst case). Every one of those calls is needed for durability, so each fault must fail
// the commit; nothing half-written may ever be listed; and with the rollback intact nothing at
// all is listed and no file is left. A second commit of the same draft is refused, so a failed
// fsync never turns into a success by trying again.
TEST_F(FsQueueStoreTest, EveryDurabilityCallOfACommitCanFail) {
  FaultOps count;
  {
    FsQueueStore store(tmp_->file("count"), clock_, count);
    ASSERT_NE(submit(store), "");
  }
  ASSERT_EQ(count.unlinks, 0) << "a clean commit unlinks nothing";
  // The .mail, then queue/ once for its rename: one file, two fsyncs (issue 16).
  EXPECT_EQ(count.fsyncs, 2);
  EXPECT_EQ(count.renames, 1);
  struct Kind {
    const char* name;
    int calls;
    int FaultOps::*at;
    int FaultOps::*err;
  };
  const Kind kKinds[] = {
      {"write", count.writes, &FaultOps::fail_write_at, &FaultOps::write_errno},
      {"fsync", count.fsyncs, &FaultOps::fail_fsync_at, &FaultOps::fsync_errno},
      {"rename", count.renames, &FaultOps::fail_rename_at, &FaultOps::rename_errno}};
  int run = 0;
  for (const Kind& k : kKinds) {
    ASSERT_GT(k.calls, 0) << k.name;
    for (int n = 1; n <= k.calls; ++n) {
      for (int err : {EIO, ENOSPC}) {
        for (bool unlinks_fail : {false, true}) {
          SCOPED_TRACE(std::string(k.name) + " #" + std::to_string(n) + " " + strerror(err) +
                       (unlinks_fail ? ", unlinks failing" : ""));
          std::string spool = tmp_->file("sweep-" + std::to_string(run++));
          FaultOps ops;
          ops.*k.at = n;
          ops.*k.err = err;
          ops.fail_unlink_from = unlinks_fail ? 1 : 0;
          FsQueueStore store(spool, clock_, ops);
          {
            auto draft = store.begin();
            ASSERT_TRUE(draft);
            ASSERT_TRUE((*draft)->sink().write(kBody));
            auto r = store.commit(**draft, entry_for((*draft)->id()));
            ASSERT_FALSE(r) << "the fault went unnoticed";
            EXPECT_EQ(r.error().sys_errno, err);
            EXPECT_FALSE(store.commit(**draft, entry_for((*draft)->id())));
          }
          FsQueueStore reader(spool, clock_);
          auto listed = reader.list();
          ASSERT_TRUE(listed);
          EXPECT_TRUE(listed->quarantined.empty());
          if (!unlinks_fail) {
            EXPECT_TRUE(listed->entries.empty());
            EXPECT_TRUE(list_dir(spool + "/queue")->empty());
            EXPECT_TRUE(list_dir(spool + "/tmp")->empty());
          }
          // A double fault (the last fsync, then the rollback's unlink) can leave the entry
          // whole in queue/: it may be sent although the caller heard "not accepted" (at
          // worst a duplicate after a retry), but it is never sent in part.
          for (const QueueEntry& e : listed->entries) {
            auto fd = reader.open_content(e.id);
            ASSERT_TRUE(fd);
            EXPECT_EQ(*read_fd(fd->get(), 1000, "msg"), kBody);
          }
        }
      }
    }
  }
}

TEST_F(FsQueueStoreTest, ListIsSortedById) {
  FsQueueStore store(spool_, clock_);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(submit(store));
  }
  std::sort(ids.begin(), ids.end());
  auto listed = store.list();
  ASSERT_TRUE(listed);
  std::vector<std::string> got;
  for (const QueueEntry& e : listed->entries) {
    got.push_back(e.id);
  }
  EXPECT_EQ(got, ids);
}

TEST_F(FsQueueStoreTest, UpdateReplacesAtomically) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  QueueEntry e = *store.load(id);
  e.rcpts[0].state = RcptState::sent;
  e.rcpts[0].last_reply = "250 2.0.0 OK\r\nrcpt: pending <evil@x.test>";
  e.rcpts[1].state = RcptState::deferred;
  e.attempts = 1;
  e.next_try = kNow + 300;
  e.last_error = "451 try later";
  ASSERT_TRUE(store.update(e));
  QueueEntry got = *store.load(id);
  EXPECT_EQ(got.rcpts.size(), 2u);
  EXPECT_EQ(got.rcpts[0].last_reply, "250 2.0.0 OK  rcpt: pending <evil@x.test>");
  EXPECT_EQ(got.attempts, 1u);
  EXPECT_EQ(got.next_try, kNow + 300);
  EXPECT_FALSE(got.has_pending() && got.rcpts[1].state != RcptState::deferred);
  // The state goes beside the .mail, which is never rewritten.
  EXPECT_EQ(names("queue"), (std::vector<std::string>{id + ".env", id + ".mail"}));
  EXPECT_TRUE(names("tmp").empty());
}

TEST_F(FsQueueStoreTest, UpdateNeverResurrectsARemovedEntry) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  QueueEntry e = *store.load(id);
  ASSERT_TRUE(store.remove(id));
  auto r = store.update(e);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, ENOENT);
  EXPECT_TRUE(names("queue").empty());
}

TEST_F(FsQueueStoreTest, FailedUpdateKeepsTheOldState) {
  FaultOps ops;
  FsQueueStore store(spool_, clock_, ops);
  std::string id = submit(store);
  QueueEntry before = *store.load(id);
  QueueEntry after = before;
  after.attempts = 9;
  ops.fail_fsync_at = ops.fsyncs + 1;  // the new .env's fsync
  EXPECT_FALSE(store.update(after));
  EXPECT_EQ(*store.load(id), before);
  EXPECT_TRUE(names("tmp").empty());
}

TEST_F(FsQueueStoreTest, RemoveTakesBothFiles) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  ASSERT_TRUE(store.remove(id));
  EXPECT_TRUE(names("queue").empty());
  auto again = store.remove(id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().sys_errno, ENOENT);
  auto gone = store.load(id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().sys_errno, ENOENT);
}

TEST_F(FsQueueStoreTest, MoveToFailedKeepsTheId) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  ASSERT_TRUE(store.move_to_failed(id));
  EXPECT_TRUE(names("queue").empty());
  EXPECT_EQ(names("failed"), (std::vector<std::string>{id + ".mail"}));
  EXPECT_TRUE(store.list()->entries.empty());
  EXPECT_FALSE(store.move_to_failed(id));
}

TEST_F(FsQueueStoreTest, OpenContentRefusesPlantedFiles) {
  FsQueueStore store(spool_, clock_);
  std::string a = submit(store);
  std::string b = submit(store);
  std::string secret = tmp_->file("secret");
  ASSERT_TRUE(write_file_atomic(tmp_->path(), "secret", "root:x:0:0"));
  std::string msg_a = spool_ + "/queue/" + a + ".mail";
  std::string msg_b = spool_ + "/queue/" + b + ".mail";
  ASSERT_EQ(::unlink(msg_a.c_str()), 0);
  ASSERT_EQ(::symlink(secret.c_str(), msg_a.c_str()), 0);
  ASSERT_EQ(::unlink(msg_b.c_str()), 0);
  ASSERT_EQ(::link(secret.c_str(), msg_b.c_str()), 0);
  auto ra = store.open_content(a);
  ASSERT_FALSE(ra);
  EXPECT_EQ(ra.error().sys_errno, ELOOP);
  auto rb = store.open_content(b);
  ASSERT_FALSE(rb);
  EXPECT_EQ(rb.error().sys_errno, EMLINK);
}

TEST_F(FsQueueStoreTest, InvalidIdsNeverBecomePaths) {
  FsQueueStore store(spool_, clock_);
  ASSERT_TRUE(store.list());
  const char* kIds[] = {"",
                        "../../etc/passwd",
                        "0006010a1b2c3da1b2c3",
                        "0006010A1B2C3DA1B2C3X",
                        "0006010A1B2C3DA1B2C/",
                        "0006010A1B2C3DA1B2C"};
  for (const char* id : kIds) {
    SCOPED_TRACE(id);
    QueueEntry e = entry_for(id);
    for (const Error& err : {store.load(id).error(), store.update(e).error(),
                             store.remove(id).error(), store.move_to_failed(id).error(),
                             store.open_content(id).error(), store.try_lock(id).error()}) {
      EXPECT_EQ(err.sys_errno, EINVAL) << err.what;
    }
  }
}

TEST_F(FsQueueStoreTest, TryLockIsExclusiveAcrossStores) {
  FsQueueStore a(spool_, clock_);
  FsQueueStore b(spool_, clock_);
  std::string id = submit(a);
  auto held = a.try_lock(id);
  ASSERT_TRUE(held) << held.error().what;
  ASSERT_TRUE(held->has_value());
  auto busy = b.try_lock(id);
  ASSERT_TRUE(busy);
  EXPECT_FALSE(busy->has_value());
  auto busy_same_store = a.try_lock(id);
  ASSERT_TRUE(busy_same_store);
  EXPECT_FALSE(busy_same_store->has_value());
  held->reset();
  auto now_free = b.try_lock(id);
  ASSERT_TRUE(now_free);
  EXPECT_TRUE(now_free->has_value());
}

TEST_F(FsQueueStoreTest, TryLockOnAFinishedEntryIsNotHeld) {
  FsQueueStore store(spool_, clock_);
  std::string gone = submit(store);
  ASSERT_TRUE(store.remove(gone));
  auto r = store.try_lock(gone);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_FALSE(r->has_value());
  std::string half = submit(store);  // .mail removed, its state not yet: no entry any more
  QueueEntry e = *store.load(half);
  ++e.attempts;
  ASSERT_TRUE(store.update(e));
  ASSERT_EQ(::unlink((spool_ + "/queue/" + half + ".mail").c_str()), 0);
  auto h = store.try_lock(half);
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->has_value());
}

// Ways a committed entry `id` in queue dir `q` can be damaged; each must be quarantined.
struct DamageCase {
  const char* name;
  // Damages the committed entry `id` in queue dir `q`.
  void (*damage)(const std::string& q, const std::string& id);
};
// The entry's .mail rewritten as `text` (not atomically: the damage is the point).
void rewrite(const std::string& q, const std::string& id, const std::string& text) {
  (void)write_file_atomic(q, id + ".mail", text);
}

std::string mail_of(const std::string& q, const std::string& id) {
  return *read_file(q + "/" + id + ".mail", 1 << 20);
}

const DamageCase kDamageCases[] = {
    {.name = "garbage .mail",
     .damage = [](const std::string& q, const std::string& id) { rewrite(q, id, "junk\n"); }},
    {.name = "truncated .mail",
     .damage =
         [](const std::string& q, const std::string& id) {
           std::string t = mail_of(q, id);
           rewrite(q, id, t.substr(0, t.size() / 2));
         }},
    {.name = "flipped bit in the envelope",
     .damage =
         [](const std::string& q, const std::string& id) {
           std::string t = mail_of(q, id);
           t[60] = static_cast<char>(t[60] ^ 0x04);
           rewrite(q, id, t);
         }},
    {.name = "head of another version",
     .damage =
         [](const std::string& q, const std::string& id) {
           std::string t = mail_of(q, id);
           t[15] = '2';  // "relaymail-mail 2 ..."
           rewrite(q, id, t);
         }},
    {.name = "envelope naming another id",
     .damage =
         [](const std::string& q, const std::string& id) {
           QueueEntry e;
           e.id = "0000000000000A000001";
           std::string head = mail_head(*serialise_env(e), kMailBodyOffset);
           rewrite(q, id, head + std::string(kMailBodyOffset - head.size(), '\0') + "body");
         }},
    {.name = ".mail is a symlink",
     .damage =
         [](const std::string& q, const std::string& id) {
           std::string mail = q + "/" + id + ".mail";
           (void)::rename(mail.c_str(), (q + "/../elsewhere").c_str());
           (void)::symlink("../elsewhere", mail.c_str());
         }},
    {.name = ".mail is a FIFO",
     .damage =
         [](const std::string& q, const std::string& id) {
           std::string mail = q + "/" + id + ".mail";
           (void)::unlink(mail.c_str());
           (void)::mkfifo(mail.c_str(), 0600);
         }},
    {.name = "garbage state beside a good .mail",
     .damage = [](const std::string& q,
                  const std::string& id) { (void)write_file_atomic(q, id + ".env", "junk\n"); }},
    {.name = "state naming another id",
     .damage =
         [](const std::string& q, const std::string& id) {
           QueueEntry e;
           e.id = "0000000000000A000001";
           (void)write_file_atomic(q, id + ".env", *serialise_env(e));
         }},
};

TEST_F(FsQueueStoreTest, CorruptEntriesAreQuarantinedByList) {
  for (const DamageCase& c : kDamageCases) {
    SCOPED_TRACE(c.name);
    std::string spool = tmp_->file(std::string("q-") + std::to_string(&c - kDamageCases));
    FsQueueStore store(spool, clock_);
    std::string good = submit(store);
    std::string bad = submit(store);
    c.damage(spool + "/queue", bad);
    auto listed = store.list();
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->entries.size(), 1u);
    EXPECT_EQ(listed->entries[0].id, good);
    EXPECT_EQ(listed->quarantined, std::vector<std::string>{bad});
    EXPECT_TRUE(listed->errors.empty());
    EXPECT_FALSE(file_exists(spool + "/queue/" + bad + ".mail"));
    EXPECT_FALSE(file_exists(spool + "/queue/" + bad + ".env"));
    EXPECT_TRUE(file_exists(spool + "/failed/" + bad + ".mail"));
    auto again = store.list();  // quarantine happens once
    EXPECT_TRUE(again->quarantined.empty());
  }
}

TEST_F(FsQueueStoreTest, ListIgnoresStraysAndForeignNames) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  std::string q = spool_ + "/queue";
  ASSERT_TRUE(write_file_atomic(q, "0006010A1B2C3DA1B2C3.msg", "stray body"));   // no .env
  ASSERT_TRUE(write_file_atomic(q, "0006010A1B2C3DA1B2C4.env", "stray state"));  // no .mail
  ASSERT_TRUE(write_file_atomic(q, "README", "x"));
  ASSERT_TRUE(write_file_atomic(q, "0006010a1b2c3da1b2c3.env", "x"));  // not a valid id
  ASSERT_TRUE(write_file_atomic(q, ".0006010A1B2C3DA1B2C3.env", "x"));
  auto listed = store.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->entries.size(), 1u);
  EXPECT_EQ(listed->entries[0].id, id);
  EXPECT_TRUE(listed->quarantined.empty());
  EXPECT_TRUE(file_exists(q + "/0006010A1B2C3DA1B2C3.msg"));  // not list()'s: clean_tmp()'s
  EXPECT_TRUE(file_exists(q + "/0006010A1B2C3DA1B2C4.env"));
}

TEST_F(FsQueueStoreTest, LoadReportsCorruptionWithoutMovingAnything) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  ASSERT_TRUE(write_file_atomic(spool_ + "/queue", id + ".env", "relaymail-env 9\n"));
  auto r = store.load(id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::spool_corrupt);
  EXPECT_NE(r.error().what.find("unsupported version"), std::string::npos) << r.error().what;
  EXPECT_TRUE(file_exists(spool_ + "/queue/" + id + ".env"));
}

// Sets path's mtime (and atime) to `t` without following a final symlink.
void set_mtime(const std::string& path, int64_t t) {
  timespec times[2] = {{.tv_sec = t, .tv_nsec = 0}, {.tv_sec = t, .tv_nsec = 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

TEST_F(FsQueueStoreTest, CleanTmpRemovesOnlyOldFiles) {
  struct Case {
    const char* name;
    int64_t age;
    bool removed;
  };
  struct Bound {
    int64_t older_than;
    std::vector<Case> files;
  };
  const Bound kBounds[] = {
      {.older_than = 3600,
       .files = {{.name = "fresh", .age = 10, .removed = false},
                 {.name = "exactly-the-limit", .age = 3600, .removed = false},
                 {.name = "old", .age = 3601, .removed = true},
                 {.name = "ancient", .age = 86400 * 30, .removed = true}}},
      {.older_than = 0,
       .files = {{.name = "this-second", .age = 0, .removed = false},
                 {.name = "a-second-ago", .age = 1, .removed = true},
                 {.name = "from-the-future", .age = -100, .removed = false}}},
  };
  for (const Bound& b : kBounds) {
    SCOPED_TRACE(b.older_than);
    std::string spool = tmp_->file("spool-" + std::to_string(b.older_than));
    FsQueueStore store(spool, clock_);
    auto none = store.clean_tmp(b.older_than);  // no tmp/ yet: nothing to do
    ASSERT_TRUE(none) << none.error().what;
    EXPECT_EQ(none->tmp_files, 0u);
    ASSERT_TRUE(store.list());
    std::string t = spool + "/tmp";
    size_t want_removed = 0;
    for (const Case& c : b.files) {
      ASSERT_TRUE(write_file_atomic(t, c.name, "x"));
      set_mtime(t + "/" + c.name, kNow - c.age);
      want_removed += c.removed ? 1 : 0;
    }
    ASSERT_EQ(::mkdir((t + "/subdir").c_str(), 0700), 0);
    set_mtime(t + "/subdir", kNow - 86400);
    auto removed = store.clean_tmp(b.older_than);
    ASSERT_TRUE(removed) << removed.error().what;
    EXPECT_EQ(removed->tmp_files, want_removed);
    for (const Case& c : b.files) {
      SCOPED_TRACE(c.name);
      EXPECT_EQ(file_exists(t + "/" + c.name), !c.removed);
    }
    EXPECT_TRUE(file_exists(t + "/subdir"));
  }
}

TEST_F(FsQueueStoreTest, CleanTmpNeverFollowsSymlinksOrLeavesTmp) {
  FsQueueStore store(spool_, clock_);
  ASSERT_TRUE(store.list());
  std::string t = spool_ + "/tmp";
  std::string outside = tmp_->file("outside");
  ASSERT_EQ(::mkdir(outside.c_str(), 0700), 0);
  ASSERT_TRUE(write_file_atomic(outside, "precious", "keep me"));
  set_mtime(outside + "/precious", kNow - 86400);
  // Old links to a file and to a directory outside tmp/: the links go, their targets stay.
  ASSERT_EQ(::symlink((outside + "/precious").c_str(), (t + "/to-file").c_str()), 0);
  ASSERT_EQ(::symlink(outside.c_str(), (t + "/to-dir").c_str()), 0);
  set_mtime(t + "/to-file", kNow - 86400);
  set_mtime(t + "/to-dir", kNow - 86400);
  // A fresh link to an old file: its own (fresh) mtime counts, not its target's.
  ASSERT_EQ(::symlink((outside + "/precious").c_str(), (t + "/fresh-link").c_str()), 0);
  set_mtime(t + "/fresh-link", kNow);
  auto removed = store.clean_tmp(3600);
  ASSERT_TRUE(removed) << removed.error().what;
  EXPECT_EQ(removed->tmp_files, 2u);
  EXPECT_FALSE(file_exists(t + "/to-file"));
  EXPECT_FALSE(file_exists(t + "/to-dir"));
  EXPECT_TRUE(file_exists(t + "/fresh-link"));
  EXPECT_EQ(*read_file(outside + "/precious", 100), "keep me");

  // tmp/ itself replaced by a symlink to the outside directory: refused, nothing there touched.
  ASSERT_EQ(::unlink((t + "/fresh-link").c_str()), 0);
  ASSERT_EQ(::rmdir(t.c_str()), 0);
  ASSERT_EQ(::symlink(outside.c_str(), t.c_str()), 0);
  auto refused = store.clean_tmp(0);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().sys_errno == ENOTDIR || refused.error().sys_errno == ELOOP)
      << refused.error().what;
  EXPECT_TRUE(file_exists(outside + "/precious"));
}

TEST_F(FsQueueStoreTest, CleanTmpSparesALiveDraft) {
  FsQueueStore store(spool_, clock_);
  auto draft = store.begin();
  ASSERT_TRUE(draft);
  clock_.now = ::time(nullptr);
  auto removed = store.clean_tmp(3600);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->tmp_files, 0u);
  ASSERT_TRUE((*draft)->sink().write(kBody));
  EXPECT_TRUE(store.commit(**draft, entry_for((*draft)->id())));
}

// RELIABILITY.md §6 case 2: a draft of any age is spared while its writer lives (a slow
// `longjob | sendmail`), and goes at the next clean once the writer is gone.
TEST_F(FsQueueStoreTest, CleanTmpTellsALiveWriterFromADeadOne) {
  FsQueueStore store(spool_, clock_);
  auto live = store.begin();
  ASSERT_TRUE(live);
  ASSERT_TRUE((*live)->sink().write(kBody));
  auto dead = TempFile::create(spool_ + "/tmp", "crashed.");
  ASSERT_TRUE(dead);
  std::string dead_path = dead->path();
  UniqueFd dead_fd = dead->release();  // the name stays, as after a kill
  for (const std::string& name : names("tmp")) {
    set_mtime(spool_ + "/tmp/" + name, kNow - 2 * 86400);
  }
  ASSERT_EQ(names("tmp").size(), 2u);
  auto removed = store.clean_tmp(60);
  ASSERT_TRUE(removed) << removed.error().what;
  EXPECT_EQ(removed->tmp_files, 1u);
  EXPECT_FALSE(file_exists(dead_path));
  EXPECT_EQ(names("tmp").size(), 1u) << "the live draft is kept, two days old or not";
  std::string id = (*live)->id();
  ASSERT_TRUE(store.commit(**live, entry_for(id)));
  EXPECT_TRUE(store.try_lock(id)->has_value()) << "a committed file keeps no draft lock";
}

// A big spool is listed by several threads, each over a slice of the sorted ids: the result must
// be the single-threaded one — every entry once, in id order, corrupt ones quarantined in order,
// wherever they fall among the slices.
TEST_F(FsQueueStoreTest, BigSpoolListsExactlyAsASmallOne) {
  constexpr int kEntries = 5000;
  FaultOps nosync;
  nosync.skip_fsync = true;  // scale, not durability
  FsQueueStore store(spool_, clock_, nosync);
  std::vector<std::string> ids;
  for (int i = 0; i < kEntries; ++i) {
    ids.push_back(submit(store));
  }
  std::sort(ids.begin(), ids.end());
  const std::vector<std::string> corrupt = {ids[0], ids[kEntries / 2 - 1], ids[kEntries / 2],
                                            ids[kEntries - 1]};
  for (const std::string& id : corrupt) {
    ASSERT_TRUE(write_file_atomic(spool_ + "/queue", id + ".env", "relaymail-env 2\ngarbage\n"));
  }
  auto listed = store.list();
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->errors.empty());
  EXPECT_EQ(listed->quarantined, corrupt);
  std::vector<std::string> want;
  std::set_difference(ids.begin(), ids.end(), corrupt.begin(), corrupt.end(),
                      std::back_inserter(want));
  std::vector<std::string> got;
  for (const QueueEntry& e : listed->entries) {
    got.push_back(e.id);
  }
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace rm
