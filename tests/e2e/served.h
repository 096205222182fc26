// tests/e2e/served.h — `relaymaild serve` as a child of a test: started with a config, its
// output in a log file, stopped by signal, its exit status read with a deadline; and the small
// waits the daemon tests share (poll with a deadline, never a fixed sleep).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/harness.h"

namespace rm::e2e {

std::string relaymaild_bin();

// Polls `done` until it is true or `limit` has passed; its last answer.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit);

// Whether something accepts connections on the Unix socket at `path`.
bool answers(const std::string& path);

// relaymaild serve as a child of the test, its output in a log file; killed (SIGKILL) when
// still running at destruction.
class Served {
 public:
  Served(const std::string& config, const std::string& log);
  ~Served();
  Served(const Served&) = delete;
  Served& operator=(const Served&) = delete;
  pid_t pid() const { return pid_; }
  // The exit status, or -1 when it did not exit within `limit`.
  int wait(std::chrono::milliseconds limit);
  bool running();
  std::string log() const { return read_file(log_); }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// A daemon world for tests run as root: the smarthost, relaymaild's config (w_.config_path(),
// root's, with daemon.user = "root"), a shared 0755 directory with the socket, the client config
// every user reads and sendmail/mailq/relaymail links; as() runs them as another uid.
class DaemonFixture : public ::testing::Test {
 public:
  static constexpr uid_t kAlice = 61411;
  static constexpr uid_t kBob = 61412;

 protected:
  // The smarthost's options; before SetUp().
  explicit DaemonFixture(SmtpdOptions smtpd = {}) : srv_(w_.dir(), std::move(smtpd)) {}

  void SetUp() override {
    if (::getuid() != 0) {
      GTEST_SKIP() << "needs root to submit as two other uids";
    }
    ASSERT_TRUE(srv_.start());
    w_.write_config(srv_, "daemon");
    ASSERT_EQ(::chmod(shared_.path().c_str(), 0755), 0);
    socket_ = shared_.path() + "/submit.sock";
    daemon_group_ = "daemon = { socket = \"" + socket_ + "\"; user = \"root\"; };\n";
    ASSERT_TRUE(write_file(w_.config_path(), read_file(w_.config_path()) + daemon_group_, 0600));
    // What every user reads: the mode, the socket, no account and no password.
    client_config_ = shared_.path() + "/relaymail.conf";
    ASSERT_TRUE(write_file(client_config_,
                           "delivery = \"daemon\";\ndomain = \"example.com\";\n"
                           "log = { syslog = false; };\n" +
                               daemon_group_,
                           0644));
    for (const char* name : {"sendmail", "mailq", "relaymail"}) {
      std::filesystem::create_symlink(RM_RELAYMAIL_BIN, shared_.path() + "/" + name);
    }
  }

  std::unique_ptr<Served> start() {
    auto d = std::make_unique<Served>(w_.config_path(), w_.dir() + "/serve.log");
    EXPECT_TRUE(wait_until([&] { return answers(socket_); }, std::chrono::seconds(20))) << d->log();
    return d;
  }

  // `prog` (sendmail, mailq, relaymail) as `uid` with the shared client config.
  SpawnResult as(uid_t uid, const std::string& prog, std::vector<std::string> args,
                 const std::string& input = "") {
    SpawnSpec s;
    s.path = shared_.path() + "/" + prog;
    s.args = std::move(args);
    s.input = input;
    s.env = {"RELAYMAIL_CONFIG=" + client_config_};
    s.uid = uid;
    s.gid = uid;
    s.cwd = "/";
    return spawn(s);
  }

  World w_;
  Smtpd srv_;
  TempDir shared_;
  std::string socket_;
  std::string daemon_group_;
  std::string client_config_;
};

}  // namespace rm::e2e
