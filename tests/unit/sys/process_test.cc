// Tests for sys/signals.h, sys/std_fds.h, sys/entropy.h and sys/sysexits.h. Whatever changes
// process-wide state runs in a forked child, so the test binary itself is left as it was.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>

#include "sys/entropy.h"
#include "sys/hardening.h"
#include "sys/signals.h"
#include "sys/std_fds.h"
#include "sys/sysexits.h"
#include "sys/unique_fd.h"

namespace rm {
namespace {

// Runs fn in a child; returns its exit status (or 1000 + signal when it died of one).
template <class Fn>
int in_child(Fn fn) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::_exit(fn());
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

TEST(Signals, IgnoreSigpipeTurnsDeathIntoEpipe) {
  int rc = in_child([] {
    ignore_sigpipe();
    int fds[2];
    if (::pipe(fds) != 0) {
      return 2;
    }
    ::close(fds[0]);
    ssize_t n = ::write(fds[1], "x", 1);
    return (n == -1 && errno == EPIPE) ? 0 : 3;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Signals, RestoreDefaultsUndoesIgnoredAndBlockedSignals) {
  int rc = in_child([] {
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGCHLD, SIG_IGN);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    ::sigprocmask(SIG_BLOCK, &block, nullptr);
    if (!restore_default_signals()) {
      return 2;
    }
    struct sigaction sa {};
    ::sigaction(SIGTERM, nullptr, &sa);
    if (sa.sa_handler != SIG_DFL) {
      return 3;
    }
    ::sigaction(SIGCHLD, nullptr, &sa);
    if (sa.sa_handler != SIG_DFL) {
      return 4;
    }
    sigset_t now;
    ::sigprocmask(SIG_SETMASK, nullptr, &now);
    return sigismember(&now, SIGUSR1) ? 5 : 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(StdFds, ClosedStandardFdsAreFilledWithDevNull) {
  int rc = in_child([] {
    ::close(1);
    ::close(2);
    if (!ensure_std_fds()) {
      return 2;
    }
    if (::fcntl(1, F_GETFD) < 0 || ::fcntl(2, F_GETFD) < 0) {
      return 3;
    }
    UniqueFd next(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    return next.get() > 2 ? 0 : 4;  // a new file can no longer become "stderr"
  });
  EXPECT_EQ(rc, 0);
}

TEST(Entropy, FillsAndVaries) {
  auto a = random_u64();
  auto b = random_u64();
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);  // fails with probability 2^-64
  unsigned char buf[64] = {};
  ASSERT_TRUE(random_fill(buf));
  int zeros = 0;
  for (unsigned char c : buf) {
    zeros += c == 0;
  }
  EXPECT_LT(zeros, 16);
}

TEST(Sysexits, MatchTheTraditionalValues) {
  struct Case {
    int got;
    int want;
  };
  const Case kCases[] = {
      {.got = kExOk, .want = 0},         {.got = kExUsage, .want = 64},
      {.got = kExDataErr, .want = 65},   {.got = kExNoInput, .want = 66},
      {.got = kExNoUser, .want = 67},    {.got = kExUnavailable, .want = 69},
      {.got = kExSoftware, .want = 70},  {.got = kExOsErr, .want = 71},
      {.got = kExCantCreat, .want = 73}, {.got = kExIoErr, .want = 74},
      {.got = kExTempFail, .want = 75},  {.got = kExNoPerm, .want = 77},
      {.got = kExConfig, .want = 78},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(c.got, c.want);
  }
}

// RELIABILITY.md §6 case 38 (cores): after the call the process can leave no core and cannot be
// read through /proc or ptrace by its peers.
TEST(Hardening, NoCoreDumpsAndNotDumpable) {
  EXPECT_EQ(
      in_child([] {
        if (!keep_secrets_out_of_dumps()) {
          return 1;
        }
        rlimit core{};
        if (::getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 || core.rlim_max != 0) {
          return 2;
        }
        return ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : 3;
      }),
      0);
}

}  // namespace
}  // namespace rm
