// Tests for log/logger.h: level filtering, the line formats of each sink, one line per call,
// %m, and the file sink.
#include "log/logger.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

#include "support/temp_dir.h"
#include "support/test_clock.h"
#include "sys/fs.h"

namespace rm {
namespace {

using test::TempDir;

struct Captured {
  LogLevel level;
  std::string message;
};

TEST(Logger, LevelFiltering) {
  struct Case {
    LogLevel min;
    std::vector<std::string> want;
  };
  const Case kCases[] = {
      {.min = LogLevel::debug, .want = {"d", "i", "w", "e"}},
      {.min = LogLevel::info, .want = {"i", "w", "e"}},
      {.min = LogLevel::warn, .want = {"w", "e"}},
      {.min = LogLevel::error, .want = {"e"}},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(log_level_name(c.min));
    Logger log("prog", c.min);
    std::vector<std::string> got;
    log.set_callback([&](LogLevel, std::string_view m) { got.emplace_back(m); });
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    EXPECT_EQ(got, c.want);
  }
}

TEST(Logger, SetLevelAndEnabled) {
  Logger log("prog", LogLevel::error);
  EXPECT_FALSE(log.enabled(LogLevel::warn));
  log.set_level(LogLevel::debug);
  EXPECT_TRUE(log.enabled(LogLevel::debug));
  EXPECT_EQ(log.level(), LogLevel::debug);
}

TEST(Logger, SinkGetsStderrFormatAndCallbackGetsLevel) {
  Logger log("sendmail", LogLevel::debug);
  StringSink sink;
  std::vector<Captured> got;
  log.set_sink(&sink);
  log.set_callback([&](LogLevel l, std::string_view m) { got.push_back({l, std::string(m)}); });
  log.warn("%s: queued id=%d", "4F2A", 7);
  log.log(LogLevel::error, "x=%u", 3u);
  EXPECT_EQ(sink.out, "sendmail: 4F2A: queued id=7\nsendmail: x=3\n");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].level, LogLevel::warn);
  EXPECT_EQ(got[1].message, "x=3");
}

TEST(Logger, EveryMessageIsOneLine) {
  struct Case {
    const char* in;
    const char* want;
  };
  const Case kCases[] = {
      {.in = "two\nlines", .want = "two?lines"},        {.in = "cr\r\nlf", .want = "cr??lf"},
      {.in = "tab\there", .want = "tab here"},          {.in = "bell\a\x7f", .want = "bell??"},
      {.in = "utf8 \xc3\xa9", .want = "utf8 \xc3\xa9"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.in);
    Logger log("p", LogLevel::info);
    StringSink sink;
    log.set_sink(&sink);
    log.info("%s", c.in);
    EXPECT_EQ(sink.out, std::string("p: ") + c.want + "\n");
  }
}

TEST(Logger, LongMessagesAreCut) {
  Logger log("p", LogLevel::info);
  std::string got;
  log.set_callback([&](LogLevel, std::string_view m) { got = m; });
  log.write(LogLevel::info, std::string(Logger::kMaxMessage + 10, 'x'));
  EXPECT_EQ(got.size(), Logger::kMaxMessage + 3);
  EXPECT_TRUE(got.ends_with("x..."));
}

TEST(Logger, PercentMUsesAndKeepsErrno) {
  Logger log("p", LogLevel::info);
  std::string got;
  log.set_callback([&](LogLevel, std::string_view m) { got = m; });
  errno = ENOENT;
  log.error("open: %m");
  EXPECT_EQ(got, "open: No such file or directory");
  EXPECT_EQ(errno, ENOENT);
}

TEST(Logger, FileSinkAppendsTimestampedLines) {
  auto dir = TempDir::create("rm-log");
  ASSERT_TRUE(dir);
  std::string path = dir->file("relaymail.log");
  test::TestClock clock(1700000000);  // 2023-11-14T22:13:20Z
  {
    Logger log("relaymail", LogLevel::info);
    log.set_clock(&clock);
    ASSERT_TRUE(log.open_file(path));
    log.info("first");
    log.warn("second");
    log.debug("filtered");
  }
  {
    Logger log("relaymail", LogLevel::debug);
    log.set_clock(&clock);
    ASSERT_TRUE(log.open_file(path));  // appends, never truncates
    log.error("third");
    log.debug("fourth");
  }
  std::string pid = std::to_string(::getpid());
  std::string prefix = "2023-11-14T22:13:20Z relaymail[" + pid + "]: ";
  EXPECT_EQ(*read_file(path, 4096), prefix + "first\n" + prefix + "warning: second\n" + prefix +
                                        "error: third\n" + prefix + "debug: fourth\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Logger, FileSinkRefusesSymlinkAndDirectory) {
  auto dir = TempDir::create("rm-log");
  ASSERT_TRUE(dir);
  ASSERT_EQ(::symlink(dir->file("target").c_str(), dir->file("link").c_str()), 0);
  Logger log("p", LogLevel::info);
  auto r = log.open_file(dir->file("link"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, ELOOP);
  EXPECT_FALSE(file_exists(dir->file("target")));
  EXPECT_FALSE(log.open_file(dir->path()));
  EXPECT_FALSE(log.open_file(dir->file("missing/dir/x.log")));
}

// Every path relaymail writes to is checked for who owns it (RELIABILITY.md §4): a log file
// another user could read, swap or share is refused, and logging goes on without it.
TEST(Logger, FileSinkRefusesAFileOrDirectoryOthersControl) {
  auto dir = TempDir::create("rm-log");
  ASSERT_TRUE(dir);
  struct Case {
    const char* name;
    bool needs_root;
    void (*prepare)(const std::string& dir, const std::string& file);
  };
  const Case kCases[] = {
      {"group-writable file", false,
       [](const std::string&, const std::string& f) {
         ASSERT_TRUE(write_file_atomic(dir_name(f), f.substr(f.rfind('/') + 1), ""));
         ASSERT_EQ(::chmod(f.c_str(), 0620), 0);
       }},
      {"world-writable file", false,
       [](const std::string&, const std::string& f) {
         ASSERT_TRUE(write_file_atomic(dir_name(f), f.substr(f.rfind('/') + 1), ""));
         ASSERT_EQ(::chmod(f.c_str(), 0666), 0);
       }},
      {"hard-linked file", false,
       [](const std::string& d, const std::string& f) {
         ASSERT_TRUE(write_file_atomic(d, "victim", "private\n"));
         ASSERT_EQ(::link((d + "/victim").c_str(), f.c_str()), 0);
       }},
      {"in a world-writable directory, not sticky", false,
       [](const std::string&, const std::string& f) {
         ASSERT_EQ(::chmod(dir_name(f).c_str(), 0777), 0);
       }},
      {"another uid's file", true,
       [](const std::string&, const std::string& f) {
         ASSERT_TRUE(write_file_atomic(dir_name(f), f.substr(f.rfind('/') + 1), ""));
         ASSERT_EQ(::chown(f.c_str(), 65534, 65534), 0);
       }},
  };
  int n = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    if (c.needs_root && ::geteuid() != 0) {
      continue;
    }
    std::string sub = dir->file("d" + std::to_string(n++));
    ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
    std::string file = sub + "/relaymail.log";
    c.prepare(sub, file);
    struct stat before {};
    (void)::stat(file.c_str(), &before);
    Logger log("p", LogLevel::info);
    auto r = log.open_file(file);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::untrusted) << r.error().what;
    log.info("must not reach the file");
    struct stat after {};
    if (::stat(file.c_str(), &after) == 0) {
      EXPECT_EQ(after.st_size, before.st_size) << "a line reached a refused file";
    }
  }
  // The same directory made sticky (/tmp's shape) holds our own log file.
  std::string sticky = dir->file("sticky");
  ASSERT_EQ(::mkdir(sticky.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(sticky.c_str(), 01777), 0);
  Logger log("p", LogLevel::info);
  EXPECT_TRUE(log.open_file(sticky + "/relaymail.log"));
}

TEST(Logger, StderrSinkWritesProgramColonMessage) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
  UniqueFd r(fds[0]);
  UniqueFd w(fds[1]);
  UniqueFd saved(::dup(STDERR_FILENO));
  ASSERT_TRUE(saved.valid());
  ASSERT_EQ(::dup2(w.get(), STDERR_FILENO), STDERR_FILENO);
  {
    Logger log("sendmail", LogLevel::info);
    log.info("not yet");
    log.enable_stderr(true);
    log.error("bad address '%s'", "x y");
    log.enable_stderr(false);
    log.error("not any more");
  }
  ::dup2(saved.get(), STDERR_FILENO);
  char buf[256];
  ssize_t n = ::read(r.get(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "sendmail: bad address 'x y'\n");
}

TEST(Logger, MovedLoggerKeepsItsSinks) {
  StringSink sink;
  Logger a("p", LogLevel::info);
  a.set_sink(&sink);
  a.enable_syslog();  // the ident must survive the move
  Logger b(std::move(a));
  b.info("after move");
  Logger c("q", LogLevel::info);
  c = std::move(b);
  c.info("after assignment");
  c.disable_syslog();
  EXPECT_EQ(sink.out, "p: after move\np: after assignment\n");
}

// Logging calls from several threads at once (a queue run's workers): each message reaches
// the sinks whole, and never two at a time.
TEST(Logger, ThreadsLogWholeLinesOneAtATime) {
  class CheckingSink final : public ByteSink {
   public:
    Status write(std::string_view bytes) override {
      if (inside_.exchange(true)) {
        overlaps_.fetch_add(1);
      }
      lines_.emplace_back(bytes);
      inside_.store(false);
      return {};
    }
    std::atomic<bool> inside_ = false;
    std::atomic<int> overlaps_ = 0;
    std::vector<std::string> lines_;
  };
  CheckingSink sink;
  Logger log("p", LogLevel::debug);
  log.set_sink(&sink);
  std::atomic<int> called = 0;
  log.set_callback([&](LogLevel, std::string_view) { called.fetch_add(1); });
  constexpr int kThreads = 8;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      for (int k = 0; k < kEach; ++k) {
        log.info("thread %d message %d %s", t, k, std::string(100, 'x').c_str());
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(sink.overlaps_.load(), 0);
  ASSERT_EQ(sink.lines_.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(called.load(), kThreads * kEach);
  for (const std::string& line : sink.lines_) {
    ASSERT_EQ(line.rfind("p: thread ", 0), 0u) << line;
    ASSERT_EQ(line.back(), '\n') << line;
    ASSERT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  }
}

}  // namespace
}  // namespace rm
