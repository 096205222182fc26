// "The network is back" in the daemon: messages deferred because the smarthost could not be
// reached leave as soon as the host regains a route, not at the end of their backoff (an hour
// here). Run in a network namespace of the test's own, whose loopback the test takes down and
// brings up again, as a laptop loses and regains its Wi-Fi. Skipped when not root.
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "e2e/served.h"

namespace rm::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// Sets the loopback interface of the current network namespace up or down.
bool set_loopback(bool up) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  if (ok) {
    ifr.ifr_flags = static_cast<short>(up ? (ifr.ifr_flags | IFF_UP) : (ifr.ifr_flags & ~IFF_UP));
    ok = ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  }
  ::close(s);
  return ok;
}

class DaemonNetwork : public DaemonFixture {
 protected:
  void SetUp() override {
    if (::getuid() != 0) {
      GTEST_SKIP() << "needs root for a network namespace";
    }
    home_ns_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(home_ns_, 0);
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    ASSERT_TRUE(set_loopback(true));
    DaemonFixture::SetUp();
  }
  void TearDown() override {
    if (home_ns_ >= 0) {
      EXPECT_EQ(::setns(home_ns_, CLONE_NEWNET), 0);
      ::close(home_ns_);
    }
  }
  int home_ns_ = -1;
};

TEST_F(DaemonNetwork, DeferredForWantOfANetworkLeaveWhenARouteAppears) {
  std::string cfg = read_file(w_.config_path());
  cfg.replace(cfg.find("timeout = \"10s\";"), 16, "timeout = \"2s\";");
  cfg += "retry = { first = \"1h\"; max = \"1h\"; };\n";
  ASSERT_TRUE(write_file(w_.config_path(), cfg, 0600));
  auto d = start();
  ASSERT_TRUE(set_loopback(false));
  for (int i = 0; i < 3; ++i) {
    SpawnResult r = as(kAlice, "sendmail", {"rcpt@example.org"},
                       "Subject: offline " + std::to_string(i) + "\n\nwritten offline\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ASSERT_TRUE(wait_until(
      [&] {
        std::string log = d->log();
        size_t n = 0;
        for (size_t at = log.find("status=deferred"); at != std::string::npos;
             at = log.find("status=deferred", at + 1)) {
          ++n;
        }
        return n >= 3;
      },
      30s))
      << d->log();
  EXPECT_EQ(srv_.received(), 0u);
  ASSERT_TRUE(set_loopback(true));  // back online
  ASSERT_TRUE(srv_.wait_for(3, 30s)) << d->log();
  EXPECT_THAT(d->log(), HasSubstr("the network changed: trying 1 account(s) again"));
  EXPECT_TRUE(wait_until([&] { return w_.queued() == 0; }, 10s));
}

}  // namespace
}  // namespace rm::e2e
