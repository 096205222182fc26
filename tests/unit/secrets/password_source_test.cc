#include "secrets/password_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace rm {
namespace {

class PasswordSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = "/tmp/relaymail-secrets-XXXXXX";
    dir_ = ::mkdtemp(t.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    std::string p = dir_ + "/" + name;
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::fchmod(fd, mode);
    ::close(fd);
    return p;
  }
  std::string dir_;
};

TEST_F(PasswordSourceTest, FileFirstLineWithoutLineEnd) {
  const struct {
    const char* text;
    const char* want;
  } kCases[] = {{"pw\n", "pw"},         {"pw\r\n", "pw"}, {"pw", "pw"},
                {"pw\nsecond\n", "pw"}, {"", ""},         {" spaced pw \n", " spaced pw "}};
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    std::string p = write("pass", c.text, 0600);
    auto s = fetch_secret({SecretRef::Kind::file, p, "acct"});
    ASSERT_TRUE(s) << s.error().what;
    EXPECT_EQ(s->view(), c.want);
  }
}

TEST_F(PasswordSourceTest, FileReadableByOthersIsRefused) {
  for (mode_t mode : {0640, 0644, 0604, 0660}) {
    SCOPED_TRACE(mode);
    std::string p = write("pass", "hunter2\n", mode);
    auto s = fetch_secret({SecretRef::Kind::file, p, "acct"});
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::config);
    EXPECT_EQ(s.error().what.find("hunter2"), std::string::npos);
  }
}

TEST_F(PasswordSourceTest, MissingFileIsUnavailable) {
  auto s = fetch_secret({SecretRef::Kind::file, dir_ + "/nope", "acct"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::secret_unavailable);
}

TEST_F(PasswordSourceTest, SymlinkIsNotFollowed) {
  std::string target = write("real", "pw\n", 0600);
  std::string link = dir_ + "/link";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_FALSE(fetch_secret({SecretRef::Kind::file, link, "acct"}));
}

TEST_F(PasswordSourceTest, EnvAndCommand) {
  ::setenv("RELAYMAIL_TEST_PW", "from-env", 1);
  auto e = fetch_secret({SecretRef::Kind::env, "RELAYMAIL_TEST_PW", "acct"});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->view(), "from-env");
  EXPECT_FALSE(fetch_secret({SecretRef::Kind::env, "RELAYMAIL_TEST_UNSET_PW", "acct"}));

  auto c = fetch_secret({SecretRef::Kind::command, "printf 'cmd-pw\\nrest\\n'", "acct"});
  ASSERT_TRUE(c) << c.error().what;
  EXPECT_EQ(c->view(), "cmd-pw");
  auto failed = fetch_secret({SecretRef::Kind::command, "exit 3", "acct"});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::secret_unavailable);
}

TEST_F(PasswordSourceTest, KeyringIsNotYetAvailable) {
  auto k = fetch_secret({SecretRef::Kind::keyring, "", "acct"});
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, Errc::secret_unavailable);
}

}  // namespace
}  // namespace rm
