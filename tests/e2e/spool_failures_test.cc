// Behaviours 63–66: a submission that cannot be written to the spool exits 74 (never 0, never
// 75), has read all of stdin, and leaves nothing queued or half-written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using ::testing::HasSubstr;

TEST(SpoolFailures, B65_WriteFailureExits74AndLeavesNothing) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  // A 4 KiB file-size limit makes the spool write fail with EFBIG, a real kernel error on the
  // real write path; SIGXFSZ is ignored so the process sees the error instead of dying.
  std::string cmd = "trap '' XFSZ; ulimit -f 4; exec " + w.bin("sendmail") + " -i a@example.org";
  std::string big = "Subject: big\n\n" + std::string(64 * 1024, 'x') + "\n";
  RunResult r = run("/bin/sh", {"-c", cmd}, big, w.env());
  EXPECT_EQ(r.exit_code, 74) << r.err;
  EXPECT_THAT(r.err, HasSubstr("sendmail: "));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(w.queued(), 0u);
  EXPECT_TRUE(list_dir(w.spool() + "/tmp", "").empty()) << "the temp file is removed";
  EXPECT_TRUE(list_dir(w.spool() + "/queue", ".mail").empty());
}

}  // namespace
}  // namespace rm::e2e
