// End-to-end disk faults in the real submission path (RELIABILITY.md §6 cases 3, 5 and 6):
// `sendmail` (relaymail's dynamically linked twin: LD_PRELOAD cannot reach the static PIE) runs
// with tests/support/preload/fault_inject.so, which fails the n-th write, fsync, rename or unlink
// with EIO or ENOSPC, or SIGKILLs the process just before or just after it. Each sweep raises n
// until the fault no longer fires, so every such call of a submission gets its turn. Then a clean
// flush: every message that got exit 0 arrives exactly once and whole; a failed submission exited
// 74 (never 75, never 0) and left nothing that is ever sent; a killed one is either never sent or
// sent whole, exactly once.
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

constexpr int kMaxCalls = 64;  // far more than one submission makes

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// A body that names its message, big enough for the spool's buffered writer to write twice.
std::string body_for(const std::string& tag) {
  std::string body = "tag " + tag + "\n";
  for (int i = 0; i < 1500; ++i) {
    body += "line " + std::to_string(i) + " of " + tag + " ...........................\n";
  }
  return body;
}

struct Outcome {
  std::string tag;
  int exit_code = -1;
  bool fired = false;
};

class FaultSweep {
 public:
  FaultSweep() : srv_(w_.dir(), {}) {}

  bool start() {
    if (!srv_.start()) {
      return false;
    }
    w_.write_config(srv_, "queue");
    return true;
  }

  // One submission with `fault` (RELAYMAIL_FAULT syntax) active.
  Outcome submit(const std::string& tag, const std::string& fault) {
    std::string mark = w_.dir() + "/fired-" + tag;
    std::vector<std::string> env = w_.env();
    env.push_back(std::string("LD_PRELOAD=") + RM_FAULT_INJECT_LIB);
    env.push_back("RELAYMAIL_FAULT=" + fault);
    env.push_back("RELAYMAIL_FAULT_MARK=" + mark);
    env.push_back("ASAN_OPTIONS=verify_asan_link_order=0");
    sent_[tag] = body_for(tag);
    RunResult r = run(w_.preloadable_bin("sendmail"), {"-i", "rcpt@example.org"},
                      "Subject: " + tag + "\n\n" + sent_[tag], env);
    Outcome o{tag, r.exit_code, exists(mark)};
    errs_[tag] = r.err;
    return o;
  }

  // `relaymail flush` with no fault; the messages the smarthost holds afterwards, by tag.
  std::map<std::string, std::vector<std::string>> flush(size_t expected) {
    Delivered d = flush_and_collect(w_, srv_, expected);
    flush_out_ = d.flush.out + d.flush.err;
    std::map<std::string, std::vector<std::string>> by_tag;
    for (const std::string& m : srv_.messages()) {
      auto subj = header_values(m, "Subject");
      by_tag[subj.empty() ? std::string("?") : subj[0]].push_back(m);
    }
    return by_tag;
  }

  const World& world() const { return w_; }
  const std::string& err_of(const std::string& tag) { return errs_[tag]; }
  const std::string& flush_output() const { return flush_out_; }
  // The body the smarthost must see for `tag`: what was submitted, CRLF line ends.
  std::string wire_body(const std::string& tag) const { return to_crlf(sent_.at(tag)); }

 private:
  World w_;
  Smtpd srv_;
  std::map<std::string, std::string> sent_;  // tag → body
  std::map<std::string, std::string> errs_;
  std::string flush_out_;
};

struct SweepCase {
  const char* kind;
  const char* action;
};

class SubmissionFaults : public ::testing::TestWithParam<SweepCase> {};

TEST_P(SubmissionFaults, AcknowledgedSurvivesFailedIsNeverSent) {
  const SweepCase c = GetParam();
  const std::string action = c.action;
  const bool kills = action.rfind("kill", 0) == 0;
  FaultSweep s;
  ASSERT_TRUE(s.start());
  std::vector<Outcome> outcomes;
  for (int n = 1; n <= kMaxCalls; ++n) {
    std::string tag = std::string(c.kind) + "-" + action + "-" + std::to_string(n);
    Outcome o = s.submit(tag, std::string(c.kind) + ":" + std::to_string(n) + ":" + action);
    outcomes.push_back(o);
    if (!o.fired) {
      EXPECT_EQ(o.exit_code, 0) << tag << ": " << s.err_of(tag);
      break;  // past the last such call: the sweep is complete
    }
    if (kills) {
      EXPECT_EQ(o.exit_code, 128 + 9) << tag;
    } else {
      EXPECT_EQ(o.exit_code, 74) << tag << ": " << s.err_of(tag);
      EXPECT_THAT(s.err_of(tag), ::testing::HasSubstr("sendmail: ")) << tag;
      if (std::string(c.kind) == "write") {  // the file that could not be written, by name
        EXPECT_THAT(s.err_of(tag), ::testing::HasSubstr("write " + s.world().spool() + "/tmp/"))
            << tag;
        EXPECT_THAT(s.err_of(tag), ::testing::Not(::testing::HasSubstr(" fd "))) << tag;
      }
    }
  }
  ASSERT_GT(outcomes.size(), 1u) << "the fault never fired: " << c.kind;
  ASSERT_FALSE(outcomes.back().fired) << "more than " << kMaxCalls << " calls?";
  std::cout << "[ sweep    ] " << c.kind << " " << action << ": " << outcomes.size() - 1
            << " calls faulted\n";
  size_t acked = 0;
  for (const Outcome& o : outcomes) {
    acked += o.exit_code == 0 ? 1 : 0;
  }
  auto got = s.flush(acked);
  for (const Outcome& o : outcomes) {
    SCOPED_TRACE(o.tag);
    auto it = got.find(o.tag);
    size_t copies = it == got.end() ? 0 : it->second.size();
    if (o.exit_code == 0) {
      EXPECT_EQ(copies, 1u) << "an acknowledged message must arrive exactly once";
    } else if (!kills) {
      EXPECT_EQ(copies, 0u) << "a submission that exited 74 must never be sent";
    } else {
      EXPECT_LE(copies, 1u);  // a kill after the commit: not acknowledged, but whole
    }
    if (copies > 0) {
      EXPECT_EQ(body_of(it->second[0]), s.wire_body(o.tag)) << "sent truncated or altered";
    }
  }
  for (const auto& [tag, msgs] : got) {
    EXPECT_TRUE(tag.rfind(std::string(c.kind) + "-", 0) == 0) << "unknown message " << tag;
  }
  EXPECT_EQ(s.world().queued(), 0u) << s.flush_output();
}

INSTANTIATE_TEST_SUITE_P(EveryCall, SubmissionFaults,
                         ::testing::Values(SweepCase{"write", "EIO"}, SweepCase{"write", "ENOSPC"},
                                           SweepCase{"write", "kill"}, SweepCase{"fsync", "EIO"},
                                           SweepCase{"fsync", "ENOSPC"}, SweepCase{"fsync", "kill"},
                                           SweepCase{"fsync", "killafter"},
                                           SweepCase{"rename", "EIO"},
                                           SweepCase{"rename", "ENOSPC"},
                                           SweepCase{"rename", "kill"},
                                           SweepCase{"rename", "killafter"}),
                         [](const ::testing::TestParamInfo<SweepCase>& i) {
                           return std::string(i.param.kind) + "_" + i.param.action;
                         });

// The rollback itself failing: the .mail's rename fails and so does every unlink that would
// tidy up. The submission still exits 74, and the draft left in tmp/ is never sent.
TEST(SubmissionFaults, FailedRollbackLeavesNothingThatIsSent) {
  FaultSweep s;
  ASSERT_TRUE(s.start());
  Outcome bad = s.submit("rollback-bad", "rename:1:EIO,unlink:1+:EIO");
  EXPECT_TRUE(bad.fired);
  EXPECT_EQ(bad.exit_code, 74) << s.err_of("rollback-bad");
  Outcome good = s.submit("rollback-good", "unlink:1+:EIO");
  EXPECT_FALSE(good.fired) << "a clean submission unlinks nothing";
  EXPECT_EQ(good.exit_code, 0) << s.err_of("rollback-good");
  auto got = s.flush(1);
  EXPECT_EQ(got.count("rollback-bad"), 0u);
  ASSERT_EQ(got.count("rollback-good"), 1u);
  EXPECT_EQ(got["rollback-good"].size(), 1u);
  EXPECT_EQ(s.world().queued(), 0u);
}

}  // namespace
}  // namespace rm::e2e
