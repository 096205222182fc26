// `relaymaild serve` end to end (the daemon issue, its first part): started by the test as root
// (daemon.user = "root" keeps it so), submitters of two other uids that cannot read the password
// file speak SMTP on its socket; each message is committed under the uid the kernel reports,
// delivered at once, and the spool is picked up again after a kill -9. The socket path: a stale
// socket is replaced, anything else refused. SIGHUP with a bad and a good config, SIGTERM.
// Skipped when not root.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "e2e/served.h"

namespace rm::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr uid_t kAlice = 61401;
constexpr uid_t kBob = 61402;

// Speaks one SMTP transaction on the socket argv[1], the message on stdin, and prints the final
// reply: exit 0 on 250.
constexpr const char* kClient = R"(import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile('rwb')
def reply():
    while True:
        line = f.readline()
        if not line:
            print('connection closed'); sys.exit(3)
        if line[3:4] != b'-':
            return line
def cmd(c, want):
    f.write(c + b'\r\n'); f.flush()
    line = reply()
    if not line.startswith(want):
        print(line.decode().strip()); sys.exit(1)
reply()
cmd(b'EHLO client', b'250')
cmd(b'MAIL FROM:<' + sys.argv[2].encode() + b'>', b'250')
cmd(b'RCPT TO:<bob@example.org>', b'250')
cmd(b'DATA', b'354')
body = sys.stdin.buffer.read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
f.write(body + b'.\r\n'); f.flush()
line = reply()
print(line.decode().strip())
f.write(b'QUIT\r\n'); f.flush()
sys.exit(0 if line.startswith(b'250') else 1)
)";

class DaemonServe : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::getuid() != 0) {
      GTEST_SKIP() << "needs root to submit as two other uids";
    }
    ASSERT_TRUE(srv_.start());
    w_.write_config(srv_, "daemon");
    // The socket's directory is reachable by everyone; the World (config, password) is not.
    ASSERT_EQ(::chmod(shared_.path().c_str(), 0755), 0);
    socket_ = shared_.path() + "/submit.sock";
    client_ = shared_.path() + "/client.py";
    ASSERT_TRUE(write_file(client_, kClient, 0644));
    ASSERT_TRUE(write_file(w_.config_path(),
                           read_file(w_.config_path()) + "daemon = { socket = \"" + socket_ +
                               "\"; user = \"root\"; stop_timeout = \"5s\"; };\n",
                           0600));
  }

  std::unique_ptr<Served> start() {
    auto d = std::make_unique<Served>(w_.config_path(), w_.dir() + "/serve.log");
    EXPECT_TRUE(wait_until([&] { return answers(socket_); }, 20s)) << d->log();
    return d;
  }

  SpawnResult submit_as(uid_t uid, const std::string& sender, const std::string& message) {
    SpawnSpec s;
    s.path = "/usr/bin/python3";
    s.args = {client_, socket_, sender};
    s.input = message;
    s.uid = uid;
    s.gid = uid;
    s.cwd = "/";
    return spawn(s);
  }

  World w_;
  Smtpd srv_{w_.dir(), {}};
  TempDir shared_;
  std::string socket_;
  std::string client_;
};

TEST_F(DaemonServe, SubmittersOfOtherUidsAreCommittedUnderTheirUidAndDeliveredAtOnce) {
  auto d = start();
  for (uid_t uid : {kAlice, kBob}) {
    SCOPED_TRACE(uid);
    SpawnSpec peek;  // the submitter cannot read the smarthost password
    peek.path = "/bin/cat";
    peek.args = {w_.dir() + "/account.pass"};
    peek.uid = uid;
    peek.gid = uid;
    EXPECT_NE(spawn(peek).exit_code, 0);
    size_t before = srv_.received();
    SpawnResult r = submit_as(uid, "uid" + std::to_string(uid) + "@example.com",
                              "Subject: from " + std::to_string(uid) + "\n\nhello\n");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << d->log();
    EXPECT_THAT(r.out, HasSubstr("250 2.0.0 Ok: queued as"));
    ASSERT_TRUE(srv_.wait_for(before + 1, 10s)) << d->log();
    std::string msg = srv_.messages().at(before);
    EXPECT_THAT(msg, HasSubstr("from userid " + std::to_string(uid)));
    EXPECT_THAT(d->log(), HasSubstr("uid=" + std::to_string(uid)));
  }
  // Removed once recorded, which may come a moment after the smarthost's 250.
  EXPECT_TRUE(wait_until([&] { return w_.queued() == 0; }, 10s)) << "delivered entries stay";
  ::kill(d->pid(), SIGTERM);
  EXPECT_EQ(d->wait(10s), 0) << d->log();
}

TEST_F(DaemonServe, WhatAKilledDaemonAcceptedIsDeliveredAfterItsRestart) {
  ASSERT_TRUE(write_file(
      w_.config_path(),
      read_file(w_.config_path()) + "retry = { first = \"1s\"; max = \"2s\"; };\n", 0600));
  srv_.stop();  // the smarthost is down: the message stays queued
  auto d = start();
  SpawnResult r = submit_as(kAlice, "uid61401@example.com", "Subject: kept\n\nsurvives\n");
  ASSERT_EQ(r.exit_code, 0) << r.out << d->log();
  ASSERT_TRUE(
      wait_until([&] { return d->log().find("status=deferred") != std::string::npos; }, 10s))
      << d->log();
  ::kill(d->pid(), SIGKILL);
  EXPECT_EQ(d->wait(10s), 128 + SIGKILL);
  EXPECT_EQ(w_.queued(), 1u);
  ASSERT_TRUE(srv_.start());  // same port
  auto restarted = start();   // the stale socket of the killed one is replaced
  ASSERT_TRUE(srv_.wait_for(1, 20s)) << restarted->log();
  EXPECT_THAT(srv_.messages().at(0), HasSubstr("survives"));
  EXPECT_THAT(restarted->log(), HasSubstr("1 queued entries scheduled"));
  ::kill(restarted->pid(), SIGTERM);
  EXPECT_EQ(restarted->wait(10s), 0) << restarted->log();
}

TEST_F(DaemonServe, AnythingButAStaleSocketAtThePathIsLeftAloneAndRefused) {
  ASSERT_TRUE(write_file(socket_, "not a socket\n", 0644));
  Served d(w_.config_path(), w_.dir() + "/serve.log");
  EXPECT_EQ(d.wait(10s), 71) << d.log();
  EXPECT_THAT(d.log(), HasSubstr("something else is there; not removed"));
  EXPECT_EQ(read_file(socket_), "not a socket\n");
  ASSERT_EQ(::unlink(socket_.c_str()), 0);
  auto first = start();
  Served second(w_.config_path(), w_.dir() + "/second.log");
  EXPECT_EQ(second.wait(10s), 71) << second.log();
  EXPECT_THAT(second.log(), HasSubstr("another daemon answers there"));
  EXPECT_TRUE(answers(socket_)) << "the second daemon took the first one's socket";
}

TEST_F(DaemonServe, SighupKeepsTheOldConfigWhenTheNewOneIsBad) {
  auto d = start();
  std::string good = read_file(w_.config_path());
  ASSERT_TRUE(write_file(w_.config_path(), good + "bogus = 1;\n", 0600));
  ::kill(d->pid(), SIGHUP);
  ASSERT_TRUE(wait_until(
      [&] { return d->log().find("keeping the configuration in use") != std::string::npos; }, 10s))
      << d->log();
  EXPECT_THAT(d->log(), HasSubstr("unknown setting 'bogus'"));
  SpawnResult r = submit_as(kBob, "uid61402@example.com", "Subject: after a bad reload\n\nok\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << d->log();
  ASSERT_TRUE(write_file(w_.config_path(), good, 0600));
  ::kill(d->pid(), SIGHUP);
  ASSERT_TRUE(wait_until(
      [&] { return d->log().find("reload: configuration from") != std::string::npos; }, 10s))
      << d->log();
  EXPECT_TRUE(srv_.wait_for(1, 10s)) << d->log();
  ::kill(d->pid(), SIGTERM);
  EXPECT_EQ(d->wait(10s), 0) << d->log();
}

// RELIABILITY.md §6 case 55: a config, aliases or password file that anyone but root or the
// daemon user may write is refused: at start the daemon does not start, on SIGHUP it keeps the
// configuration it has.
TEST_F(DaemonServe, Case55_FilesOthersCanWriteAreRefused) {
  const std::string pass = w_.dir() + "/account.pass";
  struct Case {
    const char* name;
    std::string path;
    mode_t mode;
  };
  const Case kCases[] = {
      {"config world-writable", w_.config_path(), 0666},
      {"config group-writable", w_.config_path(), 0620},
      {"password file group-writable", pass, 0620},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(::chmod(c.path.c_str(), c.mode), 0);
    Served d(w_.config_path(), w_.dir() + "/refused.log");
    EXPECT_EQ(d.wait(10s), 78) << d.log();
    EXPECT_THAT(d.log(), HasSubstr(c.path + " is writable by group or others"));
    ASSERT_EQ(::chmod(c.path.c_str(), 0600), 0);
  }
  // Owned by another uid: refused as well.
  ASSERT_EQ(::chown(w_.config_path().c_str(), kAlice, kAlice), 0);
  Served foreign(w_.config_path(), w_.dir() + "/foreign.log");
  EXPECT_EQ(foreign.wait(10s), 78) << foreign.log();
  EXPECT_THAT(foreign.log(), HasSubstr("is owned by uid " + std::to_string(kAlice)));
  ASSERT_EQ(::chown(w_.config_path().c_str(), 0, 0), 0);
  // Running: an aliases file others may write makes the reload keep the old configuration.
  auto d = start();
  const std::string aliases = w_.dir() + "/aliases";
  ASSERT_TRUE(write_file(aliases, "root: ops@example.com\n", 0666));
  ASSERT_EQ(::chmod(aliases.c_str(), 0666), 0);
  std::string good = read_file(w_.config_path());
  ASSERT_TRUE(write_file(w_.config_path(), good + "aliases = \"" + aliases + "\";\n", 0600));
  ::kill(d->pid(), SIGHUP);
  ASSERT_TRUE(wait_until(
      [&] { return d->log().find("keeping the configuration in use") != std::string::npos; }, 10s))
      << d->log();
  EXPECT_THAT(d->log(), HasSubstr(aliases + " is writable by group or others"));
  ::kill(d->pid(), SIGTERM);
  EXPECT_EQ(d->wait(10s), 0) << d->log();
}

}  // namespace
}  // namespace rm::e2e
