// Tests for the trust rules of queue/fs_queue_store.h (RELIABILITY.md §6 cases 52-54): a spool
// another user could change is refused before anything is read or written there, and an entry
// whose files are not ours alone is quarantined, never listed or opened for sending. Cases
// that hand a file or directory to another uid need root (chown) and are skipped without it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "queue/fs_queue_store.h"
#include "support/temp_dir.h"
#include "support/test_clock.h"
#include "sys/dir_list.h"
#include "sys/fs.h"
#include "unit/queue/spool_fixture.h"
#include "unit/queue/two_file_spool.h"

namespace rm {
namespace {


constexpr uid_t kOther = 65534;
const std::string kBody = "Subject: hi\r\n\r\nhello\r\n";

bool root() {
  return ::geteuid() == 0;
}

class FsQueueTrustTest : public test::SpoolTest {
 protected:
  std::string submit(FsQueueStore& store) {
    const std::string id = commit_entry(store, entry_for(""), kBody);
    if (id.empty()) {
      return id;
    }
    // The planted-file cases below are written for .env with .msg; the one-file ones are in
    // fs_queue_store_one_file_test.cc.
    test::split_to_two_files(store.queue_dir(), id);
    return id;
  }

  size_t files_in(const std::string& dir) const {
    auto n = list_dir(dir);
    return n ? n->size() : 0;
  }
};

// How a spool (at `spool`, with `elsewhere` a directory outside it) can be made untrusted.
struct SpoolCase {
  const char* name;
  bool needs_root;
  void (*spoil)(const std::string& spool, const std::string& elsewhere);
};

// The directory moves into `elsewhere` and a symlink to `elsewhere` takes its place.
void replace_with_link(const std::string& dir, const std::string& elsewhere) {
  ASSERT_EQ(::rename(dir.c_str(), (elsewhere + "/was-" + dir.substr(dir.rfind('/') + 1)).c_str()),
            0);
  ASSERT_EQ(::symlink(elsewhere.c_str(), dir.c_str()), 0);
}

const SpoolCase kSpoolCases[] = {
    {"spool group-writable", false,
     [](const std::string& s, const std::string&) { ASSERT_EQ(::chmod(s.c_str(), 0770), 0); }},
    {"spool world-writable", false,
     [](const std::string& s, const std::string&) { ASSERT_EQ(::chmod(s.c_str(), 0777), 0); }},
    {"spool a symlink", false,
     [](const std::string& s, const std::string& elsewhere) {
       ASSERT_EQ(::rename(s.c_str(), (elsewhere + "/moved").c_str()), 0);
       ASSERT_EQ(::symlink((elsewhere + "/moved").c_str(), s.c_str()), 0);
     }},
    {"queue/ a symlink", false,
     [](const std::string& s, const std::string& e) { replace_with_link(s + "/queue", e); }},
    {"tmp/ a symlink", false,
     [](const std::string& s, const std::string& e) { replace_with_link(s + "/tmp", e); }},
    {"failed/ a symlink", false,
     [](const std::string& s, const std::string& e) { replace_with_link(s + "/failed", e); }},
    {"tmp/ world-writable", false,
     [](const std::string& s, const std::string&) {
       ASSERT_EQ(::chmod((s + "/tmp").c_str(), 0777), 0);
     }},
    {"queue/ group-writable", false,
     [](const std::string& s, const std::string&) {
       ASSERT_EQ(::chmod((s + "/queue").c_str(), 0770), 0);
     }},
    {"spool another uid's", true,
     [](const std::string& s, const std::string&) {
       ASSERT_EQ(::chown(s.c_str(), kOther, kOther), 0);
     }},
    {"failed/ another uid's", true,
     [](const std::string& s, const std::string&) {
       ASSERT_EQ(::chown((s + "/failed").c_str(), kOther, kOther), 0);
     }},
};

TEST_F(FsQueueTrustTest, AnUntrustedSpoolIsRefusedBeforeAnythingIsReadOrWritten) {
  int n = 0;
  for (const SpoolCase& c : kSpoolCases) {
    SCOPED_TRACE(c.name);
    if (c.needs_root && !root()) {
      continue;
    }
    std::string spool = tmp_->file("spool" + std::to_string(n));
    std::string elsewhere = tmp_->file("elsewhere" + std::to_string(n++));
    ASSERT_EQ(::mkdir(elsewhere.c_str(), 0700), 0);
    std::string id;
    {
      FsQueueStore fresh(spool, clock_);  // a spool created fresh works as before
      id = submit(fresh);
      ASSERT_FALSE(id.empty());
    }
    c.spoil(spool, elsewhere);
    const size_t before = files_in(elsewhere);
    FsQueueStore store(spool, clock_);
    Status prepared = store.prepare();
    ASSERT_FALSE(prepared);
    EXPECT_EQ(prepared.error().code, Errc::untrusted) << prepared.error().what;
    EXPECT_EQ(prepared.error().what.find("spool " + spool + ": "), 0u) << prepared.error().what;
    auto listed = store.list();
    ASSERT_FALSE(listed);
    EXPECT_EQ(listed.error().code, Errc::untrusted);
    auto draft = store.begin();
    ASSERT_FALSE(draft);
    EXPECT_EQ(draft.error().code, Errc::untrusted);
    EXPECT_FALSE(store.load(id));
    EXPECT_FALSE(store.open_content(id));
    EXPECT_FALSE(store.try_lock(id));
    EXPECT_FALSE(store.clean_tmp(0));
    EXPECT_FALSE(store.move_to_failed(id));
    EXPECT_FALSE(store.remove(id));
    EXPECT_FALSE(store.requeue(id));
    EXPECT_FALSE(store.remove_failed(id));
    EXPECT_EQ(files_in(elsewhere), before) << "something was written through the spool";
  }
}

// Ways to plant an entry's file (in queue dir `q`, entry `id`): each is quarantined by list().
struct PlantCase {
  const char* name;
  bool needs_root;
  void (*plant)(const std::string& q, const std::string& id, const std::string& outside);
};

const PlantCase kPlantCases[] = {
    {".env owned by another uid", true,
     [](const std::string& q, const std::string& id, const std::string&) {
       ASSERT_EQ(::chown((q + "/" + id + ".env").c_str(), kOther, kOther), 0);
     }},
    {".msg owned by another uid", true,
     [](const std::string& q, const std::string& id, const std::string&) {
       ASSERT_EQ(::chown((q + "/" + id + ".msg").c_str(), kOther, kOther), 0);
     }},
    {".env hard-linked", false,
     [](const std::string& q, const std::string& id, const std::string& outside) {
       ASSERT_EQ(::link((q + "/" + id + ".env").c_str(), (outside + "/env-link").c_str()), 0);
     }},
    {".msg hard-linked", false,
     [](const std::string& q, const std::string& id, const std::string& outside) {
       ASSERT_EQ(::link((q + "/" + id + ".msg").c_str(), (outside + "/msg-link").c_str()), 0);
     }},
    {".msg a symlink to a secret", false,
     [](const std::string& q, const std::string& id, const std::string& outside) {
       std::string msg = q + "/" + id + ".msg";
       ASSERT_EQ(::unlink(msg.c_str()), 0);
       ASSERT_EQ(::symlink((outside + "/secret").c_str(), msg.c_str()), 0);
     }},
    {".msg a FIFO", false,
     [](const std::string& q, const std::string& id, const std::string&) {
       std::string msg = q + "/" + id + ".msg";
       ASSERT_EQ(::unlink(msg.c_str()), 0);
       ASSERT_EQ(::mkfifo(msg.c_str(), 0600), 0);
     }},
    {".msg a directory", false,
     [](const std::string& q, const std::string& id, const std::string&) {
       std::string msg = q + "/" + id + ".msg";
       ASSERT_EQ(::unlink(msg.c_str()), 0);
       ASSERT_EQ(::mkdir(msg.c_str(), 0700), 0);
     }},
};

TEST_F(FsQueueTrustTest, PlantedEntriesAreQuarantinedNeverListed) {
  int n = 0;
  for (const PlantCase& c : kPlantCases) {
    SCOPED_TRACE(c.name);
    if (c.needs_root && !root()) {
      continue;
    }
    std::string spool = tmp_->file("spool" + std::to_string(n));
    std::string outside = tmp_->file("outside" + std::to_string(n++));
    ASSERT_EQ(::mkdir(outside.c_str(), 0700), 0);
    ASSERT_TRUE(write_file_atomic(outside, "secret", "root:x:0:0\n"));
    FsQueueStore store(spool, clock_);
    std::string good = submit(store);
    std::string bad = submit(store);
    c.plant(spool + "/queue", bad, outside);
    auto listed = store.list();
    ASSERT_TRUE(listed) << listed.error().what;
    ASSERT_EQ(listed->entries.size(), 1u);
    EXPECT_EQ(listed->entries[0].id, good);
    EXPECT_EQ(listed->quarantined, std::vector<std::string>{bad});
    EXPECT_TRUE(listed->errors.empty());
    EXPECT_FALSE(file_exists(spool + "/queue/" + bad + ".env"));
    EXPECT_TRUE(file_exists(spool + "/failed/" + bad + ".env"));
    EXPECT_FALSE(store.requeue(bad)) << "a quarantined foreign entry must not come back";
    EXPECT_EQ(*read_file(outside + "/secret", 100), "root:x:0:0\n");
  }
}

TEST_F(FsQueueTrustTest, ForeignFilesAreRefusedByLoadOpenAndLock) {
  if (!root()) {
    GTEST_SKIP() << "needs root to give a file away";
  }
  std::string spool = tmp_->file("spool");
  FsQueueStore store(spool, clock_);
  std::string id = submit(store);
  ASSERT_TRUE(store.list());
  std::string q = spool + "/queue/" + id;
  // Handed to another uid after it was listed: not loaded, not opened, not sent.
  ASSERT_EQ(::chown((q + ".env").c_str(), kOther, kOther), 0);
  auto loaded = store.load(id);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().sys_errno, EPERM) << loaded.error().what;
  ASSERT_EQ(::chown((q + ".env").c_str(), 0, 0), 0);
  ASSERT_EQ(::chown((q + ".msg").c_str(), kOther, kOther), 0);
  auto opened = store.open_content(id);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().sys_errno, EPERM) << opened.error().what;
  auto locked = store.try_lock(id);
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, Errc::spool_corrupt) << locked.error().what;
  EXPECT_TRUE(file_exists(spool + "/failed/" + id + ".msg"));  // quarantined on the spot
  EXPECT_FALSE(file_exists(q + ".env"));
}

}  // namespace
}  // namespace rm
