// End-to-end: the built relaymail binary, run as sendmail/mailq/relaymail through argv[0]
// symlinks, against fake_smtpd (real TCP, real OpenSSL TLS, AUTH) on 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// PHP >= 8 writes its own separators as CRLF and leaves the body alone: mixed endings.
const std::string kPhpMessage =
    "To: bob@example.org\r\n"
    "Subject: hello\r\n"
    "Bcc: secret@example.net\r\n"
    "\r\n"
    "line one\n"
    "line two\r\n"
    ".leading dot\n";

TEST(FirstPath, SubmitQueueFlushDeliversExactBytes) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");

  RunResult r = w.sendmail({"-t", "-i"}, kPhpMessage);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(w.queued(), 1u);
  EXPECT_EQ(srv.received(), 0u) << "queue mode must not deliver";

  RunResult q = w.mailq();
  EXPECT_EQ(q.exit_code, 0);
  EXPECT_THAT(q.out, HasSubstr("bob@example.org"));
  EXPECT_THAT(q.out, HasSubstr("-- 1 Kbytes in 1 Request."));

  RunResult f = w.relaymail({"flush"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.out, HasSubstr("status=sent"));
  ASSERT_TRUE(srv.wait_for(1, 10s));
  EXPECT_EQ(w.queued(), 0u);

  std::string msg = srv.messages().at(0);
  EXPECT_THAT(msg, HasSubstr("\r\nSubject: hello\r\n"));
  EXPECT_THAT(msg, HasSubstr("\r\n\r\nline one\r\nline two\r\n.leading dot\r\n"));
  EXPECT_THAT(msg, Not(HasSubstr("Bcc")));
  EXPECT_THAT(msg, Not(HasSubstr("secret@example.net")));
  EXPECT_THAT(msg, HasSubstr("\r\nDate: "));
  EXPECT_THAT(msg, HasSubstr("\r\nMessage-ID: <"));
  EXPECT_THAT(msg, HasSubstr("\r\nFrom: "));
  // Every line ends in CRLF: no bare LF anywhere.
  for (size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '\n') {
      ASSERT_GT(i, 0u);
      EXPECT_EQ(msg[i - 1], '\r') << "bare LF at offset " << i;
    }
  }
  std::string env = srv.envelopes().at(0);
  EXPECT_THAT(env, HasSubstr("bob@example.org"));
  EXPECT_THAT(env, HasSubstr("secret@example.net")) << "Bcc recipients still get the mail";

  RunResult again = w.relaymail({"flush"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(srv.received(), 1u) << "delivered exactly once";
  EXPECT_EQ(w.mailq().out, "Mail queue is empty\n");
}

TEST(FirstPath, ServerDownKeepsMessageQueuedThenDeliversOnce) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  srv.stop();  // the port is known and now closed

  RunResult r = w.sendmail({"-i", "alice@example.org"}, "Subject: down\n\nbody\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  RunResult f = w.relaymail({"flush"});
  EXPECT_THAT(f.out, HasSubstr("status=deferred"));
  EXPECT_EQ(w.queued(), 1u);
  RunResult q = w.mailq();
  EXPECT_THAT(q.out, HasSubstr("attempts: 1"));
  EXPECT_THAT(q.out, HasSubstr("last error: "));
  EXPECT_THAT(q.out, HasSubstr("alice@example.org"));

  ASSERT_TRUE(srv.start());
  RunResult f2 = w.relaymail({"flush"});
  EXPECT_EQ(f2.exit_code, 0) << f2.err;
  ASSERT_TRUE(srv.wait_for(1, 10s));
  EXPECT_EQ(w.queued(), 0u);
  RunResult f3 = w.relaymail({"flush"});
  EXPECT_EQ(srv.received(), 1u);
}

TEST(FirstPath, WrongHostCertificateSendsNothingAndKeepsMessage) {
  World w;
  SmtpdOptions o;
  o.cert = "wrong_host";
  Smtpd srv(w.dir(), o);
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  ASSERT_EQ(w.sendmail({"-i", "alice@example.org"}, "Subject: x\n\nbody\n").exit_code, 0);
  RunResult f = w.relaymail({"flush"});
  EXPECT_THAT(f.out, HasSubstr("status=deferred"));
  EXPECT_THAT(f.out, HasSubstr("dsn=4.7.0"));
  EXPECT_EQ(srv.received(), 0u);
  EXPECT_EQ(w.queued(), 1u);
}

TEST(FirstPath, ImplicitTlsDelivers) {
  World w;
  SmtpdOptions o;
  o.tls = "tls";
  Smtpd srv(w.dir(), o);
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue", "tls");
  ASSERT_EQ(w.sendmail({"-i", "alice@example.org"}, "Subject: x\n\nbody\n").exit_code, 0);
  RunResult f = w.relaymail({"flush"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  ASSERT_TRUE(srv.wait_for(1, 10s));
  EXPECT_EQ(w.queued(), 0u);
}

TEST(FirstPath, ForegroundModeDeliversBeforeExit) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  RunResult r = w.sendmail({"-odi", "-i", "alice@example.org"}, "Subject: fg\n\nbody\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(srv.received(), 1u);
  EXPECT_EQ(w.queued(), 0u);
}

TEST(FirstPath, BackgroundModeDeliversAfterReturning) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "background");
  RunResult r = w.sendmail({"-t", "-i"}, "To: carol@example.org\nSubject: bg\n\nbody\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ASSERT_TRUE(srv.wait_for(1, 20s));
  EXPECT_THAT(srv.messages().at(0), HasSubstr("Subject: bg\r\n"));
}

TEST(FirstPath, TemporaryFailureIsRecordedAndRetried) {
  World w;
  SmtpdOptions o;
  o.fail = {"MAIL=451 4.3.0 try again later"};
  Smtpd srv(w.dir(), o);
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  ASSERT_EQ(w.sendmail({"-i", "alice@example.org"}, "Subject: x\n\nbody\n").exit_code, 0);
  RunResult f = w.relaymail({"flush"});
  EXPECT_THAT(f.out, HasSubstr("status=deferred"));
  EXPECT_THAT(f.out, HasSubstr("dsn=4.3.0"));
  EXPECT_EQ(w.queued(), 1u);
  EXPECT_THAT(w.mailq().out, HasSubstr("451"));
}

// Behaviour 69: cron/atd/sudo start us with stdout and stderr closed, cwd "/", no HOME.
TEST(FirstPath, WorksWithClosedStdioNoHomeAndRootCwd) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  std::string cmd =
      "cd / && unset HOME && exec " + w.bin("sendmail") + " -i alice@example.org >&- 2>&-";
  RunResult r = run("/bin/sh", {"-c", cmd}, "Subject: closed\n\nbody\n", w.env());
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_EQ(w.queued(), 1u);
  RunResult f = w.relaymail({"flush"});
  ASSERT_TRUE(srv.wait_for(1, 10s));
  EXPECT_THAT(srv.messages().at(0), HasSubstr("Subject: closed\r\n"));
}

struct UsageCase {
  const char* name;
  std::vector<std::string> args;
  int exit_code;
  const char* err;
};

TEST(FirstPath, UsageErrorsDrainStdinAndExitWithSysexits) {
  const UsageCase kCases[] = {
      {.name = "unknown letter",
       .args = {"-Z", "a@b.example"},
       .exit_code = 64,
       .err = "sendmail: invalid option"},
      {.name = "no recipients",
       .args = {"-i"},
       .exit_code = 64,
       .err = "Recipient addresses must be specified"},
      {.name = "-t without header recipients",
       .args = {"-t"},
       .exit_code = 64,
       .err = "No recipient addresses found in message header"},
      {.name = "leading dash recipient",
       .args = {"--", "-oops@example.org"},
       .exit_code = 64,
       .err = "bad recipient"},
      {.name = "missing config",
       .args = {"-C", "/nonexistent/relaymail.conf", "a@b.example"},
       .exit_code = 78,
       .err = "/nonexistent/relaymail.conf"},
  };
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  std::string big(1 << 20, 'x');  // larger than a pipe buffer: we must drain, not die of EPIPE
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    RunResult r = w.sendmail(c.args, "Subject: x\n\n" + big + "\n");
    EXPECT_EQ(r.exit_code, c.exit_code);
    EXPECT_THAT(r.err, HasSubstr(c.err));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    EXPECT_EQ(w.queued(), 0u);
  }
}

TEST(FirstPath, PersonalitiesByArgv0) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  EXPECT_EQ(w.mailq().out, "Mail queue is empty\n");
  EXPECT_EQ(run(w.bin("newaliases"), {}, "", w.env()).exit_code, 0);
  RunResult bp = w.sendmail({"-bp"}, "");
  EXPECT_EQ(bp.out, "Mail queue is empty\n");
  RunResult v = w.relaymail({"--version"});
  EXPECT_THAT(v.out, HasSubstr("relaymail"));
  RunResult sm = run(w.bin("send-mail"), {"-i", "a@example.org"}, "x\n", w.env());
  EXPECT_EQ(sm.exit_code, 0) << sm.err;
  EXPECT_EQ(w.queued(), 1u);
}

}  // namespace
}  // namespace rm::e2e
