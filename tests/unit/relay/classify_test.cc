#include "relay/classify.h"

#include <cerrno>
#include <random>
#include <vector>

#include <gmock/gmock.h>
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
      {"OAuth2 grant refused (invalid_grant)", make_error(Errc::grant_refused, "x"),
       Disposition::defer, "4.7.8"},
      {"too big", make_error(Errc::smtp_perm, "5.3.4 too big"), Disposition::bounce, "5.0.0"},
      {"lifetime expired", expired_error(3, "451 4.3.0 later"), Disposition::bounce, "4.4.7"},
      {"network timeout, even with an errno", sys_error(Errc::timeout, ETIMEDOUT, "read"),
       Disposition::defer, "4.4.1"},
      {"a server's 4.4.7 still defers", reply_error(Errc::smtp_temp, 451, "4.4.7"),
       Disposition::defer, "4.4.7"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(classify(c.err), c.want);
    EXPECT_EQ(dsn_status(c.err), c.status);
  }
}

TEST(Classify, ExpiredErrorText) {
  EXPECT_EQ(expired_error(3, "451 4.3.0 later").what,
            "message expired after 3 attempts; last error: 451 4.3.0 later");
  EXPECT_EQ(expired_error(1, "").what,
            "message expired after 1 attempt; last error: none recorded");
}

// Replays a fixed list of draws, cycling.
class FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(std::vector<double> draws) : draws_(std::move(draws)) {}
  double uniform() override { return draws_[next_++ % draws_.size()]; }

 private:
  std::vector<double> draws_;
  size_t next_ = 0;
};

TEST(RetryPolicy, DoublesUpToTheCapWithTenPercentJitter) {
  RetryConfig r;
  r.first = std::chrono::seconds(60);
  r.max = std::chrono::seconds(600);
  const struct {
    uint32_t attempts;
    int64_t lo, hi;   // the window: nominal ±10 %, clipped to [first, max]
    int64_t at_half;  // the delay for u = 0.5
  } kCases[] = {
      {.attempts = 0, .lo = 60, .hi = 66, .at_half = 63},
      {.attempts = 1, .lo = 60, .hi = 66, .at_half = 63},
      {.attempts = 2, .lo = 108, .hi = 132, .at_half = 120},
      {.attempts = 3, .lo = 216, .hi = 264, .at_half = 240},
      {.attempts = 4, .lo = 432, .hi = 528, .at_half = 480},
      {.attempts = 5, .lo = 540, .hi = 600, .at_half = 570},
      {.attempts = 40, .lo = 540, .hi = 600, .at_half = 570},
      {.attempts = UINT32_MAX, .lo = 540, .hi = 600, .at_half = 570},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.attempts);
    BackoffWindow w = backoff_window(r, c.attempts);
    EXPECT_EQ(w.lo, c.lo);
    EXPECT_EQ(w.hi, c.hi);
    EXPECT_EQ(next_attempt_time(r, c.attempts, 1000, 0.0), 1000 + c.lo);
    EXPECT_EQ(next_attempt_time(r, c.attempts, 1000, 0.5), 1000 + c.at_half);
    EXPECT_EQ(next_attempt_time(r, c.attempts, 1000, 0.999999), 1000 + c.hi);
    // Out-of-range draws from a broken source are clamped, never escape the window.
    EXPECT_EQ(next_attempt_time(r, c.attempts, 1000, -3.0), 1000 + c.lo);
    EXPECT_EQ(next_attempt_time(r, c.attempts, 1000, 1.0), 1000 + c.hi);
    EXPECT_EQ(next_attempt_time(r, c.attempts, 1000, std::nan("")), 1000 + c.lo);
  }
}

TEST(RetryPolicy, DegenerateConfigs) {
  const struct {
    const char* name;
    int64_t first, max;
    uint32_t attempts;
    int64_t lo, hi;
  } kCases[] = {
      {"first = max: no room to jitter", 300, 300, 3, 300, 300},
      {"max below first: first wins", 300, 10, 3, 300, 300},
      {"first 0 behaves as 1s", 0, 3600, 1, 1, 1},
      {"tiny delays: 10 % of 5s rounds to 0", 5, 3600, 1, 5, 5},
      {"tiny delays: 10 % of 10s is 1s", 5, 3600, 2, 9, 11},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    RetryConfig r;
    r.first = std::chrono::seconds(c.first);
    r.max = std::chrono::seconds(c.max);
    BackoffWindow w = backoff_window(r, c.attempts);
    EXPECT_EQ(w.lo, c.lo);
    EXPECT_EQ(w.hi, c.hi);
  }
}

TEST(RetryPolicy, InjectedSourceDrivesTheDraw) {
  RetryConfig r;  // 60s .. 3600s
  FixedRandom random({0.0, 0.999999, 0.5});
  EXPECT_EQ(next_attempt_time(r, 3, 0, random), 216);
  EXPECT_EQ(next_attempt_time(r, 3, 0, random), 264);
  EXPECT_EQ(next_attempt_time(r, 3, 0, random), 240);
}

// Property: whatever the draw and the attempt count, first <= delay <= max, the window never
// shrinks as attempts grow, and the draws do spread over the window.
TEST(RetryPolicy, DelaysStayWithinTheBounds) {
  const struct {
    int64_t first, max;
  } kConfigs[] = {{60, 3600}, {300, 3600}, {1, 86400}, {30, 31}, {7, 7}, {3600, 300}};
  std::mt19937_64 gen(42);  // fixed seed: deterministic
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  for (const auto& cfg : kConfigs) {
    SCOPED_TRACE(testing::Message() << cfg.first << ".." << cfg.max);
    RetryConfig r;
    r.first = std::chrono::seconds(cfg.first);
    r.max = std::chrono::seconds(cfg.max);
    const int64_t floor = cfg.first;
    const int64_t ceiling = std::max(cfg.first, cfg.max);
    BackoffWindow prev = backoff_window(r, 0);
    for (uint32_t attempts = 0; attempts < 200; ++attempts) {
      BackoffWindow w = backoff_window(r, attempts);
      ASSERT_LE(floor, w.lo) << attempts;
      ASSERT_LE(w.lo, w.hi) << attempts;
      ASSERT_LE(w.hi, ceiling) << attempts;
      ASSERT_GE(w.lo, prev.lo) << attempts;
      ASSERT_GE(w.hi, prev.hi) << attempts;
      prev = w;
      int64_t seen_lo = INT64_MAX;
      int64_t seen_hi = INT64_MIN;
      for (int i = 0; i < 200; ++i) {
        int64_t d = next_attempt_time(r, attempts, 1'000'000, dist(gen)) - 1'000'000;
        ASSERT_GE(d, floor) << attempts;
        ASSERT_LE(d, ceiling) << attempts;
        ASSERT_GE(d, w.lo) << attempts;
        ASSERT_LE(d, w.hi) << attempts;
        seen_lo = std::min(seen_lo, d);
        seen_hi = std::max(seen_hi, d);
      }
      if (w.hi > w.lo) {
        EXPECT_LT(seen_lo, seen_hi) << "jitter spreads the draws, attempt " << attempts;
      }
    }
  }
}

TEST(RetryPolicy, LifetimeExpiry) {
  RetryConfig r;
  r.lifetime = std::chrono::seconds(5 * 86400);
  const struct {
    int64_t age;
    bool expired;
  } kCases[] = {{0, false}, {5 * 86400 - 1, false}, {5 * 86400, false}, {5 * 86400 + 1, true}};
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.age);
    EXPECT_EQ(lifetime_expired(r, 1'000'000, 1'000'000 + c.age), c.expired);
  }
}

// Which deferred entries a run that reaches the smarthost tries at once (the network is back):
// only those whose waiting recipients never got a server's reply on the last attempt.
TEST(RetryPolicy, AwaitsNetwork) {
  struct Case {
    const char* name;
    uint32_t attempts;
    std::vector<RcptEntry> rcpts;
    bool awaits;
  };
  auto r = [](RcptState st, const char* reply) { return RcptEntry{"a@example.org", st, reply}; };
  const Case kCases[] = {
      {"never tried", 0, {r(RcptState::pending, "")}, false},
      {"connection refused",
       2,
       {r(RcptState::deferred, "connect localhost:25: Connection refused")},
       true},
      {"timeout", 1, {r(RcptState::deferred, "read timed out after 300 s")}, true},
      {"a 421 greeting", 1, {r(RcptState::deferred, "421 4.7.0 rate limited")}, false},
      {"a 451 to MAIL", 3, {r(RcptState::deferred, "451 4.3.0 try later")}, false},
      {"a bare code", 1, {r(RcptState::deferred, "450")}, false},
      {"a multi-line code", 1, {r(RcptState::deferred, "452-too many")}, false},
      {"digits that are no reply", 1, {r(RcptState::deferred, "4510 bytes short")}, true},
      {"sent and failed ones do not count",
       1,
       {r(RcptState::sent, "250 ok"), r(RcptState::failed, "550 no"),
        r(RcptState::deferred, "connect: No route to host")},
       true},
      {"one recipient with a server reply keeps the backoff",
       1,
       {r(RcptState::deferred, "connect: Connection refused"), r(RcptState::deferred, "450 busy")},
       false},
      {"nothing left to send", 1, {r(RcptState::sent, "250 ok")}, false},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    QueueEntry e;
    e.attempts = c.attempts;
    e.rcpts = c.rcpts;
    EXPECT_EQ(awaits_network(e), c.awaits);
  }
}

}  // namespace
}  // namespace rm
