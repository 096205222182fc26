// `relaymaild serve` started as systemd starts it from relaymail.socket: the test binds and
// listens on the socket itself, the child gets it at fd 3 with LISTEN_FDS=1 and LISTEN_PID of
// its own, and NOTIFY_SOCKET names a datagram socket of the test. READY=1 arrives once it
// serves, a message submitted on the passed socket gets 250 and reaches the smarthost, and
// daemon.socket is never bound; SIGHUP yields RELOADING=1 then READY=1 (also when the new
// config is refused); SIGTERM yields STOPPING=1 and exit 0. A passed socket of the wrong kind
// is refused (exit 71). Runs as whoever runs the tests (daemon.user = "root" keeps root so).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "e2e/harness.h"

extern char** environ;

namespace rm::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// One SMTP transaction on the socket argv[1]; prints the reply to DATA, exit 0 on 250.
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
cmd(b'MAIL FROM:<alice@example.com>', b'250')
cmd(b'RCPT TO:<bob@example.org>', b'250')
cmd(b'DATA', b'354')
f.write(b'Subject: activated\r\n\r\nvia the passed socket\r\n.\r\n'); f.flush()
line = reply()
print(line.decode().strip())
f.write(b'QUIT\r\n'); f.flush()
sys.exit(0 if line.startswith(b'250') else 1)
)";

std::string relaymaild_bin() {
  std::string self = RM_RELAYMAIL_BIN;
  return self.substr(0, self.rfind('/')) + "/relaymaild";
}

int unix_socket(int type, const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
  int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << path;
  if (type == SOCK_STREAM) {
    EXPECT_EQ(::listen(fd, 16), 0);
  }
  return fd;
}

// relaymaild serve, socket-activated by the test: `passed` at fd 3, notifications to `notify`.
class Activated {
 public:
  Activated(const std::string& config, int passed, const std::string& notify,
            const std::string& log)
      : log_(log) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string_view v(*e);
      if (!v.starts_with("LISTEN_") && !v.starts_with("NOTIFY_SOCKET=")) {
        env.emplace_back(v);
      }
    }
    env.push_back("LISTEN_FDS=1");
    env.push_back("NOTIFY_SOCKET=" + notify);
    env.push_back("LISTEN_PID=" + std::string(16, '\0'));  // filled in by the child
    std::vector<char*> envp;
    for (std::string& s : env) {
      envp.push_back(s.data());
    }
    envp.push_back(nullptr);
    char* listen_pid = env.back().data() + std::string_view("LISTEN_PID=").size();
    const std::string bin = relaymaild_bin();
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    pid_ = ::fork();
    if (pid_ == 0) {
      std::snprintf(listen_pid, 16, "%d", static_cast<int>(::getpid()));
      ::dup2(out, 1);
      ::dup2(out, 2);
      if (passed == 3) {
        ::fcntl(3, F_SETFD, 0);
      } else {
        ::dup2(passed, 3);
      }
      ::execle(bin.c_str(), "relaymaild", "serve", "-C", config.c_str(), nullptr, envp.data());
      ::_exit(127);
    }
    ::close(out);
  }
  ~Activated() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait(5s);
    }
  }
  Activated(const Activated&) = delete;
  Activated& operator=(const Activated&) = delete;

  pid_t pid() const { return pid_; }
  // The exit status, or -1 when it did not exit within `limit`.
  int wait(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() > deadline) {
        return -1;
      }
      std::this_thread::yield();
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string log() const { return read_file(log_); }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

class SocketActivation : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(srv_.start());
    w_.write_config(srv_, "daemon");
    socket_ = shared_.path() + "/submit.sock";
    unused_ = shared_.path() + "/unused.sock";
    client_ = shared_.path() + "/client.py";
    ASSERT_TRUE(write_file(client_, kClient, 0644));
    ASSERT_TRUE(write_file(w_.config_path(),
                           read_file(w_.config_path()) + "daemon = { socket = \"" + unused_ +
                               "\"; user = \"root\"; stop_timeout = \"5s\"; };\n",
                           0600));
    notify_ = unix_socket(SOCK_DGRAM, shared_.path() + "/notify");
  }
  void TearDown() override { ::close(notify_); }

  // The next notification, or "" when none came within `limit`.
  std::string next_state(std::chrono::milliseconds limit = 20s) {
    pollfd p{notify_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) {
      return "";
    }
    char buf[4096];
    ssize_t n = ::recv(notify_, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

  SpawnResult submit() {
    SpawnSpec s;
    s.path = "/usr/bin/python3";
    s.args = {client_, socket_};
    s.cwd = "/";
    return spawn(s);
  }

  World w_;
  Smtpd srv_{w_.dir(), {}};
  TempDir shared_;
  std::string socket_;
  std::string unused_;
  std::string client_;
  int notify_ = -1;
};

TEST_F(SocketActivation, ServesOnThePassedSocketAndTellsSystemdEachState) {
  const int listening = unix_socket(SOCK_STREAM, socket_);
  Activated d(w_.config_path(), listening, shared_.path() + "/notify", w_.dir() + "/serve.log");
  ::close(listening);  // the daemon's now, as after systemd's exec
  std::string ready = next_state();
  ASSERT_THAT(ready, StartsWith("READY=1\n")) << d.log();
  EXPECT_THAT(ready, HasSubstr("STATUS=serving on the socket systemd passed"));
  SpawnResult r = submit();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << d.log();
  EXPECT_THAT(r.out, HasSubstr("250 2.0.0 Ok: queued as"));
  ASSERT_TRUE(srv_.wait_for(1, 10s)) << d.log();
  EXPECT_THAT(srv_.messages().at(0), HasSubstr("via the passed socket"));
  EXPECT_NE(::access(unused_.c_str(), F_OK), 0) << "daemon.socket bound though a socket was passed";

  ::kill(d.pid(), SIGHUP);
  std::string reloading = next_state();
  EXPECT_THAT(reloading, StartsWith("RELOADING=1\nMONOTONIC_USEC=")) << d.log();
  EXPECT_THAT(next_state(), StartsWith("READY=1\nSTATUS=serving; configuration reloaded"))
      << d.log();

  // A refused reload still ends the reloading state: the old configuration serves on.
  const std::string good = read_file(w_.config_path());
  ASSERT_TRUE(write_file(w_.config_path(), good + "bogus = 1;\n", 0600));
  ::kill(d.pid(), SIGHUP);
  EXPECT_THAT(next_state(), StartsWith("RELOADING=1\n")) << d.log();
  EXPECT_THAT(next_state(), StartsWith("READY=1\nSTATUS=reload refused")) << d.log();
  EXPECT_EQ(submit().exit_code, 0) << d.log();

  ::kill(d.pid(), SIGTERM);
  EXPECT_THAT(next_state(), StartsWith("STOPPING=1")) << d.log();
  EXPECT_EQ(d.wait(10s), 0) << d.log();
  EXPECT_EQ(next_state(0ms), "") << "nothing after STOPPING=1";
}

TEST_F(SocketActivation, APassedSocketOfTheWrongKindIsRefused) {
  const int datagram = unix_socket(SOCK_DGRAM, socket_);
  Activated d(w_.config_path(), datagram, shared_.path() + "/notify", w_.dir() + "/serve.log");
  ::close(datagram);
  EXPECT_EQ(d.wait(10s), 71) << d.log();
  EXPECT_THAT(d.log(), HasSubstr("not a listening Unix stream socket"));
  EXPECT_EQ(next_state(0ms), "") << "READY=1 from a daemon that does not serve";
  EXPECT_NE(::access(unused_.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace rm::e2e
