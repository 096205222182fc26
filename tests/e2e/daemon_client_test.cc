// `sendmail`, `mailq` and `relaymail flush` with delivery = "daemon" (the daemon issue, its
// client half): unprivileged submitters of two uids hand their messages to `relaymaild serve`
// over its socket and exit as they would without it; each sees only its own entries; only root
// runs the queue; a squatter on the socket path and a daemon that is not there cost one line
// and exit 69 (SENDMAIL.md behaviour 67, RELIABILITY.md §6 case 41). Skipped when not root.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "e2e/served.h"

namespace rm::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

using DaemonClient = DaemonFixture;

TEST_F(DaemonClient, SendmailHandsTheMessageToTheDaemonAndExitsZeroOnItsCommit) {
  auto d = start();
  const std::string msg =
      "To: bob@example.org\nSubject: through the daemon\n\nfirst\n.dot line\nlast\n";
  SpawnResult r = as(kAlice, "sendmail", {"-t", "-i", "-FCron Daemon"}, msg);
  ASSERT_EQ(r.exit_code, 0) << r.err << d->log();
  EXPECT_EQ(r.err, "");
  ASSERT_TRUE(srv_.wait_for(1, 10s)) << d->log();
  const std::string got = srv_.messages().at(0);
  EXPECT_THAT(got, HasSubstr("from userid " + std::to_string(kAlice)));
  EXPECT_THAT(got, HasSubstr("From: Cron Daemon <"));
  EXPECT_THAT(got, HasSubstr("\r\n.dot line\r\nlast\r\n"));
  EXPECT_THAT(d->log(), HasSubstr("uid=" + std::to_string(kAlice)));
  // Without -i a lone dot ends the message, as sendmail does without the daemon.
  r = as(kBob, "sendmail", {"bob@example.org"}, "Subject: dots\n\nkept\n.\ndropped\n");
  ASSERT_EQ(r.exit_code, 0) << r.err << d->log();
  ASSERT_TRUE(srv_.wait_for(2, 10s)) << d->log();
  EXPECT_THAT(srv_.messages().at(1), HasSubstr("kept"));
  EXPECT_THAT(srv_.messages().at(1), Not(HasSubstr("dropped")));
}

struct RefusalCase {
  const char* name;
  std::vector<std::string> args;
  const char* input;
  int exit_code;
  const char* says;
};

TEST_F(DaemonClient, EachRefusalIsOneLineAndTheExitCodeOfQueueMode) {
  auto d = start();
  const RefusalCase cases[] = {
      {"no recipient", {}, "Subject: x\n\nx\n", 64, "Recipient addresses must be specified"},
      {"-t finds none", {"-t"}, "Subject: x\n\nx\n", 64, "No recipient addresses found"},
      {"bad recipient", {"a b@example.org"}, "x\n", 64, "bad recipient address"},
      {"bad header", {"-t"}, "To: <<<\n\nx\n", 65, "554 5.6.0 parse To: header"},
  };
  for (const RefusalCase& c : cases) {
    SCOPED_TRACE(c.name);
    SpawnResult r = as(kAlice, "sendmail", c.args, c.input);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.says));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(srv_.received(), 0u);
  EXPECT_EQ(w_.queued(), 0u);
}

TEST_F(DaemonClient, EachUserSeesItsOwnEntriesAndOnlyRootRunsTheQueue) {
  srv_.stop();  // the smarthost is down: what is submitted stays queued
  auto d = start();
  for (uid_t uid : {kAlice, kBob}) {
    SpawnResult r = as(uid, "sendmail", {"carol@example.org"},
                       "Subject: from " + std::to_string(uid) + "\n\nx\n");
    ASSERT_EQ(r.exit_code, 0) << r.err << d->log();
  }
  ASSERT_TRUE(wait_until([&] { return w_.queued() == 2; }, 10s));
  SpawnResult alice = as(kAlice, "mailq", {});
  ASSERT_EQ(alice.exit_code, 0) << alice.err;
  EXPECT_THAT(alice.out, HasSubstr("uid61411@example.com"));
  EXPECT_THAT(alice.out, Not(HasSubstr("uid61412@example.com")));
  EXPECT_THAT(alice.out, HasSubstr("in 1 Request."));
  SpawnResult json = as(kBob, "relaymail", {"queue", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("uid61412@example.com"));
  EXPECT_THAT(json.out, Not(HasSubstr("uid61411@example.com")));
  RunResult root = run(shared_.path() + "/mailq", {}, "", {"RELAYMAIL_CONFIG=" + client_config_});
  EXPECT_THAT(root.out, HasSubstr("in 2 Requests."));
  // Running the queue is root's (or daemon.admin_group's).
  SpawnResult flush = as(kAlice, "relaymail", {"flush"});
  EXPECT_EQ(flush.exit_code, 77);
  EXPECT_THAT(flush.err, HasSubstr("only root may run the queue"));
  SpawnResult q = as(kBob, "sendmail", {"-q"});
  EXPECT_EQ(q.exit_code, 77);
  ASSERT_TRUE(srv_.start());
  RunResult all =
      run(shared_.path() + "/relaymail", {"flush"}, "", {"RELAYMAIL_CONFIG=" + client_config_});
  EXPECT_EQ(all.exit_code, 0) << all.err << d->log();
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 2) << all.out;
  EXPECT_THAT(all.out, HasSubstr("status=sent"));
  EXPECT_EQ(srv_.received(), 2u);
  EXPECT_TRUE(wait_until([&] { return w_.queued() == 0; }, 10s));
}

// RELIABILITY.md §6 case 40: the identity is the uid at connect; a non-admin cannot set another
// sender with -f, unless daemon.limits lets that uid use it; root may.
TEST_F(DaemonClient, Case40_ANonAdminCannotSendAsAnotherSender) {
  auto d = start();
  SpawnResult r =
      as(kAlice, "sendmail", {"-f", "ceo@example.com", "bob@example.org"}, "Subject: x\n\nx\n");
  EXPECT_EQ(r.exit_code, 77);
  EXPECT_THAT(r.err, HasSubstr("553 5.7.1 uid 61411 may not send as <ceo@example.com>"));
  EXPECT_EQ(w_.queued(), 0u);
  for (const char* ok : {"uid61411@example.com", "uid61411", ""}) {
    SCOPED_TRACE(ok);
    r = as(kAlice, "sendmail", {"-f", ok, "bob@example.org"}, "Subject: own\n\nx\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  RunResult root = run(shared_.path() + "/sendmail", {"-f", "ceo@example.com", "bob@example.org"},
                       "Subject: root\n\nx\n", {"RELAYMAIL_CONFIG=" + client_config_});
  EXPECT_EQ(root.exit_code, 0) << root.err;
  EXPECT_TRUE(srv_.wait_for(4, 10s)) << d->log();
}

// The www-data case: per-uid limits from daemon.limits, each refusal precise, other uids and
// root not limited by them.
TEST_F(DaemonClient, PerUidLimitsAndSenderRules) {
  ASSERT_TRUE(
      write_file(w_.config_path(),
                 read_file(w_.config_path()) + "daemon = { socket = \"" + socket_ +
                     "\"; user = \"root\"; limits = (\n"
                     "  { for = \"uid:61411\"; messages_per_hour = 2; recipients_per_message = 2;\n"
                     "    max_message_size = \"1k\"; senders = [ \"*@shop.example.com\" ]; },\n"
                     "  { for = \"*\"; messages_per_hour = 100; } ); };\n",
                 0600));
  // The daemon group above replaces the fixture's: one group, the last one given.
  std::string cfg = read_file(w_.config_path());
  cfg.erase(cfg.find(daemon_group_), daemon_group_.size());
  ASSERT_TRUE(write_file(w_.config_path(), cfg, 0600));
  auto d = start();
  struct Case {
    const char* name;
    std::vector<std::string> args;
    std::string input;
    int exit_code;
    const char* says;
  };
  const Case cases[] = {
      {"a permitted sender",
       {"-f", "orders@shop.example.com", "a@example.org"},
       "S: 1\n\nx\n",
       0,
       ""},
      {"not a permitted sender",
       {"-f", "x@example.org", "a@example.org"},
       "S: 2\n\nx\n",
       77,
       "may not send as <x@example.org>"},
      {"too many recipients",
       {"a@example.org", "b@example.org", "c@example.org"},
       "S: 3\n\nx\n",
       77,
       "550 5.7.1 too many recipients: 3, at most 2 for uid 61411"},
      {"too big", {"a@example.org"}, "S: 4\n\n" + std::string(2000, 'x') + "\n", 69, "552 5.3.4"},
      {"the second of the hour", {"a@example.org"}, "S: 5\n\nx\n", 0, ""},
      {"the third of the hour",
       {"a@example.org"},
       "S: 6\n\nx\n",
       77,
       "450 4.7.1 uid 61411 has sent its 2 messages of the last hour"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SpawnResult r = as(kAlice, "sendmail", c.args, c.input);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.says));
    EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // Bob falls under "*": three messages, three recipients, a big one.
  for (int i = 0; i < 3; ++i) {
    SpawnResult r = as(kBob, "sendmail", {"a@example.org", "b@example.org", "c@example.org"},
                       "S: bob\n\n" + std::string(2000, 'y') + "\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_TRUE(srv_.wait_for(5, 10s)) << d->log();
}

TEST_F(DaemonClient, SendmailBsTalksToTheDaemon) {
  auto d = start();
  SpawnResult r = as(kAlice, "sendmail", {"-bs"},
                     "EHLO client\r\nMAIL FROM:<uid61411@example.com>\r\n"
                     "RCPT TO:<bob@example.org>\r\nDATA\r\nSubject: bs\r\n\r\nvia -bs\r\n"
                     ".\r\nMAIL FROM:<ceo@example.com>\r\nQUIT\r\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("250 2.0.0 Ok: queued as"));
  EXPECT_THAT(r.out, HasSubstr("553 5.7.1 uid 61411 may not send as <ceo@example.com>"));
  EXPECT_THAT(r.out, HasSubstr("221 2.0.0 Bye"));
  ASSERT_TRUE(srv_.wait_for(1, 10s)) << d->log();
  EXPECT_THAT(srv_.messages().at(0), HasSubstr("via -bs"));
}

TEST_F(DaemonClient, NoDaemonIsOneLineAndExit69) {
  SpawnResult r = as(kAlice, "sendmail", {"bob@example.org"}, "Subject: x\n\nx\n");
  EXPECT_EQ(r.exit_code, 69);
  EXPECT_THAT(r.err, HasSubstr("cannot reach the relaymail daemon at " + socket_));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(as(kAlice, "mailq", {}).exit_code, 69);
}

// RELIABILITY.md §6 case 41: another uid listening at the socket path learns nothing.
TEST_F(DaemonClient, Case41_ASquatterOnTheSocketPathGetsNothing) {
  const std::string heard = shared_.path() + "/heard";
  ASSERT_TRUE(write_file(heard, "", 0666));
  const std::string squatter =
      "import socket, sys\n"
      "s = socket.socket(socket.AF_UNIX)\n"
      "import os\nos.umask(0)\ns.bind(sys.argv[1]); s.listen(4)\n"
      "open(sys.argv[1] + '.ready', 'w').close()\n"
      "c, _ = s.accept()\n"
      "c.settimeout(5)\n"
      "data = b''\n"
      "try:\n"
      "    c.sendall(b'220 squatter ESMTP\\r\\n')\n"
      "    while True:\n"
      "        b = c.recv(4096)\n"
      "        if not b: break\n"
      "        data += b\n"
      "except Exception: pass\n"
      "open(sys.argv[2], 'wb').write(data)\n"
      "open(sys.argv[2] + '.done', 'w').close()\n";
  const std::string script = shared_.path() + "/squatter.py";
  ASSERT_TRUE(write_file(script, squatter, 0644));
  ASSERT_EQ(::chmod(shared_.path().c_str(), 0777), 0);  // Bob may create the socket there
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (::setgid(kBob) != 0 || ::setuid(kBob) != 0) {
      ::_exit(126);
    }
    ::execl("/usr/bin/python3", "python3", script.c_str(), socket_.c_str(), heard.c_str(), nullptr);
    ::_exit(127);
  }
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_until([&] { return ::access((socket_ + ".ready").c_str(), F_OK) == 0; }, 20s));
  SpawnResult r = as(kAlice, "sendmail", {"bob@example.org"}, "Subject: secret\n\nsecret\n");
  EXPECT_EQ(r.exit_code, 69);
  EXPECT_THAT(r.err,
              HasSubstr("is served by uid " + std::to_string(kBob) + ", which is not the daemon"));
  ASSERT_TRUE(wait_until([&] { return ::access((heard + ".done").c_str(), F_OK) == 0; }, 20s));
  EXPECT_EQ(read_file(heard), "") << "the client spoke to the squatter";
  int status = 0;
  (void)::waitpid(pid, &status, 0);
}

}  // namespace
}  // namespace rm::e2e
