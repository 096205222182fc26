// End-to-end check of RELIABILITY.md §6 case 9 (issue 5): several queue runners over one spool
// at the same moment — here three `relaymail flush` processes — deliver each message exactly
// once: the per-entry flock decides who sends, the others skip the entry as busy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

TEST(Concurrency, ThreeFlushesDeliverEachMessageExactlyOnce) {
  constexpr int kMessages = 30;
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  for (int i = 0; i < kMessages; ++i) {
    RunResult r = w.sendmail({"-i", "bob@example.org"}, "Subject: n" + std::to_string(i) +
                                                            "\n\nbody " + std::to_string(i) + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::vector<RunResult> results(3);
  std::vector<std::thread> runners;
  for (RunResult& r : results) {
    runners.emplace_back([&w, &r] { r = w.relaymail({"flush"}); });
  }
  for (std::thread& t : runners) {
    t.join();
  }
  size_t sent_lines = 0;  // every entry is reported sent by exactly one runner
  for (const RunResult& r : results) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    for (size_t p = 0; (p = r.out.find("status=sent", p)) != std::string::npos; ++p) {
      ++sent_lines;
    }
  }
  EXPECT_EQ(sent_lines, static_cast<size_t>(kMessages));
  ASSERT_TRUE(srv.wait_for(kMessages, std::chrono::seconds(20)));
  std::map<std::string, int> seen;  // subject → times received
  for (const std::string& m : srv.messages()) {
    std::vector<std::string> subject = header_values(m, "Subject");
    ASSERT_EQ(subject.size(), 1u);
    ++seen[subject[0]];
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
  for (const auto& [subject, n] : seen) {
    EXPECT_EQ(n, 1) << subject << " received " << n << " times";
  }
  EXPECT_EQ(srv.received(), static_cast<size_t>(kMessages));
  EXPECT_EQ(w.queued(), 0u);
}

}  // namespace
}  // namespace rm::e2e
