// `relaymail requeue ID...` and `relaymail delete ID...` run as built, against fake_smtpd:
// a message that failed for good comes back from failed/ and is delivered; a queued one is
// deleted (not while a runner holds it); unknown, malformed and quarantined ids get a one-line
// error and their sysexits code (cli/queue_admin.h).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kUnknownId = "0006010A1B2C3DA1B2C3";

// The ids (file names without ".mail") in dir.
std::vector<std::string> ids_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& p : list_dir(dir, ".mail")) {
    out.push_back(std::filesystem::path(p).stem().string());
  }
  return out;
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Queues one message with the null sender (so a permanent failure makes no bounce) and
// returns its id.
std::string queue_one(const World& w) {
  RunResult r = w.sendmail({"-f", "<>", "-i", "bob@example.org"}, "Subject: tools\n\nbody\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> ids = ids_in(w.spool() + "/queue");
  EXPECT_EQ(ids.size(), 1u);
  return ids.empty() ? "" : ids[0];
}

TEST(QueueTools, RequeueBringsAPermanentFailureBackAndFlushDeliversIt) {
  World w;
  std::string bad_dir = w.dir() + "/bad";
  std::string good_dir = w.dir() + "/good";
  ASSERT_EQ(::mkdir(bad_dir.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(good_dir.c_str(), 0700), 0);
  SmtpdOptions o;
  o.fail = {"RCPT=550 5.1.1 no"};
  Smtpd bad(bad_dir, o);
  ASSERT_TRUE(bad.start());
  w.write_config(bad, "queue");
  std::string id = queue_one(w);
  ASSERT_FALSE(id.empty());

  RunResult f = w.relaymail({"flush"});
  EXPECT_THAT(f.out, HasSubstr("dsn=5.1.1"));
  EXPECT_EQ(w.queued(), 0u);
  ASSERT_EQ(ids_in(w.spool() + "/failed"), std::vector<std::string>{id});
  EXPECT_THAT(w.mailq().out, HasSubstr("Mail queue is empty"));
  bad.stop();

  RunResult r = w.relaymail({"requeue", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, id + ": requeued\n");
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(ids_in(w.spool() + "/failed").empty());
  RunResult q = w.mailq();
  EXPECT_THAT(q.out, HasSubstr(id));
  EXPECT_THAT(q.out, HasSubstr("attempts: 0"));
  EXPECT_THAT(q.out, HasSubstr("bob@example.org"));

  RunResult again = w.relaymail({"requeue", id});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, id + ": already queued\n");

  Smtpd good(good_dir, {});
  ASSERT_TRUE(good.start());
  w.write_config(good, "queue");
  Delivered d = flush_and_collect(w, good, 1);
  EXPECT_EQ(d.flush.exit_code, 0) << d.flush.err;
  ASSERT_EQ(d.envelopes.size(), 1u);
  EXPECT_EQ(d.envelopes[0].to, std::vector<std::string>{"bob@example.org"});
  EXPECT_THAT(d.messages.at(0), HasSubstr("Subject: tools\r\n"));
  EXPECT_EQ(w.queued(), 0u);
  EXPECT_THAT(w.mailq().out, HasSubstr("Mail queue is empty"));
}

TEST(QueueTools, DeleteRemovesAQueuedEntry) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  std::string id = queue_one(w);
  ASSERT_FALSE(id.empty());
  ASSERT_THAT(w.mailq().out, HasSubstr(id));

  RunResult r = w.relaymail({"delete", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, id + ": deleted\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(w.queued(), 0u);
  EXPECT_TRUE(list_dir(w.spool() + "/queue", "").empty()) << "both .env and .msg are gone";
  EXPECT_THAT(w.mailq().out, HasSubstr("Mail queue is empty"));

  RunResult again = w.relaymail({"delete", id});
  EXPECT_EQ(again.exit_code, 66);
  EXPECT_EQ(again.out, "");
  EXPECT_THAT(again.err, HasSubstr(id + ": no such queue entry"));
}

TEST(QueueTools, DeleteNeverPullsAnEntryFromUnderARunner) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  std::string id = queue_one(w);
  ASSERT_FALSE(id.empty());
  // What a runner holds while delivering: flock(LOCK_EX) on the .mail.
  std::string msg = w.spool() + "/queue/" + id + ".mail";
  int fd = ::open(msg.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  RunResult r = w.relaymail({"delete", id});
  EXPECT_EQ(r.exit_code, 75);
  EXPECT_THAT(r.err, HasSubstr(id + ": busy, try again"));
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_EQ(w.queued(), 1u);
  ::close(fd);
  RunResult later = w.relaymail({"delete", id});
  EXPECT_EQ(later.exit_code, 0) << later.err;
  EXPECT_EQ(w.queued(), 0u);
}

TEST(QueueTools, ErrorsNameTheIdAndExitWithSysexits) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  std::string queued = queue_one(w);
  ASSERT_FALSE(queued.empty());
  // A quarantined entry: failed/ holds a .env that does not parse.
  const std::string kCorrupt = "0006010A1B2C3DFFFFFF";
  std::string failed = w.spool() + "/failed/";
  ASSERT_TRUE(write_file(failed + kCorrupt + ".env", "junk\n"));
  ASSERT_TRUE(write_file(failed + kCorrupt + ".msg", "Subject: x\r\n\r\nx\r\n"));

  struct Case {
    const char* name;
    std::vector<std::string> args;
    int exit_code;
    std::string out;
    std::string err;  // a substring of the one stderr line; "" = stderr empty
  };
  const Case kCases[] = {
      {.name = "requeue unknown",
       .args = {"requeue", kUnknownId},
       .exit_code = 66,
       .out = "",
       .err = std::string(kUnknownId) + ": no such entry in failed/"},
      {.name = "delete unknown",
       .args = {"delete", kUnknownId},
       .exit_code = 66,
       .out = "",
       .err = std::string(kUnknownId) + ": no such queue entry"},
      {.name = "malformed id",
       .args = {"delete", "../../etc/passwd"},
       .exit_code = 64,
       .out = "",
       .err = "../../etc/passwd: not a queue id"},
      {.name = "no id", .args = {"requeue"}, .exit_code = 64, .out = "", .err = "no queue id"},
      {.name = "quarantined",
       .args = {"requeue", kCorrupt},
       .exit_code = 65,
       .out = "",
       .err = kCorrupt + ": cannot requeue a quarantined entry"},
      {.name = "queued one among unknown ones: every id is tried, first failure's code",
       .args = {"requeue", kUnknownId, queued},
       .exit_code = 66,
       .out = queued + ": already queued\n",
       .err = std::string(kUnknownId) + ": no such entry in failed/"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    RunResult r = w.relaymail(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_EQ(r.out, c.out);
    EXPECT_THAT(r.err, HasSubstr(c.err));
    EXPECT_EQ(lines(r.err), 1u) << r.err;
  }
  EXPECT_EQ(w.queued(), 1u);
  EXPECT_TRUE(::access((failed + kCorrupt + ".env").c_str(), F_OK) == 0) << "left for inspection";

  RunResult d = w.relaymail({"delete", kCorrupt});  // the operator can still get rid of it
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, kCorrupt + ": deleted from failed/\n");
  EXPECT_TRUE(list_dir(w.spool() + "/failed", "").empty());
}

}  // namespace
}  // namespace rm::e2e
