// Tests for daemon/systemd_notify.h against the real libsystemd: the datagrams that arrive on a
// NOTIFY_SOCKET of the test's own (READY/STATUS, RELOADING with a CLOCK_MONOTONIC stamp,
// STOPPING), nothing at all without NOTIFY_SOCKET, an error naming the state when nobody
// listens; and which sockets passed_socket() takes from LISTEN_FDS (put at fd 3 by the test).
#include "daemon/systemd_notify.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace rm {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Sets (or, with nullptr, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) {
      old_ = old;
    }
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

sockaddr_un address_of(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
  return sa;
}

UniqueFd unix_socket(int type, const std::string& path, bool listening) {
  UniqueFd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  sockaddr_un sa = address_of(path);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << path;
  if (listening) {
    EXPECT_EQ(::listen(fd.get(), 8), 0);
  }
  return fd;
}

unsigned long long monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
         static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
}

class SystemdNotify : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("notify");
    sock_ = unix_socket(SOCK_DGRAM, path_, false);
  }
  // The next datagram, or nullopt when none came within `ms`.
  std::optional<std::string> next(int ms = 5000) {
    pollfd p{sock_.get(), POLLIN, 0};
    if (::poll(&p, 1, ms) != 1) {
      return std::nullopt;
    }
    char buf[4096];
    ssize_t n = ::recv(sock_.get(), buf, sizeof buf, MSG_DONTWAIT);
    return n < 0 ? std::nullopt : std::optional<std::string>(std::string(buf, size_t(n)));
  }

  test::TempDir dir_ = test::TempDir::create_or_die("relaymail-notify");
  std::string path_;
  UniqueFd sock_;
};

TEST_F(SystemdNotify, EachStateArrivesAsOneDatagram) {
  ScopedEnv env("NOTIFY_SOCKET", path_.c_str());
  struct Case {
    const char* name;
    std::function<Status()> call;
    std::string want;
  };
  const Case kCases[] = {
      {"ready", [] { return systemd::ready("serving on /run/x.sock"); },
       "READY=1\nSTATUS=serving on /run/x.sock"},
      {"ready, newlines flattened", [] { return systemd::ready("two\nlines\r"); },
       "READY=1\nSTATUS=two lines "},
      {"stopping", [] { return systemd::stopping(); }, "STOPPING=1\nSTATUS=stopping"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Status r = c.call();
    ASSERT_TRUE(r) << r.error().what;
    EXPECT_EQ(next(), c.want);
  }
  EXPECT_EQ(::getenv("NOTIFY_SOCKET"), path_) << "kept for the next notification";
}

TEST_F(SystemdNotify, ReloadingCarriesTheMonotonicClock) {
  ScopedEnv env("NOTIFY_SOCKET", path_.c_str());
  const unsigned long long before = monotonic_usec();
  Status r = systemd::reloading();
  const unsigned long long after = monotonic_usec();
  ASSERT_TRUE(r) << r.error().what;
  std::optional<std::string> got = next();
  ASSERT_TRUE(got);
  const std::string head = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_THAT(*got, StartsWith(head));
  EXPECT_THAT(*got, HasSubstr("\nSTATUS=reloading the configuration"));
  const unsigned long long stamp = std::strtoull(got->c_str() + head.size(), nullptr, 10);
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);
}

TEST_F(SystemdNotify, WithoutNotifySocketNothingIsSentAndNothingFails) {
  ScopedEnv env("NOTIFY_SOCKET", nullptr);
  EXPECT_TRUE(systemd::ready("serving"));
  EXPECT_TRUE(systemd::reloading());
  EXPECT_TRUE(systemd::stopping());
  EXPECT_EQ(next(0), std::nullopt);
}

TEST_F(SystemdNotify, NobodyListeningIsAnErrorNamingTheState) {
  const std::string gone = dir_.file("gone");
  ScopedEnv env("NOTIFY_SOCKET", gone.c_str());
  Status r = systemd::ready("serving");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().what, HasSubstr("notify systemd READY=1"));
}

// Puts `fds` at 3, 4, ... for one scope, as systemd does, and puts back what was there.
class AtListenFds {
 public:
  explicit AtListenFds(const std::vector<int>& fds) : n_(int(fds.size())) {
    for (int i = 0; i < n_; ++i) {
      saved_.push_back(::fcntl(3 + i, F_DUPFD_CLOEXEC, 100));  // -1: nothing was there
      EXPECT_EQ(::dup2(fds[size_t(i)], 3 + i), 3 + i);
    }
  }
  ~AtListenFds() {
    for (int i = 0; i < n_; ++i) {
      if (saved_[size_t(i)] >= 0) {
        ::dup2(saved_[size_t(i)], 3 + i);
        ::close(saved_[size_t(i)]);
      } else {
        ::close(3 + i);
      }
    }
  }
  AtListenFds(const AtListenFds&) = delete;
  AtListenFds& operator=(const AtListenFds&) = delete;

 private:
  int n_;
  std::vector<int> saved_;
};

TEST(SystemdPassedSocket, TakesExactlyOneListeningUnixStreamSocket) {
  auto dir = test::TempDir::create_or_die("relaymail-listen");
  UniqueFd listening = unix_socket(SOCK_STREAM, dir.file("a.sock"), true);
  UniqueFd other = unix_socket(SOCK_STREAM, dir.file("b.sock"), true);
  UniqueFd bound_only = unix_socket(SOCK_STREAM, dir.file("c.sock"), false);
  UniqueFd datagram = unix_socket(SOCK_DGRAM, dir.file("d.sock"), false);
  const std::string me = std::to_string(::getpid());
  struct Case {
    const char* name;
    std::vector<int> fds;
    std::string pid;
    bool taken;
    std::string error;  // "" when it is no error
  };
  const Case kCases[] = {
      {"not activated", {}, "", false, ""},
      {"one listening stream socket", {listening.get()}, me, true, ""},
      {"LISTEN_PID of another process", {listening.get()}, "1", false, ""},
      {"two sockets", {listening.get(), other.get()}, me, false, "systemd passed 2 sockets"},
      {"bound, not listening", {bound_only.get()}, me, false, "not a listening Unix stream"},
      {"datagram", {datagram.get()}, me, false, "not a listening Unix stream"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    AtListenFds at(c.fds);
    const std::string n = std::to_string(c.fds.size());
    ScopedEnv fds("LISTEN_FDS", c.fds.empty() ? nullptr : n.c_str());
    ScopedEnv pid("LISTEN_PID", c.pid.empty() ? nullptr : c.pid.c_str());
    auto r = systemd::passed_socket();
    EXPECT_EQ(::getenv("LISTEN_FDS"), nullptr) << "left for children to see";
    if (!c.error.empty()) {
      ASSERT_FALSE(r);
      EXPECT_THAT(r.error().what, HasSubstr(c.error));
      continue;
    }
    ASSERT_TRUE(r) << r.error().what;
    ASSERT_EQ(r->has_value(), c.taken);
    if (c.taken) {
      EXPECT_EQ((*r)->get(), 3);
      EXPECT_EQ((*r)->release(), 3);  // AtListenFds closes it
    }
  }
}

}  // namespace
}  // namespace rm
