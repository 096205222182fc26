// End to end, the keyring password source: `relaymail password set|clear` (run by relaymaild,
// the password on stdin) against a real Secret Service (gnome-keyring on a private bus,
// support/secret_service.h), and deliveries whose password comes from it or is unavailable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "e2e/harness.h"
#include "support/secret_service.h"

namespace rm::e2e {
namespace {

using test::SecretServiceSession;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "s3cret-pass";  // what fake_smtpd accepts for user "demo"

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class KeyringE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SecretServiceSession::available()) {
      GTEST_SKIP() << "gnome-keyring-daemon, dbus-daemon, gdbus or secret-tool is not installed "
                      "(make test installs them)";
    }
    ASSERT_TRUE(srv_.start());
    w_.write_config(srv_, "queue");
    std::string conf = slurp(w_.config_path());
    size_t at = conf.find("password = { file = ");
    ASSERT_NE(at, std::string::npos);
    conf.replace(at, conf.find(';', conf.find('"', at + 22)) + 1 - at,
                 "password = { keyring = true;");
    ASSERT_TRUE(write_file(w_.config_path(), conf)) << conf;
    ASSERT_EQ(::mkdir((w_.dir() + "/keyring").c_str(), 0700), 0);
    std::string why;
    ASSERT_TRUE(keyring_.start(true, &why)) << why;
  }
  std::vector<std::string> env() const {
    std::vector<std::string> e = w_.env();
    e.push_back("DBUS_SESSION_BUS_ADDRESS=" + keyring_.address());
    return e;
  }
  RunResult relaymail(const std::vector<std::string>& args, const std::string& input = "") const {
    return run(w_.bin("relaymail"), args, input, env());
  }
  test::ToolResult secret_tool_lookup() const {
    return keyring_.run(
        {"secret-tool", "lookup", "host", "localhost", "service", "smtp", "user", "demo"});
  }
  RunResult send_and_flush() const {
    RunResult s = run(w_.bin("sendmail"), {"-i", "bob@example.org"}, "Subject: k\n\nbody\n", env());
    EXPECT_EQ(s.exit_code, 0) << s.err;
    return relaymail({"flush"});
  }

  World w_;
  Smtpd srv_{w_.dir(), {}};
  SecretServiceSession keyring_{w_.dir() + "/keyring"};
};

TEST_F(KeyringE2e, PasswordSetDeliversThenClearDefers) {
  RunResult set = relaymail({"password", "set", "test"}, std::string(kPassword) + "\n");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_THAT(set.err, HasSubstr("password stored in the keyring (libsecret)"));
  auto looked = secret_tool_lookup();
  EXPECT_EQ(looked.exit_code, 0) << looked.out;
  EXPECT_EQ(looked.out, kPassword);

  RunResult f = send_and_flush();
  EXPECT_EQ(f.exit_code, 0) << f.err;
  ASSERT_TRUE(srv_.wait_for(1, std::chrono::seconds(10))) << f.out << f.err;
  EXPECT_THAT(set.out + set.err + f.out + f.err, Not(HasSubstr(kPassword)));

  RunResult clear = relaymail({"password", "clear", "test"});
  ASSERT_EQ(clear.exit_code, 0) << clear.err;
  EXPECT_THAT(clear.err, HasSubstr("password removed from the keyring"));
  EXPECT_NE(secret_tool_lookup().exit_code, 0);
  RunResult again = relaymail({"password", "clear", "test"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("no keyring entry; nothing removed"));

  RunResult deferred = send_and_flush();
  EXPECT_THAT(deferred.out + deferred.err,
              HasSubstr("keyring (libsecret): no entry for host=localhost service=smtp user=demo"));
  EXPECT_EQ(w_.queued(), 1u);
  EXPECT_EQ(srv_.received(), 1u);
}

TEST_F(KeyringE2e, LockedCollectionDefersWithoutPrompting) {
  ASSERT_EQ(relaymail({"password", "set", "test"}, kPassword).exit_code, 0);
  std::string why;
  ASSERT_TRUE(keyring_.lock_login(&why)) << why;
  RunResult f = send_and_flush();
  EXPECT_THAT(f.out + f.err, HasSubstr("keyring (libsecret): the collection holding "
                                       "host=localhost service=smtp user=demo is locked"));
  EXPECT_EQ(w_.queued(), 1u);
  EXPECT_EQ(srv_.received(), 0u);
  RunResult set = relaymail({"password", "set", "test"}, "other\n");
  EXPECT_EQ(set.exit_code, 69) << set.err;
  EXPECT_THAT(set.err, HasSubstr("keyring (libsecret): the default collection is locked"));
}

TEST_F(KeyringE2e, PasswordCommandMistakes) {
  const struct {
    std::vector<std::string> args;
    std::string input;
    int code;
    const char* says;
  } kCases[] = {
      {{"password"}, "", 64, "usage: relaymail [-C FILE] password set|clear ACCOUNT"},
      {{"password", "show", "test"}, "", 64, "usage:"},
      {{"password", "set", "nosuch"}, "pw\n", 64, "no account named 'nosuch'"},
      {{"password", "set", "test"}, "\n", 64, "empty password on stdin"},
      {{"password", "set", "test"}, "", 64, "empty password on stdin"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.args.size() > 1 ? c.args[1] + " " + c.input : "bare");
    RunResult r = relaymail(c.args, c.input);
    EXPECT_EQ(r.exit_code, c.code) << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.says));
  }
  EXPECT_NE(secret_tool_lookup().exit_code, 0) << "nothing was stored";
}

}  // namespace
}  // namespace rm::e2e
