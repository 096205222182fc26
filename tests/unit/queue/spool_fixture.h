// unit/queue/spool_fixture.h — what the FsQueueStore tests share: a spool path in a fresh temp
// dir, a test clock, committing an entry with its body, and the names in a spool directory.
// Contract: SetUp() makes the temp dir (prefix "rm-queue"); the spool itself is made by the
// store under test. entry_for() is the plain one-recipient entry most cases commit;
// commit_entry() gives the entry the draft's id and fails the test (returning
// "") when a step fails. Threads: none. Not here: the cases, the entries each suite commits.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "queue/fs_queue_store.h"
#include "support/temp_dir.h"
#include "support/test_clock.h"
#include "sys/dir_list.h"

namespace rm::test {

inline constexpr int64_t kSpoolNow = 1700000000;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("rm-queue");
    ASSERT_TRUE(d);
    tmp_ = std::make_unique<TempDir>(std::move(*d));
    spool_ = tmp_->file("spool");
  }

  // An entry from alice@example.org to bob@example.org, pending, accepted at kSpoolNow.
  static QueueEntry entry_for(const std::string& id) {
    QueueEntry e;
    e.id = id;
    e.uid = 1000;
    e.sender = "alice@example.org";
    e.created = kSpoolNow;
    e.rcpts = {{.addr = "bob@example.org", .state = RcptState::pending, .last_reply = ""}};
    return e;
  }

  // begin, write body, commit e under the draft's id; the id ("" on failure).
  static std::string commit_entry(FsQueueStore& store, QueueEntry e, const std::string& body) {
    auto draft = store.begin();
    if (!draft) {
      ADD_FAILURE() << draft.error().what;
      return "";
    }
    EXPECT_TRUE((*draft)->sink().write(body));
    e.id = (*draft)->id();
    if (auto r = store.commit(**draft, e); !r) {
      ADD_FAILURE() << r.error().what;
      return "";
    }
    return e.id;
  }

  // The names in spool/<sub>, sorted.
  std::vector<std::string> names(const std::string& sub) const {
    auto n = list_dir(spool_ + "/" + sub);
    if (!n) {
      return {};
    }
    std::sort(n->begin(), n->end());
    return *n;
  }

  std::string path(const std::string& sub, const std::string& id, const char* suffix) const {
    return spool_ + "/" + sub + "/" + id + suffix;
  }

  TestClock clock_{kSpoolNow};
  std::unique_ptr<TempDir> tmp_;
  std::string spool_;
};

}  // namespace rm::test
