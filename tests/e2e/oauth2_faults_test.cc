// End-to-end: what goes wrong with the token endpoint, and where secrets must never be. Each
// failure of the endpoint (a client it refuses, one that stalls, one that hangs up) defers the
// message with one clear line and keeps it; a token that lives shorter than the refresh margin
// is refreshed on the next run, a longer one is not; after a rotation the old refresh token is
// refused and the message waits for `relaymail oauth2 authorize`; a plain-http token URL is
// refused by the config check before anything is sent; and while the daemon is mid-refresh, no
// secret is in the argv or environment of the daemon or any process it started, nor in the log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/oauth2_world.h"
#include "e2e/served.h"

namespace rm::e2e {
namespace {

using test::FakeTokenEndpoint;
using test::TokenReply;
using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

struct FaultCase {
  const char* name;
  TokenReply reply;
  std::string reason;  // in the flush line's reason="…"
};

TEST(OAuth2Faults, EndpointFailuresDeferAndKeepTheMessage) {
  const FaultCase kCases[] = {
      {.name = "invalid_client",
       .reply = FakeTokenEndpoint::error(401, "invalid_client", "The OAuth client was not found."),
       .reason = "account gmail: the token endpoint refused the request (invalid_client: The "
                 "OAuth client was not found.)"},
      {.name = "a slow endpoint",
       .reply = TokenReply{.action = TokenReply::Action::stall},
       .reason = "account gmail: token request: post "},
      {.name = "a hang-up without an answer",
       .reply = TokenReply{.action = TokenReply::Action::disconnect},
       .reason = "account gmail: token request: post "},
  };
  for (const FaultCase& c : kCases) {
    SCOPED_TRACE(c.name);
    OAuth2World o;
    ASSERT_TRUE(o.start({.timeout = "2s"}));
    o.endpoint->script({c.reply});
    ASSERT_EQ(o.submit().exit_code, 0);
    RunResult f = o.w.relaymail({"flush"});
    EXPECT_EQ(f.exit_code, 0) << f.err;
    EXPECT_THAT(f.out, HasSubstr("status=deferred"));
    EXPECT_THAT(f.out, HasSubstr("reason=\"" + c.reason));
    EXPECT_EQ(o.w.queued(), 1u);  // kept, never bounced
    EXPECT_EQ(o.smtpd.received(), 0u);
    EXPECT_EQ(o.endpoint->requests().size(), 1u);
    for (const std::string& secret : {std::string(kRefreshToken), std::string(kClientSecret)}) {
      EXPECT_THAT(f.out + f.err + read_file(o.log_file()), Not(HasSubstr(secret)));
    }
    o.endpoint->stop();  // wakes the stalled connection before the world goes
  }
}

// The cache keeps a token until a minute before it expires: one granted for 30 s is refreshed on
// the next run, one granted for an hour serves the runs after it.
TEST(OAuth2Faults, AShortLivedTokenIsRefreshedOnTheNextRun) {
  OAuth2World o;
  ASSERT_TRUE(o.start());
  o.endpoint->script({FakeTokenEndpoint::grant(access_token(), 30),
                      FakeTokenEndpoint::grant(access_token(), 3600)});
  const size_t kRequestsAfterRun[] = {1, 2, 2};
  for (size_t run = 0; run < 3; ++run) {
    SCOPED_TRACE(run);
    ASSERT_EQ(o.submit().exit_code, 0);
    RunResult f = o.w.relaymail({"flush"});
    EXPECT_THAT(f.out, HasSubstr("status=sent")) << f.err;
    EXPECT_EQ(o.endpoint->requests().size(), kRequestsAfterRun[run]);
  }
  EXPECT_TRUE(o.smtpd.wait_for(3, std::chrono::seconds(10)));
}

// Microsoft rotates refresh tokens and the old one dies: a copy of it put back (a restored
// backup, a second machine) is refused, and the message waits for a new authorization.
TEST(OAuth2Faults, TheOldRefreshTokenIsRefusedAfterARotation) {
  OAuth2World o;
  ASSERT_TRUE(o.start());
  o.endpoint->accept_only(kRefreshToken);
  o.endpoint->script({FakeTokenEndpoint::grant(access_token(), 3600, "1//rt-rotated")});
  ASSERT_EQ(o.submit().exit_code, 0);
  ASSERT_THAT(o.w.relaymail({"flush"}).out, HasSubstr("status=sent"));
  ASSERT_EQ(read_file(o.refresh_token_file()), "1//rt-rotated\n");

  ASSERT_TRUE(write_file(o.refresh_token_file(), std::string(kRefreshToken) + "\n"));
  fs::remove(o.cache_file());
  o.endpoint->script({FakeTokenEndpoint::grant(access_token(), 3600)});  // for rt-rotated only
  ASSERT_EQ(o.submit().exit_code, 0);
  RunResult f = o.w.relaymail({"flush"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.out, HasSubstr("status=deferred dsn=4.7.8"));
  EXPECT_THAT(f.out, HasSubstr("(invalid_grant: "));
  EXPECT_THAT(f.out, HasSubstr("run: relaymail oauth2 authorize gmail"));
  EXPECT_EQ(o.endpoint->requests().back().form["refresh_token"], kRefreshToken);
  EXPECT_EQ(o.w.queued(), 1u);
  EXPECT_EQ(o.smtpd.received(), 1u);  // the first message only
}

TEST(OAuth2Faults, APlainHttpTokenUrlIsRefusedBeforeAnythingIsSent) {
  OAuth2World o;
  ASSERT_TRUE(o.start({.token_url = "http://localhost:1/token"}));
  RunResult check = o.w.relaymail({"check"});
  EXPECT_EQ(check.exit_code, 78) << check.out << check.err;
  EXPECT_THAT(check.out + check.err,
              HasSubstr("token_url: expected an https:// URL without spaces, not "
                        "\"http://localhost:1/token\""));
  RunResult flush = o.w.relaymail({"flush"});
  EXPECT_EQ(flush.exit_code, 78) << flush.out << flush.err;
  EXPECT_TRUE(o.endpoint->requests().empty());
}

// Every process in the tree under `root` (itself included), from /proc/<pid>/task/*/children.
std::vector<pid_t> process_tree(pid_t root) {
  std::vector<pid_t> out{root};
  for (size_t i = 0; i < out.size(); ++i) {
    std::error_code ec;
    for (const auto& task :
         fs::directory_iterator("/proc/" + std::to_string(out[i]) + "/task", ec)) {
      std::istringstream children(read_file(task.path() / "children"));
      for (pid_t child = 0; children >> child;) {
        out.push_back(child);
      }
    }
  }
  return out;
}

// The daemon is asked for a token while the endpoint stalls, so it holds the refresh token and
// the client secret in memory; the client secret comes from a command, which records its own
// argv and environment and its parent's.
TEST(OAuth2Faults, NoSecretInTheArgvOrEnvironmentOfTheDaemonOrItsChildren) {
  OAuth2World o;
  const std::string dumps = o.w.dir() + "/dumps";
  const std::string script = o.w.dir() + "/client-secret.sh";
  ASSERT_TRUE(fs::create_directory(dumps));
  ASSERT_TRUE(write_file(script,
                         "#!/bin/sh\nd=" + dumps +
                             "\ncat /proc/$$/cmdline > $d/self.cmdline\n"
                             "cat /proc/$$/environ > $d/self.environ\n"
                             "cat /proc/$PPID/cmdline > $d/parent.cmdline\n"
                             "cat /proc/$PPID/environ > $d/parent.environ\n"
                             "echo " +
                             kClientSecret + "\n",
                         0700));
  ASSERT_TRUE(o.start({.delivery = "daemon",
                       .timeout = "5s",
                       .client_secret = "{ command = \"" + script + "\"; }"}));
  o.endpoint->script({TokenReply{.action = TokenReply::Action::stall}});
  Served d(o.w.config_path(), o.w.dir() + "/serve.log");
  ASSERT_TRUE(wait_until([&] { return answers(o.socket()); }, std::chrono::seconds(20))) << d.log();
  ASSERT_EQ(o.submit().exit_code, 0);
  ASSERT_TRUE(wait_until([&] { return !o.endpoint->requests().empty(); }, std::chrono::seconds(20)))
      << d.log();
  EXPECT_EQ(o.endpoint->requests()[0].form["client_secret"], kClientSecret);

  std::set<std::string> seen;
  for (pid_t pid : process_tree(d.pid())) {
    for (const char* what : {"cmdline", "environ"}) {
      seen.insert("/proc/" + std::to_string(pid) + "/" + what);
    }
  }
  for (const auto& dump : fs::directory_iterator(dumps)) {
    seen.insert(dump.path());
  }
  EXPECT_GE(seen.size(), 6u) << "the daemon's and the command's";
  seen.insert(o.log_file());
  seen.insert(o.w.dir() + "/serve.log");
  for (const std::string& path : seen) {
    const std::string text = read_file(path);
    for (const std::string& secret : {std::string(kRefreshToken), std::string(kClientSecret)}) {
      EXPECT_THAT(text, Not(HasSubstr(secret))) << path;
    }
  }
  o.endpoint->stop();
}

}  // namespace
}  // namespace rm::e2e
