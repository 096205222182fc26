// Issue 16, end to end: a queued message whose file no longer has the size its entry recorded
// at commit (truncated or grown since) is moved to failed/ by `relaymail flush`, with one line
// naming the id and both sizes, and the smarthost receives nothing; an intact one is sent.
#include <fcntl.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "e2e/harness.h"
#include "queue/mail_file.h"

namespace rm::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The ids (file names without ".mail") in dir.
std::vector<std::string> ids_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& p : list_dir(dir, ".mail")) {
    out.push_back(std::filesystem::path(p).stem().string());
  }
  return out;
}

// The lines of `text` that contain `needle`.
std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? end : end - start);
    if (line.find(needle) != std::string::npos) {
      out.push_back(line);
    }
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return out;
}

TEST(SpoolIntegrity, AMessageOfAnotherSizeThanItsEntryIsQuarantinedNotSent) {
  enum class Change { none, truncate, grow };
  struct Case {
    const char* name;
    Change change;
  };
  const Case kCases[] = {
      {.name = "intact", .change = Change::none},
      {.name = "truncated after commit", .change = Change::truncate},
      {.name = "grown after commit", .change = Change::grow},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    World w;
    Smtpd srv(w.dir(), {});
    ASSERT_TRUE(srv.start());
    w.write_config(srv, "queue");
    std::string body;
    for (int k = 0; k < 20; ++k) {
      body += std::string(99, 'x') + "\n";
    }
    RunResult sub = w.sendmail({"-i", "bob@example.org"}, "Subject: integrity\n\n" + body);
    ASSERT_EQ(sub.exit_code, 0) << sub.err;
    std::vector<std::string> ids = ids_in(w.spool() + "/queue");
    ASSERT_EQ(ids.size(), 1u);
    const std::string id = ids[0];
    // The message starts at kMailBodyOffset in its .mail, after the envelope.
    const std::string msg = w.spool() + "/queue/" + id + ".mail";
    constexpr auto kBodyAt = static_cast<off_t>(kMailBodyOffset);
    const auto committed = static_cast<off_t>(std::filesystem::file_size(msg)) - kBodyAt;
    off_t now = committed;
    if (c.change == Change::truncate) {  // as a lost tail after a crash would leave it
      now = committed / 2;
      ASSERT_EQ(::truncate(msg.c_str(), kBodyAt + now), 0);
    } else if (c.change == Change::grow) {
      const std::string extra = "appended after commit\n";
      int fd = ::open(msg.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(::write(fd, extra.data(), extra.size()), static_cast<ssize_t>(extra.size()));
      ::close(fd);
      now = committed + static_cast<off_t>(extra.size());
    }

    RunResult f = w.relaymail({"flush"});
    if (c.change == Change::none) {
      EXPECT_EQ(f.exit_code, 0) << f.err;
      ASSERT_TRUE(srv.wait_for(1, std::chrono::seconds(10)));
      EXPECT_THAT(srv.messages()[0], HasSubstr(std::string(99, 'x')));
      EXPECT_EQ(w.queued(), 0u);
      EXPECT_TRUE(ids_in(w.spool() + "/failed").empty());
      continue;
    }
    EXPECT_NE(f.exit_code, 0) << "the run met a corrupt entry";
    EXPECT_THAT(f.out, Not(HasSubstr("status=sent")));
    EXPECT_EQ(srv.received(), 0u) << "nothing reaches the smarthost";
    EXPECT_EQ(w.queued(), 0u);
    EXPECT_EQ(ids_in(w.spool() + "/failed"), std::vector<std::string>{id});
    EXPECT_TRUE(std::filesystem::exists(w.spool() + "/failed/" + id + ".mail"));
    std::vector<std::string> said = lines_with(f.err, id);
    ASSERT_EQ(said.size(), 1u) << f.err;
    EXPECT_THAT(said[0], HasSubstr("expected=" + std::to_string(committed) +
                                   " found=" + std::to_string(now)));
    EXPECT_THAT(said[0], HasSubstr("moved to failed/"));

    // It stays there: a second run sends nothing and says nothing about it.
    RunResult again = w.relaymail({"flush"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_THAT(again.err, Not(HasSubstr(id)));
    EXPECT_EQ(srv.received(), 0u);
  }
}

}  // namespace
}  // namespace rm::e2e
