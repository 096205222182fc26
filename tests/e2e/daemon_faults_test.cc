// `relaymaild serve` under faults (the daemon issue; RELIABILITY.md §6): kill -9 during 200
// concurrent submissions (case 1: every submission that exited 0 is delivered), a restart in
// the middle of a send (case 11), SIGTERM in the middle of a send, three queue runs at once
// (case 9: each message exactly once), one uid holding every connection it may (case 43).
// Skipped when not root.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "e2e/served.h"

namespace rm::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A smarthost that takes one message up to its final dot, writes <marker>, and then never
// answers: a send caught in the middle. No TLS, no AUTH (loopback only).
constexpr const char* kStallServer = R"(import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(4)
open(sys.argv[1] + '.tmp', 'w').write(str(s.getsockname()[1]) + '\n')
import os; os.rename(sys.argv[1] + '.tmp', sys.argv[1])
c, _ = s.accept()
f = c.makefile('rwb')
def say(t): f.write(t + b'\r\n'); f.flush()
say(b'220 stall ESMTP')
data = False
buf = b''
while True:
    line = f.readline()
    if not line: sys.exit(0)
    if data:
        if line in (b'.\r\n', b'.\n'):
            open(sys.argv[2], 'w').close()
            while c.recv(4096): pass
            sys.exit(0)
        continue
    verb = line[:4].upper()
    if verb == b'EHLO': say(b'250-stall\r\n250 PIPELINING')
    elif verb == b'DATA': say(b'354 go'); data = True
    elif verb == b'QUIT': say(b'221 bye'); sys.exit(0)
    else: say(b'250 ok')
)";

class DaemonFaults : public DaemonFixture {
 protected:
  // The account's smarthost becomes a stall server; returns its port.
  int stall_smarthost() {
    const std::string script = shared_.path() + "/stall.py";
    port_file_ = shared_.path() + "/stall.port";
    marker_ = shared_.path() + "/stall.dot";
    EXPECT_TRUE(write_file(script, kStallServer, 0644));
    stall_pid_ = ::fork();
    if (stall_pid_ == 0) {
      ::execl("/usr/bin/python3", "python3", script.c_str(), port_file_.c_str(), marker_.c_str(),
              nullptr);
      ::_exit(127);
    }
    EXPECT_TRUE(wait_until([&] { return !read_file(port_file_).empty(); }, 20s));
    const int port = std::atoi(read_file(port_file_).c_str());
    // The account: plain SMTP to the stall server, no login.
    std::string cfg = read_file(w_.config_path());
    const std::string from = "port = " + std::to_string(srv_.port()) + ";";
    cfg.replace(cfg.find(from), from.size(), "port = " + std::to_string(port) + ";");
    for (const char* key : {"tls = \"starttls\";", "auth = \"plain\";"}) {
      std::string k(key);
      cfg.replace(cfg.find(k), k.size(),
                  k[0] == 't' ? "tls = \"none\"; host = \"127.0.0.1\";" : "auth = \"none\";");
    }
    const std::string host = "host = \"localhost\";";
    cfg.erase(cfg.find(host), host.size());
    // A stuck send ends after this: SIGTERM's wait is bounded by it.
    cfg.replace(cfg.find("timeout = \"10s\";"), 16, "timeout = \"3s\";");
    EXPECT_TRUE(write_file(w_.config_path(), cfg, 0600));
    return port;
  }

  void TearDown() override {
    if (stall_pid_ > 0) {
      ::kill(stall_pid_, SIGKILL);
      (void)::waitpid(stall_pid_, nullptr, 0);
    }
  }

  bool caught_mid_send() {
    return wait_until([&] { return ::access(marker_.c_str(), F_OK) == 0; }, 20s);
  }

  std::string port_file_;
  std::string marker_;
  pid_t stall_pid_ = -1;
};

// Case 1: every submission that exited 0 is delivered at least once after the daemon was
// killed among 200 concurrent submissions; duplicates are counted, none is lost.
TEST_F(DaemonFaults, Case1_KillNineDuringTwoHundredConcurrentSubmissions) {
  auto d = start();
  constexpr int kMessages = 200;
  constexpr int kThreads = 20;
  std::vector<int> exit_codes(kMessages, -1);
  std::atomic<int> next{0};
  std::atomic<int> finished{0};
  auto work = [&] {
    for (int i = next++; i < kMessages; i = next++) {
      SpawnResult r =
          as(i % 2 == 0 ? kAlice : kBob, "sendmail", {"-i", "rcpt@example.org"},
             "Subject: m" + std::to_string(i) + "\n\nnumber " + std::to_string(i) + " end\n");
      exit_codes[i] = r.exit_code;
      ++finished;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(work);
  }
  ASSERT_TRUE(wait_until([&] { return finished >= kMessages / 3; }, 60s));
  ::kill(d->pid(), SIGKILL);
  EXPECT_EQ(d->wait(10s), 128 + SIGKILL);
  d = start();  // while the rest go on: they find the daemon again, or failed cleanly
  for (std::thread& t : threads) {
    t.join();
  }
  const auto accepted = std::count(exit_codes.begin(), exit_codes.end(), 0);
  EXPECT_GE(accepted, kMessages / 3);
  for (int code : exit_codes) {
    EXPECT_TRUE(code == 0 || code == 69) << code;
  }
  // Everything committed has left the queue (what a killed delivery sent twice counts once
  // towards `accepted` only).
  ASSERT_TRUE(wait_until([&] { return w_.queued() == 0; }, 60s)) << d->log();
  ASSERT_GE(srv_.received(), static_cast<size_t>(accepted)) << d->log();
  std::map<int, int> seen;
  for (const std::string& m : srv_.messages()) {
    size_t at = m.find("number ");
    ASSERT_NE(at, std::string::npos);
    ++seen[std::atoi(m.c_str() + at + 7)];
  }
  int duplicates = 0;
  for (int i = 0; i < kMessages; ++i) {
    if (exit_codes[i] == 0) {
      EXPECT_GE(seen[i], 1) << "message " << i << " exited 0 and was lost";
    }
    duplicates += std::max(0, seen[i] - 1);
  }
  RecordProperty("accepted", static_cast<int>(accepted));
  RecordProperty("duplicates", duplicates);
}

// Case 11: a message caught in the middle of its send when the daemon dies is delivered by the
// next daemon.
TEST_F(DaemonFaults, Case11_AMessageCaughtMidSendIsDeliveredAfterARestart) {
  const int port = stall_smarthost();
  auto d = start();
  SpawnResult r = as(kAlice, "sendmail", {"rcpt@example.org"}, "Subject: mid\n\ncaught\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(caught_mid_send()) << d->log();
  ::kill(d->pid(), SIGKILL);
  EXPECT_EQ(d->wait(10s), 128 + SIGKILL);
  ::kill(stall_pid_, SIGKILL);
  (void)::waitpid(stall_pid_, nullptr, 0);
  stall_pid_ = -1;
  ASSERT_EQ(::mkdir((w_.dir() + "/real").c_str(), 0700), 0);
  Smtpd real(w_.dir() + "/real", {.tls = "none", .port = port});
  ASSERT_TRUE(real.start());
  d = start();
  ASSERT_TRUE(real.wait_for(1, 30s)) << d->log();
  EXPECT_THAT(real.messages().at(0), HasSubstr("caught"));
  EXPECT_TRUE(wait_until([&] { return w_.queued() == 0; }, 10s));
}

// SIGTERM while a send is stuck: the daemon stops accepting at once, ends within the send's
// own timeout, exits 0, and the message is still queued for the next start.
TEST_F(DaemonFaults, SigtermMidSendExitsZeroAndKeepsTheMessage) {
  (void)stall_smarthost();
  auto d = start();
  SpawnResult r = as(kBob, "sendmail", {"rcpt@example.org"}, "Subject: term\n\nkept\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(caught_mid_send()) << d->log();
  ::kill(d->pid(), SIGTERM);
  EXPECT_TRUE(wait_until([&] { return !answers(socket_); }, 10s)) << "still accepting";
  EXPECT_EQ(d->wait(30s), 0) << d->log();
  EXPECT_EQ(w_.queued(), 1u);
}

// Case 9: the daemon's own run, `sendmail -q` and a one-shot flush of the same spool at once:
// the smarthost sees each message exactly once.
TEST_F(DaemonFaults, Case9_ThreeQueueRunsAtOnceSendEachMessageOnce) {
  srv_.stop();
  auto d = start();
  constexpr size_t kQueued = 30;
  for (size_t i = 0; i < kQueued; ++i) {
    SpawnResult r = as(kAlice, "sendmail", {"rcpt@example.org"},
                       "Subject: q" + std::to_string(i) + "\n\nonce " + std::to_string(i) + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ASSERT_TRUE(wait_until([&] { return w_.queued() == kQueued; }, 10s));
  ASSERT_TRUE(srv_.start());
  // A queue-mode config on the daemon's spool: relaymaild's one-shot flush, as a cron job would.
  std::string oneshot = read_file(w_.config_path());
  oneshot.replace(oneshot.find("delivery = \"daemon\";"), 20, "delivery = \"queue\";");
  const std::string oneshot_path = w_.dir() + "/oneshot.conf";
  ASSERT_TRUE(write_file(oneshot_path, oneshot, 0600));
  const std::vector<std::string> root_env{"RELAYMAIL_CONFIG=" + client_config_};
  std::thread a([&] { (void)run(shared_.path() + "/relaymail", {"flush"}, "", root_env); });
  std::thread b([&] { (void)run(shared_.path() + "/sendmail", {"-q"}, "", root_env); });
  std::thread c([&] { (void)run(relaymaild_bin(), {"flush", "-C", oneshot_path}, ""); });
  a.join();
  b.join();
  c.join();
  ASSERT_TRUE(wait_until([&] { return w_.queued() == 0; }, 30s)) << d->log();
  EXPECT_EQ(srv_.received(), kQueued);
}

// Case 43: one uid holding every connection it may does not keep anyone else out.
TEST_F(DaemonFaults, Case43_OneUidsConnectionsDoNotBlockOthers) {
  std::string cfg = read_file(w_.config_path());
  cfg.erase(cfg.find(daemon_group_), daemon_group_.size());
  cfg += "daemon = { socket = \"" + socket_ +
         "\"; user = \"root\"; limits = ( { for = \"*\"; connections = 3; } ); };\n";
  ASSERT_TRUE(write_file(w_.config_path(), cfg, 0600));
  auto d = start();
  const std::string holder =
      "import socket, sys, time\n"
      "held = []\n"
      "for i in range(50):\n"
      "    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); held.append(s)\n"
      "    s.recv(100)\n"
      "open(sys.argv[2], 'w').close()\n"
      "held[0].recv(100)\n";
  const std::string script = shared_.path() + "/hold.py";
  const std::string ready = shared_.path() + "/held";
  ASSERT_TRUE(write_file(script, holder, 0644));
  ASSERT_EQ(::chmod(shared_.path().c_str(), 0777), 0);
  SpawnSpec s;
  s.path = "/usr/bin/python3";
  s.args = {script, socket_, ready};
  s.uid = kAlice;
  s.gid = kAlice;
  s.timeout = 30s;
  std::thread hold([&] { (void)spawn(s); });
  ASSERT_TRUE(wait_until([&] { return ::access(ready.c_str(), F_OK) == 0; }, 20s)) << d->log();
  SpawnResult alice = as(kAlice, "sendmail", {"rcpt@example.org"}, "Subject: a\n\nx\n");
  EXPECT_EQ(alice.exit_code, 77);
  EXPECT_THAT(alice.err, HasSubstr("uid 61411 has 3 connections open already"));
  SpawnResult bob = as(kBob, "sendmail", {"rcpt@example.org"}, "Subject: b\n\nx\n");
  EXPECT_EQ(bob.exit_code, 0) << bob.err;
  RunResult root = run(shared_.path() + "/sendmail", {"rcpt@example.org"}, "Subject: r\n\nx\n",
                       {"RELAYMAIL_CONFIG=" + client_config_});
  EXPECT_EQ(root.exit_code, 0) << root.err;
  EXPECT_TRUE(srv_.wait_for(2, 10s));
  ::kill(d->pid(), SIGKILL);  // drops the held connections, which ends the holder
  hold.join();
}

size_t open_fds(pid_t pid) {
  return list_dir("/proc/" + std::to_string(pid) + "/fd", "").size();
}

// Case 49: 1000 submissions, 100 at a time: all exit 0, all delivered, and the daemon holds no
// more descriptors afterwards than before (no leaked connection, lock or file). The sanitizer
// pass sends 200, 20 at a time: its instrumented processes take five times as long to start.
TEST_F(DaemonFaults, Case49_AThousandParallelSubmissionsLeakNothing) {
  auto d = start();
  ASSERT_TRUE(wait_until([&] { return open_fds(d->pid()) > 0; }, 10s));
  SpawnResult warm = as(kAlice, "sendmail", {"rcpt@example.org"}, "Subject: warm\n\nx\n");
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  ASSERT_TRUE(srv_.wait_for(1, 10s));
  ASSERT_TRUE(wait_until([&] { return w_.queued() == 0; }, 10s));
  const size_t fds_before = open_fds(d->pid());
#ifdef RM_E2E_SANITIZED
  constexpr int kMessages = 200;
  constexpr int kThreads = 20;
#else
  constexpr int kMessages = 1000;
  constexpr int kThreads = 100;
#endif
  std::vector<int> exit_codes(kMessages, -1);
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < kMessages; i = next++) {
        exit_codes[i] = as(i % 2 == 0 ? kAlice : kBob, "sendmail", {"-i", "rcpt@example.org"},
                           "Subject: p" + std::to_string(i) + "\n\nx\n")
                            .exit_code;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(std::count(exit_codes.begin(), exit_codes.end(), 0), kMessages);
  ASSERT_TRUE(srv_.wait_for(kMessages + 1, 120s)) << d->log();
  ASSERT_TRUE(wait_until([&] { return w_.queued() == 0; }, 30s));
  // The pool's idle sessions may still be open: at most `connections` (3) more than before.
  EXPECT_TRUE(wait_until([&] { return open_fds(d->pid()) <= fds_before + 3; }, 10s))
      << open_fds(d->pid()) << " descriptors, " << fds_before << " before";
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// Case 48's cousin: a smarthost that takes the connection and the login and then drops it at
// MAIL is retried on the backoff, not at once over and over.
class DaemonDroppingSmarthost : public DaemonFixture {
 protected:
  DaemonDroppingSmarthost() : DaemonFixture(SmtpdOptions{.fail = {"MAIL=disconnect"}}) {}
};

TEST_F(DaemonDroppingSmarthost, ASessionDroppedMidTransactionWaitsForItsRetry) {
  auto d = start();
  SpawnResult r = as(kAlice, "sendmail", {"rcpt@example.org"}, "Subject: dropped\n\nx\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(wait_until([&] { return count_of(d->log(), "status=deferred") >= 1; }, 20s))
      << d->log();
  // A tight loop would have made dozens of attempts by now.
  EXPECT_FALSE(wait_until([&] { return count_of(d->log(), "status=deferred") >= 2; }, 2s))
      << d->log();
}

}  // namespace
}  // namespace rm::e2e
