// End-to-end: an account with auth = "xoauth2" and an oauth2 group pointing at the fake token
// endpoint (HTTPS on loopback, the test CA), delivering through fake_smtpd, which accepts one
// bearer token and answers any other Gmail's way (334 with a JSON report, then 535). The message
// goes with a token refreshed at delivery time and kept for the next run; a stale cached token
// is refreshed once after the 535; a refused grant keeps the message queued and `relaymail
// flush` says what to run; a rotated refresh token lands in the refresh_token file; no secret
// reaches the output, the log or (beyond the token cache) the spool; `check --connect` reports
// the token's state (fresh, refreshed, refused).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "e2e/oauth2_world.h"
#include "e2e/served.h"

namespace rm::e2e {
namespace {

using test::FakeTokenEndpoint;
using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

const std::string& kAccessToken = access_token();

TEST(OAuth2, DeliveredWithARefreshedTokenThatIsKeptForTheNextRun) {
  OAuth2World o;
  ASSERT_TRUE(o.start());
  o.endpoint->script({FakeTokenEndpoint::grant(kAccessToken, 3600)});
  ASSERT_EQ(o.submit().exit_code, 0);
  RunResult f = o.w.relaymail({"flush"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.out, HasSubstr("status=sent"));
  ASSERT_TRUE(o.smtpd.wait_for(1, std::chrono::seconds(10)));
  EXPECT_THAT(o.smtpd.envelopes()[0], HasSubstr("auth-mechanism: XOAUTH2"));
  auto seen = o.endpoint->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].form["grant_type"], "refresh_token");
  EXPECT_EQ(seen[0].form["refresh_token"], kRefreshToken);
  EXPECT_EQ(seen[0].form["client_id"], "cid.apps");
  EXPECT_EQ(seen[0].form["client_secret"], kClientSecret);
  EXPECT_EQ(mode_of(o.w.spool() + "/oauth2"), 0700u);
  EXPECT_EQ(mode_of(o.cache_file()), 0600u);

  // The next run takes the cached token: no second request.
  ASSERT_EQ(o.submit().exit_code, 0);
  RunResult again = o.w.relaymail({"flush"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  ASSERT_TRUE(o.smtpd.wait_for(2, std::chrono::seconds(10)));
  EXPECT_EQ(o.endpoint->requests().size(), 1u);

  // No secret in what was printed or logged (the SMTP trace is on), nor in the spool beyond the
  // access token's own cache file.
  const std::string logged = read_file(o.log_file());
  EXPECT_THAT(logged, HasSubstr("AUTH XOAUTH2")) << "the debug trace is on";
  for (const std::string& secret :
       {kAccessToken, std::string(kRefreshToken), std::string(kClientSecret)}) {
    EXPECT_THAT(f.out + f.err + again.out + again.err + logged, Not(HasSubstr(secret)));
    for (const auto& entry : fs::recursive_directory_iterator(o.w.spool())) {
      if (entry.is_regular_file() && entry.path() != o.cache_file()) {
        EXPECT_THAT(read_file(entry.path()), Not(HasSubstr(secret))) << entry.path();
      }
    }
  }
  EXPECT_THAT(read_file(o.w.config_path()), Not(HasSubstr(kRefreshToken)));
}

TEST(OAuth2, AStaleCachedTokenIsRefreshedOnceAfterThe535) {
  OAuth2World o;
  ASSERT_TRUE(o.start());
  o.endpoint->script({FakeTokenEndpoint::grant(kAccessToken, 3600)});
  ASSERT_EQ(o.submit().exit_code, 0);  // makes the spool
  // A token the cache says is good for hours, which the smarthost no longer takes.
  ASSERT_EQ(::mkdir((o.w.spool() + "/oauth2").c_str(), 0700), 0);
  ASSERT_TRUE(write_file(o.cache_file(),
                         "relaymail oauth2 token 1\nexpires: 4102444800\ntoken: ya29.stale\n"));
  RunResult f = o.w.relaymail({"flush"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.out, HasSubstr("status=sent"));
  ASSERT_TRUE(o.smtpd.wait_for(1, std::chrono::seconds(10)));
  EXPECT_EQ(o.endpoint->requests().size(), 1u);  // once
  EXPECT_THAT(read_file(o.cache_file()), HasSubstr("token: " + kAccessToken + "\n"));
  EXPECT_EQ(o.w.queued(), 0u);
  // The refused attempt is in the trace: the 535 after the JSON challenge.
  EXPECT_THAT(read_file(o.log_file()), HasSubstr("smtp < 535"));
}

TEST(OAuth2, ARefusedGrantKeepsTheMessageAndSaysWhatToRun) {
  OAuth2World o;
  ASSERT_TRUE(o.start());
  o.endpoint->script(
      {FakeTokenEndpoint::error(400, "invalid_grant", "Token has been expired or revoked.")});
  ASSERT_EQ(o.submit().exit_code, 0);
  RunResult f = o.w.relaymail({"flush"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.out, HasSubstr("status=deferred dsn=4.7.8"));
  EXPECT_THAT(f.out, HasSubstr("invalid_grant: Token has been expired or revoked."));
  EXPECT_THAT(f.out, HasSubstr("run: relaymail oauth2 authorize gmail"));
  EXPECT_THAT(f.err, HasSubstr("run: relaymail oauth2 authorize gmail; messages stay queued"));
  EXPECT_THAT(read_file(o.log_file()), HasSubstr("run: relaymail oauth2 authorize gmail"));
  EXPECT_EQ(o.w.queued(), 1u);  // kept, not bounced
  EXPECT_EQ(o.smtpd.received(), 0u);
  EXPECT_THAT(o.w.mailq().out, HasSubstr("relaymail oauth2 authorize gmail"));
}

TEST(OAuth2, AnEndpointFailureDefersWithOneClearLine) {
  OAuth2World o;
  ASSERT_TRUE(o.start());
  o.endpoint->script({test::TokenReply{.status = 503, .body = "<html>down</html>"}});
  ASSERT_EQ(o.submit().exit_code, 0);
  RunResult f = o.w.relaymail({"flush"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.out, HasSubstr("status=deferred"));
  EXPECT_THAT(f.out, HasSubstr("reason=\"account gmail: the token endpoint answered HTTP 503\""));
  EXPECT_EQ(o.w.queued(), 1u);
}

TEST(OAuth2, ARotatedRefreshTokenLandsInItsFile) {
  OAuth2World o;
  ASSERT_TRUE(o.start());
  o.endpoint->accept_only(kRefreshToken);
  o.endpoint->script({FakeTokenEndpoint::grant(kAccessToken, 3600, "1//rt-rotated")});
  ASSERT_EQ(o.submit().exit_code, 0);
  RunResult f = o.w.relaymail({"flush"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  ASSERT_TRUE(o.smtpd.wait_for(1, std::chrono::seconds(10)));
  EXPECT_EQ(read_file(o.refresh_token_file()), "1//rt-rotated\n");
  EXPECT_EQ(mode_of(o.refresh_token_file()), 0600u);
  EXPECT_EQ(o.endpoint->accepted_refresh_token(), "1//rt-rotated");
  EXPECT_THAT(f.out + f.err, Not(HasSubstr("rt-rotated")));
  // The next refresh (the cached token gone) succeeds with the new one; the old one is dead.
  fs::remove(o.cache_file());
  o.endpoint->script({FakeTokenEndpoint::grant(kAccessToken, 3600)});
  ASSERT_EQ(o.submit().exit_code, 0);
  RunResult again = o.w.relaymail({"flush"});
  EXPECT_THAT(again.out, HasSubstr("status=sent")) << again.err;
  EXPECT_EQ(o.endpoint->requests().back().form["refresh_token"], "1//rt-rotated");
}

struct CheckCase {
  const char* name;
  bool cached = false;  // a valid access token in the cache
  test::TokenReply reply = FakeTokenEndpoint::grant(kAccessToken, 3600);
  int exit_code = 0;
  std::string state;
  size_t requests = 1;
};

// check --connect logs in with the token delivery would use, and says which it was: the cached
// one, one refreshed now, or none because the grant is dead (with the command to run).
TEST(OAuth2, CheckConnectReportsTheTokensStateWithoutTheToken) {
  const CheckCase kCases[] = {
      {.name = "cached and valid", .cached = true, .state = "fresh", .requests = 0},
      {.name = "refreshed now", .state = "refreshed"},
      {.name = "the grant is dead",
       .reply = FakeTokenEndpoint::error(400, "invalid_grant", "Token has been revoked."),
       .exit_code = 69,
       .state = "refused (run: relaymail oauth2 authorize gmail)"},
  };
  for (const CheckCase& c : kCases) {
    SCOPED_TRACE(c.name);
    OAuth2World o;
    ASSERT_TRUE(o.start());
    o.endpoint->script({c.reply});
    if (c.cached) {
      ASSERT_EQ(::mkdir(o.w.spool().c_str(), 0700), 0);
      ASSERT_EQ(::mkdir((o.w.spool() + "/oauth2").c_str(), 0700), 0);
      ASSERT_TRUE(write_file(o.cache_file(),
                             "relaymail oauth2 token 1\nexpires: 4102444800\n"
                             "token: " +
                                 kAccessToken + "\n"));
    }
    RunResult r = o.w.relaymail({"check", "--connect"});
    EXPECT_EQ(r.exit_code, c.exit_code) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("\n  oauth2 token: " + c.state + "\n"));
    EXPECT_EQ(o.endpoint->requests().size(), c.requests);
    if (c.exit_code == 0) {
      EXPECT_THAT(r.out, HasSubstr("  login: XOAUTH2 as demo\n  OK\n"));
      EXPECT_EQ(mode_of(o.cache_file()), 0600u) << "kept for delivery";
    } else {
      EXPECT_THAT(r.out, HasSubstr("  FAILED: account gmail: the token endpoint refused"));
    }
    for (const std::string& secret : {kAccessToken, std::string(kRefreshToken)}) {
      EXPECT_THAT(r.out + r.err + read_file(o.log_file()), Not(HasSubstr(secret)));
    }
    EXPECT_EQ(o.smtpd.received(), 0u);
  }
}

// relaymaild serve refreshes and caches the token as the one-shot run does: the message goes at
// once, with the token from the endpoint, cached in the daemon's spool.
TEST(OAuth2, TheDaemonDeliversWithARefreshedToken) {
  OAuth2World o;
  ASSERT_TRUE(o.start({.delivery = "daemon"}));
  o.endpoint->script({FakeTokenEndpoint::grant(kAccessToken, 3600)});
  Served d(o.w.config_path(), o.w.dir() + "/serve.log");
  ASSERT_TRUE(wait_until([&] { return answers(o.socket()); }, std::chrono::seconds(20))) << d.log();
  RunResult r = o.submit();
  ASSERT_EQ(r.exit_code, 0) << r.err << d.log();
  ASSERT_TRUE(o.smtpd.wait_for(1, std::chrono::seconds(10))) << d.log();
  EXPECT_THAT(o.smtpd.envelopes()[0], HasSubstr("auth-mechanism: XOAUTH2"));
  EXPECT_EQ(o.endpoint->requests().size(), 1u);
  EXPECT_EQ(mode_of(o.cache_file()), 0600u);
  EXPECT_THAT(d.log(), Not(HasSubstr(kAccessToken)));
}

}  // namespace
}  // namespace rm::e2e
