#include "relay/classify.h"

#include <gtest/gtest.h>

#include "relay/retry_policy.h"

namespace rm {
namespace {

Error reply_error(Errc code, int smtp, const char* enhanced) {
  Error e = make_error(code, "server said %d", smtp);
  e.reply = SmtpReply{smtp, enhanced, {"text"}};
  return e;
}

TEST(Classify, DeferOrBounce) {
  struct {
    const char* name;
    Error err;
    Disposition want;
    const char* status;
  } const kCases[] = {
      {"550 rcpt", reply_error(Errc::smtp_perm, 550, "5.1.1"), Disposition::bounce, "5.1.1"},
      {"554 no enhanced", reply_error(Errc::smtp_perm, 554, ""), Disposition::bounce, "5.0.0"},
      {"451", reply_error(Errc::smtp_temp, 451, "4.3.0"), Disposition::defer, "4.3.0"},
      {"421 no enhanced", reply_error(Errc::smtp_temp, 421, ""), Disposition::defer, "4.0.0"},
      {"535 auth defers", reply_error(Errc::auth, 535, "5.7.8"), Disposition::defer, "5.7.8"},
      {"auth without reply", make_error(Errc::auth, "x"), Disposition::defer, "4.7.8"},
      {"refused", make_error(Errc::connect, "x"), Disposition::defer, "4.4.1"},
      {"timeout", make_error(Errc::timeout, "x"), Disposition::defer, "4.4.1"},
      {"dns", make_error(Errc::resolve, "x"), Disposition::defer, "4.4.3"},
      {"tls verify", make_error(Errc::tls_verify, "x"), Disposition::defer, "4.7.0"},
      {"tls", make_error(Errc::tls, "x"), Disposition::defer, "4.7.0"},
      {"garbage", make_error(Errc::protocol, "x"), Disposition::defer, "4.5.0"},
      {"no keyring", make_error(Errc::secret_unavailable, "x"), Disposition::defer, "4.0.0"},
      {"too big", make_error(Errc::smtp_perm, "5.3.4 too big"), Disposition::bounce, "5.0.0"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(classify(c.err), c.want);
    EXPECT_EQ(dsn_status(c.err), c.status);
  }
}

TEST(RetryPolicy, DoublesUpToTheCap) {
  RetryConfig r;
  r.first = std::chrono::seconds(60);
  r.max = std::chrono::seconds(600);
  const struct {
    uint32_t attempts;
    int64_t delay;
  } kCases[] = {{1, 60}, {2, 120}, {3, 240}, {4, 480}, {5, 600}, {40, 600}};
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.attempts);
    EXPECT_EQ(next_attempt_time(r, c.attempts, 1000), 1000 + c.delay);
  }
}

}  // namespace
}  // namespace rm
