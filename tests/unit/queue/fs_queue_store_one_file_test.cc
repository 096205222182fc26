// Tests for the one-file entry of queue/fs_queue_store.h (queue/mail_file.h) against a real
// directory: the bytes a commit writes, an envelope too big for the draft's gap, the state file
// beside the .mail, failed/ and requeue() of one-file entries, foreign files, and a spool that
// mixes them with entries of the two-file format (unit/queue/two_file_spool.h) — yesterday's
// spools keep working.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "queue/env_format.h"
#include "queue/fs_queue_store.h"
#include "queue/mail_file.h"
#include "support/temp_dir.h"
#include "support/test_clock.h"
#include "sys/dir_list.h"
#include "sys/fd_io.h"
#include "sys/file_lock.h"
#include "sys/fs.h"
#include "unit/queue/spool_fixture.h"
#include "unit/queue/two_file_spool.h"

namespace rm {
namespace {


constexpr int64_t kNow = 1700000000;
const std::string kBody = "Subject: hi\r\n\r\nhello\r\n";

class OneFileTest : public test::SpoolTest {
 protected:
  QueueEntry entry_for(const std::string& id, size_t rcpts = 2) const {
    QueueEntry e;
    e.id = id;
    e.uid = 1000;
    e.sender = "alice@example.org";
    e.created = kNow;
    for (size_t k = 0; k < rcpts; ++k) {
      e.rcpts.push_back({.addr = "rcpt" + std::to_string(k) + "@example.org",
                         .state = RcptState::pending,
                         .last_reply = ""});
    }
    return e;
  }

  std::string submit(FsQueueStore& store, const std::string& body = kBody, size_t rcpts = 2) {
    return commit_entry(store, entry_for("", rcpts), body);
  }

  std::string content(FsQueueStore& store, const std::string& id) {
    auto fd = store.open_content(id);
    if (!fd) {
      ADD_FAILURE() << fd.error().what;
      return "";
    }
    return *read_fd(fd->get(), size_t{1} << 26, "content");
  }
};

// One file: the head line, the envelope as accepted, a hole, the message at the offset.
TEST_F(OneFileTest, ACommitWritesTheHeadThenTheMessage) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  const std::string bytes = *read_file(path("queue", id, ".mail"), 1 << 20);
  ASSERT_EQ(bytes.size(), kMailBodyOffset + kBody.size());
  auto head = parse_mail_line(bytes, bytes.size());
  ASSERT_TRUE(head) << head.error().what;
  EXPECT_EQ(head->body_offset, kMailBodyOffset);
  QueueEntry want = entry_for(id);
  want.size = kBody.size();
  EXPECT_EQ(*parse_env(bytes.substr(head->line_len, head->env_len)), want);
  EXPECT_EQ(bytes.substr(kMailBodyOffset), kBody);
  EXPECT_EQ(content(store, id), kBody);
}

// Hundreds of recipients do not fit the gap: the message moves behind a bigger one, whole,
// including a body larger than one copy buffer.
TEST_F(OneFileTest, AnEnvelopeTooBigForTheGapMovesTheMessage) {
  FsQueueStore store(spool_, clock_);
  std::string body = "Subject: big\r\n\r\n";
  while (body.size() < 300000) {
    body += "line " + std::to_string(body.size()) + "\r\n";
  }
  std::string id = submit(store, body, 600);
  ASSERT_FALSE(id.empty());
  const std::string bytes = *read_file(path("queue", id, ".mail"), 1 << 22);
  auto head = parse_mail_line(bytes, bytes.size());
  ASSERT_TRUE(head);
  EXPECT_GT(head->body_offset, kMailBodyOffset);
  EXPECT_EQ(bytes.size(), head->body_offset + body.size());
  EXPECT_EQ(content(store, id), body);
  auto listed = store.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->entries.size(), 1u);
  EXPECT_EQ(listed->entries[0].rcpts.size(), 600u);
  EXPECT_EQ(listed->entries[0].size, body.size());
  EXPECT_TRUE(names("tmp").empty());
}

// Delivery's state goes to a .env beside the .mail, which keeps the envelope as accepted.
TEST_F(OneFileTest, TheStateFileTakesOverFromTheHead) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  const std::string before = *read_file(path("queue", id, ".mail"), 1 << 20);
  QueueEntry e = *store.load(id);
  e.rcpts[0].state = RcptState::sent;
  e.attempts = 1;
  ASSERT_TRUE(store.update(e));
  EXPECT_EQ(*read_file(path("queue", id, ".mail"), 1 << 20), before);
  EXPECT_EQ(*store.load(id), e);
  ASSERT_EQ(store.list()->entries.size(), 1u);
  EXPECT_EQ(store.list()->entries[0], e);
  EXPECT_EQ(content(store, id), kBody);
  ASSERT_TRUE(store.remove(id));
  EXPECT_TRUE(names("queue").empty());
}

// A spool written before the one-file entry, with new entries beside it: all listed in id
// order, each read, sent, updated and removed in its own format.
TEST_F(OneFileTest, TwoFileEntriesKeepWorkingBesideOneFileOnes) {
  FsQueueStore store(spool_, clock_);
  std::vector<std::string> ids;
  for (int k = 0; k < 4; ++k) {
    ids.push_back(submit(store, "Subject: " + std::to_string(k) + "\r\n\r\nbody\r\n"));
    if (k % 2 == 0) {
      test::split_to_two_files(spool_ + "/queue", ids.back());
    }
  }
  auto listed = store.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->entries.size(), 4u);
  EXPECT_TRUE(listed->quarantined.empty());
  for (int k = 0; k < 4; ++k) {
    SCOPED_TRACE(k);
    const std::string& id = ids[k];
    EXPECT_EQ(listed->entries[k].id, id);
    EXPECT_EQ(content(store, id), "Subject: " + std::to_string(k) + "\r\n\r\nbody\r\n");
    auto lock = store.try_lock(id);
    ASSERT_TRUE(lock && lock->has_value());
    QueueEntry e = *store.load(id);
    e.attempts = 3;
    ASSERT_TRUE(store.update(e));
    EXPECT_EQ(store.load(id)->attempts, 3u);
    EXPECT_EQ(file_exists(path("queue", id, ".msg")), k % 2 == 0);
    EXPECT_EQ(file_exists(path("queue", id, ".mail")), k % 2 == 1);
  }
  const std::vector<Status> removed = store.remove_each(ids);
  for (const Status& st : removed) {
    EXPECT_TRUE(st);
  }
  EXPECT_TRUE(names("queue").empty());
}

// failed/ and back: the .mail and its state move together; a requeue puts the .mail back with
// a reset state (sent recipients stay sent); delete takes both.
TEST_F(OneFileTest, FailedEntriesMoveRequeueAndDelete) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  QueueEntry e = *store.load(id);
  e.rcpts[0].state = RcptState::sent;
  e.rcpts[1].state = RcptState::failed;
  e.attempts = 5;
  ASSERT_TRUE(store.update(e));
  ASSERT_TRUE(store.move_to_failed(id));
  EXPECT_TRUE(names("queue").empty());
  EXPECT_EQ(names("failed"), (std::vector<std::string>{id + ".env", id + ".mail"}));
  EXPECT_EQ(*store.load_failed(id), e);

  ASSERT_TRUE(store.requeue(id));
  EXPECT_TRUE(names("failed").empty());
  EXPECT_EQ(names("queue"), (std::vector<std::string>{id + ".env", id + ".mail"}));
  QueueEntry back = *store.load(id);
  EXPECT_EQ(back.attempts, 0u);
  EXPECT_EQ(back.rcpts[0].state, RcptState::sent);
  EXPECT_EQ(back.rcpts[1].state, RcptState::pending);
  EXPECT_EQ(content(store, id), kBody);
  auto again = store.requeue(id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().sys_errno, EEXIST);

  ASSERT_TRUE(store.move_to_failed(id));
  auto held = try_lock_path(path("failed", id, ".mail"));
  ASSERT_TRUE(held && held->has_value());
  auto busy = store.remove_failed(id);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().sys_errno, EWOULDBLOCK);
  held->reset();
  ASSERT_TRUE(store.remove_failed(id));
  EXPECT_TRUE(names("failed").empty());
  EXPECT_EQ(store.remove_failed(id).error().sys_errno, ENOENT);
}

// A requeue cut short after its state landed in queue/ (no .mail yet): no entry, and a rerun
// finishes it. One that never had a state goes back in the state it was accepted in.
TEST_F(OneFileTest, ARequeueCutShortIsFinishedByARerun) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  ASSERT_TRUE(store.move_to_failed(id));  // never attempted: no state file
  EXPECT_EQ(names("failed"), (std::vector<std::string>{id + ".mail"}));
  QueueEntry reset = requeued(*store.load_failed(id), kNow);
  ASSERT_TRUE(write_file_atomic(spool_ + "/queue", id + ".env", *serialise_env(reset)));
  EXPECT_TRUE(store.list()->entries.empty());
  ASSERT_TRUE(store.requeue(id));
  ASSERT_EQ(store.list()->entries.size(), 1u);
  EXPECT_EQ(store.load(id)->rcpts, entry_for(id).rcpts);
  EXPECT_EQ(content(store, id), kBody);
  auto queued = store.requeue(id);
  ASSERT_FALSE(queued);
  EXPECT_EQ(queued.error().sys_errno, EEXIST);
}

TEST_F(OneFileTest, RequeueOfAQueuedEntryChangesNothing) {
  FsQueueStore store(spool_, clock_);
  std::string id = submit(store);
  ASSERT_TRUE(store.move_to_failed(id));
  // Both places: a requeue that crashed after the .mail landed, before failed/ was emptied.
  ASSERT_TRUE(write_file_atomic(spool_ + "/queue", id + ".mail",
                                *read_file(path("failed", id, ".mail"), 1 << 20)));
  auto r = store.requeue(id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, EEXIST);
  EXPECT_EQ(store.list()->entries.size(), 1u);
  EXPECT_TRUE(store.remove_failed(id));  // the inert copy goes
  EXPECT_EQ(store.list()->entries.size(), 1u);
}

// A .mail or state that is not ours alone is never sent: listed as quarantined, refused by
// load, open and lock.
TEST_F(OneFileTest, ForeignOrLinkedFilesAreQuarantined) {
  struct Case {
    const char* name;
    bool needs_root;
    bool with_state;
    void (*spoil)(const std::string& mail, const std::string& env, const std::string& outside);
  };
  const Case kCases[] = {
      {".mail hard-linked", false, false,
       [](const std::string& mail, const std::string&, const std::string& outside) {
         ASSERT_EQ(::link(mail.c_str(), (outside + "/mail-link").c_str()), 0);
       }},
      {"state hard-linked", false, true,
       [](const std::string&, const std::string& env, const std::string& outside) {
         ASSERT_EQ(::link(env.c_str(), (outside + "/env-link").c_str()), 0);
       }},
      {".mail another uid's", true, false,
       [](const std::string& mail, const std::string&, const std::string&) {
         ASSERT_EQ(::chown(mail.c_str(), 65534, 65534), 0);
       }},
      {"state another uid's", true, true,
       [](const std::string&, const std::string& env, const std::string&) {
         ASSERT_EQ(::chown(env.c_str(), 65534, 65534), 0);
       }},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    if (c.needs_root && ::geteuid() != 0) {
      continue;  // chown to another uid needs root; CI runs these as root
    }
    const std::string n = std::to_string(&c - kCases);
    spool_ = tmp_->file("spool-" + n);
    const std::string outside = tmp_->file("outside-" + n);
    ASSERT_TRUE(make_dirs(outside, 0700));
    FsQueueStore store(spool_, clock_);
    std::string good = submit(store);
    std::string bad = submit(store);
    if (c.with_state) {
      QueueEntry e = *store.load(bad);
      e.attempts = 1;
      ASSERT_TRUE(store.update(e));
    }
    c.spoil(path("queue", bad, ".mail"), path("queue", bad, ".env"), outside);
    auto listed = store.list();
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->entries.size(), 1u);
    EXPECT_EQ(listed->entries[0].id, good);
    EXPECT_EQ(listed->quarantined, std::vector<std::string>{bad});
    EXPECT_TRUE(file_exists(path("failed", bad, ".mail")));
    EXPECT_FALSE(file_exists(path("queue", bad, ".mail")));
  }
}

}  // namespace
}  // namespace rm
